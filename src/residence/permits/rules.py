"""Pure rules of issued permits (RULES §9)."""

import datetime as dt


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def first_anniversary(issued_on: dt.date) -> dt.date:
    return add_years(issued_on, 1)


WINDOW_DAYS = 60


def endorsement_window(endorsed_until: dt.date) -> tuple[dt.date, dt.date]:
    """The 60 days before the anniversary (RULES §9): issued 2020-01-01 → 2020-11-02 to 2020-12-31."""
    return endorsed_until - dt.timedelta(days=WINDOW_DAYS), endorsed_until - dt.timedelta(days=1)
