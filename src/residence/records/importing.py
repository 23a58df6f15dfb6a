"""Department data imports: all-or-nothing, every bad row reported with its line number.

A kind is a header, a row parser (raising ValidationError) and its natural key. One upsert
serves every versioned kind: new records are created, changed ones keep their earlier
version in RecordVersion, unchanged ones are left alone, so a second import of a file
changes nothing. Imports of one kind take turns (a transaction-scoped lock), so two
department systems sending the same new person at once cannot both insert it. Social
insurance months, which never change, stream through `bulk.py` instead. `records.services`
is the entry point for the command and the exchange API.

Line numbers are those of the file: the header is line 1, blank lines count, and a record
whose quoted field spans lines is reported at the line where it starts. JSON rows are
numbered as CSV lines would be: the first object is line 2.
"""

import csv
import datetime as dt
import heapq
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock, locks
from residence.core.validators import (
    DIGITS_ONLY,
    RECORD_DATES,
    birth_date_of,
    full_width,
    has_forbidden_characters,
    hidden_text_problem,
    normalize_credit_code,
    normalize_id_number,
    normalize_permit_number,
    parse_date,
    person_name_problem,
    plain_text_problem,
)

from .models import (
    Enrolment,
    Identity,
    InsuranceMonth,
    PermitRecord,
    RecordVersion,
    Registration,
    TalentCertificate,
)

UPDATE_BATCH = 200
CHUNK = 2000
MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")


# The bad rows a refusal names at most: more than an exchange push can hold (EXCHANGE_MAX_ROWS),
# so that the API names every one, while a file of millions of bad rows is refused in bounded
# memory (an outsider's 150,000,000 one-letter rows took 13.8 GB before they were killed).
LISTED_ERRORS = 50_000


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    # Bad rows beyond the LISTED_ERRORS named ones: counted, not named.
    unlisted: int = 0
    # Rows applied to the records but not beyond them, each with why (line, note).
    notes: list[tuple[int, str]] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len(self.errors) + self.unlisted

    def refuse(self, line: int, reason: str) -> None:
        if len(self.errors) < _listed():
            self.errors.append((line, reason))
        else:
            self.unlisted += 1

    def refused(self, errors: Iterable[tuple[int, str]]) -> None:
        """These errors with the ones named already, in line order, the first LISTED_ERRORS named."""
        counted = _Counted(errors)
        named = heapq.nsmallest(_listed(), itertools.chain(self.errors, counted))
        self.unlisted += len(self.errors) + counted.n - len(named)
        self.errors = named


def _listed() -> int:
    return max(LISTED_ERRORS, settings.EXCHANGE_MAX_ROWS)


class _Counted:
    """An iterable that counts what it gives."""

    def __init__(self, items: Iterable):
        self.items, self.n = items, 0

    def __iter__(self):
        for item in self.items:
            self.n += 1
            yield item


# --- field parsers: each names its column in the error --------------------------------


def _value(row, name):
    value = row.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(
            _('%(field)s must be text, as in the CSV file (a JSON string such as "1").') % {"field": name}
        )
    if has_forbidden_characters(value):
        raise ValidationError(_("%(field)s holds a control or invalid character.") % {"field": name})
    return value.strip()


def text(row, name, max_length, required=True, hidden_checked=True):
    """A text field: no control, format or invisible characters in any of them (an outsider's
    ethnicity "汉\x07族", a school or a certificate number with a bidi override, were stored);
    `hidden_checked=False` for a caller that says more precisely what is wrong (a name)."""
    value = _value(row, name)
    if required and not value:
        raise ValidationError(_("%(field)s is empty.") % {"field": name})
    if len(value) > max_length:
        raise ValidationError(_("%(field)s is longer than %(n)d characters.") % {"field": name, "n": max_length})
    problem = hidden_checked and hidden_text_problem(value)
    if problem:
        raise ValidationError(f"{name}: {problem}")
    return value


def person_name(row, name):
    """A person's name as `core.validators.person_name_problem` allows it: department records are
    what declared names are checked against and what staff read (an outsider's feed sent `=1+1`)."""
    value = text(row, name, 100, hidden_checked=False)
    problem = person_name_problem(value)
    if problem:
        raise ValidationError(f"{name}: {problem}")
    return value


