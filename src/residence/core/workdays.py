"""Working days (RULES §8): counting, deadlines and whether a deadline is provisional.

The calendar is loaded from the database into a table of running counts, so a deadline is
two list look-ups (O(1)), never a day-by-day loop. Each process keeps its table with the
calendar version it was built from (`CalendarState`, a new stamp on every change in
`core.services`) and rebuilds it the first time it sees another version: one indexed
read per use, so no worker computes a deadline from a calendar another worker has changed.
"""

import datetime as dt
import threading
from dataclasses import dataclass
from typing import NamedTuple


class Deadline(NamedTuple):
    date: dt.date
    provisional: bool


class OutOfCalendar(ValueError):
    """The date or the count falls outside the stored calendar."""


@dataclass(frozen=True)
class Calendar:
    first: int  # ordinal of the first stored day
    working: bytes  # 1 per working day, by day index
    rank: list[int]  # number of working days in [first, first + i]
    working_ordinals: list[int]  # the working days, in order
    next_unpublished: list[int]  # index of the first day at or after i in an unpublished year

    @property
    def last(self) -> int:
        return self.first + len(self.working) - 1

    def _index(self, day: dt.date) -> int:
        index = day.toordinal() - self.first
        if not 0 <= index < len(self.working):
            raise OutOfCalendar(f"{day} is outside the calendar")
        return index

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.working[self._index(day)])

    def add_working_days(self, start: dt.date, n: int) -> Deadline:
        """The n-th working day after `start` (start itself does not count), n ≥ 1."""
        if n < 1:
            raise ValueError("n must be at least 1")
        index = self._index(start)
        position = self.rank[index] + n - 1
        if position >= len(self.working_ordinals):
            raise OutOfCalendar("the deadline falls after the calendar's last day")
        ordinal = self.working_ordinals[position]
        return Deadline(dt.date.fromordinal(ordinal), self.next_unpublished[index + 1] <= ordinal - self.first)

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in (a, b]; negative when b is before a."""
        return self.rank[self._index(b)] - self.rank[self._index(a)]

    def provisional(self, start: dt.date, end: dt.date) -> bool:
        """True when any day after `start` up to `end` lies in a year not published."""
        return self.next_unpublished[self._index(start) + 1] <= self._index(end)


def build(days, unpublished) -> Calendar:
    """A Calendar from (date, working) pairs covering consecutive days in order."""
    days = list(days)
    first = days[0][0].toordinal()
    working = bytes(1 if w else 0 for _, w in days)
    rank, count, ordinals = [], 0, []
    for offset, flag in enumerate(working):
        if flag:
            count += 1
            ordinals.append(first + offset)
        rank.append(count)
    unpublished = frozenset(unpublished)
    # One slot past the end, so `index + 1` is always a valid look-up.
    next_unpublished = [len(days) + 1] * (len(days) + 1)
    following = len(days) + 1
    for index in range(len(days) - 1, -1, -1):
        if days[index][0].year in unpublished:
            following = index
        next_unpublished[index] = following
    return Calendar(first, working, rank, ordinals, next_unpublished)


_lock = threading.Lock()
_cached: tuple[str, Calendar] | None = None


def current_version() -> str:
    from .models import CalendarState

    return CalendarState.objects.filter(pk=1).values_list("version", flat=True).first() or ""


def get_calendar() -> Calendar:
    return get_versioned_calendar()[1]


def get_versioned_calendar() -> tuple[str, Calendar]:
    """The calendar as stored now, with its version. The version is read before the days, so a
    change that lands in between leaves a table newer than its label, rebuilt once more on next use."""
    global _cached
    version = current_version()
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached
    from .models import CalendarDay, CalendarYear

    with _lock:
        calendar = build(
            CalendarDay.objects.order_by("date").values_list("date", "working").iterator(chunk_size=10_000),
            CalendarYear.objects.filter(published=False).values_list("year", flat=True),
        )
        _cached = (version, calendar)
    return version, calendar


def add_working_days(start: dt.date, n: int) -> Deadline:
    return get_calendar().add_working_days(start, n)


def working_days_between(a: dt.date, b: dt.date) -> int:
    return get_calendar().working_days_between(a, b)


def is_working_day(day: dt.date) -> bool:
    return get_calendar().is_working_day(day)


def due_after_change(old: dt.date, counted: dt.date, today: dt.date) -> dt.date:
    """The date a step due on `old` keeps when a calendar change counts it as `counted`.

    Passed and still passed, it keeps its date: a correction of a day months ago moved
    long-closed counts by a day (an outsider). Put back in time by the correction, it takes the
    new date: a day declared off two days ago made a department that was on time read late
    (another). Still to come, it is due today at the earliest: a change never makes a step late
    after the fact (past weekend days made working days put steps due that day two days overdue)."""
    if old < today:
        return old if counted < today else counted
    return max(counted, today)
