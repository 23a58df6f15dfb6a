"""Named locks that last until the end of the current transaction."""

import time

from django.db import connection
from django.utils.translation import gettext as _

from .errors import Conflict

POLL_SECONDS = 0.2


def for_transaction(name: str, *, wait: float | None = None) -> None:
    """Take the lock `name` until this transaction ends (inside `atomic`): waiting for it as long
    as it takes, or at most `wait` seconds, then 409 with when to try again (a web request must
    not wait for a long import until its worker is killed).

    PostgreSQL: an advisory transaction lock. SQLite needs none: its IMMEDIATE transactions
    already let one writer in at a time.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if wait is None:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
            return
        deadline = time.monotonic() + wait
        while True:
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", [name])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() >= deadline:
                raise Conflict(
                    _("Another import of these records is being applied. Send the file again in a minute."),
                    retry_after=60,
                )
            time.sleep(POLL_SECONDS)
