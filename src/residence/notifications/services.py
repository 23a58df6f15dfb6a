"""The one way the platform tells anyone anything: in-app messages and SMS.

An in-app message is a row written in the caller's transaction (it exists exactly when the
change it reports does). An SMS is checked against the limits and logged (`queued`) in the
caller's transaction, and the `sms_deliver` task is queued only once that transaction
commits, so a change that rolls back sends nothing, and no SQLite write lock is held during
a gateway call. Without a broker the task runs right there (after the commit); with one, a
worker runs it. The delivery steps below (claim, delivered, refused) are the task's: each is
one conditional UPDATE outside any transaction, so two workers given the same row send it once.
"""

import datetime as dt
import logging
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock, limits
from residence.core.errors import NotFound, RateLimited
from residence.core.validators import mask_phone

from .catalogue import MESSAGES, SMS, SMS_SIGNATURE, SMS_WITHOUT_ACCOUNT, with_hours
from .models import Message, SmsMessage

HOUR = 3600
BLANK = "******"  # what a code is replaced by in the stored text

logger = logging.getLogger("residence.sms")


def message_send(*, user, key: str, **params) -> Message:
    """An in-app message, rendered in the reader's language whenever it is read."""
    if key not in MESSAGES:
        raise ValueError(f"unknown message {key!r}")
    return Message.objects.create(user=user, key=key, params=params, created_at=clock.now())


def sms_language(language: str) -> str:
    """The language an SMS is written in: the reader's, when the platform knows it and speaks it,
    else SMS_LANGUAGE (a counter applicant with no account, an account that never chose)."""
    return language if language in dict(settings.LANGUAGES) else settings.SMS_LANGUAGE


def account_language(users) -> str:
    """The language of the first of `users` that has one (the accounts of one person)."""
    return next((user.language for user in users if user.language), "")


def sms_text(key: str, *, language: str = "", has_account: bool = True, **params) -> str:
    """The SMS of a catalogue key in `language` (sms_language), for a person with an account or
    without one, at most as long as the log keeps (a refusal with twenty long reasons overflowed
    it: a 500 that lost the refusal). A longer text is cut, and says where the rest is: the in-app
    message has it all."""
    limit = SmsMessage._meta.get_field("text").max_length
    template = SMS[key] if has_account else SMS_WITHOUT_ACCOUNT.get(key, SMS[key])
    with translation.override(sms_language(language)):
        text = SMS_SIGNATURE + template % with_hours(params)
        if len(text) > limit:
            if has_account:
                rest = str(_("… (the rest is in your account's messages)"))
            else:
                rest = str(_("… (ask at the acceptance point for the rest)"))
            text = text[: limit - len(rest)] + rest
    return text


def listed(references, most: int = 20) -> str:
    """References for a message, at most `most`, and "…" when there were more (a supervisor's
    message of 25 overdue steps named 20 with nothing to say the rest were left out)."""
    references = sorted(set(references))
    return "、".join(references[:most]) + ("、…" if len(references) > most else "")


class NumberDayUsed(RateLimited):
    # Which limit, in words (an outsider's sign-in read "too many requests, try later" for it).
    default_message = gettext_lazy(
        "As many text messages as a mobile number may receive in a day have been sent to this one: try again tomorrow."
    )
    says_when = True


class AddressHourUsed(RateLimited):
    default_message = gettext_lazy("Too many text messages have been asked for from this network in the last hour.")


def _within_limits(*, to_key: str, address: str, own_day: tuple[str, int] | None) -> RateLimited | None:
    """Count one SMS against the number's day and the address's hour, and first against its
    kind's own day per number (`own_day`: scope and limit), if any; the refusal, if any.

    Every limit is tried, a refusal by one included, and all the counts are then undone: an SMS
    refused by the first took fewer statements than one let through, and a real number past its
    day answered a reset faster than an unknown username (an outsider timed it)."""
    checks = [("sms_phone", to_key, settings.LIMIT_SMS_PER_PHONE_DAY, limits.DAILY, NumberDayUsed)]
    if own_day is not None:
        checks.insert(0, (own_day[0], to_key, own_day[1], limits.DAILY, NumberDayUsed))
    if address:
        checks.append(("sms_address", address, settings.LIMIT_SMS_PER_ADDRESS_HOUR, HOUR, AddressHourUsed))
    refused = None
    try:
        with transaction.atomic():
            for scope, key, limit, window, error in checks:
                try:
                    limits.hit(scope, key, limit=limit, window=window, error=error)
                except RateLimited as exc:
                    refused = refused or exc
            if refused is not None:
                raise refused
    except RateLimited:
        return refused
    return None


