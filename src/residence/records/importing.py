"""Department data imports: all-or-nothing, every bad row reported with its line number.

A kind is a header, a row parser (raising ValidationError per field) and an upsert. The
same code serves `import_records` and the exchange API.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock
from residence.core.validators import normalize_id_number

from .models import Identity

CHUNK = 2000


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return not self.errors


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is neither UTF-8 nor GB18030 text.")) from None


def _text(row, name, max_length, required=True):
    value = (row.get(name) or "").strip()
    if required and not value:
        raise ValidationError(_("%(field)s is empty.") % {"field": name})
    if len(value) > max_length:
        raise ValidationError(_("%(field)s is longer than %(n)d characters.") % {"field": name, "n": max_length})
    return value


def _date(row, name):
    value = (row.get(name) or "").strip()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(_("%(field)s is not a date (YYYY-MM-DD).") % {"field": name}) from None


def _flag(row, name):
    value = (row.get(name) or "").strip()
    if value not in ("0", "1"):
        raise ValidationError(_("%(field)s must be 1 or 0.") % {"field": name})
    return value == "1"


def _id_number(row):
    try:
        return normalize_id_number(row.get("id_number") or "")
    except ValidationError as e:
        raise ValidationError(f"id_number: {e.messages[0]}") from None


def parse_identity(row):
    sex = (row.get("sex") or "").strip().upper()
    if sex not in ("M", "F"):
        raise ValidationError(_("sex must be M or F."))
    birth = _date(row, "birth_date")
    if birth > clock.today():
        raise ValidationError(_("birth_date lies in the future."))
    return {
        "id_number": _id_number(row),
        "name": _text(row, "name", 100),
        "sex": sex,
        "ethnicity": _text(row, "ethnicity", 40, required=False),
        "birth_date": birth,
        "hukou_address": _text(row, "hukou_address", 200, required=False),
        "shenzhen_hukou": _flag(row, "shenzhen_hukou"),
    }


def upsert_identities(records, result):
    now = clock.now()
    fields = ["name", "sex", "ethnicity", "birth_date", "hukou_address", "shenzhen_hukou"]
    for start in range(0, len(records), CHUNK):
        chunk = records[start : start + CHUNK]
        existing = Identity.objects.in_bulk([r["id_number"] for r in chunk], field_name="id_number")
        new, changed = [], []
        for r in chunk:
            current = existing.get(r["id_number"])
            if current is None:
                new.append(Identity(**r, updated_at=now))
            elif any(getattr(current, f) != r[f] for f in fields):
                for f in fields:
                    setattr(current, f, r[f])
                current.updated_at = now
                changed.append(current)
        Identity.objects.bulk_create(new)
        Identity.objects.bulk_update(changed, [*fields, "updated_at"])
        result.created += len(new)
        result.updated += len(changed)
        result.unchanged += len(chunk) - len(new) - len(changed)


@dataclass(frozen=True)
class Kind:
    header: tuple[str, ...]
    parse: object
    key: object
    upsert: object


KINDS = {
    "identities": Kind(
        header=("id_number", "name", "sex", "ethnicity", "birth_date", "hukou_address", "shenzhen_hukou"),
        parse=parse_identity,
        key=lambda r: r["id_number"],
        upsert=upsert_identities,
    ),
}


def parse_rows(kind: str, rows, first_line: int = 2):
    """Validate every row; returns (records, errors) with errors as (line, reason)."""
    spec = KINDS[kind]
    records, errors, seen = [], [], {}
    for line, row in enumerate(rows, start=first_line):
        if not isinstance(row, dict):
            errors.append((line, _("A row must be an object with the header's fields.")))
            continue
        if None in row or any(v is None for v in row.values()):
            errors.append((line, _("The row does not have as many values as the header.")))
            continue
        try:
            record = spec.parse(row)
        except ValidationError as e:
            errors.append((line, "; ".join(e.messages)))
            continue
        key = spec.key(record)
        if key in seen:
            errors.append((line, _("Same record as line %(line)d.") % {"line": seen[key]}))
            continue
        seen[key] = line
        records.append(record)
    return records, errors


def read_csv(kind: str, text: str):
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(h.strip() for h in (reader.fieldnames or []))
    if header != KINDS[kind].header:
        raise ValidationError(_("Line 1: the header must be %(want)s.") % {"want": ",".join(KINDS[kind].header)})
    return reader


def import_rows(kind: str, rows, *, actor=None, source: str = "", first_line: int = 2) -> ImportResult:
    if kind not in KINDS:
        raise ValidationError(_("Unknown kind %(kind)s.") % {"kind": kind})
    result = ImportResult(kind=kind)
    records, result.errors = parse_rows(kind, rows, first_line)
    result.rows = len(records) + len(result.errors)
    if result.errors:
        return result
    with transaction.atomic():
        KINDS[kind].upsert(records, result)
        audit_record(
            type=AuditEventType.RECORDS_IMPORTED,
            actor=actor,
            kind=kind,
            source=source,
            rows=result.rows,
            created=result.created,
            updated=result.updated,
        )
    return result


def import_csv_bytes(kind: str, data: bytes, *, actor=None, source: str = "") -> ImportResult:
    if kind not in KINDS:
        raise ValidationError(_("Unknown kind %(kind)s.") % {"kind": kind})
    return import_rows(kind, read_csv(kind, decode(data)), actor=actor, source=source)
