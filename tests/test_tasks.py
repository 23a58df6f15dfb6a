"""Background work without a broker (tasks run inline, on commit): SMS delivery that retries
a refusing gateway and never sends twice, the stale-row sweep, the daily jobs as a task."""

import datetime as dt
import json

import pytest
import time_machine
from django.db import transaction

from residence.core.models import LimitCounter
from residence.notifications import services, sms
from residence.notifications.models import SmsMessage
from residence.notifications.services import notice_send, sms_send
from residence.notifications.tasks import (
    retry_countdown,
    sms_deliver,
    sms_deliver_many,
    sms_requeue_stale,
    sms_send_due,
)

from .test_settings_and_health import run_settings

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
Status = SmsMessage.Status


@pytest.fixture
def flaky(settings):
    settings.SMS_BACKEND = "flaky"
    sms.flaky_reset()
    yield settings
    sms.flaky_reset()


def notice(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notice_send(users=[], phone=PHONE, key="application_accepted", purpose="application", reference="SZ0001")
    return SmsMessage.objects.get()


def test_an_sms_is_queued_in_the_transaction_and_sent_by_the_task_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued, transaction.atomic():
        notice_send(users=[], phone=PHONE, key="application_accepted", purpose="application", reference="SZ0001")
    row = SmsMessage.objects.get()
    assert (row.status, row.attempts, sms.outbox) == (Status.QUEUED, 0, [])
    queued[0]()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Status.SENT, 1, "")
    assert row.delivered_at is not None and len(sms.outbox) == 1 and "SZ0001" in sms.outbox[0]["text"]


def later(seconds: float):
    """The clock moved on: a retry's wait passes."""
    return time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds))


def test_a_refusal_waits_its_back_off_then_is_sent_exactly_once(flaky, django_capture_on_commit_callbacks):
    """Without a broker a retry came at once, and the last one failed the SMS for good within the
    second (an outsider): the refused SMS waits, `retrying`, until its back-off is over."""
    flaky.SMS_FLAKY_FAILURES, flaky.SMS_RETRY_BACKOFF_SECONDS = 1, 5
    row = notice(django_capture_on_commit_callbacks)
    assert (row.status, row.attempts, len(sms.refused), sms.outbox) == (Status.RETRYING, 1, 1, [])
    assert sms_send_due() == 0  # SMS_RETRY_BACKOFF_SECONDS (5) not yet over
    with later(6):
        assert sms_send_due() == 1
        assert sms_send_due() == 0
    row.refresh_from_db()
    assert (row.status, row.attempts, len(sms.outbox)) == (Status.SENT, 2, 1)
    assert "GatewayRefused" not in row.last_error  # the row shows its final state


def test_a_gateway_that_always_refuses_leaves_a_visible_failed_row(flaky, django_capture_on_commit_callbacks):
    flaky.SMS_FLAKY_FAILURES = -1
    flaky.SMS_MAX_RETRIES = 3
    notice(django_capture_on_commit_callbacks)
    for minutes in (10, 20, 30, 40):  # each wait (5, 10, 20 s) over; the fourth finds nothing
        with later(minutes * 60):
            sms_send_due()
    row = SmsMessage.objects.get()
    assert (row.status, row.attempts) == (Status.FAILED, 4)  # the first try and three retries
    assert row.last_error.startswith("GatewayRefused: flaky gateway refused send 4")
    assert row.delivered_at is None and len(sms.refused) == 4 and sms.outbox == []
    sms_deliver.delay(row.pk)  # a late duplicate of the message finds nothing to do
    assert len(sms.refused) == 4 and SmsMessage.objects.get().attempts == 4


def test_many_notices_go_out_in_batches_each_sms_once_a_refused_one_retried_alone(
    flaky, django_capture_on_commit_callbacks, django_assert_max_num_queries, monkeypatch
):
    """An outsider's 10,000 move-out notices, each delivered with three commits of its own, held
    the request 37 s without a broker: a batch is claimed and marked sent in a few statements."""
    from residence.notifications.services import Notice, notices_send

    monkeypatch.setattr(services, "DELIVERY_BATCH", 20)
    flaky.SMS_FLAKY_FAILURES = 1  # the gateway refuses the first SMS it is given, once
    notices = [
        Notice(users=(), phone=f"1381234{n:04d}", key="application_accepted", params={"reference": f"SZ{n}"})
        for n in range(50)
    ]
    with django_capture_on_commit_callbacks(execute=False) as queued, transaction.atomic():
        notices_send(notices, purpose="application")
    [deliver] = queued  # one hook queues the batches
    with django_assert_max_num_queries(3 * 12):  # 3 batches: a claim of 4 statements, one UPDATE, the refusal's few
        deliver()
    assert SmsMessage.objects.filter(status=Status.RETRYING).count() == 1
    with later(6):
        assert sms_send_due() == 1
    rows = SmsMessage.objects.order_by("pk")
    assert {row.status for row in rows} == {Status.SENT} and len(sms.outbox) == 50 and len(sms.refused) == 1
    assert sorted(row.attempts for row in rows) == [1] * 49 + [2]
    assert sorted(m["to"] for m in sms.outbox) == sorted(n.phone for n in notices)  # each once
    assert sms_deliver_many.delay([row.pk for row in rows]).result == 0  # a duplicate finds nothing to do


