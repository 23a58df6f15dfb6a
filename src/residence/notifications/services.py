import datetime as dt
import math

from django.conf import settings
from django.db import transaction

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock
from residence.core.errors import NotFound, RateLimited

from . import sms
from .models import Message, SmsMessage


def _seconds_to(moment: dt.datetime) -> int:
    return max(1, math.ceil((moment - clock.now()).total_seconds()))


def sms_ensure_allowed(*, to: str, address: str) -> None:
    """At most LIMIT_SMS_PER_PHONE_DAY a day per number, LIMIT_SMS_PER_ADDRESS_HOUR per address."""
    midnight = clock.start_of_today()
    if SmsMessage.objects.filter(to=to, sent_at__gte=midnight).count() >= settings.LIMIT_SMS_PER_PHONE_DAY:
        raise RateLimited(retry_after=_seconds_to(midnight + dt.timedelta(days=1)))
    hour_ago = clock.now() - dt.timedelta(hours=1)
    recent = SmsMessage.objects.filter(address=address, sent_at__gte=hour_ago).order_by("sent_at")
    if address and recent.count() >= settings.LIMIT_SMS_PER_ADDRESS_HOUR:
        raise RateLimited(retry_after=_seconds_to(recent.first().sent_at + dt.timedelta(hours=1)))


@transaction.atomic
def sms_send(*, to: str, text: str, purpose: str, address: str = "", secret: str = "", subject=None) -> None:
    """Send one SMS within the limits; `secret` (a code) is blanked in the stored log."""
    sms_ensure_allowed(to=to, address=address)
    at = clock.now()
    SmsMessage.objects.create(
        to=to,
        purpose=purpose,
        text=text.replace(secret, "******") if secret else text,
        address=address,
        sent_at=at,
    )
    audit_record(
        type=AuditEventType.SMS_SENT, subject=subject, address=address, purpose=purpose, to=to[:3] + "****" + to[-4:]
    )
    sms.send(to, text, at.isoformat())


def message_create(*, user, title: str, body: str) -> Message:
    return Message.objects.create(user=user, title=str(title), body=str(body), created_at=clock.now())


def message_mark_read(*, user, message_id: int) -> None:
    updated = Message.objects.filter(user=user, pk=message_id, read_at__isnull=True).update(read_at=clock.now())
    if not updated and not Message.objects.filter(user=user, pk=message_id).exists():
        raise NotFound()