def line_text(row, name, max_length, required=True):
    """One line of free text (an address): no hidden characters, no formula start. A line break in
    it, a spreadsheet cell's Alt+Enter exported in quotes, is read as a space (an outsider's
    "湖南省⏎长沙市" sank the whole file, refused as a hidden character)."""
    raw = row.get(name)
    if isinstance(raw, str) and ("\n" in raw or "\r" in raw):
        row = {**row, name: " ".join(part.strip() for part in re.split(r"[\r\n]+", raw) if part.strip())}
    value = text(row, name, max_length, required)
    problem = value and plain_text_problem(value)
    if problem:
        raise ValidationError(f"{name}: {problem}")
    return value


def date(row, name, *, required=True, not_future=False):
    value = _value(row, name)
    if not value and not required:
        return None
    try:
        parsed = parse_date(value, RECORD_DATES)
    except ValidationError as e:
        if e.code == "date_range":
            raise ValidationError(f"{name}: {e.messages[0]}") from None
        raise ValidationError(_("%(field)s is not a date (YYYY-MM-DD).") % {"field": name}) from None
    if not_future and parsed > clock.today():
        raise ValidationError(_("%(field)s lies in the future.") % {"field": name})
    return parsed


@lru_cache(maxsize=2_000)
def checked_month(value: str, current_month: str) -> str:
    """A YYYY-MM month as the ISO date of its first day, not after `current_month`."""
    match = MONTH_RE.fullmatch(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not int(match.group(1)) >= 1900:
        raise ValidationError(_("%(field)s is not a month (YYYY-MM).") % {"field": "month"})
    month = f"{match.group(1)}-{match.group(2)}-01"
    if month > current_month:
        raise ValidationError(_("%(field)s is after the current month.") % {"field": "month"})
    return month


def current_month() -> str:
    return clock.today().replace(day=1).isoformat()


def _empty(name: str, raw: str) -> str:
    """ "name is empty." for a value left empty or out (a JSON row without the field): told as such,
    not as an invalid code (an outsider)."""
    return "" if raw.strip() else _("%(field)s is empty.") % {"field": name}


def insurance_fields(raw_id: str, raw_month: str, raw_code: str, this_month: str) -> tuple[str, str, str]:
    """One social insurance row, checked: (ID number, first day of the month, credit code).

    The one parser of insurance rows, CSV or JSON; each distinct value is checked once
    (the cached checks strip their input)."""
    # Three plain try blocks, not a loop of checks: this runs for every row of a million-row file.
    problems = []
    try:
        id_number = checked_id_number(raw_id)
    except ValidationError as e:
        problems.append(_empty("id_number", raw_id) or f"id_number: {e.messages[0]}")
    try:
        month = checked_month(raw_month, this_month)  # its messages name the month already
    except ValidationError as e:
        problems.append(_empty("month", raw_month) or e.messages[0])
    try:
        code = checked_credit_code(raw_code)
    except ValidationError as e:
        problems.append(_empty("employer_credit_code", raw_code) or f"employer_credit_code: {e.messages[0]}")
    if not problems and month < f"{id_number[6:10]}-{id_number[10:12]}-01":
        # A month before the person was born (by the number) is a wrong month or a wrong number
        # (an outsider's 1900-01 for a person born in 1990 was kept).
        problems.append(
            _("%(field)s %(month)s is before the birth of the person (%(born)s, by the ID number).")
            % {"field": "month", "month": month[:7], "born": f"{id_number[6:10]}-{id_number[10:12]}"}
        )
    if problems:
        raise ValidationError(problems)
    return id_number, month, code


def flag(row, name):
    # JSON's own true/false and 0/1 as well as the CSV file's "1"/"0" (an outsider's department
    # system sent typed JSON and had every row refused).
    raw = row.get(name)
    if isinstance(raw, bool) or (type(raw) is int and raw in (0, 1)):
        return bool(raw)
    if not isinstance(raw, str):  # 2, 1.0, null: not "text", as _value would say
        raise ValidationError(_("%(field)s must be 1 or 0 (in JSON also true or false).") % {"field": name})
    value = _value(row, name)
    if value not in ("0", "1"):
        raise ValidationError(_("%(field)s must be 1 or 0.") % {"field": name})
    return value == "1"


def choice(row, name, choices):
    value = _value(row, name)
    if value not in choices:
        raise ValidationError(_("%(field)s must be one of %(values)s.") % {"field": name, "values": ", ".join(choices)})
    return value


@lru_cache(maxsize=200_000)
def checked_id_number(value):
    return normalize_id_number(value)


def id_number(row):
    # Each distinct number is checked once per process (large files repeat them).
    try:
        return checked_id_number(_value(row, "id_number"))
    except ValidationError as e:
        raise ValidationError(f"id_number: {e.messages[0]}") from None


@lru_cache(maxsize=100_000)
def checked_credit_code(value):
    return normalize_credit_code(value)


def ordered(first, second, first_name, second_name):
    if first and second and second < first:
        raise ValidationError(_("%(b)s is before %(a)s.") % {"a": first_name, "b": second_name})


def after_birth(field: str):
    """A check that the record's date `field` is not before the person's birth, by the ID number
    (an outsider's registration of 1800-01-01 for a person born in 1990 was kept, and an
    eligibility check then read a residence since 1800)."""

    def check(record):
        born = birth_date_of(record["id_number"])
        if record[field] < born:
            raise ValidationError(
                _("%(field)s %(date)s is before the birth of the person (%(born)s, by the ID number).")
                % {"field": field, "date": record[field].isoformat(), "born": born.isoformat()}
            )

    return check


def fields_of(row, parsers: dict, *checks) -> dict:
    """A record from `parsers` (name → function of the row), every field's problem collected so a
    row is refused once with all of them (an outsider's row without five fields was told of one);
    the `checks` (functions of the record) run once every field is well-formed."""
    record, problems = {}, []
    for name, parse in parsers.items():
        try:
            record[name] = parse(row)
        except ValidationError as error:
            problems += error.messages
    if problems:
        raise ValidationError(problems)
    for check in checks:
        check(record)
    return record


# --- the kinds -------------------------------------------------------------------------


def parse_identity(row):
    return fields_of(
        row,
        {
            "id_number": id_number,
            "name": lambda r: person_name(r, "name"),
            "sex": lambda r: choice(r, "sex", ("M", "F")),
            "ethnicity": lambda r: text(r, "ethnicity", 40, required=False),
            "birth_date": lambda r: date(r, "birth_date", not_future=True),
            "hukou_address": lambda r: line_text(r, "hukou_address", 200, required=False),
            "shenzhen_hukou": lambda r: flag(r, "shenzhen_hukou"),
        },
    )


def street_code(row, streets) -> str:
    code = _value(row, "street_code")
    if full_width(code):  # said why, as for ID numbers (an outsider was told it is not a street)
        raise ValidationError(f"street_code: {DIGITS_ONLY}")
    if not code:  # not "street_code  is not a Shenzhen street." (an outsider)
        raise ValidationError(_("%(field)s is empty.") % {"field": "street_code"})
    if code not in streets:
        raise ValidationError(_("street_code %(code)s is not a Shenzhen street.") % {"code": code[:20]})
    return code


def parse_registration(row, streets):
    return fields_of(
        row,
        {
            "id_number": id_number,
            "street_id": lambda r: street_code(r, streets),
            "address": lambda r: line_text(r, "address", 200),
            "registered_on": lambda r: date(r, "registered_on", not_future=True),
            "ended_on": lambda r: date(r, "ended_on", required=False, not_future=True),
        },
        lambda record: ordered(record["registered_on"], record["ended_on"], "registered_on", "ended_on"),
        after_birth("registered_on"),
    )


def parse_enrolment(row):
    return fields_of(
        row,
        {
            "id_number": id_number,
            "school": lambda r: text(r, "school", 200),
            "level": lambda r: choice(r, "level", Enrolment.Level.values),
            "full_time": lambda r: flag(r, "full_time"),
            "start_date": lambda r: date(r, "start_date"),
            "end_date": lambda r: date(r, "end_date", required=False),
        },
        lambda record: ordered(record["start_date"], record["end_date"], "start_date", "end_date"),
        after_birth("start_date"),
    )


def certificate_number(row) -> str:
    """A certificate number in one spelling: full-width forms as their ASCII (NFKC), letters in
    upper case (an outsider attached TC001 to one person, then tc001 and ＴＣ001 to another)."""
    return unicodedata.normalize("NFKC", text(row, "certificate_no", 100)).upper()


def parse_talent(row):
    return fields_of(
        row,
        {
            "id_number": id_number,
            "category": lambda r: choice(r, "category", TalentCertificate.Category.values),
            "certificate_no": certificate_number,
            "issued_on": lambda r: date(r, "issued_on", not_future=True),
            "valid_until": lambda r: date(r, "valid_until", required=False),
        },
        lambda record: ordered(record["issued_on"], record["valid_until"], "issued_on", "valid_until"),
    )


def permit_number(row) -> str:
    """A permit number: 4 to 40 ASCII letters and digits, upper-cased (one spelling per number)."""
    try:
        return normalize_permit_number(text(row, "number", 40))
    except ValidationError as error:
        raise ValidationError(f"number: {' '.join(error.messages)}") from None


def permit_dates(record) -> None:
    if record["endorsed_until"] <= record["issued_on"]:
        raise ValidationError(_("endorsed_until must be after issued_on."))
    # A suspended or cancelled permit lapsed on its endorsed_until (RULES §9): a day still to come
    # would keep it from being endorsed until then.
    if record["status"] != PermitRecord.Status.ACTIVE and record["endorsed_until"] > clock.today():
        raise ValidationError(
            _("endorsed_until of a %(status)s permit is the day it lapsed: it cannot be after today.")
            % {"status": record["status"]}
        )


def parse_permit(row):
    return fields_of(
        row,
        {
            "id_number": id_number,
            "number": permit_number,
            "issued_on": lambda r: date(r, "issued_on", not_future=True),
            "endorsed_until": lambda r: date(r, "endorsed_until"),
            "status": lambda r: choice(r, "status", PermitRecord.Status.values),
        },
        permit_dates,
    )


@dataclass(frozen=True)
class Kind:
    model: type
    header: tuple[str, ...]
    parse: object  # None: streamed by bulk.py
    key: tuple[str, ...]
    needs_streets: bool = False


KINDS = {
    "identities": Kind(
        Identity,
        ("id_number", "name", "sex", "ethnicity", "birth_date", "hukou_address", "shenzhen_hukou"),
        parse_identity,
        ("id_number",),
    ),
    "registrations": Kind(
        Registration,
        ("id_number", "street_code", "address", "registered_on", "ended_on"),
        parse_registration,
        ("id_number", "registered_on"),
        needs_streets=True,
    ),
    "social_insurance": Kind(
        InsuranceMonth,
        ("id_number", "month", "employer_credit_code"),
        None,
        ("id_number", "month", "employer_credit_code"),
    ),
    "enrolments": Kind(
        Enrolment,
        ("id_number", "school", "level", "full_time", "start_date", "end_date"),
        parse_enrolment,
        ("id_number", "school", "start_date"),
    ),
    "talents": Kind(
        TalentCertificate,
        ("id_number", "category", "certificate_no", "issued_on", "valid_until"),
        parse_talent,
        ("certificate_no",),
    ),
    "permits": Kind(
        PermitRecord, ("id_number", "number", "issued_on", "endorsed_until", "status"), parse_permit, ("number",)
    ),
}


def _parser(spec: Kind):
    if spec.needs_streets:
        from residence.places.models import Street

        streets = set(Street.objects.values_list("code", flat=True))
        return lambda row: spec.parse(row, streets)
    return spec.parse


def parse_rows(kind: str, numbered_rows, result: ImportResult):
    """Validate every (line, row) pair; returns (records, lines): the records with the line of
    each; the errors, as (line, reason), go to `result`.

    A row is a dict of the header's fields; None stands for a CSV line with another number
    of values than the header."""
    spec = KINDS[kind]
    parse = _parser(spec)
    records, lines, seen = [], [], {}
    for line, row in numbered_rows:
        if row is None:
            result.refuse(line, _("The row does not have as many values as the header."))
            continue
        if not isinstance(row, dict):
            result.refuse(line, _("A row must be an object with the header's fields."))
            continue
        # Every problem of the row at once: its fields beyond the header and those of its fields.
        problems = [shape] if (shape := row_shape_problem(row, spec.header)) else []
        try:
            record = parse(row)
        except ValidationError as e:
            problems += e.messages
        if problems:
            result.refuse(line, "; ".join(problems))
            continue
        key = tuple(record[f] for f in spec.key)
        if key in seen:
            result.refuse(line, _("Same record as line %(line)d.") % {"line": seen[key]})
            continue
        seen[key] = line
        records.append(record)
        lines.append(line)
    return records, lines


def json_lines(rows):
    """JSON rows numbered as CSV lines would be."""
    return enumerate(rows, start=2)


def row_shape_problem(row: dict, header) -> str:
    """The fields of a JSON row beyond the header's, and those of the header it leaves out ("" if
    none): a CSV file with a column more or less is refused at its header, so a JSON row is too. An
    extra field was dropped unsaid, and a field left out was read as empty: a registration pushed
    without `ended_on` was opened again, an identity without `ethnicity` lost it (outsiders)."""
    extra = sorted(str(name) for name in row if name not in header)
    missing = [name for name in header if name not in row]
    problems = []
    if extra:
        problems.append(_("fields not in the header: %(names)s") % {"names": ", ".join(extra)})
    if missing:
        problems.append(
            _("fields missing: %(names)s (send every field of the header, empty where there is no value)")
            % {"names": ", ".join(missing)}
        )
    return "; ".join(problems)


def csv_records(text_stream):
    """(line, fields) for the header and each non-empty record of a CSV text stream.

    The line is the file line where the record starts; a malformed file (a field over the
    csv module's limit, say) is refused naming the line."""
    reader = csv.reader(text_stream)
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise ValidationError(
                _(
                    "Line %(line)d: this is not well-formed CSV (a field longer than %(n)d characters, or a quote "
                    "that is not closed)."
                )
                % {"line": start, "n": csv.field_size_limit()}
            ) from None
        if fields or start == 1:
            yield start, fields


def check_header(kind: str, fields) -> None:
    header = tuple(h.strip() for h in fields or [])
    if header != KINDS[kind].header:
        raise ValidationError(_("Line 1: the header must be %(want)s.") % {"want": ",".join(KINDS[kind].header)})


def csv_dict_rows(kind: str, text_stream):
    """(line, dict) pairs of a CSV file of `kind`; the header is checked first."""
    records = csv_records(text_stream)
    first = next(records, None)
    check_header(kind, first[1] if first else None)
    header = KINDS[kind].header
    for line, fields in records:
        yield line, dict(zip(header, fields, strict=True)) if len(fields) == len(header) else None


def _keep_version(kind: str, obj, now) -> RecordVersion:
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in model_to_dict(obj).items()}
    return RecordVersion(
        kind=kind, record_id=obj.pk, version=obj.version, data=data, valid_from=obj.updated_at, replaced_at=now
    )


