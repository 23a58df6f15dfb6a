from django import forms
from django.utils.translation import gettext_lazy as _

from residence.core.forms import Form, IdNumberFormField, TypedDateFormField

from .models import AuditEventType


class AuditSearchForm(Form):
    """Sent by POST: an ID number searched for stays out of URLs and logs (docs/security.md)."""

    about_others = True

    type = forms.ChoiceField(label=_("Event"), choices=[("", _("Any event")), *AuditEventType.choices], required=False)
    username = forms.CharField(label=_("Account (actor or subject)"), max_length=150, required=False)
    id_number = IdNumberFormField(label=_("Person's ID number"), required=False)
    since = TypedDateFormField(label=_("From"), required=False)
    until = TypedDateFormField(label=_("To"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end lies before the start."))
        return data
