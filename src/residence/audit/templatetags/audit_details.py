"""An audit event's details in the reader's words: the keys of its data as labels, nested values
as text, not Python's (a supervisor read "action: submit" and "{'source': …}" on the Chinese page:
an outsider), and a slug the platform knows named in words with the slug beside it, as recorded
(another read "角色: supervisor" and "新状态: terminated")."""

from django import template
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from residence.accounts.models import Department, Role, SmsChallenge
from residence.accounts.models import Kind as AccountKind
from residence.accounts.models import Status as AccountStatus
from residence.applications.models import Channel, Route, Step, Verification
from residence.applications.models import Kind as ApplicationKind
from residence.applications.models import Status as ApplicationStatus
from residence.permits.forms import REVOKE_LABELS
from residence.permits.models import Endorsement, Permit
from residence.places.models import AcceptancePoint, District, Street
from residence.registrations.models import Declaration

register = template.Library()

LABELS = {
    "action": _("Action"),
    "after": _("After"),
    "amount": _("Amount"),
    "anniversary_base": _("Anniversary"),
    "application": _("Application"),
    "as": _("As"),
    "at_counter": _("At the counter"),
    "before": _("Before"),
    "building_code": _("Building code"),
    "bulk": _("Bulk file"),
    "card_serial": _("Card serial number"),
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
    "invalid": _("Invalid rows"),
    "kind": _("Kind"),
    "letter_checked": _("Authorisation letter checked"),
    "method": _("Method"),
    # A holiday's or a place's name: not 姓名, a person's (an outsider's calendar change read so).
    "name": pgettext_lazy("a holiday's or a place's", "Name"),
    "new": _("New"),
    "note": _("Note"),
    "notice": _("Notice"),
    "old": _("Old"),
    "old_card_collected": _("Old card taken back"),
    "outcome": _("Outcome"),
    "path": _("Path"),
    "permit": _("Permit"),
    "place": _("Place"),
    "point": _("Acceptance point"),
    "point_from": _("From point"),
    "point_to": _("To point"),
    "published": _("Published"),
    "purpose": _("Purpose"),
    "reason": _("Reason"),
    "reasons": _("Reasons"),
    "refused": _("Refused"),
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
    "tries": _("Tries"),
    "updated": _("Updated"),
    "upload": _("Upload"),
    "username": _("Username"),
    "valid": _("Valid rows"),
    "what": _("What"),
    "where": _("Where"),
    "working": _("Working day"),
    "year": _("Year"),
}
PLACES = (District, Street, AcceptancePoint)
# A place's fields, changed in the admin, by the names the admin gives them (an outsider read
# "address", "name_en" and "district").
for model in PLACES:
    for field in model._meta.concrete_fields:
        LABELS.setdefault(field.name, capfirst(field.verbose_name))


ACTIONS = {
    "submit": _("Submitted"),
    "verify": _("Checked by a department"),
    "approve": _("Approved"),
    "reject": _("Refused"),
    "pay": _("Fee paid"),
    "terminate": _("Terminated: not paid in time"),
    "end_with_permit": _("Ended: its permit was cancelled"),
    "produce": _("Card made"),
    "dispatch": _("Card sent out"),
    "receive": _("Card received at the point"),
    "hand_over": _("Card handed over"),
    "deliver": _("Card delivered"),
    "return": _("Card returned by the courier"),
    "withdraw": _("Withdrawn"),
    "move": _("Moved to another point"),
    "endorse": _("Endorsed"),
    "suspend": _("Suspended"),
    "cancel": _("Cancelled"),
    "revoke": _("Revoked"),
    "exchange": _("Card exchanged"),
    "replace": _("Card replaced"),
}


def _named(*choices) -> dict:
    """Slug → words, the first enumeration naming a slug winning."""
    named = {}
    for enumeration in choices:
        for value, label in enumeration.choices:
            named.setdefault(value, label)
    return named


