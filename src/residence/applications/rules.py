"""Pure rules of applications: fees (RULES §5), the departments a route needs, the working-day
limits of each step (RULES §4) and who may be listed as a spouse. Plain data in, plain data out;
the services and the forms call them."""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from residence.core.validators import birth_date_of
from residence.core.workdays import Calendar, Deadline

FEE_BEARING = frozenset({"exchange", "replacement", "reapply"})
FEE = Decimal("20.00")

# Police always; the department that holds the records the route rests on.
ROUTE_DEPARTMENTS = {
    "residence_employment": ("police", "social_insurance"),
    "education": ("police", "education"),
    "talent": ("police", "talent"),
}

# The conditions of eligibility (RULES §2, eligibility's names) each department's records decide.
DEPARTMENT_CONDITIONS = {
    "police": ("identity", "residence"),
    "social_insurance": ("employment",),
    "education": ("education",),
    "talent": ("talent",),
}

# Working days per step (RULES §4). Production is the 2 days to send the card data plus
# the 5 to make the card; delivery runs from production to the point or the courier's door.
STEP_DAYS = {
    "whole": 15,
    "whole_after_payment": 10,
    "verification": 3,
    "review": 2,
    "refusal": 7,
    "production": 7,
    "delivery": 3,
    "written_reply": 3,
}
PAYMENT_DAYS = 15  # calendar days (RULES §5)


def fee_for(kind: str) -> Decimal:
    return FEE if kind in FEE_BEARING else Decimal("0.00")


def departments_for(route: str) -> tuple[str, ...]:
    return ROUTE_DEPARTMENTS[route]


def after_verification(outcomes: list[str]) -> str:
    """The status once a department has answered: reviewing as soon as one says not confirmed
    or none is pending any more, verifying while any is pending (API.md)."""
    if "not_confirmed" in outcomes or "pending" not in outcomes:
        return "reviewing"
    return "verifying"


def due(calendar: Calendar, start: dt.date, working_days: int) -> Deadline:
    """The deadline of a step counted from `start` (which does not count, RULES §8)."""
    return calendar.add_working_days(start, working_days)


def payment_due(approved_on: dt.date) -> dt.date:
    return approved_on + dt.timedelta(days=PAYMENT_DAYS)


def payment_time_over(payment_due_on: dt.date | None, today: dt.date) -> bool:
    """Past the 15th day the application is terminated (RULES §5), whether or not the daily job
    has recorded it yet."""
    return payment_due_on is not None and today > payment_due_on


def status_as_of(status: str, payment_status: str, payment_due_on: dt.date | None, today: dt.date) -> tuple[str, str]:
    """An application's status and payment status as they stand on `today`: one whose time to pay
    has ended is terminated (RULES §5) before the daily job records it (an outsider's read
    "awaiting payment" on the morning after, under a page saying it had ended)."""
    if status == "awaiting_payment" and payment_time_over(payment_due_on, today):
        return "terminated", "expired"
    return status, payment_status


# The lower of the Civil Code's marriage ages (art. 1047: 22 for men, 20 for women).
MIN_SPOUSE_AGE = 20


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def spouse_problem(*, id_number: str, another_spouse: bool, today: dt.date) -> str | None:
    """Why this person cannot be listed as the applicant's spouse, or None: one spouse, of
    marriageable age by the ID number (an outsider listed two, one born in 2015)."""
    if another_spouse:
        return _("List one spouse.")
    if age_on(birth_date_of(id_number), today) < MIN_SPOUSE_AGE:
        return _("A spouse is at least 20 years old (by the ID number).")
    return None
