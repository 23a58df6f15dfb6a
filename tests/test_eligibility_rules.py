import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from residence.eligibility import rules
from residence.eligibility.rules import Enrolment, Person, Registration, Talent, month_number

from .idnumbers import FOREIGNER

D = dt.date.fromisoformat
ID = "430102199003071230"


def months(first, last):
    return frozenset(range(month_number(D(first)), month_number(D(last)) + 1))


def met(answer):
    return {c.name: c.met for c in answer.conditions}


def route1(person, day):
    return rules.check(person, "residence_employment", D(day))


def test_exactly_twelve_months_qualifies_and_one_day_short_does_not():
    person = Person(
        ID, registrations=(Registration(D("2024-03-15")),), insurance_months=months("2024-03-01", "2025-03-01")
    )
    assert route1(person, "2025-03-15").eligible
    short = route1(person, "2025-03-14")
    assert not short.eligible and met(short) == {"identity": True, "residence": False, "employment": True}
    assert short.earliest_eligible_date == D("2025-03-15")


@pytest.mark.parametrize("day", ["2025-06-01", "2020-01-01", "1949-10-01"])
def test_a_check_dated_years_before_the_registration_still_finds_the_earliest_date(day):
    # Registered from 20 November 2026, contributions assumed from the check's month on (API.md):
    # the twelve months of residence are complete on 20 November 2027, however early the check.
    person = Person(ID, registrations=(Registration(D("2026-11-20")),), insurance_months=frozenset())
    assert route1(person, day).earliest_eligible_date == D("2027-11-20")


def test_leap_day_registration():
    person = Person(
        ID, registrations=(Registration(D("2024-02-29")),), insurance_months=months("2024-02-01", "2025-02-01")
    )
    assert not route1(person, "2025-02-27").eligible
    assert route1(person, "2025-02-28").eligible


def test_a_registration_that_ends_before_twelve_months_names_no_day_it_never_reaches():
    """Registered 2024-01-01 to 2024-12-31: the 12 months would be reached on 2025-01-01, a day
    after the registration ends (an outsider read "reached on 2025-01-01" beside no earliest date)."""
    person = Person(ID, registrations=(Registration(D("2024-01-01"), D("2024-12-31")),), insurance_months=frozenset())
    answer = route1(person, "2024-12-31")
    residence = next(c for c in answer.conditions if c.name == "residence")
    assert not residence.met and residence.reason.key == "residence_ends"
    assert residence.reason.params == {"since": "2024-01-01", "until": "2024-12-31"}
    assert answer.earliest_eligible_date is None
    # Still registered, the day is named as before.
    lasting = Person(ID, registrations=(Registration(D("2024-01-01")),), insurance_months=frozenset())
    short = next(c for c in route1(lasting, "2024-12-31").conditions if c.name == "residence")
    assert short.reason.key == "residence_short" and short.reason.params["on"] == "2025-01-01"


def test_no_earliest_date_past_the_last_date_a_check_may_ask_for():
    """Registered 2100-06-01: twelve months are reached on 2101-06-01, after 2100-12-31, the last
    date API.md lets a check ask for (an outsider was named 2101-11-01)."""
    person = Person(ID, registrations=(Registration(D("2100-06-01")),), insurance_months=frozenset())
    assert route1(person, "2100-12-31").earliest_eligible_date is None
    assert route1(person, "2099-01-01").earliest_eligible_date is None
    # Residence reached 2100-06-01; insurance assumed from the check's month, 2100-01 … 2100-12 is
    # twelve months, counted from 2100-12-01: within the range, so named.
    earlier = Person(ID, registrations=(Registration(D("2099-06-01")),), insurance_months=frozenset())
    assert route1(earlier, "2100-01-01").earliest_eligible_date == D("2100-12-01")


def test_a_gap_restarts_the_clock_a_move_without_gap_does_not():
    ins = months("2024-01-01", "2025-06-01")
    no_gap = Person(
        ID,
        registrations=(Registration(D("2024-01-10"), D("2024-06-30")), Registration(D("2024-07-01"))),
        insurance_months=ins,
    )
    assert route1(no_gap, "2025-01-10").eligible
    gap = Person(
        ID,
        registrations=(Registration(D("2024-01-10"), D("2024-06-30")), Registration(D("2024-07-02"))),
        insurance_months=ins,
    )
    answer = route1(gap, "2025-01-10")
    assert not answer.eligible and answer.earliest_eligible_date == D("2025-07-02")


