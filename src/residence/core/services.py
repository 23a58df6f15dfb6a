"""Changes to the working-day calendar. Each change gives the calendar a new version stamp in its own
transaction (every worker's cached calendar is stale from that commit on) and, once it has
committed, asks every registered recompute hook to bring the stored deadlines to it
(`deadlines_recompute`). A hook finds what is stale by itself and works in short transactions, so
a recompute cut short (a crash, a deadlock) is finished by the next call: the daily jobs make one,
and so does a calendar loaded again unchanged."""

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Callable

from django.db import transaction

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record

from . import clock
from .models import CalendarDay, CalendarState, CalendarYear
from .schedule import by_default_working

# Later apps that store deadlines register here a function that recomputes the stale ones and
# returns how many it recomputed.
DEADLINE_RECOMPUTERS: list[Callable[[], int]] = []


def register_deadline_recompute(func: Callable[[], int]) -> Callable[[], int]:
    DEADLINE_RECOMPUTERS.append(func)
    return func


def deadlines_recompute() -> int:
    """Every stored deadline computed with an older calendar, again with the current one."""
    return sum(recompute() for recompute in DEADLINE_RECOMPUTERS)


def _changed(year: int) -> None:
    CalendarYear.objects.filter(year=year).update(updated_at=clock.now())
    CalendarState.objects.update_or_create(pk=1, defaults={"version": secrets.token_hex(16)})
    transaction.on_commit(deadlines_recompute)


@transaction.atomic
def calendar_day_set(
    *, date: dt.date, working: bool, name: str = "", notice: str = "", actor=None, address: str = ""
) -> CalendarDay:
    day = CalendarDay.objects.select_for_update().get(date=date)
    before = {"working": day.working, "name": day.name, "notice": day.notice}
    day.working, day.name, day.notice = working, name, notice
    day.save()
    audit_record(
        type=AuditEventType.CALENDAR_CHANGED,
        actor=actor,
        address=address,
        date=date.isoformat(),
        working=working,
        name=name,
        notice=notice,  # the notice that declares the day, changed alone too (an outsider's was not on record)
        before=before,
    )
    _changed(date.year)
    return day


@transaction.atomic
def calendar_year_publish(
    *, year: int, published: bool = True, source: str = "", actor=None, address: str = ""
) -> CalendarYear:
    entry = CalendarYear.objects.select_for_update().get(year=year)
    return _year_set(entry, published=published, source=source or entry.source, actor=actor, address=address)


@transaction.atomic
def calendar_years_publish(*, years: list[int], published: bool, actor=None, address: str = "") -> list[int]:
    """Mark many years published or not, in one transaction, so that the deadlines are recomputed
    once after it (an outsider's action on every year recomputed them once a year, past the
    worker's time limit, and left the years before it changed). Returns the years changed."""
    changed = []
    for entry in CalendarYear.objects.select_for_update().filter(year__in=years).order_by("year"):
        if entry.published != published:
            _year_set(entry, published=published, source=entry.source, actor=actor, address=address)
            changed.append(entry.year)
    return changed


def _year_set(entry: CalendarYear, *, published: bool, source: str, actor, address: str, **details) -> CalendarYear:
    """Mark a locked year published or not, with its source, on record; its deadlines recomputed."""
    before = {"published": entry.published, "source": entry.source}
    entry.published, entry.source = published, source
    entry.save()
    audit_record(
        type=AuditEventType.CALENDAR_CHANGED,
        actor=actor,
        address=address,
        year=entry.year,
        published=published,
        source=source,
        before=before,
        **details,
    )
    _changed(entry.year)
    return entry


def calendar_year_dropped(*, year: int, days: dict) -> list[CalendarDay]:
    """The year's days entered from a notice that `days` leaves out: entering them drops them."""
    return list(
        CalendarDay.objects.filter(date__year=year).exclude(notice="").exclude(date__in=list(days)).order_by("date")
    )


@transaction.atomic
def calendar_year_load(*, year: int, days: dict, actor=None, address: str = "") -> bool:
    """Enter a year's official schedule (`schedule.Day`s by date, each a departure from the week's
    rule) and publish the year: every other day of it goes back to the week's rule, so a guess
    the package made and the notice dropped does not linger. Returns whether anything changed
    (a schedule entered twice changes nothing the second time)."""
    entry = CalendarYear.objects.select_for_update().get(year=year)
    stored = {d.date: d for d in CalendarDay.objects.filter(date__year=year)}
    source = Counter(day.notice for day in days.values()).most_common(1)[0][0][:200]
    changed = []
    for date, row in stored.items():
        wanted = days.get(date)
        working, name, notice = (
            (wanted.working, wanted.name, wanted.notice) if wanted else (by_default_working(date), "", "")
        )
        if (row.working, row.name, row.notice) != (working, name, notice):
            row.working, row.name, row.notice = working, name, notice
            changed.append(row)
    if not changed and entry.published and entry.source == source:
        return False
    CalendarDay.objects.bulk_update(changed, ["working", "name", "notice"], batch_size=500)
    _year_set(entry, published=True, source=source, actor=actor, address=address, days_changed=len(changed))
    return True
