"""Reads of the records app that its commands and pages share."""

import datetime as dt

from django.utils import timezone

from .models import ApiKey


def api_key_revoked_on(*, prefix: str) -> dt.date | None:
    """The day a key of this prefix was revoked, if one was (and none of it is live)."""
    revoked_at = (
        ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=False)
        .order_by("-revoked_at")
        .values_list("revoked_at", flat=True)
        .first()
    )
    return timezone.localdate(revoked_at) if revoked_at else None
