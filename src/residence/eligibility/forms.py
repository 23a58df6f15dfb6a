from django import forms
from django.utils.translation import gettext_lazy as _

ROUTE_CHOICES = [
    ("residence_employment", _("Stable residence and stable employment")),
    ("talent", _("Talent introduction")),
    ("education", _("Full-time education")),
]


class SelfCheckForm(forms.Form):
    name = forms.CharField(label=_("Name as on the ID card"), max_length=100)
    id_number = forms.CharField(label=_("ID number"), max_length=18)
    route = forms.ChoiceField(
        label=_("Route"), choices=ROUTE_CHOICES, widget=forms.RadioSelect, initial="residence_employment"
    )
    date = forms.DateField(
        label=_("Check for the date (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for today."),
    )
