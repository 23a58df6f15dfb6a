"""What the holder is told about their permit (in-app message and SMS, after the commit)."""

from django.contrib.auth import get_user_model
from django.utils import translation

from residence.applications.models import CARD_KINDS, OPEN_STATUSES, Application, Person
from residence.notifications.services import account_language, notice_send, sms_language

from . import rules
from .models import Permit

EVENT_KEYS = {
    "endorsed": "permit_endorsed",
    "restored": "permit_restored",
    "suspended": "permit_suspended",
    "cancelled": "permit_cancelled",
}


REVOKED_KEYS = {
    "shenzhen_hukou": "permit_cancelled_hukou",
    "fraud": "permit_cancelled_fraud",
    "other_law": "permit_cancelled_other_law",
}


def holder_accounts(id_number: str):
    return get_user_model().objects.filter(person__id_number=id_number, is_active=True)


def in_holders_language(permit: Permit, render):
    """`render()` in the language the holder's notices are written in, not the one of the staff
    member whose answer sends them (an outsider's English holder read a Chinese verifier's)."""
    with translation.override(sms_language(account_language(holder_accounts(permit.id_number)))):
        return render()


def params(permit: Permit) -> dict:
    window = rules.window_for(
        status=permit.status, endorsed_until=permit.endorsed_until, suspended_on=permit.suspended_on
    )
    return {
        "number": permit.number,
        "endorsed_until": permit.endorsed_until.isoformat(),
        "opens": window[0].isoformat() if window else "",
        "closes": window[1].isoformat() if window else "",
    }


def send(permit: Permit, key: str, **extra) -> None:
    """To the holder's account and its mobile; without an account, by SMS to the mobile last given
    on an application (as the daily sweeps do)."""
    accounts = list(holder_accounts(permit.id_number))
    if accounts:
        phone = accounts[0].phone
    else:
        phone = Person.objects.filter(id_number=permit.id_number).values_list("phone", flat=True).first()
    notice_send(users=accounts, phone=phone or "", key=key, purpose="permit", **params(permit), **extra)


def on_event(permit: Permit, event: str, *, in_time: bool = False) -> None:
    key = EVENT_KEYS.get(event)
    if event == "restored" and in_time:
        # Suspended while an endorsement asked for in time waited for an overdue department check,
        # then granted: the anniversary and the continuous residence stay.
        key = "permit_restored_in_time"
    if event == "cancelled" and permit.cancel_reason in REVOKED_KEYS:
        # The police reviewer's ground, said (an outsider's holder was told only "cancelled", and a
        # Shenzhen hukou holder to apply again).
        key = REVOKED_KEYS[permit.cancel_reason]
    extra = {}
    if event == "suspended" and (reference := open_renewal(permit.id_number)):
        key, extra = "permit_suspended_card_waits", {"reference": reference}
    if key is not None:
        send(permit, key, **extra)


def open_renewal(id_number: str) -> str | None:
    """The reference of the holder's open exchange or replacement, which waits while the permit is
    suspended (as the daily sweep tells it)."""
    return (
        Application.objects.filter(person__id_number=id_number, kind__in=CARD_KINDS, status__in=OPEN_STATUSES)
        .values_list("reference", flat=True)
        .first()
    )
