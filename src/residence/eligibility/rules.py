"""Who may apply for a permit (RULES §2, Ordinance art. 19): pure functions over plain data.

Nothing here touches the database or the active language: the answer carries reason keys
with parameters, rendered by `eligibility.reasons`.

Counting (RULES §2, "How we count"):
- 12 months from registration date R: qualifies on R + 12 calendar months (2024-02-29 →
  2025-02-28) if the registration has not ended in between. A registration that starts on
  or before the day after the previous one ended continues the clock; a gap restarts it.
- A social insurance month counts when a contribution exists for it.
- 12 consecutive counted months, all from the month of R to the month of the date; or
  at least 18 counted months among the 24 months ending with the month of the date.
- Talent certificates count from issued_on to valid_until (open when empty); full-time
  enrolments from start_date to end_date.
"""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from residence.core.validators import TYPED_DATES, is_foreigner, is_hong_kong_macao_taiwan

ROUTES = ("residence_employment", "talent", "education")
CONDITIONS = {
    "residence_employment": ("identity", "residence", "employment"),
    "talent": ("identity", "residence", "talent"),
    "education": ("identity", "residence", "education"),
}
MONTHS_RESIDENCE = 12
MONTHS_CONSECUTIVE = 12
MONTHS_TOTAL, WINDOW = 18, 24
HORIZON_MONTHS = 48  # beyond this past the last record's date, time alone will not do it


@dataclass(frozen=True)
class Registration:
    registered_on: dt.date
    ended_on: dt.date | None = None


@dataclass(frozen=True)
class Talent:
    category: str
    issued_on: dt.date
    valid_until: dt.date | None = None


@dataclass(frozen=True)
class Enrolment:
    level: str
    full_time: bool
    start_date: dt.date
    end_date: dt.date | None = None


@dataclass(frozen=True)
class Person:
    id_number: str
    known: bool = True  # in the population records
    name_matches: bool = True
    shenzhen_hukou: bool = False
    registrations: tuple[Registration, ...] = ()
    insurance_months: frozenset[int] = frozenset()  # month numbers: year * 12 + month - 1
    talents: tuple[Talent, ...] = ()
    enrolments: tuple[Enrolment, ...] = ()


@dataclass(frozen=True)
class Reason:
    key: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Condition:
    name: str
    met: bool
    reason: Reason


@dataclass(frozen=True)
class Answer:
    eligible: bool
    route: str
    date: dt.date
    conditions: tuple[Condition, ...]
    earliest_eligible_date: dt.date | None


