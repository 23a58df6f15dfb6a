"""Pure rules of applications: fees (RULES §5), the departments a route needs and the working-day
limits of each step (RULES §4). Plain data in, plain data out; the services call them."""

import datetime as dt
from decimal import Decimal

from residence.core.workdays import Calendar, Deadline

FEE_BEARING = frozenset({"exchange", "replacement", "reapply"})
FEE = Decimal("20.00")

# Police always; the department that holds the records the route rests on.
ROUTE_DEPARTMENTS = {
    "residence_employment": ("police", "social_insurance"),
    "education": ("police", "education"),
    "talent": ("police", "talent"),
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