def update_rows(model, rows: list, fields: list[str]) -> None:
    """Write `fields` of `rows`: on PostgreSQL one `UPDATE … FROM (VALUES …)` per CHUNK rows.
    Django's bulk_update builds a CASE over every row of its statement for every field, in Python
    and again in the database: an outsider's 10,000 move-outs, each ending a registration, spent
    15 s there. Elsewhere (SQLite) bulk_update, in small statements."""
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields, batch_size=UPDATE_BATCH)
        return
    columns = [model._meta.get_field(name) for name in fields]
    pk = model._meta.pk
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}::{c.db_type(connection)}" for c in columns)
    names = ", ".join(quote(c.column) for c in (pk, *columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            batch = rows[start : start + CHUNK]
            row_values = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
            params = [
                value
                for row in batch
                for value in (
                    row.pk,
                    *(c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns),
                )
            ]
            cursor.execute(
                f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608 -- names from the model
                f"FROM (VALUES {', '.join([row_values] * len(batch))}) AS v({names}) "
                f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)}::{pk.db_type(connection) or 'bigint'}",
                params,
            )


def upsert(kind: str, records: list[dict], result: ImportResult) -> None:
    spec = KINDS[kind]
    model = spec.model
    data_fields = [f for f in records[0] if f not in spec.key] if records else []
    now = clock.now()
    lookup = spec.key[0]
    for start in range(0, len(records), CHUNK):
        chunk = records[start : start + CHUNK]
        existing = {
            tuple(getattr(obj, f) for f in spec.key): obj
            for obj in model.objects.filter(**{f"{lookup}__in": {r[lookup] for r in chunk}})
        }
        new, changed, versions = [], [], []
        for record in chunk:
            current = existing.get(tuple(record[f] for f in spec.key))
            if current is None:
                new.append(model(**record, updated_at=now))
            elif any(getattr(current, f) != record[f] for f in data_fields):
                versions.append(_keep_version(kind, current, now))
                for f in data_fields:
                    setattr(current, f, record[f])
                current.version += 1
                current.updated_at = now
                changed.append(current)
        model.objects.bulk_create(new)
        if changed:
            update_rows(model, changed, [*data_fields, "version", "updated_at"])
            RecordVersion.objects.bulk_create(versions)
        result.created += len(new)
        result.updated += len(changed)
        result.unchanged += len(chunk) - len(new) - len(changed)