class SmsLimited(RateLimited):
    """An SMS refused by a limit (not silent), with what its audit event says (`record`)."""

    def __init__(self, refused: RateLimited, *, record: dict):
        super().__init__(refused.message, retry_after=refused.retry_after)
        self.says_when = refused.says_when
        self.record = record


@contextmanager
def sms_refusals_on_record():
    """Around a transaction that sends an SMS (as the outer decorator): a refusal by a limit is put
    on record once that transaction has rolled back, which undid the refusal's own trace (an
    outsider's supervisor, out of SMS for the day, was refused four sign-ins the audit trail never
    showed). Inside a caller's own transaction it is undone with it."""
    try:
        yield
    except SmsLimited as exc:
        audit_record(type=AuditEventType.SMS_NOT_SENT, **exc.record)
        raise


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
    own_day: tuple[str, int] | None = None,
    language: str = "",
    **params,
) -> bool:
    """Send one SMS (`SMS[key] % params`, in `language`: see sms_text) once the caller's
    transaction commits.

    Over a limit: RateLimited, or with `silent` nothing raised and nothing sent (so the
    answer to a password reset never differs). `to=""` with `silent` does every step but
    the sending (an unknown username's reset), `limit_key` standing for the number.
    `own_day` (scope, limit) is a smaller daily quota per number for SMS of one kind, so that
    they cannot use up the number's whole day. `secret` (a code) is blanked in the stored log.
    Returns whether the SMS goes out.
    """
    refused = _within_limits(to_key=to or limit_key, address=address, own_day=own_day)
    if refused is not None and not silent:
        record = {"subject": subject, "address": address, "purpose": purpose, "to": mask_phone(to)}
        raise SmsLimited(refused, record=record)
    text = sms_text(key, language=language, **params)
    sent = refused is None and bool(to)
    # An unknown username's SMS, and a silent one over a limit, go through the delivery steps as a
    # real one does, all but the gateway (sms_deliver marks them not sent): the same writes before
    # and after the answer, so a reset takes as long for a real number past its day as for an
    # unknown username (an outsider timed the shorter way of the first; docs/security.md).
    stand_in = not sent and (silent or not to)
    if secret and (sent or stand_in):
        # A newer code replaces those of its kind still waiting for the gateway: delivered later,
        # all at once, they were dead codes that used up the tries (an outsider). A stand-in runs
        # the same statement on no number (it matches nothing: a code not sent replaces none).
        SmsMessage.objects.filter(to=to if sent else "", purpose=purpose, status__in=WAITING).exclude(secret="").update(
            status=SmsMessage.Status.FAILED, last_error="replaced by a newer code before the gateway took it", secret=""
        )
    row = SmsMessage.objects.create(
        to=to,
        purpose=purpose,
        text=text.replace(secret, BLANK) if secret else text,
        secret=secret if sent else "",
        address=address,
        sent_at=clock.now(),
        status=SmsMessage.Status.QUEUED if sent or stand_in else SmsMessage.Status.NOT_SENT,
        reason="" if sent else ("limit" if refused else "no_account"),
    )
    audit_record(
        type=AuditEventType.SMS_SENT if sent else AuditEventType.SMS_NOT_SENT,
        subject=subject,
        address=address,
        purpose=purpose,
        to=mask_phone(to),
    )
    if sent or stand_in:
        _deliver_on_commit(row)
    return sent


@dataclass(frozen=True)
class Notice:
    """One notice about a case: an in-app message to each of `users` (read in the reader's
    language) and, when there is a number, an SMS (`SMS[key]`) in `language`."""

    users: tuple
    phone: str
    key: str
    params: dict
    language: str = ""


def notice_send(*, users, phone: str, key: str, purpose: str, **params) -> None:
    """A notice about a case (an application's progress), sent once the caller commits. Not
    counted against the verification-code limits: the platform sends these, nobody can ask for
    them. The SMS is in the language of the person's account, if any."""
    users = tuple(users)
    notices_send(
        [Notice(users=users, phone=phone, key=key, params=params, language=account_language(users))], purpose=purpose
    )


