from django import forms
from django.utils.translation import gettext_lazy as _

from residence.core.forms import Form, IdNumberFormField, TypedDateFormField

ROUTE_CHOICES = [
    ("residence_employment", _("Stable residence and employment")),
    ("talent", _("Talent introduction")),
    ("education", _("Full-time education")),
]


class SelfCheckForm(Form):
    name = forms.CharField(
        label=_("Name as on the ID card"),
        help_text=_("In Chinese characters, exactly as printed on the card (for example 张伟), not in pinyin."),
        max_length=100,
    )
    id_number = IdNumberFormField(label=_("ID number"))
    route = forms.ChoiceField(
        label=_("Route"), choices=ROUTE_CHOICES, widget=forms.RadioSelect, initial="residence_employment"
    )
    date = TypedDateFormField(
        label=_("Check for the date (optional)"), required=False, help_text=_("Leave empty for today.")
    )