def test_a_one_month_insurance_gap_breaks_the_twelve_consecutive():
    reg = (Registration(D("2024-01-01")),)
    full = Person(ID, registrations=reg, insurance_months=months("2024-01-01", "2024-12-01"))
    assert route1(full, "2025-01-01").eligible
    holed = Person(
        ID, registrations=reg, insurance_months=months("2024-01-01", "2024-12-01") - {month_number(D("2024-06-01"))}
    )
    answer = route1(holed, "2025-01-01")
    assert met(answer)["employment"] is False


@pytest.mark.parametrize(
    ("paid", "day", "current", "total", "earliest"),
    [
        # By hand (outsider AS's case): runs 2024-05…2025-03 (11) and 2025-05…2025-09 (5) have ended;
        # asked 2026-06-15, a run must start with June 2026: 12 more needed, June 2026 … May 2027.
        # The 24 months 2024-07 … 2026-06 hold 9 + 5 = 14.
        (months("2024-05-01", "2025-03-01") | months("2025-05-01", "2025-09-01"), "2026-06-15", 0, 14, "2027-05-01"),
        # A run going on up to last month: the month asked in may still be recorded; 9 so far, 3 more
        # (March, April, May 2026): met from 2026-05-01 by the 12 consecutive.
        (months("2025-06-01", "2026-02-01"), "2026-03-02", 9, 9, "2026-05-01"),
    ],
)
def test_months_still_needed_count_from_the_run_that_can_still_grow(paid, day, current, total, earliest):
    person = Person(ID, registrations=(Registration(D("2023-01-01")),), insurance_months=paid)
    answer = route1(person, day)
    employment = next(c for c in answer.conditions if c.name == "employment")
    assert not employment.met and employment.reason.key == "employment_short"
    assert employment.reason.params == {"consecutive": current, "total": total, "missing": 12 - current}
    assert answer.earliest_eligible_date == D(earliest)


def test_eighteen_within_twenty_four_and_one_outside():
    reg = (Registration(D("2022-01-01")),)
    # Months 2023-05 … 2025-04 are the 24 ending with 2025-04; every other month paid → no run of 12.
    window = [month_number(D("2023-05-01")) + i for i in range(24)]
    paid = frozenset(m for i, m in enumerate(window) if i % 4 != 3)  # 18 of 24
    assert len(paid) == 18
    assert route1(Person(ID, registrations=reg, insurance_months=paid), "2025-04-30").eligible
    moved = (paid - {window[0]}) | {window[0] - 1}  # one month now outside the window
    assert not route1(Person(ID, registrations=reg, insurance_months=moved), "2025-04-30").eligible


def test_talent_certificates_and_expiry():
    reg = (Registration(D("2025-01-01")),)
    for category in ("high_level", "overseas_high_level", "returned_student", "degree", "senior_worker", "talent_card"):
        person = Person(ID, registrations=reg, talents=(Talent(category, D("2020-01-01")),))
        assert rules.check(person, "talent", D("2025-06-01")).eligible
    expired = Person(ID, registrations=reg, talents=(Talent("talent_card", D("2020-01-01"), D("2025-05-31")),))
    answer = rules.check(expired, "talent", D("2025-06-01"))
    assert not answer.eligible and answer.earliest_eligible_date is None
    assert answer.conditions[2].reason.key == "talent_expired"


def test_education_current_and_ended():
    reg = (Registration(D("2025-01-01")),)
    current = Person(ID, registrations=reg, enrolments=(Enrolment("higher", True, D("2024-09-01"), D("2027-06-30")),))
    assert rules.check(current, "education", D("2025-06-01")).eligible
    ended = Person(ID, registrations=reg, enrolments=(Enrolment("secondary", True, D("2022-09-01"), D("2025-05-31")),))
    assert not rules.check(ended, "education", D("2025-06-01")).eligible
    part_time = Person(ID, registrations=reg, enrolments=(Enrolment("higher", False, D("2024-09-01")),))
    assert not rules.check(part_time, "education", D("2025-06-01")).eligible
    # A full-time enrolment over and a part-time one now: told there is no full-time one, not that
    # the enrolment has ended (an outsider's student was).
    both = (Enrolment("higher", True, D("2018-09-01"), D("2022-06-30")), Enrolment("higher", False, D("2022-09-01")))
    answer = rules.check(Person(ID, registrations=reg, enrolments=both), "education", D("2025-06-01"))
    assert [c.reason.key for c in answer.conditions if c.name == "education"] == ["education_none"]
    gone = rules.check(ended, "education", D("2025-06-01"))
    assert [c.reason.key for c in gone.conditions if c.name == "education"] == ["education_ended"]


