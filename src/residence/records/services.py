import hashlib
import secrets

from django.db import transaction

from residence.core import clock

from .models import ApiKey

# Which kinds each department's system may push (least privilege; API.md leaves it open).
DEPARTMENT_KINDS = {
    "police": {"identities", "registrations", "permits"},
    "social_insurance": {"social_insurance"},
    "education": {"enrolments"},
    "talent": {"talents"},
}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, department: str) -> tuple[ApiKey, str]:
    """A new key; the plain key is returned once and only its hash is kept."""
    if department not in DEPARTMENT_KINDS:
        raise ValueError(f"unknown department {department!r}; one of {', '.join(sorted(DEPARTMENT_KINDS))}")
    prefix = secrets.token_hex(4)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    return ApiKey.objects.create(
        department=department, prefix=prefix, key_hash=hash_key(key), created_at=clock.now()
    ), key


@transaction.atomic
def api_key_revoke(*, prefix: str) -> bool:
    return bool(ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True).update(revoked_at=clock.now()))
