"""Work a request hands on to run once its response has gone out.

An answer must take as long for an account that exists as for one that does not (docs/security.md,
enumeration): a password reset for a real username sends an SMS, and with no broker the delivery
runs in the worker (three statements and the gateway's call), which a client could time. Work
queued here runs when the WSGI server closes the response, after the last byte was written to
the client; outside a request (commands, Celery tasks, tests calling services) it runs at once.
"""

import logging
import threading

from django.core.signals import request_finished, request_started

logger = logging.getLogger("residence.core")
_local = threading.local()


def after_response(work) -> None:
    """Run `work()` once the current response has been sent, or now outside a request."""
    pending = getattr(_local, "pending", None)
    if pending is None:
        work()
    else:
        pending.append(work)


def _started(**_kwargs) -> None:
    _local.pending = []


def _finished(**_kwargs) -> None:
    pending, _local.pending = getattr(_local, "pending", None), None
    for work in pending or ():
        try:
            work()
        except Exception:  # the response is gone: log, as a robust on_commit hook would
            logger.exception("work after the response failed: %s", getattr(work, "__qualname__", work))


request_started.connect(_started, dispatch_uid="residence.after_response.started")
request_finished.connect(_finished, dispatch_uid="residence.after_response.finished")