def test_a_record_that_starts_later_is_named_with_its_day():
    """An outsider's answers said "no enrolment", "no certificate", "not registered" for records
    that began the next day or later, and the earliest date alone hinted at them."""
    day = D("2026-06-15")
    reg = (Registration(D("2025-01-01")),)
    cases = [
        ("education", Person(ID, registrations=reg, enrolments=(Enrolment("higher", True, D("2026-06-16")),))),
        ("talent", Person(ID, registrations=reg, talents=(Talent("degree", D("2026-06-16")),))),
        (
            "talent",
            Person(
                ID,
                registrations=reg,
                talents=(Talent("degree", D("2020-01-01"), D("2026-06-01")), Talent("senior_worker", D("2026-06-16"))),
            ),
        ),
        ("education", Person(ID, registrations=(Registration(D("2026-06-16")),), enrolments=())),
    ]
    for route, person in cases:
        answer = rules.check(person, route, day)
        shown = {c.reason.key: c.reason.params for c in answer.conditions if not c.met}
        assert not answer.eligible
        assert {"on": "2026-06-16"} in shown.values(), (route, shown)
    part_time_later = Person(ID, registrations=reg, enrolments=(Enrolment("higher", False, D("2026-06-16")),))
    assert rules.check(part_time_later, "education", day).conditions[2].reason.key == "education_none"


@pytest.mark.parametrize(
    ("person", "key"),
    [
        (Person("810000199205054561", registrations=(Registration(D("2020-01-01")),)), "identity_hmt"),
        # RULES §1, §2: foreigners cannot apply (art. 51); the outsider's was found eligible.
        (Person(FOREIGNER, registrations=(Registration(D("2020-01-01")),)), "identity_foreign"),
        # In no record: the number itself still says why (an outsider read "not in the records").
        (Person(FOREIGNER, known=False), "identity_foreign"),
        (Person("810000197001015557", known=False), "identity_hmt"),
        (Person(ID, shenzhen_hukou=True, registrations=(Registration(D("2020-01-01")),)), "identity_hukou"),
        (Person(ID, known=False), "identity_unknown"),
    ],
)
def test_excluded_identities(person, key):
    answer = rules.check(person, "talent", D("2025-06-01"))
    assert not answer.eligible and answer.conditions[0].reason.key == key and answer.earliest_eligible_date is None


def test_unknown_route():
    with pytest.raises(ValueError):
        rules.check(Person(ID), "lottery", D("2025-06-01"))


def test_a_check_with_five_years_of_monthly_records_is_fast():
    import time

    person = Person(
        ID,
        registrations=(Registration(D("2021-01-01")),),
        insurance_months=months("2021-01-01", "2025-12-01") - {month_number(D("2025-11-01"))},
    )
    start = time.perf_counter()
    for _ in range(200):
        rules.check(person, "residence_employment", D("2025-12-15"))
    assert (time.perf_counter() - start) / 200 < 0.002


people = st.builds(
    lambda reg_day, ended, paid_from, paid_to, gaps: Person(
        ID,
        registrations=(Registration(reg_day, reg_day + dt.timedelta(days=ended) if ended else None),),
        insurance_months=frozenset(range(month_number(paid_from), month_number(paid_from) + paid_to)) - set(gaps),
    ),
    st.dates(D("2020-01-01"), D("2025-12-31")),
    st.one_of(st.none(), st.integers(30, 2000)),
    st.dates(D("2019-01-01"), D("2025-12-31")),
    st.integers(0, 60),
    st.lists(st.integers(month_number(D("2019-01-01")), month_number(D("2026-12-01"))), max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(person=people, day=st.dates(D("2021-01-01"), D("2026-12-31")))
def test_earliest_date_is_after_qualifies_and_the_day_before_does_not(person, day):
    answer = rules.check(person, "residence_employment", day)
    earliest = answer.earliest_eligible_date
    if answer.eligible:
        assert earliest is None
        return
    if earliest is None:
        return
    # API.md: a contribution recorded for every month from the month of `day` on.
    assumed = person.insurance_months | frozenset(range(month_number(day), month_number(earliest) + 1))
    assert earliest > day
    assert all(c.met for c in rules.conditions_on(person, "residence_employment", earliest, assumed))
    before = earliest - dt.timedelta(days=1)
    assert before == day or not all(c.met for c in rules.conditions_on(person, "residence_employment", before, assumed))
