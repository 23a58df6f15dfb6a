"""The one way the platform tells anyone anything: in-app messages and SMS.

An in-app message is a row written in the caller's transaction (it exists exactly when the
change it reports does). An SMS is checked against the limits and logged in the caller's
transaction, and handed to the gateway only once that transaction commits, so a change
that rolls back sends nothing, and no SQLite write lock is held during a gateway call.
"""

from django.conf import settings
from django.db import transaction
from django.utils import translation

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock, limits
from residence.core.errors import NotFound, RateLimited
from residence.core.validators import mask_phone

from . import sms
from .catalogue import MESSAGES, SMS, SMS_SIGNATURE
from .models import Message, SmsMessage

HOUR = 3600


def message_send(*, user, key: str, **params) -> Message:
    """An in-app message, rendered in the reader's language whenever it is read."""
    if key not in MESSAGES:
        raise ValueError(f"unknown message {key!r}")
    return Message.objects.create(user=user, key=key, params=params, created_at=clock.now())


def sms_text(key: str, **params) -> str:
    with translation.override(settings.SMS_LANGUAGE):
        return SMS_SIGNATURE + str(SMS[key]) % params


def _within_limits(*, to_key: str, address: str) -> RateLimited | None:
    """Count one SMS against the number's day and the address's hour; the refusal, if any."""
    try:
        with transaction.atomic():
            limits.hit("sms_phone", to_key, limit=settings.LIMIT_SMS_PER_PHONE_DAY, window=limits.DAILY)
            if address:
                limits.hit("sms_address", address, limit=settings.LIMIT_SMS_PER_ADDRESS_HOUR, window=HOUR)
    except RateLimited as refused:
        return refused
    return None


@transaction.atomic
def sms_send(
    *,
    to: str,
    key: str,
    purpose: str,
    address: str = "",
    secret: str = "",
    subject=None,
    silent: bool = False,
    limit_key: str = "",
    **params,
) -> bool:
    """Send one SMS (`SMS[key] % params`, in Chinese) once the caller's transaction commits.

    Over a limit: RateLimited, or with `silent` nothing raised and nothing sent (so the
    answer to a password reset never differs). `to=""` with `silent` does every step but
    the sending (an unknown username's reset), `limit_key` standing for the number.
    `secret` (a code) is blanked in the stored log. Returns whether the SMS goes out.
    """
    refused = _within_limits(to_key=to or limit_key, address=address)
    if refused is not None and not silent:
        raise refused
    text = sms_text(key, **params)
    sent = refused is None and bool(to)
    at = clock.now()
    SmsMessage.objects.create(
        to=to,
        purpose=purpose,
        text=text.replace(secret, "******") if secret else text,
        address=address,
        sent_at=at,
        status=SmsMessage.Status.SENT if sent else SmsMessage.Status.NOT_SENT,
        reason="" if sent else ("limit" if refused else "no_account"),
    )
    audit_record(
        type=AuditEventType.SMS_SENT if sent else AuditEventType.SMS_NOT_SENT,
        subject=subject,
        address=address,
        purpose=purpose,
        to=mask_phone(to),
    )
    if sent:
        transaction.on_commit(lambda: sms.send(to, text, at.isoformat()))
    return sent


@transaction.atomic
def notice_send(*, users, phone: str, key: str, purpose: str, **params) -> None:
    """A notice about a case (an application's progress): an in-app message to each of `users`
    and, when there is a number, an SMS (`SMS[key]`, in Chinese) once the caller commits. Not
    counted against the verification-code limits: the platform sends these, nobody can ask for them."""
    for user in users:
        message_send(user=user, key=key, **params)
    if not phone or key not in SMS:
        return
    text = sms_text(key, **params)
    at = clock.now()
    SmsMessage.objects.create(to=phone, purpose=purpose, text=text, sent_at=at, status=SmsMessage.Status.SENT)
    transaction.on_commit(lambda: sms.send(phone, text, at.isoformat()))


def message_mark_read(*, user, message_id: int) -> None:
    updated = Message.objects.filter(user=user, pk=message_id, read_at__isnull=True).update(read_at=clock.now())
    if not updated and not Message.objects.filter(user=user, pk=message_id).exists():
        raise NotFound()
