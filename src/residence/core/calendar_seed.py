"""Seeds the working-day calendar: official schedules where we have them, a package's guess elsewhere.

Official: `data/cn-statutory-days-2025-2026.csv` (RULES §8), whose years are published.
Other years: the `holidays` package's Chinese holidays and make-up working days, never
published (a package's guess does not make a year official).
"""

import csv
import datetime as dt
import secrets
from pathlib import Path

import holidays

OFFICIAL_CSV = Path(__file__).parent / "data" / "cn-statutory-days-2025-2026.csv"
FIRST_YEAR, LAST_YEAR = 1949, 2120


def official_days() -> dict[dt.date, tuple[bool, str, str]]:
    with OFFICIAL_CSV.open(encoding="utf-8") as f:
        return {
            dt.date.fromisoformat(r["date"]): (r["working_day"] == "1", r["name"], r["notice"])
            for r in csv.DictReader(f)
        }


def days_of_year(year: int, official: dict) -> tuple[list[tuple[dt.date, bool, str, str]], bool, str]:
    """(days, published, source) for one year."""
    official_years = {d.year for d in official}
    day = dt.date(year, 1, 1)
    rows = []
    if year in official_years:
        while day.year == year:
            working, name, notice = official.get(day, (day.weekday() < 5, "", ""))
            rows.append((day, working, name, notice))
            day += dt.timedelta(days=1)
        return rows, True, "State Council notice"
    guess = holidays.China(years=year)
    workdays = {d for d in guess.weekend_workdays if d.year == year}
    while day.year == year:
        if day in workdays:
            rows.append((day, True, "make-up working day", ""))
        elif day in guess:
            rows.append((day, False, guess.get(day), ""))
        else:
            rows.append((day, day.weekday() < 5, "", ""))
        day += dt.timedelta(days=1)
    return rows, False, f"holidays {holidays.__version__} (provisional)"


def seed_calendar(CalendarYear, CalendarDay, years=None) -> None:
    """Create the years that are missing; takes model classes so a migration can pass its own.

    Adding a year is a change of the calendar: it gets a new version stamp (once the
    migration that brings `CalendarState` has run)."""
    official = official_days()
    existing = set(CalendarYear.objects.values_list("year", flat=True))
    missing = [year for year in years or range(FIRST_YEAR, LAST_YEAR + 1) if year not in existing]
    for year in missing:
        rows, published, source = days_of_year(year, official)
        CalendarYear.objects.create(year=year, published=published, source=source)
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=d, working=w, name=n[:100], notice=no) for d, w, n, no in rows], batch_size=1000
        )
    if missing:
        try:
            state = CalendarYear._meta.apps.get_model("core", "CalendarState")
        except LookupError:
            return
        state.objects.update_or_create(pk=1, defaults={"version": secrets.token_hex(16)})