def test_the_same_id_twice_is_sent_once(django_capture_on_commit_callbacks):
    row = notice(django_capture_on_commit_callbacks)
    assert sms_deliver.delay(row.pk).result == "nothing to do"
    assert sms_deliver.apply(args=[row.pk]).result == "nothing to do"
    assert len(sms.outbox) == 1 and SmsMessage.objects.get().attempts == 1


def test_of_two_workers_claiming_one_row_only_one_gets_it():
    row = SmsMessage.objects.create(to=PHONE, purpose="x", text="t", sent_at=dt.datetime.now(dt.UTC), status="queued")
    first, second = services.sms_claim(sms_id=row.pk), services.sms_claim(sms_id=row.pk)
    assert first is not None and second is None
    assert sms_deliver.delay(row.pk).result == "nothing to do"  # while the first is sending
    assert sms.outbox == [] and SmsMessage.objects.get().status == Status.SENDING


def test_a_code_is_sent_whole_but_never_kept_once_sent(flaky, django_capture_on_commit_callbacks):
    flaky.SMS_FLAKY_FAILURES = 1
    with django_capture_on_commit_callbacks(execute=True):
        sms_send(to=PHONE, key="login", purpose="login", secret="654321", code="654321", minutes=5)
    with later(6):
        sms_send_due()
    row = SmsMessage.objects.get()
    assert "654321" in sms.outbox[0]["text"] and "654321" not in row.text
    assert (row.status, row.attempts, row.secret) == (Status.SENT, 2, "")


def test_a_code_that_can_never_be_sent_is_not_kept_either(flaky, django_capture_on_commit_callbacks):
    flaky.SMS_FLAKY_FAILURES = -1
    with django_capture_on_commit_callbacks(execute=True):
        sms_send(to=PHONE, key="login", purpose="login", secret="654321", code="654321", minutes=5)
    assert SmsMessage.objects.get().status == Status.RETRYING  # kept while it may still be sent
    with later(6 * 60):  # past the code's five minutes
        assert sms_send_due() == 0
    row = SmsMessage.objects.get()
    assert (row.status, row.secret) == (Status.FAILED, "")


def test_a_silent_limit_refused_sms_goes_through_the_steps_and_never_reaches_the_gateway(
    settings, django_capture_on_commit_callbacks
):
    # Through the delivery steps as a stand-in does (docs/security.md: a reset for a number past
    # its day must take as long as one for an unknown username), then marked not sent.
    settings.LIMIT_SMS_PER_PHONE_DAY = 0
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert not sms_send(to=PHONE, key="login", purpose="login", secret="1", code="1", minutes=5, silent=True)
    row = SmsMessage.objects.get()
    assert (row.status, row.reason, row.secret, len(queued), sms.outbox) == (Status.NOT_SENT, "limit", "", 1, [])


def test_a_broker_that_cannot_be_reached_fails_no_request_and_the_sweep_sends_later(
    monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(sms_deliver, "delay", down)
    monkeypatch.setattr(sms_deliver_many, "delay", down)  # a notice's delivery goes in a batch
    row = notice(django_capture_on_commit_callbacks)  # no exception: the on_commit hook is robust
    assert (row.status, sms.outbox) == (Status.QUEUED, [])
    monkeypatch.undo()
    assert sms_requeue_stale() == 0  # not stale yet
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)):
        assert sms_requeue_stale() == 1
    assert SmsMessage.objects.get().status == Status.SENT and len(sms.outbox) == 1


def test_the_sweep_fails_codes_that_expired_while_waiting(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(sms_deliver, "delay", lambda *a, **k: None)  # the message was lost
    with django_capture_on_commit_callbacks(execute=True):
        sms_send(to=PHONE, key="login", purpose="login", secret="654321", code="654321", minutes=5)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)):
        assert sms_requeue_stale() == 0
    row = SmsMessage.objects.get()
    assert (row.status, row.secret, sms.outbox) == (Status.FAILED, "", [])
    assert "expired" in row.last_error


def test_the_back_off_doubles_up_to_its_ceiling(settings):
    settings.SMS_RETRY_BACKOFF_SECONDS, settings.SMS_RETRY_BACKOFF_MAX_SECONDS = 5, 30
    for retries, ceiling in [(0, 5), (1, 10), (2, 20), (3, 30), (9, 30)]:
        assert all(0 <= retry_countdown(retries) <= ceiling for _ in range(20))


