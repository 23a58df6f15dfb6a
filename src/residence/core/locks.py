"""Named locks that last until the end of the current transaction."""

from django.db import OperationalError, connection
from django.utils.translation import gettext as _

from .errors import Conflict


def for_transaction(name: str, *, wait: float | None = None, shared: bool = False, busy: str = "") -> None:
    """Take the lock `name` until this transaction ends (inside `atomic`): waiting for it as long
    as it takes, or at most `wait` seconds, then 409 `busy` with when to try again (a web request
    must not wait for a long import until its worker is killed). `shared` holders do not wait for
    each other, only for the one exclusive holder (declarations beside a registrations import).

    PostgreSQL: an advisory transaction lock, asked for in the lock manager's queue, so that a
    stream of shared holders cannot keep an exclusive one waiting for ever. SQLite needs none:
    its IMMEDIATE transactions already let one writer in at a time.
    """
    if connection.vendor != "postgresql":
        return
    kind = "_shared" if shared else ""
    take, attempt = f"pg_advisory_xact_lock{kind}", f"pg_try_advisory_xact_lock{kind}"
    with connection.cursor() as cursor:
        if wait is None:
            cursor.execute(f"SELECT {take}(hashtextextended(%s, 0))", [name])
            return
        # Free, as it nearly always is: one statement (a try defers to those queued for it too).
        cursor.execute(f"SELECT {attempt}(hashtextextended(%s, 0))", [name])
        if cursor.fetchone()[0]:
            return
        cursor.execute("SELECT current_setting('lock_timeout')")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{max(1, round(wait * 1000))}ms"])
        try:
            cursor.execute(f"SELECT {take}(hashtextextended(%s, 0))", [name])
        except OperationalError:  # lock_timeout: the transaction is over, the request answered 409
            raise Conflict(
                busy or _("Another import of these records is being applied. Send the file again in a minute."),
                retry_after=60,
            ) from None
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [before])