def month_number(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of month, clamped to the month's end (2024-02-29 + 12 months = 2025-02-28)."""
    year, month = divmod(month_number(day) + months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def first_of_month(number: int) -> dt.date:
    return dt.date(number // 12, number % 12 + 1, 1)


# --- the pieces ------------------------------------------------------------------------


def continuous_since(registrations, day: dt.date) -> dt.date | None:
    """Start of the unbroken run of registrations that covers `day`, or None if unregistered."""
    run = continuous_run(registrations, day)
    return run[0] if run else None


def continuous_run(registrations, day: dt.date) -> tuple[dt.date, dt.date | None] | None:
    """(start, last day or None while it lasts) of the unbroken run of registrations that covers
    `day`, or None if unregistered."""
    run_start, run_end = None, None  # run_end None: still registered
    for reg in sorted(registrations, key=lambda r: r.registered_on):
        if reg.registered_on > day:
            break
        continues = run_start is not None and (run_end is None or reg.registered_on <= run_end + dt.timedelta(1))
        if continues:
            run_end = None if run_end is None or reg.ended_on is None else max(run_end, reg.ended_on)
        else:
            run_start, run_end = reg.registered_on, reg.ended_on
    if run_start is None or (run_end is not None and run_end < day):
        return None
    return run_start, run_end


def excluded_by_id_number(id_number: str) -> Reason | None:
    """Who the ID number alone shows cannot apply for this permit (RULES §1, §2; art. 51):
    Hong Kong, Macao and Taiwan residents, and foreigners."""
    if is_hong_kong_macao_taiwan(id_number):
        return Reason("identity_hmt")
    if is_foreigner(id_number):
        return Reason("identity_foreign")
    return None


def excluded(id_number: str, *, shenzhen_hukou: bool) -> Reason | None:
    """Who cannot apply for this permit at all (RULES §2: "Not eligible"): those the number shows,
    and holders of Shenzhen hukou by the population records (an outsider's hukou holder was
    taken in and approved)."""
    if reason := excluded_by_id_number(id_number):
        return reason
    return Reason("identity_hukou") if shenzhen_hukou else None


def identity_condition(person: Person) -> Condition:
    # The number itself says it first: a reason to give even when no record holds it (an outsider).
    if excluded := excluded_by_id_number(person.id_number):
        return Condition("identity", False, excluded)
    if not person.known:
        return Condition("identity", False, Reason("identity_unknown"))
    if not person.name_matches:
        return Condition("identity", False, Reason("identity_name"))
    if person.shenzhen_hukou:
        return Condition("identity", False, Reason("identity_hukou"))
    return Condition("identity", True, Reason("identity_ok"))


def residence_condition(person: Person, day: dt.date, months_needed: int) -> Condition:
    run = continuous_run(person.registrations, day)
    if run is None:
        # A record that starts later is named, so that the answer says why (an outsider's read "none").
        if upcoming := _first_after(day, (r.registered_on for r in person.registrations)):
            return Condition("residence", False, Reason("residence_from", {"on": upcoming.isoformat()}))
        return Condition("residence", False, Reason("residence_none"))
    since, until = run
    if months_needed == 0:
        return Condition("residence", True, Reason("residence_registered", {"since": since.isoformat()}))
    qualifies_on = add_months(since, months_needed)
    if day >= qualifies_on:
        return Condition("residence", True, Reason("residence_ok", {"since": since.isoformat()}))
    if until is not None and until < qualifies_on:
        # Ended before the 12 months: no day to name (an outsider read a date never reached).
        return Condition(
            "residence", False, Reason("residence_ends", {"since": since.isoformat(), "until": until.isoformat()})
        )
    return Condition(
        "residence", False, Reason("residence_short", {"since": since.isoformat(), "on": qualifies_on.isoformat()})
    )


def employment_counts(months: frozenset[int], since: dt.date | None, day: dt.date) -> tuple[int, int, int]:
    """(longest run of consecutive counted months since registration, the run that can still grow,
    counted months in the 24). The run that can still grow ends with the month of `day`, or with
    the month before when the month of `day` is not recorded yet (a contribution for it may come)."""
    last = month_number(day)
    streak = best = 0
    if since is not None:
        for number in range(month_number(since), last + 1):
            streak = streak + 1 if number in months else 0
            best = max(best, streak)
    current = streak
    if since is not None and last not in months:
        current = 0
        number = last - 1
        while number >= month_number(since) and number in months:
            current, number = current + 1, number - 1
    in_window = sum(1 for number in range(last - WINDOW + 1, last + 1) if number in months)
    return best, current, in_window


def employment_condition(person: Person, day: dt.date, months=None) -> Condition:
    months = person.insurance_months if months is None else months
    since = continuous_since(person.registrations, day)
    consecutive, current, total = employment_counts(months, since, day)
    if consecutive >= MONTHS_CONSECUTIVE:
        return Condition("employment", True, Reason("employment_consecutive", {"consecutive": consecutive}))
    if total >= MONTHS_TOTAL:
        return Condition("employment", True, Reason("employment_total", {"total": total}))
    # What is still needed counts from the run that can still grow, not from one that has ended
    # (an outsider's 11 months ending a year ago were said to need "1 more").
    params = {"consecutive": current, "total": total, "missing": MONTHS_CONSECUTIVE - current}
    return Condition("employment", False, Reason("employment_short", params))


def _first_after(day: dt.date, dates) -> dt.date | None:
    """The first of `dates` after `day`: a record that starts later."""
    return min((d for d in dates if d > day), default=None)


def talent_condition(person: Person, day: dt.date) -> Condition:
    for talent in person.talents:
        if talent.issued_on <= day and (talent.valid_until is None or day <= talent.valid_until):
            return Condition("talent", True, Reason("talent_ok", {"category": talent.category}))
    if upcoming := _first_after(day, (t.issued_on for t in person.talents)):
        return Condition("talent", False, Reason("talent_from", {"on": upcoming.isoformat()}))
    if any(t.valid_until is not None and t.valid_until < day for t in person.talents):
        return Condition("talent", False, Reason("talent_expired"))
    return Condition("talent", False, Reason("talent_none"))


def education_condition(person: Person, day: dt.date) -> Condition:
    current = [e for e in person.enrolments if e.start_date <= day and (e.end_date is None or day <= e.end_date)]
    for enrolment in current:
        if enrolment.full_time:
            return Condition("education", True, Reason("education_ok", {"level": enrolment.level}))
    if upcoming := _first_after(day, (e.start_date for e in person.enrolments if e.full_time)):
        return Condition("education", False, Reason("education_from", {"on": upcoming.isoformat()}))
    # "Ended" only of one who is enrolled no more: a part-time student now is told there is no
    # full-time enrolment (an outsider's was told his enrolment had ended).
    if not current and any(e.end_date is not None and e.end_date < day for e in person.enrolments if e.full_time):
        return Condition("education", False, Reason("education_ended"))
    return Condition("education", False, Reason("education_none"))


def conditions_on(person: Person, route: str, day: dt.date, months=None) -> tuple[Condition, ...]:
    identity = identity_condition(person)
    if route == "residence_employment":
        return (identity, residence_condition(person, day, MONTHS_RESIDENCE), employment_condition(person, day, months))
    residence = residence_condition(person, day, 0)
    if route == "talent":
        return identity, residence, talent_condition(person, day)
    return identity, residence, education_condition(person, day)


def _eligible(conditions) -> bool:
    return all(c.met for c in conditions)


def earliest_eligible_date(person: Person, route: str, day: dt.date) -> dt.date | None:
    """First date after `day` on which the person qualifies, the registration unchanged and a
    contribution recorded for every month from the month of `day` on; None if time won't do it.

    Eligibility only switches on at a record's start, at R + 12 months, or at a month's first
    day (insurance counts change by month), so those are the only candidates to try.
    """
    if not identity_condition(person).met:
        return None
    candidates = {day + dt.timedelta(days=1)}
    for reg in person.registrations:
        candidates.update((reg.registered_on, add_months(reg.registered_on, MONTHS_RESIDENCE)))
    candidates.update(t.issued_on for t in person.talents)
    candidates.update(e.start_date for e in person.enrolments)
    # Time runs to the horizon past the last record's date: a check dated years before the
    # person's registration still finds the day it qualifies them.
    horizon = add_months(max(candidates), HORIZON_MONTHS)
    assumed = person.insurance_months | frozenset(range(month_number(day), month_number(horizon) + 1))
    candidates.update(first_of_month(n) for n in range(month_number(day) + 1, month_number(horizon) + 1))
    # No later than the last date the platform checks (API.md's range): an outsider was named
    # 2101-11-01, a day a check could not be asked for.
    horizon = min(horizon, TYPED_DATES[1])
    for candidate in sorted(c for c in candidates if day < c <= horizon):
        if _eligible(conditions_on(person, route, candidate, assumed)):
            return candidate
    return None


def check(person: Person, route: str, day: dt.date) -> Answer:
    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}")
    conditions = conditions_on(person, route, day)
    eligible = _eligible(conditions)
    return Answer(
        eligible=eligible,
        route=route,
        date=day,
        conditions=conditions,
        earliest_eligible_date=None if eligible else earliest_eligible_date(person, route, day),
    )
