"""SMS delivery: thin tasks taking ids; the steps are services (notifications.services)."""

import datetime as dt
import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from . import services, sms

logger = logging.getLogger("residence.sms")


def retry_countdown(retries: int) -> int:
    """Seconds before retry number `retries + 1`: SMS_RETRY_BACKOFF_SECONDS doubled each time, at
    most SMS_RETRY_BACKOFF_MAX_SECONDS, with full jitter (a gateway back from an outage is not
    hit by every waiting SMS in the same second). Celery's `retry_backoff` computes the same."""
    return get_exponential_backoff_interval(
        factor=settings.SMS_RETRY_BACKOFF_SECONDS,
        retries=retries,
        maximum=settings.SMS_RETRY_BACKOFF_MAX_SECONDS,
        full_jitter=True,
    )


@shared_task(bind=True, ignore_result=True)
def sms_deliver(self, sms_id: int, attempts: int | None = None) -> str:
    """Send one logged SMS through the gateway, once.

    The row is claimed first (one conditional UPDATE), so a second message for the same id,
    on this worker or another, finds nothing to do. A refusal is recorded on the row and
    retried with exponential back-off up to SMS_MAX_RETRIES times; after the last the row is
    `failed`, with its attempts and the last error. Returns what happened (for the logs)."""
    row = services.sms_claim(sms_id=sms_id, attempts=attempts)
    if row is None:
        return "nothing to do"
    if not row.to or row.reason:  # a stand-in (services.sms_send): no gateway
        services.sms_not_sent(sms_id=sms_id)
        return "not sent"
    try:
        sms.send(row.to, services.sms_outgoing_text(row), row.sent_at.isoformat())
    except Exception as exc:  # whatever the gateway raises is a refusal, retried
        # Counted on the row (its attempts, whoever made them), not by Celery's
        # MaxRetriesExceededError, so that the last refusal marks it `failed` in this same run.
        final = row.attempts > settings.SMS_MAX_RETRIES
        services.sms_refused(sms_id=sms_id, error=f"{type(exc).__name__}: {exc}", final=final)
        if final:
            return "failed"
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # No broker to hold the countdown: a retry now would come at once, and the last one
            # failed the SMS for good within the second (an outsider). It waits, `retrying`, for
            # sms_send_due (send_waiting_sms, the daily jobs) once its back-off is over.
            return "retrying"
        countdown = retry_countdown(self.request.retries)
        # Without `attempts`: the retry is this row's own, whatever a sweep saw.
        raise self.retry(
            args=(sms_id,), kwargs={}, exc=exc, countdown=countdown, max_retries=settings.SMS_MAX_RETRIES
        ) from exc
    services.sms_delivered(sms_id=sms_id)
    return "sent"


@shared_task(ignore_result=True)
def sms_deliver_many(sms_ids: list[int]) -> int:
    """Send many logged SMS (a bulk file's or a sweep's notices), each once: claimed together,
    marked sent together. One the gateway refuses goes back to `retrying` and on to sms_deliver's
    retries, alone. Returns how many were sent."""
    sent = []
    for row in services.sms_claim_many(sms_ids=sms_ids):
        if not row.to:
            services.sms_not_sent(sms_id=row.pk)
            continue
        try:
            sms.send(row.to, services.sms_outgoing_text(row), row.sent_at.isoformat())
        except Exception as exc:  # whatever the gateway raises is a refusal, retried alone
            final = settings.SMS_MAX_RETRIES <= 0
            services.sms_refused(sms_id=row.pk, error=f"{type(exc).__name__}: {exc}", final=final)
            if not final and not settings.CELERY_TASK_ALWAYS_EAGER:  # sms_deliver makes the retries
                sms_deliver.apply_async((row.pk,), countdown=retry_countdown(0), retries=1)
            continue
        sent.append(row.pk)
    services.sms_delivered_many(sms_ids=sent)
    return len(sent)


@shared_task(ignore_result=True)
def sms_requeue_stale(minutes: int = 15) -> int:
    """Queue again the SMS that have waited over `minutes` (beat runs this every 10 minutes).
    Safe to overlap with a delivery in flight: sms_deliver claims before it sends."""
    ids = services.sms_stale(older_than=dt.timedelta(minutes=minutes))
    for sms_id in ids:
        sms_deliver.delay(sms_id)
    if ids:
        logger.warning("%s waiting SMS queued again", len(ids))
    return len(ids)


@shared_task(ignore_result=True)
def sms_send_due() -> int:
    """Send again the SMS whose wait is over (`services.sms_due`): without a broker, what a
    retry's countdown does with one. Returns how many were tried."""
    due = services.sms_due()
    for sms_id, attempts in due:
        sms_deliver.delay(sms_id, attempts)
    return len(due)
