"""The platform's idea of time. Code asks here, never datetime.now()/date.today().

FROZEN_TODAY fixes the date only: the time of day keeps running, so code expiry and lock
durations still pass on a frozen day.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def _frozen_date() -> dt.date | None:
    value = getattr(settings, "FROZEN_TODAY", "")
    return dt.date.fromisoformat(value) if value else None


def now() -> dt.datetime:
    current = timezone.now()
    frozen = _frozen_date()
    if frozen is None:
        return current
    local = current.astimezone(ZoneInfo(settings.TIME_ZONE))
    return local.replace(year=frozen.year, month=frozen.month, day=frozen.day)


def today() -> dt.date:
    frozen = _frozen_date()
    if frozen is not None:
        return frozen
    return timezone.localdate(timezone.now())


def start_of_today() -> dt.datetime:
    """Local midnight of today: daily quotas reset here."""
    tz = ZoneInfo(settings.TIME_ZONE)
    return dt.datetime.combine(today(), dt.time.min, tzinfo=tz)
