"""Forms of the permit pages: they check the shape of what was typed; services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from residence.core.forms import NAME_AS_ON_CARD, Form, PermitNumberFormField


class PermitCheckForm(Form):
    # The number's shape is checked here, so that every problem shows in the first round (an
    # outsider saw the number's only after filling in the name).
    number = PermitNumberFormField(
        label=_("Permit number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Holder's name"),
        help_text=NAME_AS_ON_CARD,  # "Zhang Wei" matched nothing, and said not why (an outsider)
        max_length=100,
        error_messages={"required": _("Enter the holder's name as printed on the card.")},
    )


class PermitFindForm(Form):
    about_others = True

    q = forms.CharField(
        label=_("Permit number or ID number"),
        help_text=_("Type the number printed on the card, or the holder's 18-character ID number."),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class EndorsementAnswerForm(Form):
    confirmed = forms.TypedChoiceField(
        label=_("Your answer"),
        choices=[("yes", _("Confirmed: the records support the endorsement")), ("no", _("Not confirmed"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose confirmed or not confirmed.")},
    )
    note = forms.CharField(
        label=_("Note"),
        help_text=_("Required when not confirmed: say what could not be confirmed."),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# The grounds of RULES §10 a police reviewer decides (the 2 years suspended are the daily job's).
REVOKE_LABELS = {
    "shenzhen_hukou": _("The holder took Shenzhen hukou"),
    "fraud": _("Obtained by fraud"),
    "other_law": _("Required by another law"),
}


class RevokeFindForm(Form):
    number = PermitNumberFormField(
        label=_("Permit number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    reason = forms.ChoiceField(label=_("Ground of the cancellation"), choices=list(REVOKE_LABELS.items()))