@transaction.atomic
def notices_send(notices: list[Notice], *, purpose: str) -> None:
    """Many notices at once (a bulk file's): one INSERT for the messages, one for the SMS."""
    unknown = {n.key for n in notices} - MESSAGES.keys()
    if unknown:
        raise ValueError(f"unknown messages {sorted(unknown)!r}")
    now = clock.now()
    Message.objects.bulk_create(
        [Message(user=user, key=n.key, params=n.params, created_at=now) for n in notices for user in n.users],
        batch_size=2000,
    )
    rows = SmsMessage.objects.bulk_create(
        [
            SmsMessage(
                to=n.phone,
                purpose=purpose,
                text=sms_text(n.key, language=n.language, has_account=bool(n.users), **n.params),
                sent_at=now,
                status=SmsMessage.Status.QUEUED,
            )
            for n in notices
            if n.phone and n.key in SMS
        ],
        batch_size=2000,
    )
    deliver_many_on_commit([row.pk for row in rows])


# Ids per task of a batch: a broker message stays small, and a worker's batch short.
DELIVERY_BATCH = 1000


def deliver_many_on_commit(sms_ids: list[int]) -> None:
    """Queue the delivery of many logged SMS once the caller commits, in batches (one task each)."""
    if not sms_ids:
        return

    def deliver() -> None:
        from .tasks import sms_deliver_many  # the tasks call these services

        for start in range(0, len(sms_ids), DELIVERY_BATCH):
            sms_deliver_many.delay(sms_ids[start : start + DELIVERY_BATCH])

    transaction.on_commit(deliver, robust=True)


def _enqueue(sms_id: int) -> None:
    from .tasks import sms_deliver  # the tasks call these services

    sms_deliver.delay(sms_id)


def _deliver_on_commit(row: SmsMessage) -> None:
    """Queue the delivery once the caller commits. A broker that cannot be reached then does
    not fail the request whose change is already committed: the error is logged, the row
    stays `queued`, and `sms_requeue_stale` queues it again."""
    sms_id = row.pk

    def deliver() -> None:  # a function, not a partial: Django logs a robust hook's __qualname__
        _enqueue(sms_id)

    transaction.on_commit(deliver, robust=True)


# The delivery steps of the sms_deliver task.

WAITING = (SmsMessage.Status.QUEUED, SmsMessage.Status.RETRYING)


def _code_expired(*, now: dt.datetime) -> Q:
    return ~Q(secret="") & Q(sent_at__lt=now - dt.timedelta(seconds=settings.SMS_CODE_TTL_SECONDS))


def sms_claim(*, sms_id: int, attempts: int | None = None) -> SmsMessage | None:
    """Take a waiting row for one attempt (`sending`, one more attempt): the row to send, or
    None when there is nothing to send (sent, failed, not to be sent, being sent by another
    worker, or gone). One conditional UPDATE: of two workers given the same id, one wins.
    With `attempts`, only while the row has made that many (what `sms_due` saw when it found
    its wait over): of overlapping sweeps one sends, and the others do not retry at once what
    it just put back to wait (an outsider's ten parallel sweeps spent the retries in seconds).
    A code that expired while it waited is not sent: the row fails."""
    now = clock.now()
    SmsMessage.objects.filter(_code_expired(now=now), pk=sms_id, status__in=WAITING).update(
        status=SmsMessage.Status.FAILED, last_error="the code expired before the gateway took it", secret=""
    )
    waiting = SmsMessage.objects.filter(pk=sms_id, status__in=WAITING)
    if attempts is not None:
        waiting = waiting.filter(attempts=attempts)
    claimed = waiting.update(status=SmsMessage.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
    return SmsMessage.objects.get(pk=sms_id) if claimed else None


def sms_claim_many(*, sms_ids: list[int]) -> list[SmsMessage]:
    """sms_claim for many rows at once (a bulk file's or a sweep's notices): the rows taken, in
    one transaction of three statements where one row at a time took three commits (an outsider's
    10,000 notices, delivered inline without a broker, held a request 37 s). Rows another worker
    holds are skipped, as sms_claim's conditional UPDATE skips them."""
    now = clock.now()
    with transaction.atomic():
        SmsMessage.objects.filter(_code_expired(now=now), pk__in=sms_ids, status__in=WAITING).update(
            status=SmsMessage.Status.FAILED, last_error="the code expired before the gateway took it", secret=""
        )
        rows = list(
            SmsMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=sms_ids, status__in=WAITING)
            .order_by("pk")
        )
        SmsMessage.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=SmsMessage.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
        )
    return rows


def sms_delivered_many(*, sms_ids: list[int]) -> None:
    """sms_delivered for many rows in one UPDATE."""
    SmsMessage.objects.filter(pk__in=sms_ids, status=SmsMessage.Status.SENDING).update(
        status=SmsMessage.Status.SENT, delivered_at=clock.now(), secret="", last_error=""
    )


