"""An audit event's details in the reader's words: the keys of its data as labels, and nested
values as text, not Python's (a supervisor read "action: submit" and "{'source': …}" on the
Chinese page: an outsider). Values stay as recorded: slugs, codes and dates are the record."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

LABELS = {
    "action": _("Action"),
    "amount": _("Amount"),
    "anniversary_base": _("Anniversary"),
    "application": _("Application"),
    "before": _("Before"),
    "building_code": _("Building code"),
    "bulk": _("Bulk file"),
    "changes": _("Changes"),
    "channel": _("Channel"),
    "code": _("Code"),
    "confirmed": _("Confirmed"),
    "consent_version": _("Privacy notice version"),
    "continuous_since": _("Continuous since"),
    "count": _("Count"),
    "created": _("Created"),
    "credit_code": _("Unified social credit code"),
    "credit_code_checked": _("Credit code checked"),
    "date": _("Date"),
    "declaration": _("Declaration"),
    "department": _("Department"),
    "endorsed_until": _("Endorsed until"),
    "house": _("House"),
    "housing_checked": _("Proof of housing checked"),
    "kind": _("Kind"),
    "letter_checked": _("Authorisation letter checked"),
    "name": _("Name"),
    "note": _("Note"),
    "outcome": _("Outcome"),
    "permit": _("Permit"),
    "point": _("Acceptance point"),
    "point_from": _("From point"),
    "point_to": _("To point"),
    "published": _("Published"),
    "purpose": _("Purpose"),
    "reason": _("Reason"),
    "reasons": _("Reasons"),
    "role": _("Role"),
    "room": _("Room"),
    "route": _("Route"),
    "rows": _("Rows"),
    "session": _("Login"),
    "source": _("Source"),
    "status": _("Status"),
    "status_from": _("Status before"),
    "status_to": _("Status after"),
    "step": _("Step"),
    "steps": _("Steps"),
    "street": _("Street"),
    "suspended_on": _("Suspended on"),
    "to": _("To"),
    "transaction": _("Transaction"),
    "updated": _("Updated"),
    "username": _("Username"),
    "what": _("What"),
    "where": _("Where"),
    "year": _("Year"),
}


@register.filter
def audit_label(key: str) -> str:
    return str(LABELS.get(key, key))


@register.filter
def audit_value(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{audit_label(k)}: {audit_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(audit_value(v) for v in value)
    if value is True:
        return str(_("yes"))
    if value is False:
        return str(_("no"))
    return str(value)
