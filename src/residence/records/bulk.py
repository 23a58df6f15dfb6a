"""Streaming import of social insurance months: millions of rows, memory flat.

Insurance rows never change (every field is key), so a file is: validate each row as it
streams past (each distinct ID number and credit code checked once), copy the valid rows
into an unindexed temporary table, find duplicates inside the file in SQL, then one
`INSERT … SELECT … ON CONFLICT DO NOTHING`. All in one transaction: a bad row anywhere
rolls everything back. PostgreSQL gets the rows by COPY, SQLite by executemany.
"""

import codecs
import csv
import io
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock

from .importing import KINDS, MONTH_RE, ImportResult, checked_credit_code, checked_id_number, import_csv_bytes
from .models import InsuranceMonth

BATCH = 20_000
HEADER = KINDS["social_insurance"].header


class _Rejected(Exception):
    """Raised inside the transaction to roll it back."""


def detect_encoding(stream) -> str:
    """UTF-8 if the whole stream decodes as UTF-8, else GB18030; the stream is rewound."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "gb18030"
    stream.seek(0)
    return encoding


@lru_cache(maxsize=2_000)
def _month(value: str, current_month: str) -> str:
    match = MONTH_RE.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(_("%(field)s is not a month (YYYY-MM).") % {"field": "month"})
    month = f"{match.group(1)}-{match.group(2)}-01"
    if month > current_month:
        raise ValidationError(_("%(field)s is after the current month.") % {"field": "month"})
    return month


def _parse(fields: list[str], current_month: str, line: int) -> tuple[int, str, str, str]:
    """One row, checked. The cached checks strip their input, so each distinct value costs once."""
    try:
        raw_id, raw_month, raw_code = fields
    except ValueError:
        raise ValidationError(_("The row does not have as many values as the header.")) from None
    try:
        id_number = checked_id_number(raw_id)
    except ValidationError as e:
        raise ValidationError(f"id_number: {e.messages[0]}") from None
    month = _month(raw_month, current_month)
    try:
        code = checked_credit_code(raw_code)
    except ValidationError as e:
        raise ValidationError(f"employer_credit_code: {e.messages[0]}") from None
    return line, id_number, month, code


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

    def write(self, batch):
        if not batch:
            return
        if self.postgres:
            # Validated values hold no tab, newline or backslash: COPY's text format needs no escaping.
            text = "".join(f"{line}\t{id_number}\t{month}\t{code}\n" for line, id_number, month, code in batch)
            with self.cursor.cursor.copy(
                "COPY insurance_staging (line, id_number, month, employer) FROM STDIN"
            ) as copy:
                copy.write(text)
        else:
            self.cursor.executemany("INSERT INTO insurance_staging VALUES (%s, %s, %s, %s)", batch)

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
        return self.cursor.fetchall()

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


def _batches(reader, result: ImportResult, current_month: str):
    """Validated rows in batches; bad rows go to result.errors (and nothing more is yielded)."""
    batch, rows = [], 0
    append = batch.append
    for line, fields in enumerate(reader, start=2):
        if not fields:
            continue  # a blank line, as csv.DictReader skips them
        rows += 1
        try:
            append(_parse(fields, current_month, line))
        except ValidationError as e:
            result.errors.append((line, "; ".join(e.messages)))
        if len(batch) >= BATCH:
            if not result.errors:
                yield batch
            batch = []
            append = batch.append
    result.rows = rows
    if batch and not result.errors:
        yield batch


def _rows(stream, progress):
    """The data rows of the CSV; the header is checked first. The stream is left open
    (detached, not closed) so the staging path can read it again."""
    text = io.TextIOWrapper(stream, encoding=detect_encoding(stream), newline="")
    try:
        reader = csv.reader(text)
        header = tuple(h.strip() for h in next(reader, []))
        if header != HEADER:
            raise ValidationError(_("Line 1: the header must be %(want)s.") % {"want": ",".join(HEADER)})
        yield from progress(reader) if progress else reader
    finally:
        text.detach()


def _copy_direct(stream, result: ImportResult, progress, now) -> bool:
    """PostgreSQL, when no row exists yet: COPY the validated rows straight into the table.

    Returns False when a key already exists (or repeats in the file): the savepoint is rolled
    back and the caller takes the staging path, which skips existing rows and names repeats.
    """
    import psycopg

    table = InsuranceMonth._meta.db_table
    current_month = clock.today().replace(day=1).isoformat()
    stamp = now.isoformat()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for batch in _batches(_rows(stream, progress), result, current_month):
                text = "".join(f"{i}\t{m}\t{c}\t{stamp}\n" for _line, i, m, c in batch)
                with cursor.cursor.copy(
                    f"COPY {table} (id_number, month, employer_credit_code, updated_at) FROM STDIN"
                ) as copy:
                    copy.write(text)
            if result.errors:
                raise _Rejected
    except _Rejected:
        return True
    except psycopg.errors.UniqueViolation:
        return False
    result.created = result.rows
    return True


def _staged(stream, result: ImportResult, progress, now) -> None:
    current_month = clock.today().replace(day=1).isoformat()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            staging = _Staging(cursor)
            for batch in _batches(_rows(stream, progress), result, current_month):
                staging.write(batch)
            if result.errors:
                raise _Rejected
            for line, first in staging.duplicates():
                result.errors.append((line, _("Same record as line %(line)d.") % {"line": first}))
            if result.errors:
                raise _Rejected
            result.created = staging.apply(now)
            result.unchanged = result.rows - result.created
            staging.drop()
    except _Rejected:
        pass


def import_insurance_stream(stream, *, actor=None, source: str = "", progress=None) -> ImportResult:
    """Import a social insurance CSV from a binary stream (file or BytesIO)."""
    result = ImportResult(kind="social_insurance")
    now = clock.now()
    with transaction.atomic():
        done = connection.vendor == "postgresql" and _copy_direct(stream, result, progress, now)
        if not done:
            stream.seek(0)
            result = ImportResult(kind="social_insurance")
            _staged(stream, result, progress, now)
        if result.applied:
            audit_record(
                type=AuditEventType.RECORDS_IMPORTED,
                actor=actor,
                kind="social_insurance",
                source=source,
                rows=result.rows,
                created=result.created,
                updated=0,
            )
    return result


def import_csv_stream(kind: str, stream, *, actor=None, source: str = "", progress=None) -> ImportResult:
    """Every CSV import comes here: insurance files stream, other kinds are read whole."""
    if kind == "social_insurance":
        return import_insurance_stream(stream, actor=actor, source=source, progress=progress)
    return import_csv_bytes(kind, stream.read(), actor=actor, source=source, progress=progress)