def test_the_daily_jobs_run_as_a_task_like_the_command(settings):
    from residence.core import limits
    from residence.core.tasks import run_daily_jobs

    settings.FROZEN_TODAY = ""
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        limits.hit("s", "old", limit=1, window=60)
    result = run_daily_jobs.delay("2026-03-05").result
    assert result == {
        "pruned": 1,
        "terminated": 0,
        "batched": 0,
        "reminded": 0,
        "escalated": 0,
        "suspended": 0,
        "cancelled": 0,
        "renewals_ended": 0,
        "permits_reminded": 0,
        "sms_resent": 0,
    }
    assert run_daily_jobs.delay("2026-03-05").result["pruned"] == 0
    assert LimitCounter.objects.count() == 0


def test_beat_runs_the_daily_jobs_once_a_day_in_shanghai_time():
    from config.celery import app

    entry = app.conf.beat_schedule["run-daily-jobs"]
    assert entry["task"] == "residence.core.tasks.run_daily_jobs" and "residence.core.tasks.run_daily_jobs" in app.tasks
    assert entry["schedule"].hour == {0} and app.conf.timezone == "Asia/Shanghai"
    assert "residence.notifications.tasks.sms_deliver" in app.tasks


def test_without_a_broker_tasks_run_inline_and_with_one_they_do_not():
    code = (
        "from config.celery import app; import json; "
        "print(json.dumps([app.conf.task_always_eager, app.conf.broker_url]))"
    )
    out = run_settings({"CELERY_BROKER_URL": ""}, code)
    assert json.loads(out.stdout)[0] is True, out.stderr
    out = run_settings({"CELERY_BROKER_URL": "redis://127.0.0.1:6379/9"}, code)
    assert json.loads(out.stdout) == [False, "redis://127.0.0.1:6379/9"], out.stderr


def test_the_daily_jobs_and_the_command_send_a_refused_notice_again(flaky, django_capture_on_commit_callbacks):
    """An outsider's suspension notices, refused by the gateway without a broker, were never sent:
    rerunning the daily jobs did nothing, and no command could send them."""
    from io import StringIO

    from django.core.management import call_command

    flaky.SMS_FLAKY_FAILURES, flaky.SMS_RETRY_BACKOFF_SECONDS = 2, 5
    notice(django_capture_on_commit_callbacks)
    out = StringIO()
    with later(6):
        call_command("run_daily_jobs", "--date", dt.date.today().isoformat(), stdout=out)
    assert "重新发送待发短信 1 条" in out.getvalue()
    assert SmsMessage.objects.get().status == Status.RETRYING  # the second refusal: wait again (10 s)
    with later(6 + 11):
        call_command("send_waiting_sms", stdout=out)
    assert "重新发送待发短信 1 条" in out.getvalue()
    row = SmsMessage.objects.get()
    assert (row.status, row.attempts, len(sms.outbox)) == (Status.SENT, 3, 1)


def test_a_retry_waits_the_back_off_of_its_attempt(settings):
    from residence.notifications.services import retry_wait

    settings.SMS_RETRY_BACKOFF_SECONDS, settings.SMS_RETRY_BACKOFF_MAX_SECONDS = 5, 30
    assert [retry_wait(n).total_seconds() for n in (1, 2, 3, 4, 9)] == [5, 10, 20, 30, 30]


def test_overlapping_sweeps_send_a_waiting_sms_once_per_wait(flaky, django_capture_on_commit_callbacks):
    """An outsider's ten parallel send_waiting_sms each retried what another had just put back to
    wait, and spent the retries in seconds: a sweep sends only a row that has made the attempts
    it saw when it found the wait over."""
    flaky.SMS_FLAKY_FAILURES, flaky.SMS_RETRY_BACKOFF_SECONDS = -1, 5
    notice(django_capture_on_commit_callbacks)
    with later(6):
        first, second = services.sms_due(), services.sms_due()  # two sweeps find the same row due
        assert first == second == [(SmsMessage.objects.get().pk, 1)]
        assert [sms_deliver.delay(*row).result for row in first + second] == ["retrying", "nothing to do"]
        assert services.sms_due() == []  # its next wait (10 s) has begun
    assert SmsMessage.objects.get().attempts == 2


def test_a_newer_code_replaces_the_ones_still_waiting(flaky, django_capture_on_commit_callbacks):
    """An outsider's gateway came back and delivered three codes at once, two of them dead, and
    typing those used up the tries."""
    flaky.SMS_FLAKY_FAILURES = 1
    with django_capture_on_commit_callbacks(execute=True):
        sms_send(to=PHONE, key="login", purpose="login", secret="111111", code="111111", minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        sms_send(to=PHONE, key="login", purpose="login", secret="222222", code="222222", minutes=5)
    old, new = SmsMessage.objects.order_by("pk")
    assert (old.status, old.secret) == (Status.FAILED, "") and "replaced" in old.last_error
    assert new.status == Status.SENT and [m["text"] for m in sms.outbox if "111111" in m["text"]] == []
    assert "222222" in sms.outbox[0]["text"]