# Later apps whose rows a kind's import must not contradict register checks here (kind →
# functions of (records, their lines) returning (line, reason) for each row the present state
# refuses); they run under the import's lock, before anything is written.
BEFORE_IMPORT: dict[str, list] = {}

# Functions of a kind's records that complete them from the stored state before they are compared
# and written (under the import's lock).
BEFORE_UPSERT: dict[str, list] = {}

# Later apps that keep their own rows of an imported kind register here (kind → functions of
# the imported records), and run in the import's transaction: the imported permits become the
# platform's permits (permits.apps). A function may return (index of a record, note) pairs for
# rows it left alone, which the answer then names by line.
AFTER_IMPORT: dict[str, list] = {}


def _overtaken_on(registered_on: dt.date, ended_on: dt.date | None, others) -> dt.date | None:
    """The day before the earliest start, while this registration runs, of the person's others
    (start, end) from which those beginning after this one cover every day to its end (for good,
    when it is open), or None: a person is registered in one place at a time, and a registration
    ends the day before the next begins (API.md). A stay inside this one, over before it ends (a
    hotel's two nights, a registration of the past), ends nothing: ending this one there left the
    person unregistered from the stay's end, a gap in the residence clock the records do not show
    (an outsider's tenant, registered every day, was told the 12 months restart; RULES §2 counts
    overlapping registrations as one run)."""
    later = sorted((start, end) for start, end in others if start > registered_on)
    for start, _end in later:
        if ended_on is not None and start > ended_on:
            break
        if _covered(later, start, ended_on):
            return start - dt.timedelta(days=1)
    return None


