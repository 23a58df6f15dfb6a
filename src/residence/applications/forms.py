"""The forms of the citizen's application pages: one topic per page. They only check the shape
of what was typed; `services.clean_application` checks the whole application at submission."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from residence.core import clock
from residence.core.forms import Form, FreeTextFormField, IdNumberFormField, PersonNameFormField
from residence.core.validators import one_line, plain_text_problem
from residence.places.selectors import COURIER_CITY_ONLY, acceptance_point_list, in_city, street_shown

from .models import CARD_KINDS, Delivery, FamilyMember, Kind, Route
from .rules import spouse_problem
from .services import PHOTO_RECEIPT_RE, photo_receipt_problem, receipt_typed


class KindRouteForm(Form):
    kind = forms.ChoiceField(
        label=_("What are you applying for?"),
        choices=Kind.choices,
        widget=forms.RadioSelect,
        initial=Kind.FIRST,
        error_messages={"required": _("Choose what you are applying for.")},
    )
    route = forms.ChoiceField(
        label=_("On which route do you qualify?"),
        choices=Route.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the route on which you qualify.")},
    )
    reason = FreeTextFormField(
        label=_("What happened to your card? (optional)"),
        help_text=_("For an exchange or a replacement: say briefly why."),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "data-shown-for": "kind:" + " ".join(CARD_KINDS)}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") not in CARD_KINDS:
            cleaned["reason"] = ""  # typed for an exchange, then another kind chosen: not asked of it
        return cleaned


class PhotoReceiptForm(Form):
    photo_receipt = forms.CharField(
        label=_("Digital photo receipt number"),
        help_text=_(
            "Printed on the receipt from a certified photo studio or self-service machine: 8 to 20 letters and digits."
        ),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
        error_messages={"required": _("Enter the number printed on your digital photo receipt.")},
    )

    def clean_photo_receipt(self):
        value = receipt_typed(self.cleaned_data["photo_receipt"])
        if not PHOTO_RECEIPT_RE.fullmatch(value):
            raise forms.ValidationError(photo_receipt_problem(value))
        return value


def point_label(point, *, with_address: bool = True) -> str:
    """A point as a choice: its name and address are data, in Chinese; its street is named in the
    reader's language, so an English reader can tell the points apart (an outsider could not)."""
    if street := street_shown(point):
        return f"{street} · {point.name}"
    return f"{point.name} · {point.address}" if with_address else point.name


def point_choices():
    """Active acceptance points grouped by district, for a <select> with <optgroup>s."""
    groups: dict[str, list] = {}
    for point in acceptance_point_list():
        groups.setdefault(point.street.area_shown_name, []).append((point.code, point_label(point)))
    return list(groups.items())


class PointForm(Form):
    acceptance_point = forms.ChoiceField(
        label=_("Acceptance point"),
        help_text=_("Where your application is handled and, if you pick it up, where you collect your card."),
        error_messages={"required": _("Choose the acceptance point.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An empty first choice: with no point to recommend, nothing is chosen for the applicant.
        self.fields["acceptance_point"].choices = [("", _("Choose a point")), *point_choices()]


class FamilyMemberForm(Form):
    relation = forms.ChoiceField(
        label=_("Relation to you"),
        choices=FamilyMember.Relation.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how this person is related to you.")},
    )
    name = PersonNameFormField(label=_("Full name as on the ID card"), max_length=100)
    id_number = IdNumberFormField(label=_("ID number"))

    def __init__(self, *args, applicant_id: str = "", others=(), **kwargs):
        """`others`: the other members listed (dicts with id_number and relation)."""
        super().__init__(*args, **kwargs)
        self.applicant_id = applicant_id
        self.others = {m["id_number"] for m in others}
        self.another_spouse = any(m.get("relation") == FamilyMember.Relation.SPOUSE for m in others)

    def clean_id_number(self):
        value = self.cleaned_data["id_number"]
        if value == self.applicant_id:
            raise forms.ValidationError(_("A family member's ID number cannot be the applicant's own."))
        if value in self.others:
            raise forms.ValidationError(_("This person is already listed."))
        return value

    def clean(self):
        data = super().clean()
        # At this step, not only once the whole application is sent (an outsider added five spouses).
        if data.get("relation") == FamilyMember.Relation.SPOUSE and data.get("id_number"):
            problem = spouse_problem(
                id_number=data["id_number"], another_spouse=self.another_spouse, today=clock.today()
            )
            if problem:
                self.add_error("relation", problem)
        return data


class DeliveryForm(Form):
    method = forms.ChoiceField(
        label=_("How do you want to receive your card?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you collect the card or have it delivered.")},
    )
    address = forms.CharField(
        label=_("Delivery address (courier only)"),
        # Said before it is refused (an outsider typed an English address and learnt it after).
        help_text=_(
            "A Shenzhen address, in Chinese characters, starting with its district (for example 福田区福华路 8 号). "
            "The courier asks to see your ID card."
        ),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "street-address"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = Delivery.choices if settings.COURIER_DELIVERY_ALLOWED else [Delivery.choices[0]]
        self.fields["method"].choices = choices

    def clean(self):
        data = super().clean()
        address = data["address"] = one_line(data.get("address") or "")
        if self.has_error("address"):  # too long: said once (an outsider's was also told to enter one)
            pass
        elif data.get("method") == Delivery.COURIER and plain_text_problem(address):
            self.add_error("address", plain_text_problem(address))
        elif data.get("method") == Delivery.COURIER and not address:
            self.add_error("address", _("Enter the address the courier should deliver to."))
        elif data.get("method") == Delivery.COURIER and not in_city(address):
            self.add_error("address", COURIER_CITY_ONLY)
        if data.get("method") != Delivery.COURIER:
            data["address"] = ""
        return data


class PaymentForm(Form):
    idempotency_key = forms.CharField(max_length=80, widget=forms.HiddenInput)
