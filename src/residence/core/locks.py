"""Named locks that last until the end of the current transaction."""

from django.db import connection


def for_transaction(name: str) -> None:
    """Wait for and take the lock `name` until this transaction ends (inside `atomic`).

    PostgreSQL: an advisory transaction lock. SQLite needs none: its IMMEDIATE transactions
    already let one writer in at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