STATUSES = _named(ApplicationStatus, Permit.Status, Declaration.Status, AccountStatus)
RECORD_KINDS = {
    "identities": _("Population records"),
    "registrations": _("Residence registrations"),
    "social_insurance": _("Social insurance months"),
    "enrolments": _("School enrolments"),
    "talents": _("Talent certificates"),
    "permits": _("Permits issued before the platform"),
}
# What a member of staff looked at (personal_data_viewed).
LOOKED_AT = {
    "application": _("Application"),
    "application_form": _("Application form printed"),
    "application_search": _("Applications searched by ID number"),
    "audit_trail": _("Audit trail"),
    "counter_phone": _("Change of mobile at the counter"),
    "declaration": _("Residence declaration"),
    "eligibility": _("Eligibility check"),
    "house": _("House"),
    "intake_records_check": _("Records checked at a counter intake"),
    "permit": _("Permit"),
    "permit_search": _("Permits searched"),
    "payment_receipt": _("Payment receipt"),
    "receipt": _("Acceptance receipt"),
}
# Where a password was tried.
PASSWORD_FORMS = {
    "login": _("Sign-in"),
    "password_change": _("Change of password"),
    "phone_change": _("Change of mobile"),
}
VALUES = {
    "action": ACTIONS,
    "as": {"family member": _("Family member")},
    "channel": {**_named(Channel), "web": _("Web page"), "api": _("API")},
    "department": _named(Department),
    "kind": {**_named(ApplicationKind, AccountKind, Declaration.Kind), **RECORD_KINDS},
    "old_card_collected": {"yes": _("yes"), "no": _("no"), "not stated": _("not stated")},
    "outcome": _named(Verification.Outcome, Endorsement.Outcome, ApplicationStatus),
    # An SMS's purpose: a code's challenge, or the notice it carries.
    "place": {model._meta.model_name: capfirst(model._meta.verbose_name) for model in PLACES},
    "purpose": {
        **_named(SmsChallenge.Purpose),
        "username_reminder": _("Username reminder"),
        "account": _("Notice about the account"),
        "application": _("Notice about an application"),
        "permit": _("Notice about a permit"),
        "registration": _("Notice about a residence registration"),
        "registration_report_superseded": _("Notice of a tenant's report closed as superseded"),
    },
    "reason": {
        **REVOKE_LABELS,
        "suspended_two_years": _("Suspended for two years"),
        "mismatch": _("The name differs from the population records"),
        "taken": _("The identity is verified for another account"),
    },
    "role": _named(Role),
    "route": _named(Route),
    "status": STATUSES,
    "step": {"requested": _("Written reply asked for"), "recorded": _("Written reply recorded")},
    "status_from": STATUSES,
    "status_to": STATUSES,
    "what": LOOKED_AT,
    "where": PASSWORD_FORMS,
}
STEPS = _named(Step)


@register.filter
def audit_label(key: str) -> str:
    return str(LABELS.get(key, key))


def _slug_named(key: str, value: str) -> str:
    if key in ("step", "steps") and ":" in value:  # "SZ…:whole": an application's step
        reference, _sep, step = value.rpartition(":")
        return f"{reference}: {STEPS[step]} ({step})" if step in STEPS else value
    label = VALUES.get(key, {}).get(value)
    return f"{label} ({value})" if label is not None else value


@register.filter
def audit_value(value, key: str = "") -> str:
    if key == "changes" and isinstance(value, dict):  # field → [before, after] (places.services)
        return "; ".join(f"{audit_label(k)}: {_change(k, v)}" for k, v in value.items())
    if isinstance(value, dict):
        return "; ".join(f"{audit_label(k)}: {audit_value(v, k)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(audit_value(v, key) for v in value)
    if value is True:
        return str(_("yes"))
    if value is False:
        return str(_("no"))
    return _slug_named(key, value) if isinstance(value, str) else str(value)


def _change(key: str, value) -> str:
    """A change as before → after, a value that was not there said so (an outsider read "编码: , 44030409901")."""
    if not (isinstance(value, list | tuple) and len(value) == 2):
        return audit_value(value, key)
    before, after = (audit_value(v, key) if v not in (None, "") else str(_("(none)")) for v in value)
    return f"{before} → {after}"
