"""Queries on the hot path of API requests."""

from weakref import WeakKeyDictionary

import psycopg

# Django's PostgreSQL cursors bind parameters client-side and so are never prepared: PostgreSQL
# would plan such a query afresh on every API request. A server-binding psycopg cursor
# lets psycopg prepare it once per connection (after prepare_threshold uses, set by
# DB_PREPARED_STATEMENTS); a call then costs less than half (docs/performance.md). The cursor is
# kept for the connection's life, so its loaders are set up once, not on every request, and it
# asks for binary results, which psycopg decodes in C (Django's loader for text timestamps is
# Python; both give UTC, the connection's time zone). Django's own wrapping is kept where it
# matters: its database errors, and its cursor wrapper whenever queries are logged (DEBUG,
# the tests' query counts) or an execute_wrapper is installed.
_cursors: WeakKeyDictionary = WeakKeyDictionary()


def one_row(connection, sql: str, params) -> tuple | None:
    """The first row of a query run on the hot path (each API request's token lookup, an
    application's document), through a kept, server-binding cursor on PostgreSQL."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if connection.queries_logged or connection.execute_wrappers:
        raw = psycopg.Cursor(connection.connection)
        wrapped = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
        with wrapped as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    connection.validate_no_broken_transaction()
    cursor = _cursors.get(connection)
    if cursor is None or cursor.connection is not connection.connection:
        cursor = _cursors[connection] = psycopg.Cursor(connection.connection)
    with connection.wrap_database_errors:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchone()