def _covered(spans, day: dt.date, until: dt.date | None) -> bool:
    """Whether `spans` (start, end or None), sorted by start, cover every day from `day` to `until`
    (None: for good)."""
    reach = day - dt.timedelta(days=1)  # covered up to here
    for start, end in spans:
        if start > reach + dt.timedelta(days=1):
            break
        if end is None:
            return True
        reach = max(reach, end)
    return until is not None and reach >= until


def _spans_of(people) -> dict[str, list[tuple[dt.date, dt.date | None]]]:
    spans: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    people = sorted(people)
    for start in range(0, len(people), 10_000):
        rows = Registration.objects.filter(id_number__in=people[start : start + 10_000])
        for id_number, registered_on, ended_on in rows.values_list("id_number", "registered_on", "ended_on"):
            spans.setdefault(id_number, []).append((registered_on, ended_on))
    return spans


def registrations_one_open(records: list[dict]) -> list[tuple[int, str]]:
    """A person has one registration at a time: where an import leaves a person of the file with a
    registration that another begins during and outlasts (_overtaken_on: a row reopening one that a
    move-in elsewhere had ended; rows of one person arriving out of order: an outsider's stood in
    two places for a month), it ends the day before the earliest of those, as a move-in elsewhere
    ends the current one (API.md). The answer says so at the row that ended it (an outsider's
    import ended an earlier registration and answered "0 updated" with no note)."""
    people = sorted({r["id_number"] for r in records})
    stored = [
        registration
        for start in range(0, len(people), 10_000)
        for registration in Registration.objects.filter(id_number__in=people[start : start + 10_000])
    ]
    spans: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for registration in stored:
        spans.setdefault(registration.id_number, []).append((registration.registered_on, registration.ended_on))
    index = {(r["id_number"], r["registered_on"]): i for i, r in enumerate(records)}
    first = {}
    for i, record in enumerate(records):
        first.setdefault(record["id_number"], i)
    ended, notes = [], []
    for older in stored:
        ended_on = _overtaken_on(older.registered_on, older.ended_on, spans[older.id_number])
        if ended_on is None:
            continue
        follows = ended_on + dt.timedelta(days=1)
        ended.append(
            {
                "id_number": older.id_number,
                "street_id": older.street_id,
                "address": older.address,
                "registered_on": older.registered_on,
                "ended_on": ended_on,
            }
        )
        said = {
            "registered_on": older.registered_on.isoformat(),
            "address": older.address,
            "ended_on": ended_on.isoformat(),
            "latest": follows.isoformat(),
        }
        if older.ended_on is None:
            note = (
                _(
                    "The registration from %(registered_on)s at %(address)s was still open: it now ends on "
                    "%(ended_on)s, the day before the one from %(latest)s."
                )
                % said
            )
        else:
            note = (
                _(
                    "The registration from %(registered_on)s at %(address)s ran on past the start of the one from "
                    "%(latest)s: it now ends on %(ended_on)s, the day before."
                )
                % said
            )
        notes.append((index.get((older.id_number, follows), first[older.id_number]), note))
    if ended:
        upsert("registrations", ended, ImportResult(kind="registrations"))
    return notes


