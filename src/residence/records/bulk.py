"""Social insurance months, streamed: millions of rows, memory flat.

Insurance rows never change (every field is key), so an import is: validate each row as it
streams past (`importing.insurance_fields`, each distinct ID number and credit code checked
once), copy the valid rows into an unindexed temporary table, find duplicates inside the
file in SQL, then one `INSERT … SELECT … ON CONFLICT DO NOTHING`, so a concurrent import
of the same months inserts each once. All in one transaction: a bad row anywhere rolls
everything back. PostgreSQL gets the rows by COPY, SQLite by executemany. CSV files and
the exchange API's JSON arrays take the same path.
"""

import contextlib
import itertools

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import locks
from residence.core.encodings import NEITHER, decoded_lines, stream_encoding

from .importing import (
    KINDS,
    ImportResult,
    check_header,
    csv_records,
    current_month,
    insurance_fields,
    row_shape_problem,
)
from .models import InsuranceMonth

BATCH = 20_000
HEADER = KINDS["social_insurance"].header


class _Rejected(Exception):
    """Raised inside the transaction to roll it back."""


class _Staging:
    """A temporary, unindexed table in this transaction, filled in batches."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.postgres = connection.vendor == "postgresql"
        cursor.execute("DROP TABLE IF EXISTS insurance_staging")
        cursor.execute(
            "CREATE TEMPORARY TABLE insurance_staging (line integer, id_number varchar(18), month date, "
            "employer varchar(18))" + (" ON COMMIT DROP" if self.postgres else "")
        )

    @contextlib.contextmanager
    def writing(self):
        """A function that adds a batch to the table: on PostgreSQL one COPY for every batch, fed
        from a thread (see _copy_direct), on SQLite executemany."""
        if self.postgres:
            from psycopg.copy import QueuedLibpqWriter

            sql = "COPY insurance_staging (line, id_number, month, employer) FROM STDIN"
            with self.cursor.cursor.copy(sql, writer=QueuedLibpqWriter(self.cursor.cursor)) as copy:
                # Validated values hold no tab, newline or backslash: COPY's text format needs no escaping.
                yield lambda batch: copy.write("".join(f"{line}\t{i}\t{m}\t{c}\n" for line, i, m, c in batch))
        else:
            yield lambda batch: self.cursor.executemany("INSERT INTO insurance_staging VALUES (%s, %s, %s, %s)", batch)

    def duplicates(self):
        """(line, first line) for every row whose key appeared earlier in the file."""
        # The cheap question first; the join that names the lines runs only when it must.
        self.cursor.execute(
            "SELECT 1 FROM insurance_staging GROUP BY id_number, month, employer HAVING COUNT(*) > 1 LIMIT 1"
        )
        if self.cursor.fetchone() is None:
            return []
        self.cursor.execute(
            "SELECT s.line, f.first FROM insurance_staging s JOIN ("
            " SELECT id_number, month, employer, MIN(line) AS first FROM insurance_staging"
            " GROUP BY id_number, month, employer HAVING COUNT(*) > 1"
            ") f ON f.id_number = s.id_number AND f.month = s.month AND f.employer = s.employer"
            " WHERE s.line > f.first ORDER BY s.line"
        )
        return iter(self.cursor)

    def apply(self, now) -> int:
        table = InsuranceMonth._meta.db_table
        self.cursor.execute(
            f"INSERT INTO {table} (id_number, month, employer_credit_code, updated_at) "  # noqa: S608
            # "WHERE true": SQLite's documented way to parse ON CONFLICT after INSERT … SELECT.
            "SELECT id_number, month, employer, %s FROM insurance_staging WHERE true "
            "ON CONFLICT (id_number, month, employer_credit_code) DO NOTHING",
            [now],
        )
        return self.cursor.rowcount

    def drop(self):
        if not self.postgres:
            self.cursor.execute("DROP TABLE IF EXISTS insurance_staging")


def _batches(numbered_fields, result: ImportResult, *, after_errors: bool = False):
    """Validated rows in batches; bad rows go to result.errors. After the first bad row no more
    batches are yielded, unless `after_errors`: the staging path keeps the valid rows of a file it
    will reject, to name the repeated keys among them in the same answer."""
    this_month = current_month()
    batch, rows = [], 0
    append = batch.append
    for line, fields in numbered_fields:
        rows += 1
        try:
            if isinstance(fields, str):  # a JSON row's shape, refused by _json_fields
                raise ValidationError(fields)
            if len(fields) != len(HEADER):
                raise ValidationError(_("The row does not have as many values as the header."))
            append((line, *insurance_fields(*fields, this_month)))
        except ValidationError as e:
            result.refuse(line, "; ".join(e.messages))
        if len(batch) >= BATCH:
            if after_errors or not result.errors:
                yield batch
            batch = []
            append = batch.append
    result.rows = rows
    if batch and (after_errors or not result.errors):
        yield batch


def _json_fields(rows):
    """(line, [id_number, month, employer_credit_code]) for the objects of a JSON array; a row that
    is no object of the header's text fields, every one of them, its reason instead."""
    for line, row in enumerate(rows, start=2):
        if not isinstance(row, dict):
            yield line, _("A row must be an object with the header's fields.")
        elif not all(isinstance(row.get(name, ""), str) for name in HEADER):
            yield line, _('Every field must be text, as in the CSV file (a JSON string such as "2025-01").')
        elif shape := row_shape_problem(row, HEADER):
            # With the fields' own problems, so that one round tells the sender everything.
            try:
                insurance_fields(*(row.get(name, "") for name in HEADER), current_month())
                yield line, shape
            except ValidationError as e:
                yield line, "; ".join([shape, *e.messages])
        else:
            yield line, [row.get(name, "") for name in HEADER]


