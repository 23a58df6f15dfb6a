from django import forms
from django.utils.translation import gettext_lazy as _

from residence.core.forms import NAME_AS_ON_CARD, Form, IdNumberFormField, TypedDateFormField

ROUTE_CHOICES = [
    ("residence_employment", _("Stable residence and employment")),
    ("talent", _("Talent introduction")),
    ("education", _("Full-time education")),
]


class SelfCheckForm(Form):
    # A clerk checks the person at the counter here, and a citizen a relative: the browser keeps
    # none of it (an outsider found a counter PC's autofill offering the last applicant's number).
    about_others = True

    name = forms.CharField(
        label=_("Name as on the ID card"),
        help_text=NAME_AS_ON_CARD,
        max_length=100,
    )
    id_number = IdNumberFormField(label=_("ID number"))
    route = forms.ChoiceField(
        label=_("Route"), choices=ROUTE_CHOICES, widget=forms.RadioSelect, initial="residence_employment"
    )
    date = TypedDateFormField(
        label=_("Check for the date (optional)"), required=False, help_text=_("Leave empty for today.")
    )
