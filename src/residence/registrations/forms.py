"""The forms of the residence registration pages. They check only the shape of what was typed;
the services check the whole declaration and their errors are put back on these fields."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from residence.accounts.models import Kind
from residence.core.forms import (
    BuildingCodeFormField,
    Form,
    IdNumberFormField,
    PastDateFormField,
    PersonNameFormField,
    PhoneFormField,
    PlainTextFormField,
    RoomFormField,
    TickBoxFormField,
    UsernameFormField,
)
from residence.core.validators import mask_id_number
from residence.places.models import District

from . import rules
from .codes import OCCUPATION_CHOICES, REASON_CHOICES
from .models import DeclarantType, Declaration, HousingType
from .services import BULK_MAX_ROWS


def street_choices(district: str = "") -> list:
    """Shenzhen's streets grouped by district (a new district's apart, `Street.area_shown_name`),
    for a <select> with <optgroup>s."""
    districts = District.objects.prefetch_related("streets").order_by("code")
    if district:
        districts = districts.filter(code=district)
    groups: dict[str, list] = {}
    for d in districts:
        for street in d.streets.all():
            street.district = d
            groups.setdefault(street.area_shown_name, []).append((street.code, street.shown_name))
    return list(groups.items())


def district_choices() -> list:
    return [("", _("All districts")), *[(d.code, d.shown_name) for d in District.objects.order_by("code")]]


class StreetField(forms.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Street"))
        super().__init__(**kwargs)


class HouseFindForm(Form):
    """The filter of "My houses": district → street → building name or code."""

    district = forms.ChoiceField(label=_("District"), required=False)
    street = StreetField(required=False)
    q = forms.CharField(label=_("Building name or code"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = district_choices()
        district = self.data.get("district", "") if self.is_bound else ""
        valid = {code for code, _name in district_choices()}
        self.fields["street"].choices = [("", _("All streets")), *street_choices(district if district in valid else "")]


class HouseStreetForm(Form):
    street = StreetField(help_text=_("Streets are listed by district."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = [("", _("Choose a street")), *street_choices()]


class HouseBuildingForm(Form):
    building_code = BuildingCodeFormField(
        label=_("Building code"), help_text=_("The 10 to 19 digits on the building's plate (楼栋编码).")
    )
    building_name = PlainTextFormField(label=_("Building name"), max_length=100)


class HouseRoomForm(Form):
    room = RoomFormField(label=_("Room"), max_length=30)
    address = PlainTextFormField(
        label=_("Address"),
        help_text=_("The address as on the house's papers, without the room."),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    housing_type = forms.ChoiceField(label=_("Housing type"), choices=HousingType.choices, widget=forms.RadioSelect)


class MoveInForm(Form):
    about_others = True

    name = PersonNameFormField(label=_("Name as on the ID card"), max_length=100)
    id_number = IdNumberFormField(label=_("ID number"))
    phone = PhoneFormField(label=_("Mobile number"))
    declarant_type = forms.ChoiceField(
        label=_("You declare as"),
        choices=[c for c in DeclarantType.choices if c[0] != DeclarantType.TENANT],
        widget=forms.RadioSelect,
    )
    # Empty first choices: a code must be chosen, never taken by default.
    occupation = forms.TypedChoiceField(
        label=_("Occupation (code on the paper form)"), choices=[("", "—"), *OCCUPATION_CHOICES], coerce=int
    )
    reason = forms.TypedChoiceField(
        label=_("Reason for coming (code on the paper form)"), choices=[("", "—"), *REASON_CHOICES], coerce=int
    )
    date = PastDateFormField(label=_("Move-in date"))

    def __init__(self, *args, account_kind: str, housing_type: str, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["declarant_type"]
        if account_kind == Kind.INDIVIDUAL:
            field.choices = [c for c in field.choices if c[0] in rules.INDIVIDUAL_DECLARANT_TYPES]
        # Only the types the declaration may have for this house (an outsider was offered "owner"
        # for a rented room, and refused only after the check page).
        field.choices = [
            c
            for c in field.choices
            if rules.declarant_fits(declarant_type=c[0], housing_type=housing_type, account_kind=account_kind)
        ]
        if len(field.choices) == 1:  # the one answer there is, chosen (an outsider was asked to choose it)
            field.initial = field.choices[0][0]


OTHER_PERSON = "other"


class MoveOutForm(Form):
    """Who moves out: one of the people living in the house, chosen from the list (the house page
    shows them with masked ID numbers, so a landlord could not type the number it asked for), or
    someone else by ID number."""

    about_others = True

    occupant = forms.ChoiceField(
        label=_("Who is moving out?"),
        widget=forms.RadioSelect,
        required=False,
        error_messages={
            "required": _("Choose who is moving out."),
            "invalid_choice": _("Choose one of the people listed, or someone else."),
        },
    )
    id_number = IdNumberFormField(
        label=_("ID number of the person moving out"),
        required=False,
        help_text=_("Only for someone not in the list above: 18 characters."),
    )
    date = PastDateFormField(label=_("Move-out date"))

    def __init__(self, *args, occupants=(), **kwargs):
        super().__init__(*args, **kwargs)
        if occupants:
            field = self.fields["occupant"]
            field.required = True
            field.choices = [
                (str(d.pk), f"{d.name} · {mask_id_number(d.id_number)} · {d.date:%Y-%m-%d}") for d in occupants
            ] + [(OTHER_PERSON, _("Someone else (enter the ID number)"))]
        else:
            del self.fields["occupant"]
            self.fields["id_number"].required = True
            self.fields["id_number"].help_text = _("18 characters.")

    def clean(self):
        data = super().clean()
        # Without residents there is no choice to make: the number is asked for.
        occupant = data.get("occupant") if "occupant" in self.fields else OTHER_PERSON
        if occupant == OTHER_PERSON:
            if not data.get("id_number") and "id_number" not in self.errors:
                self.add_error("id_number", _("Enter the 18-character ID number."))
        elif occupant:
            data["id_number"] = ""  # the chosen person's number is looked up, never typed or shown
            self.errors.pop("id_number", None)  # nor what was typed in its box checked
        return data


class SelfReportForm(Form):
    """A tenant's report of their own move-in: the house by its plate (a tenant cannot list the
    landlord's houses)."""

    street = StreetField()
    building_code = BuildingCodeFormField(
        label=_("Building code"), help_text=_("The 10 to 19 digits on the building's plate (楼栋编码).")
    )
    room = RoomFormField(label=_("Room"), max_length=30)
    phone = PhoneFormField(label=_("Mobile number"))
    # Empty first choices: a code must be chosen, never taken by default.
    occupation = forms.TypedChoiceField(
        label=_("Occupation (code on the paper form)"), choices=[("", "—"), *OCCUPATION_CHOICES], coerce=int
    )
    reason = forms.TypedChoiceField(
        label=_("Reason for coming (code on the paper form)"), choices=[("", "—"), *REASON_CHOICES], coerce=int
    )
    date = PastDateFormField(label=_("Move-in date"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = [("", _("Choose a street")), *street_choices()]


def house_choices(houses) -> list[tuple[str, str]]:
    return [(str(h.pk), f"{h.street.shown_name} · {h.building_name} {h.room}") for h in houses]


class SubAccountHousesForm(Form):
    houses = forms.MultipleChoiceField(
        label=_("Houses the sub-account may declare for"), widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, houses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["houses"].choices = house_choices(houses)


class SubAccountForm(Form):
    username = UsernameFormField(label=_("Username"), max_length=30)
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    phone = PhoneFormField(label=_("Mobile number"), help_text=_("The sub-account signs in with an SMS code first."))
    houses = forms.MultipleChoiceField(
        label=_("Houses the sub-account may declare for"), widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, houses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["houses"].choices = house_choices(houses)


class BulkForm(Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        # Interpolated lazily: "%" on a lazy string would translate it once, at import, into the
        # default language (an outsider's English page showed this hint in Chinese).
        help_text=format_lazy(
            _(
                "Header: house,kind,name,id_number,phone,declarant_type,occupation,reason,date — "
                "at most {rows} rows; CSV in UTF-8 or GB18030, or the first sheet of an XLSX workbook."
            ),
            rows=f"{BULK_MAX_ROWS:,}",
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


class HouseConfirmForm(Form):
    papers_checked = TickBoxFormField(
        label=_("I have seen papers showing that this account may let the room or lives in it as its owner"),
        help_text=_("The property certificate, a lease with the owner, or the organisation's housing papers."),
        error_messages={"required": _("Check the papers before confirming the house.")},
    )


class CounterFindForm(Form):
    about_others = True

    house = forms.IntegerField(label=_("House number (id)"), required=False, min_value=1)
    street = StreetField(required=False)
    building_code = BuildingCodeFormField(label=_("Building code"), required=False)
    room = forms.CharField(label=_("Room"), max_length=30, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = [("", _("Choose a street")), *street_choices()]


class CounterDeclarationForm(Form):
    """A walk-in declarant at the counter: who declares, then the declaration."""

    about_others = True

    declarant_name = PersonNameFormField(label=_("Declarant's name"), max_length=100)
    declarant_id_number = IdNumberFormField(label=_("Declarant's ID number"))
    declarant_phone = PhoneFormField(label=_("Declarant's mobile number"))
    kind = forms.ChoiceField(label=_("Declaration"), choices=Declaration.Kind.choices, widget=forms.RadioSelect)
    name = PersonNameFormField(label=_("Resident's name (move-in)"), max_length=100, required=False)
    id_number = IdNumberFormField(label=_("Resident's ID number"))
    phone = PhoneFormField(label=_("Resident's mobile number (move-in)"), required=False)
    declarant_type = forms.ChoiceField(
        label=_("Declarant type (move-in)"),
        choices=[("", "—"), *[c for c in DeclarantType.choices if c[0] != DeclarantType.TENANT]],
        required=False,
    )
    occupation = forms.TypedChoiceField(
        label=_("Occupation (move-in)"), choices=[("", "—"), *OCCUPATION_CHOICES], coerce=int, required=False
    )
    reason = forms.TypedChoiceField(
        label=_("Reason for coming (move-in)"), choices=[("", "—"), *REASON_CHOICES], coerce=int, required=False
    )
    date = PastDateFormField(label=_("Date of the move"))

    MOVE_IN_FIELDS = ("name", "phone", "declarant_type", "occupation", "reason")

    def clean(self):
        """A move-in needs the resident's name and phone, the declarant type and both codes, here
        at the first step (an outsider reached the check page with each shown as "–")."""
        data = super().clean()
        if data.get("kind") == Declaration.Kind.MOVE_IN:
            for field in self.MOVE_IN_FIELDS:
                if field not in self.errors and data.get(field) in (None, ""):
                    self.add_error(field, _("A move-in needs this."))
        return data
