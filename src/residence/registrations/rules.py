"""Pure rules of residence registration (RULES §1, API.md § Residence registration)."""

import datetime as dt

# Days a declarant has after the move before a declaration is late.
ALLOWANCE_DAYS = {"hotel": 0, "tenant": 3, "landlord": 7, "manager": 7, "employer": 7, "school": 7, "owner": 15}
OCCUPATIONS = range(1, 14)  # the paper form's codes 1–13
REASONS = range(1, 15)  # 1–14


def days_late(*, declarant_type: str, date: dt.date, declared_on: dt.date) -> int:
    """Days between the move and the declaration beyond the declarant's allowance; 0 when in time.
    A move-out (no declarant type) is counted like a landlord's."""
    allowance = ALLOWANCE_DAYS.get(declarant_type or "landlord", 7)
    return max(0, (declared_on - date).days - allowance)