def registrations_ended_by_later(records: list[dict]) -> None:
    """A registration of the file that a later one of the person (stored, or in the file) begins
    during is read as ended the day before it, as registrations_one_open would end it after
    writing: an outsider's same file, sent again after a move-in elsewhere had ended the row,
    reopened it and had it ended again, two versions a run where "unchanged" was due."""
    later = _spans_of({r["id_number"] for r in records})
    for record in records:
        later.setdefault(record["id_number"], []).append((record["registered_on"], record["ended_on"]))
    for record in records:
        if ended_on := _overtaken_on(record["registered_on"], record["ended_on"], later[record["id_number"]]):
            record["ended_on"] = ended_on


def talents_keep_their_holder(records: list[dict], lines: list[int]) -> list[tuple[int, str]]:
    """A certificate keeps the person it was issued to: a row naming another moved it, and with
    it the talent route, silently (an outsider); as a permit keeps its holder."""
    held = dict(
        TalentCertificate.objects.filter(certificate_no__in=[r["certificate_no"] for r in records]).values_list(
            "certificate_no", "id_number"
        )
    )
    return [
        (
            line,
            _("Certificate %(certificate_no)s belongs to another person: an import cannot change its holder.") % record,
        )
        for record, line in zip(records, lines, strict=True)
        if held.get(record["certificate_no"], record["id_number"]) != record["id_number"]
    ]


