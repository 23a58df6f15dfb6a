"""Limits counted in the database (see ThrottleEvent)."""

import datetime as dt
import math

from django.db.models import Min

from . import clock
from .errors import RateLimited
from .models import ThrottleEvent


def count(scope: str, key: str, since: dt.datetime) -> int:
    return ThrottleEvent.objects.filter(scope=scope, key=key, at__gte=since).count()


def record(scope: str, key: str) -> None:
    ThrottleEvent.objects.create(scope=scope, key=key, at=clock.now())


def clear(scope: str, key: str) -> None:
    ThrottleEvent.objects.filter(scope=scope, key=key).delete()


def window_start(window: dt.timedelta | None) -> dt.datetime:
    """The start of a sliding window, or local midnight for a daily quota (window=None)."""
    return clock.start_of_today() if window is None else clock.now() - window


def seconds_until_free(scope: str, key: str, window: dt.timedelta | None) -> int:
    since = window_start(window)
    if window is None:
        return math.ceil((since + dt.timedelta(days=1) - clock.now()).total_seconds())
    oldest = ThrottleEvent.objects.filter(scope=scope, key=key, at__gte=since).aggregate(m=Min("at"))["m"]
    return math.ceil(((oldest or clock.now()) + window - clock.now()).total_seconds())


def ensure_below(scope: str, key: str, limit: int, window: dt.timedelta | None, *, error=RateLimited) -> None:
    """Raise `error` (429 with Retry-After) when `limit` events already fall in the window."""
    if count(scope, key, window_start(window)) >= limit:
        raise error(retry_after=seconds_until_free(scope, key, window))
