"""End to end through a real broker: a worker (in a thread of this process, so that it sees the
test database, SQLite's in-memory one included) takes the SMS that a committed transaction
queued, and sends it once. Runs only when CELERY_BROKER_URL is set (CI: Redis, a database of
its own); elsewhere it is skipped."""

import os
import threading

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import transaction

from config.celery import app
from residence.notifications import sms
from residence.notifications.models import SmsMessage
from residence.notifications.services import notice_send

BROKER = os.environ.get("CELERY_BROKER_URL", "")

pytestmark = [
    pytest.mark.celery_broker,
    pytest.mark.skipif(not BROKER, reason="CELERY_BROKER_URL is not set: no broker to test against"),
]

WAIT_SECONDS = 20


@pytest.fixture
def worker():
    """A real worker on the real broker; tasks are queued, not run inline, while it runs."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        assert app.conf.broker_url == BROKER
        app.control.purge()  # nothing left over from an earlier run
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30) as w:
            yield w
    finally:
        app.conf.task_always_eager = eager


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_a_committed_notice_once(worker):
    done = threading.Event()
    ran_in = []

    def finished(sender=None, **kwargs):
        # A notice's SMS goes in a batch (notices_send): sms_deliver_many.
        if sender is not None and sender.name == "residence.notifications.tasks.sms_deliver_many":
            ran_in.append(threading.current_thread())
            done.set()

    task_postrun.connect(finished, weak=False)
    try:
        with transaction.atomic():
            notice_send(
                users=[], phone="13812345678", key="application_accepted", purpose="application", reference="SZ0042"
            )
            assert not done.is_set()
        # Nothing read here until the worker is done: SQLite's shared in-memory test database
        # answers a write beside another thread's read with "table is locked", at once.
        assert done.wait(WAIT_SECONDS), f"no worker ran sms_deliver_many within {WAIT_SECONDS} s"
    finally:
        task_postrun.disconnect(finished)
    # Run once, by the worker's thread, not inline in this one.
    assert len(ran_in) == 1 and ran_in[0] is not threading.current_thread()
    row = SmsMessage.objects.get()
    assert (row.status, row.attempts) == (SmsMessage.Status.SENT, 1)
    assert [m["to"] for m in sms.outbox] == ["13812345678"] and "SZ0042" in sms.outbox[0]["text"]
