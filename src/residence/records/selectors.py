"""Reads of the records app that its commands and pages share."""

import datetime as dt

from django.utils import timezone

from .models import ApiKey
from .services import hash_key


def api_key_matches(*, prefix: str, key: str) -> bool:
    """Whether `key` is the whole key of the key with this prefix (revoked or not)."""
    return ApiKey.objects.filter(prefix=prefix, key_hash=hash_key(key)).exists()


def api_key_revoked_on(*, prefix: str) -> dt.date | None:
    """The day a key of this prefix was revoked, if one was (and none of it is live)."""
    revoked_at = (
        ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=False)
        .order_by("-revoked_at")
        .values_list("revoked_at", flat=True)
        .first()
    )
    return timezone.localdate(revoked_at) if revoked_at else None
