"""An audit event's details in the reader's words: the keys of its data as labels, and nested
values as text, not Python's (a supervisor read "action: submit" and "{'source': …}" on the
Chinese page: an outsider). Values stay as recorded: slugs, codes and dates are the record."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

LABELS = {
    "action": _("Action"),
    "application": _("Application"),
    "before": _("Before"),
    "channel": _("Channel"),
    "code": _("Code"),
    "count": _("Count"),
    "created": _("Created"),
    "credit_code": _("Unified social credit code"),
    "date": _("Date"),
    "department": _("Department"),
    "house": _("House"),
    "kind": _("Kind"),
    "name": _("Name"),
    "note": _("Note"),
    "outcome": _("Outcome"),
    "point": _("Acceptance point"),
    "point_from": _("From point"),
    "point_to": _("To point"),
    "purpose": _("Purpose"),
    "reason": _("Reason"),
    "reasons": _("Reasons"),
    "role": _("Role"),
    "rows": _("Rows"),
    "status_from": _("Status before"),
    "status_to": _("Status after"),
    "updated": _("Updated"),
    "what": _("What"),
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
