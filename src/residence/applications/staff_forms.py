"""Forms of the staff desk's application pages. They only shape input; the services check it."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from residence.core.forms import Form, PersonNameFormField, PlainTextFormField, TickBoxFormField
from residence.core.validators import has_forbidden_characters
from residence.places.models import AcceptancePoint

from . import reasons
from .forms import point_label
from .models import Delivery, FamilyMember, Kind, Route
from .services import MAX_FAMILY_MEMBERS


class VerifyForm(Form):
    outcome = forms.ChoiceField(
        label=_("Do the records confirm the claim?"),
        choices=[("confirmed", _("Confirmed")), ("not_confirmed", _("Not confirmed"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        help_text=_(
            "Required when not confirmed: say what the records do not show. Required too when you confirm "
            "what the records above do not show: say what you confirmed it by. The applicant reads this note "
            "in the application's history."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectForm(Form):
    reasons = forms.MultipleChoiceField(
        label=_("Reasons for the refusal"),
        required=False,
        choices=[(str(i), text) for i, text in enumerate(reasons.COMMON_REASONS)],
        widget=forms.CheckboxSelectMultiple,
    )
    other = forms.CharField(
        label=_("Other reasons"),
        required=False,
        max_length=10_100,  # twenty reasons of 500 characters, one per line
        help_text=_("One reason per line. Every reason is listed to the applicant at once."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def reason_list(self) -> list[str]:
        chosen = [reasons.recorded(int(i)) for i in self.cleaned_data["reasons"]]
        return chosen + [line.strip() for line in self._lines() if line.strip()]

    def other_line(self, index: int) -> int | None:
        """The line of the box (from 1) that reason_list()[index] was written on; None for a
        ticked reason."""
        index -= len(self.cleaned_data["reasons"])
        written = [n for n, line in enumerate(self._lines(), start=1) if line.strip()]
        return written[index] if 0 <= index < len(written) else None

    def _lines(self) -> list[str]:
        # Lines end at a line break only: str.splitlines() also splits at \x1c, \x85 and U+2028,
        # which turned one reason with a hidden character into several clean ones (an outsider).
        return re.split(r"\r\n|\r|\n", self.cleaned_data["other"])


class ReplyForm(Form):
    text = forms.CharField(label=_("Written reply"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}))


class HandOverForm(Form):
    identity_checked = TickBoxFormField(
        label=_("I have checked the applicant's identity document in person"), required=False
    )
    signed = TickBoxFormField(
        label=_("The applicant has checked and signed the printed application form"), required=False
    )
    old_card_collected = TickBoxFormField(label=_("Exchange only: the old card has been taken back"), required=False)


class DeliverForm(Form):
    identity_checked = TickBoxFormField(
        label=_("I have checked the recipient's identity document in person"), required=False
    )
    old_card_collected = TickBoxFormField(label=_("Exchange only: the old card has been taken back"), required=False)


class InPersonForm(Form):
    """What the applicant asks for in person at the counter: withdrawing, or a written reply."""

    identity_checked = TickBoxFormField(
        label=_("I have checked the applicant's identity document: they ask for this in person"), required=False
    )


class ReturnForm(Form):
    reason = forms.CharField(
        label=_("Why the card could not be delivered"),
        max_length=200,
        help_text=_("The applicant is told this by SMS; the card goes to the acceptance point."),
        error_messages={"required": _("Say why the card could not be delivered (the applicant is told).")},
    )


class FindForm(Form):
    about_others = True

    q = forms.CharField(
        label=_("Reference, ID number or receipt QR code"),
        max_length=300,
        help_text=_("Scan the receipt's QR code into this field, or type the reference or the ID number."),
    )


class ReferenceFindForm(FindForm):
    q = forms.CharField(
        label=_("Reference or receipt QR code"),
        max_length=300,
        help_text=_("Scan the receipt's QR code into this field, or type the reference."),
    )


CLOSED_POINT = _("This acceptance point is closed now: choose another one.")


class OpenPointField(forms.ChoiceField):
    """One of the open points offered. One closed since the form was sent is said to be closed (an
    outsider read Django's "not one of the choices"); a code no point holds, unknown, as the API
    says it (another read "closed" of a made-up code)."""

    def validate(self, value):
        try:
            super().validate(value)
        except forms.ValidationError as error:
            if error.code == "invalid_choice" and (
                has_forbidden_characters(value) or not AcceptancePoint.objects.filter(code=value).exists()
            ):
                raise forms.ValidationError(_("Unknown acceptance point."), code="unknown_point") from error
            raise


def _point_choices(*, active_only: bool = True):
    points = AcceptancePoint.objects.select_related("street").order_by("code")
    if active_only:
        points = points.filter(active=True)
    return [(p.code, f"{point_label(p, with_address=False)} ({p.code})") for p in points]


class IntakeForm(Form):
    about_others = True

    name = PersonNameFormField(label=_("Applicant's name"), max_length=100, help_text=_("As on the ID card."))
    id_number = forms.CharField(
        label=_("ID number"), max_length=18, widget=forms.TextInput(attrs={"spellcheck": "false"})
    )
    phone = forms.CharField(label=_("Mobile number"), max_length=20, widget=forms.TextInput(attrs={"type": "tel"}))
    kind = forms.ChoiceField(label=_("Kind of application"), choices=Kind.choices)
    route = forms.ChoiceField(label=_("Route claimed"), choices=Route.choices)
    photo_receipt = forms.CharField(
        label=_("Photo receipt number"), max_length=40, help_text=_("8 to 20 letters and digits, as printed.")
    )
    acceptance_point = OpenPointField(
        label=_("Acceptance point where the card is collected"),
        error_messages={"invalid_choice": CLOSED_POINT, "required": _("Choose the acceptance point.")},
    )
    delivery_method = forms.ChoiceField(
        label=_("How the card is collected"), choices=Delivery.choices, widget=forms.RadioSelect
    )
    delivery_address = forms.CharField(
        label=_("Delivery address"), max_length=200, required=False, help_text=_("Only for courier delivery.")
    )
    materials_checked = TickBoxFormField(
        label=_("Materials checked and returned to the applicant"),
        error_messages={"required": _("Check the materials and return them before accepting.")},
    )
    portrait_captured = TickBoxFormField(
        label=_("Portrait captured"),
        error_messages={"required": _("Capture the applicant's portrait before accepting.")},
    )

    def __init__(self, *args, point=None, **kwargs):
        super().__init__(*args, **kwargs)
        # An empty first choice: a point closed under a sent form is chosen again, not replaced by
        # the list's first (an outsider's form came back showing another point).
        self.fields["acceptance_point"].choices = [("", _("Choose a point")), *_point_choices()]
        if point is not None and not self.is_bound:
            self.initial.setdefault("acceptance_point", point.code)
        self.initial.setdefault("delivery_method", Delivery.PICKUP)


class FamilyMemberForm(Form):
    about_others = True

    name = PersonNameFormField(label=_("Name"), max_length=100, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    relation = forms.ChoiceField(
        label=_("Relation"), required=False, choices=[("", "—"), *FamilyMember.Relation.choices]
    )

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any((data.get(f) or "").strip() for f in ("name", "id_number", "relation"))


class BaseFamilyFormSet(forms.BaseFormSet):
    def clean(self):
        # A row count under the rows typed in would drop them unseen (an outsider's -1 and 0).
        total = self.management_form.cleaned_data["TOTAL_FORMS"]
        for key, value in self.data.items():
            prefix, _sep, rest = key.partition("-")
            row = rest.partition("-")[0]
            if prefix == self.prefix and row.isdecimal() and (len(row) > 4 or int(row) >= total) and value.strip():
                raise forms.ValidationError(_("The page's rows were changed."), code="rows")


# absolute_max too: a page posting TOTAL_FORMS=100000 had a thousand rows built and shown back.
FamilyFormSet = forms.formset_factory(
    FamilyMemberForm,
    formset=BaseFamilyFormSet,
    extra=MAX_FAMILY_MEMBERS,
    max_num=MAX_FAMILY_MEMBERS,
    absolute_max=MAX_FAMILY_MEMBERS,
    validate_max=True,
)


class MoveForm(Form):
    """A supervisor moves every application of a point that can still move to another point."""

    from_point = forms.ChoiceField(
        label=_("Move the applications of"),
        error_messages={"required": _("Choose the point the applications leave.")},
    )
    to_point = OpenPointField(
        label=_("To"),
        help_text=_("An open point: the applicants collect their cards there."),
        error_messages={"required": _("Choose the point that takes them over."), "invalid_choice": CLOSED_POINT},
    )
    reason = PlainTextFormField(
        label=_("Why they move"),
        help_text=_("One line, sent to every applicant moved, for example: the point closes for renovation."),
        max_length=200,
        error_messages={"required": _("Say why the applications move (the applicants are told).")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choose = [("", _("Choose a point"))]
        self.fields["from_point"].choices = choose + _point_choices(active_only=False)
        self.fields["to_point"].choices = choose + _point_choices()

    def clean(self):
        data = super().clean()
        if data.get("from_point") and data.get("from_point") == data.get("to_point"):
            self.add_error("to_point", _("Choose another point than the one they leave."))
        return data
