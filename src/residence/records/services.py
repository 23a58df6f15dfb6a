"""Writes to the department records: imports (one entry point for the command and the
exchange API) and the department systems' API keys."""

import contextlib
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock
from residence.core.encodings import text_lines

from .bulk import HEADER as INSURANCE_HEADER
from .bulk import import_insurance_csv, import_insurance_rows
from .importing import KINDS, ImportResult, csv_dict_rows, import_rows, json_lines, upsert
from .models import ApiKey

# Which kinds each department's system may push (least privilege; API.md leaves it open).
DEPARTMENT_KINDS = {
    "police": {"identities", "registrations", "permits"},
    "social_insurance": {"social_insurance"},
    "education": {"enrolments"},
    "talent": {"talents"},
}


def _known(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationError(_("Unknown kind %(kind)s.") % {"kind": kind})


def records_import_csv(
    kind: str,
    stream,
    *,
    actor=None,
    actor_key=None,
    source: str = "",
    progress=None,
    encoding: str | None = None,
    wait: float | None = None,
):
    """Import a CSV file from a binary stream, all or nothing. `progress`, when given, wraps
    the row iterator (the command's terminal progress bar); `encoding`, the one its sender
    declared, else detected (core.encodings); `wait`, how long to wait for another import of
    the kind to be applied (import_rows)."""
    _known(kind)
    if kind == "social_insurance":
        return import_insurance_csv(
            stream,
            now=clock.now(),
            actor=actor,
            actor_key=actor_key,
            source=source,
            progress=progress,
            encoding=encoding,
            wait=wait,
        )
    # Closed here, while the caller's stream is open, however far the rows were read.
    with contextlib.closing(text_lines(stream, encoding)) as lines:
        rows = csv_dict_rows(kind, lines)
        rows = progress(rows) if progress else rows
        return import_rows(kind, rows, actor=actor, actor_key=actor_key, source=source, wait=wait)


def records_import_rows(
    kind: str,
    rows: list,
    *,
    actor=None,
    actor_key=None,
    source: str = "",
    wait: float | None = None,
    whole_rows: bool = False,
) -> ImportResult:
    """Import rows given as objects (the exchange API's JSON, the demo data), all or nothing.
    `whole_rows`: a row must hold every field of the kind's header, as a CSV line does (what a
    department sends: a field it leaves out is refused, not blanked); otherwise, for the platform's
    own rows, a field left out is empty."""
    _known(kind)
    if not whole_rows:
        header = INSURANCE_HEADER if kind == "social_insurance" else KINDS[kind].header
        rows = [{**dict.fromkeys(header, ""), **row} if isinstance(row, dict) else row for row in rows]
    if kind == "social_insurance":
        return import_insurance_rows(rows, now=clock.now(), actor=actor, actor_key=actor_key, source=source, wait=wait)
    return import_rows(kind, json_lines(rows), actor=actor, actor_key=actor_key, source=source, wait=wait)


def registrations_write(records: list[dict]) -> ImportResult:
    """Registrations made on the platform (declarations), written as an import writes them: the
    same rows eligibility reads, earlier versions kept. Runs in the caller's transaction."""
    result = ImportResult(kind="registrations", rows=len(records))
    upsert("registrations", records, result)
    return result


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, department: str, actor=None) -> tuple[ApiKey, str]:
    """A new key; the plain key is returned once and only its hash is kept."""
    if department not in DEPARTMENT_KINDS:
        raise ValueError(f"unknown department {department!r}; one of {', '.join(sorted(DEPARTMENT_KINDS))}")
    prefix = secrets.token_hex(4)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        department=department, prefix=prefix, key_hash=hash_key(key), created_at=clock.now()
    )
    audit_record(type=AuditEventType.API_KEY_CREATED, actor=actor, actor_key=api_key, department=department)
    return api_key, key


@transaction.atomic
def api_key_revoke(*, prefix: str, actor=None) -> bool:
    api_key = ApiKey.objects.select_for_update().filter(prefix=prefix, revoked_at__isnull=True).first()
    if api_key is None:
        return False
    api_key.revoked_at = clock.now()
    api_key.save(update_fields=["revoked_at"])
    audit_record(type=AuditEventType.API_KEY_REVOKED, actor=actor, actor_key=api_key, department=api_key.department)
    return True