BEFORE_IMPORT["talents"] = [talents_keep_their_holder]
BEFORE_UPSERT["registrations"] = [registrations_ended_by_later]
AFTER_IMPORT["registrations"] = [registrations_one_open]


# Held by an import of registrations while it applies; declarations share it (registrations.services).
REGISTRATIONS_LOCK = "records:registrations"


def import_rows(
    kind: str, numbered_rows, *, actor=None, actor_key=None, source: str = "", wait: float | None = None
) -> ImportResult:
    """Import the (line, row) pairs of a versioned kind, all or nothing; while another import of
    the kind is applied, waiting for it as long as it takes, or `wait` seconds (core.locks)."""
    result = ImportResult(kind=kind)
    records, lines = parse_rows(kind, numbered_rows, result)
    result.rows = len(records) + result.bad_rows

    def stored_problems() -> list[tuple[int, str]]:
        return [error for check in BEFORE_IMPORT.get(kind, ()) for error in check(records, lines)]

    if result.errors:
        # Refused already: the rows that parsed are checked against what is stored too, without
        # the import's lock, so that every bad row is reported at once (an outsider's permit dated
        # 2099 was reported only once the file's other errors were mended).
        result.refused(stored_problems())
        return result
    with transaction.atomic():
        locks.for_transaction(f"records:{kind}", wait=wait)
        result.refused(stored_problems())
        if result.errors:
            return result
        for complete in BEFORE_UPSERT.get(kind, ()):
            complete(records)
        upsert(kind, records, result)
        for after in AFTER_IMPORT.get(kind, ()):
            result.notes += [(lines[index], note) for index, note in after(records) or ()]
        audit_record(
            type=AuditEventType.RECORDS_IMPORTED,
            actor=actor,
            actor_key=actor_key,
            kind=kind,
            source=source,
            rows=result.rows,
            created=result.created,
            updated=result.updated,
        )
    return result