class _CsvSource:
    """The data rows of a CSV stream, readable twice (COPY first, staging if that fails)."""

    def __init__(self, stream, progress, encoding: str | None):
        self.stream, self.progress = stream, progress
        self.encoding = encoding or stream_encoding(stream)

    def __iter__(self):
        self.stream.seek(0)
        try:
            records = csv_records(decoded_lines(self.stream, self.encoding))
            first = next(records, None)
            check_header("social_insurance", first[1] if first else None)
            yield from self.progress(records) if self.progress else records
        except UnicodeDecodeError:
            # Not the encoding declared or detected: the file is refused whole, as a header it
            # cannot read would be.
            raise ValidationError(str(NEITHER)) from None


def _any_stored(cursor, batch) -> bool:
    """Whether any (ID number, month, employer) of the batch is stored already (PostgreSQL)."""
    table = InsuranceMonth._meta.db_table
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {table} t JOIN unnest(%s::text[], %s::date[], %s::text[]) "  # noqa: S608
        "AS k(i, m, c) ON t.id_number = k.i AND t.month = k.m AND t.employer_credit_code = k.c)",
        [[row[1] for row in batch], [row[2] for row in batch], [row[3] for row in batch]],
    )
    return cursor.fetchone()[0]


def _copy_direct(source, result: ImportResult, now) -> bool:
    """PostgreSQL, when no row exists yet: COPY the validated rows straight into the table.

    Returns False when a key already exists (or repeats in the file), or a row is bad: the
    savepoint is rolled back and the caller takes the staging path, which skips existing rows and
    names every bad row and every repeat.
    """
    import psycopg
    from psycopg.copy import QueuedLibpqWriter

    table = InsuranceMonth._meta.db_table
    stamp = now.isoformat()
    sql = f"COPY {table} (id_number, month, employer_credit_code, updated_at) FROM STDIN"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            batches = _batches(source, result)
            first = next(batches, [])
            # A file sent again (or a cumulative one) is found out by its first batch, before the
            # whole file is sent into a COPY that fails only at its end.
            if first and _any_stored(cursor, first):
                return False
            # One COPY for the whole file, fed from a thread (psycopg's queued writer): PostgreSQL
            # stores one batch while Python checks the next, on the machine's second core. A COPY
            # per batch kept each waiting for the other.
            with cursor.cursor.copy(sql, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
                for batch in itertools.chain([first], batches):
                    copy.write("".join(f"{i}\t{m}\t{c}\t{stamp}\n" for _line, i, m, c in batch))
                if result.errors:
                    raise _Rejected
    except (_Rejected, psycopg.errors.UniqueViolation):
        return False
    result.created = result.rows
    return True


def _staged(source, result: ImportResult, now) -> None:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            staging = _Staging(cursor)
            with staging.writing() as write:
                for batch in _batches(source, result, after_errors=True):
                    write(batch)
            result.refused(
                (line, _("Same record as line %(line)d.") % {"line": first}) for line, first in staging.duplicates()
            )
            if result.errors:
                raise _Rejected
            result.created = staging.apply(now)
            result.unchanged = result.rows - result.created
            staging.drop()
    except _Rejected:
        pass


def _import(source, *, actor, actor_key, source_name: str, now, copy_first: bool, wait: float | None) -> ImportResult:
    result = ImportResult(kind="social_insurance")
    with transaction.atomic():
        # One import of the kind at a time, as for the other kinds (core.locks): two pushes with
        # rows in common, each inserting in its own order, deadlocked on the unique key (a 500).
        locks.for_transaction("records:social_insurance", wait=wait)
        done = copy_first and connection.vendor == "postgresql" and _copy_direct(source, result, now)
        if not done:
            result = ImportResult(kind="social_insurance")
            _staged(source, result, now)
        if result.applied:
            audit_record(
                type=AuditEventType.RECORDS_IMPORTED,
                actor=actor,
                actor_key=actor_key,
                kind="social_insurance",
                source=source_name,
                rows=result.rows,
                created=result.created,
                updated=0,
            )
    return result


def import_insurance_csv(
    stream,
    *,
    now,
    actor=None,
    actor_key=None,
    source: str = "",
    progress=None,
    encoding: str | None = None,
    wait: float | None = None,
):
    """A social insurance CSV from a binary stream (file or BytesIO), in `encoding` or detected;
    `wait`, how long to wait for another import of the kind (core.locks)."""
    return _import(
        _CsvSource(stream, progress, encoding),
        actor=actor,
        actor_key=actor_key,
        source_name=source,
        now=now,
        copy_first=True,
        wait=wait,
    )


def import_insurance_rows(rows: list, *, now, actor=None, actor_key=None, source: str = "", wait: float | None = None):
    """Social insurance rows as JSON objects (the exchange API)."""
    return _import(
        list(_json_fields(rows)),
        actor=actor,
        actor_key=actor_key,
        source_name=source,
        now=now,
        copy_first=False,
        wait=wait,
    )
