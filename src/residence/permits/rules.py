"""Pure rules of issued permits (RULES §9): anniversaries, the endorsement window, what an
endorsement does, when a lapsed permit is suspended and a suspended one cancelled."""

import datetime as dt

WINDOW_DAYS = 60
CANCEL_AFTER_YEARS = 2


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def first_anniversary(issued_on: dt.date) -> dt.date:
    return add_years(issued_on, 1)


def last_valid_day(endorsed_until: dt.date) -> dt.date:
    """The last day a permit is valid unendorsed: it is suspended from `endorsed_until` on (API.md),
    so pages and messages say "valid through" the day before (an outsider read "valid until" the
    anniversary as one day more)."""
    return endorsed_until - dt.timedelta(days=1)


def imported_anniversary_base(issued_on: dt.date, endorsed_until: dt.date) -> dt.date:
    """The anniversary base of a permit imported with its dates: the day of issue when the
    endorsement date is one of its anniversaries (so 29 February comes back in leap years: issued
    2024-02-29, endorsed until 2027-02-28 → base 2024-02-29); otherwise a late endorsement moved
    the anniversaries, and they run from the year before the endorsement date."""
    if endorsed_until > issued_on and add_years(issued_on, endorsed_until.year - issued_on.year) == endorsed_until:
        return issued_on
    return add_years(endorsed_until, -1)


def endorsement_window(endorsed_until: dt.date) -> tuple[dt.date, dt.date]:
    """The 60 days before the anniversary (RULES §9): issued 2020-01-01 → 2020-11-02 to 2020-12-31."""
    return endorsed_until - dt.timedelta(days=WINDOW_DAYS), endorsed_until - dt.timedelta(days=1)


def latest_endorsed_until(today: dt.date) -> dt.date:
    """The furthest next anniversary a permit can have on `today`: endorsed today on the first day
    of the window of an anniversary 60 days away, it runs to the year after that one."""
    return add_years(today + dt.timedelta(days=WINDOW_DAYS), 1)


def cancellation_day(suspended_on: dt.date) -> dt.date:
    """Suspended for 2 consecutive years → cancelled on the same date two years later (API.md)."""
    return add_years(suspended_on, CANCEL_AFTER_YEARS)


def status_on(*, status: str, endorsed_until: dt.date, suspended_on: dt.date | None, today: dt.date) -> str:
    """The status a permit has on `today` by the rules, whether or not the day's sweep has run
    yet: not endorsed by the anniversary → suspended from it; suspended 2 years → cancelled."""
    if status == "active" and endorsed_until <= today:
        status, suspended_on = "suspended", endorsed_until
    if status == "suspended" and suspended_on is not None and cancellation_day(suspended_on) <= today:
        status = "cancelled"
    return status


def late_window(suspended_on: dt.date) -> tuple[dt.date, dt.date]:
    """While suspended, a late endorsement restores the permit until the day before cancellation."""
    return suspended_on, cancellation_day(suspended_on) - dt.timedelta(days=1)


def endorsement_kind(*, status: str, endorsed_until: dt.date, suspended_on: dt.date | None, today: dt.date) -> str:
    """'in_window' (active, inside the 60 days), 'late' (lapsed or suspended, less than 2 years),
    or '' when an endorsement is not allowed today."""
    if status == "cancelled":
        return ""
    lapsed_on = suspended_on if status == "suspended" else endorsed_until
    if status == "active":
        opens, closes = endorsement_window(endorsed_until)
        if opens <= today <= closes:
            return "in_window"
    if lapsed_on is not None and lapsed_on <= today < cancellation_day(lapsed_on):
        return "late"
    return ""


def window_for(*, status: str, endorsed_until: dt.date, suspended_on: dt.date | None) -> tuple | None:
    """The next dates an endorsement is allowed: the 60-day window, or the late one while suspended."""
    if status == "active":
        return endorsement_window(endorsed_until)
    if status == "suspended" and suspended_on is not None:
        return late_window(suspended_on)
    return None


def after_endorsement(*, kind: str, anniversary_base: dt.date, endorsed_until: dt.date, today: dt.date) -> dict:
    """The permit's dates after an endorsement granted on `today`. In the window: endorsed for
    another year, the anniversary unchanged. Late: restored from today; the later windows count
    from today and the continuous residence restarts there (RULES §9, national rules art. 10)."""
    if kind == "in_window":
        years = endorsed_until.year - anniversary_base.year
        return {"endorsed_until": add_years(anniversary_base, years + 1)}
    return {"anniversary_base": today, "endorsed_until": add_years(today, 1), "continuous_since": today}


# A condition not met only because the records hold nothing for it: a department checks by hand
# (RULES §9: manual checks within 3 working days) instead of a refusal.
MISSING_RECORD = {
    "identity_unknown": "police",
    "residence_none": "police",
    "talent_none": "talent",
    "education_none": "education",
}


def department_of(reason: dict) -> str:
    """The department that checks by hand a condition (a reason key and its parameters) the
    records show nothing for, or '' when the records show it is not met."""
    if reason["key"] == "employment_short" and not reason["params"].get("total"):
        return "social_insurance"
    return MISSING_RECORD.get(reason["key"], "")
