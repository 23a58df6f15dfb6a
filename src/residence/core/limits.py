"""Every limit that is a rule, counted and decided atomically in the database.

A limit is a scope ("sms_phone", "login_user", …), a key (a number, an address, a
username) and a window: a sliding span of seconds, or the local calendar day for a daily
quota. Each (scope, key) has one `LimitCounter` row holding the times of the events still
in the window. `hit()` locks that row (`INSERT … ON CONFLICT DO NOTHING`, then
`SELECT … FOR UPDATE`), drops the events that left the window, and either refuses or
appends the new one — so of twenty parallel requests exactly `limit` are let through, on
PostgreSQL by the row lock and on SQLite by its IMMEDIATE transactions, with the same code.

The lock is held until the caller's transaction ends. A hit made inside a transaction that
rolls back is not counted; a caller that must count an attempt whatever happens next (a
password about to be checked) makes the hit in a short transaction of its own first, and
`release()`s it when the attempt turns out not to count.
"""

import datetime as dt
import math
import secrets
from dataclasses import dataclass

from django.db import transaction

from . import clock
from .errors import RateLimited
from .models import LimitCounter

DAILY = None  # the window of a quota that resets at local midnight


@dataclass(frozen=True)
class Hit:
    scope: str
    key: str
    token: str
    count: int  # events in the window, this one included


def _window_start(window: int | None) -> float:
    start = clock.start_of_today() if window is DAILY else clock.now() - dt.timedelta(seconds=window)
    return start.timestamp()


def _retry_after(events: list, window: int | None) -> int:
    now = clock.now()
    if window is DAILY:
        frees_at = clock.start_of_today() + dt.timedelta(days=1)
    else:
        frees_at = dt.datetime.fromtimestamp(events[0][0], tz=dt.UTC) + dt.timedelta(seconds=window)
    return max(1, math.ceil((frees_at - now).total_seconds()))


def _locked(scope: str, key: str) -> LimitCounter:
    LimitCounter.objects.bulk_create([LimitCounter(scope=scope, key=key)], ignore_conflicts=True)
    return LimitCounter.objects.select_for_update().get(scope=scope, key=key)


def _save(counter: LimitCounter, *, events: list, blocked_until: dt.datetime | None) -> None:
    LimitCounter.objects.filter(pk=counter.pk).update(
        events=events, blocked_until=blocked_until, updated_at=clock.now()
    )


def _live(counter: LimitCounter, window: int | None) -> list:
    since = _window_start(window)
    return [event for event in counter.events if event[0] >= since]


def _room(counter: LimitCounter, *, limit: int, window: int | None, error) -> list:
    """The counter's events in the window, or `error` (with Retry-After) when the key is blocked or
    `limit` events already fall in it."""
    now = clock.now()
    if counter.blocked_until and counter.blocked_until > now:
        raise error(retry_after=math.ceil((counter.blocked_until - now).total_seconds()))
    events = _live(counter, window)
    if len(events) >= limit:
        raise error(retry_after=_retry_after(events, window))
    return events


def hit(scope: str, key: str, *, limit: int, window: int | None, error=RateLimited) -> Hit:
    """Count one event, or raise `error` (with Retry-After) when the key is blocked or
    `limit` events already fall in the window; a refused event is not counted."""
    with transaction.atomic():
        counter = _locked(scope, key)
        events = _room(counter, limit=limit, window=window, error=error)
        now = clock.now()
        token = secrets.token_hex(6)
        events.append([now.timestamp(), token])
        _save(counter, events=events, blocked_until=None)
    return Hit(scope, key, token, len(events))


def release(hit_: Hit) -> None:
    """Take back an event that turned out not to count (a right password, a verified name)."""
    with transaction.atomic():
        counter = _locked(hit_.scope, hit_.key)
        events = [event for event in counter.events if event[1] != hit_.token]
        _save(counter, events=events, blocked_until=counter.blocked_until)


@dataclass(frozen=True)
class Quota:
    """A limit on answers that tell something (a name wrong, a number taken): `probe()` first, so
    that once the quota is used up every attempt is refused alike, then `count()` each answer that
    tells. Outside a transaction that the refusal rolls back, or the count goes with it."""

    scope: str
    key: str
    limit: int
    window: int | None = DAILY
    error: type[RateLimited] = RateLimited

    def count(self) -> Hit:
        return hit(self.scope, self.key, limit=self.limit, window=self.window, error=self.error)

    def probe(self) -> None:
        """Raise `error` when the quota is used up; count nothing. Read, not counted and taken back:
        parallel probes that each held a place for a moment refused right answers once a few ran
        at once (ten parallel declarations by a landlord, with five places a day)."""
        with transaction.atomic():
            _room(_locked(self.scope, self.key), limit=self.limit, window=self.window, error=self.error)


def block_when_full(scope: str, key: str, *, limit: int, window: int | None, seconds: int) -> tuple[bool, bool]:
    """(blocked, newly): block the key for `seconds` once `limit` events fall in its window.

    Decided under the row lock, so of parallel callers exactly one blocks it (newly=True)."""
    with transaction.atomic():
        counter = _locked(scope, key)
        now = clock.now()
        if counter.blocked_until and counter.blocked_until > now:
            return True, False
        if len(_live(counter, window)) < limit:
            return False, False
        _save(counter, events=[], blocked_until=now + dt.timedelta(seconds=seconds))
    return True, True


def reset(scope: str, key: str) -> None:
    """Forget the key's events and any block (a successful login, a password reset)."""
    LimitCounter.objects.filter(scope=scope, key=key).update(events=[], blocked_until=None, updated_at=clock.now())


def prune(*, before: dt.datetime) -> int:
    """Delete counters untouched since `before` that hold no block (housekeeping)."""
    return LimitCounter.objects.filter(updated_at__lt=before).exclude(blocked_until__gt=before).delete()[0]