def sms_outgoing_text(row: SmsMessage) -> str:
    """The text as the gateway gets it: the stored one with the code put back."""
    return row.text.replace(BLANK, row.secret) if row.secret else row.text


def sms_not_sent(*, sms_id: int) -> None:
    """A stand-in (an unknown username's SMS, or a silent one over a limit) has been through the
    steps: `not_sent`."""
    SmsMessage.objects.filter(pk=sms_id, status=SmsMessage.Status.SENDING).update(status=SmsMessage.Status.NOT_SENT)


def sms_delivered(*, sms_id: int) -> None:
    """The gateway took the SMS: `sent`, and the code is no longer kept."""
    SmsMessage.objects.filter(pk=sms_id, status=SmsMessage.Status.SENDING).update(
        status=SmsMessage.Status.SENT, delivered_at=clock.now(), secret="", last_error=""
    )


def sms_refused(*, sms_id: int, error: str, final: bool) -> None:
    """The gateway refused (or failed): `retrying`, or after the last attempt `failed`."""
    changes = {"status": SmsMessage.Status.RETRYING, "last_error": error[:500]}
    if final:
        changes.update(status=SmsMessage.Status.FAILED, secret="")
        logger.error("SMS %s failed after its last attempt: %s", sms_id, error)
    else:
        logger.warning("SMS %s refused, will retry: %s", sms_id, error)
    SmsMessage.objects.filter(pk=sms_id, status=SmsMessage.Status.SENDING).update(**changes)


def _expired_codes_fail(now: dt.datetime) -> None:
    expired = SmsMessage.objects.filter(_code_expired(now=now), status__in=WAITING).update(
        status=SmsMessage.Status.FAILED, last_error="the code expired before the gateway took it", secret=""
    )
    if expired:
        logger.warning("%s SMS code(s) expired before delivery", expired)


def sms_stale(*, older_than: dt.timedelta, limit: int = 1000) -> list[int]:
    """Rows that waited longer than `older_than` with nothing to show for it (a broker that was
    down when they were queued, a message lost with its worker): their ids, to queue again.
    Codes among them that expired meanwhile fail instead."""
    now = clock.now()
    _expired_codes_fail(now)
    cutoff = now - older_than
    stale = SmsMessage.objects.filter(
        Q(status=SmsMessage.Status.QUEUED, sent_at__lt=cutoff)
        | Q(status=SmsMessage.Status.RETRYING, last_attempt_at__lt=cutoff)
    )
    return list(stale.order_by("pk").values_list("pk", flat=True)[:limit])


def retry_wait(attempts: int) -> dt.timedelta:
    """How long a refused SMS waits after its `attempts`-th attempt: SMS_RETRY_BACKOFF_SECONDS,
    doubled for each attempt after the first, at most SMS_RETRY_BACKOFF_MAX_SECONDS (the ceiling
    of the broker's jittered countdown, `tasks.retry_countdown`)."""
    seconds = settings.SMS_RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.SMS_RETRY_BACKOFF_MAX_SECONDS))


# A row still `queued` this long after it was logged lost its delivery (the process ended first).
QUEUED_LOST_AFTER = dt.timedelta(minutes=1)


def sms_due(*, limit: int = 1000) -> list[tuple[int, int]]:
    """Without a broker nothing holds a retry's countdown: the rows whose wait is over, for
    `send_waiting_sms` (a cron job) and the daily jobs to send again: `retrying` ones past their
    back-off (`retry_wait`), `queued` ones logged over a minute ago; each with the attempts it
    has made, for `sms_claim`. Codes that expired meanwhile fail instead."""
    now = clock.now()
    _expired_codes_fail(now)
    waiting = SmsMessage.objects.filter(status__in=WAITING).order_by("pk")
    due = []
    for pk, status, attempts, last_attempt_at, sent_at in waiting.values_list(
        "pk", "status", "attempts", "last_attempt_at", "sent_at"
    ):
        if status == SmsMessage.Status.RETRYING:
            ready = last_attempt_at is None or last_attempt_at + retry_wait(attempts) <= now
        else:
            ready = sent_at + QUEUED_LOST_AFTER <= now
        if ready:
            due.append((pk, attempts))
            if len(due) >= limit:
                break
    return due


def message_mark_read(*, user, message_id: int) -> Message:
    """The message, read from now (already read: as it was)."""
    message = Message.objects.filter(user=user, pk=message_id).first()
    if message is None:
        raise NotFound()
    Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=clock.now())
    return message
