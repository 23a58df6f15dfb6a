"""One eligibility check with five years of monthly records, in-process (target < 2 ms).

Three cases: eligible (no earliest-date search), not eligible with a one-month gap (the
earliest date is searched), and the identity-excluded baseline (no work), timed in one run.
Usage: .venv/bin/python bench/eligibility.py
"""

import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from residence.eligibility.rules import Person, Registration, check, month_number

D = dt.date.fromisoformat
FIVE_YEARS = frozenset(range(month_number(D("2021-01-01")), month_number(D("2025-12-01")) + 1))
CASES = {
    "eligible (5 years paid)": Person(
        "430102199003071230", registrations=(Registration(D("2021-01-01")),), insurance_months=FIVE_YEARS
    ),
    "one month missing, earliest date searched": Person(
        "430102199003071230",
        registrations=(Registration(D("2024-06-01")),),
        insurance_months=FIVE_YEARS
        - {month_number(D("2025-11-01"))}
        - set(range(month_number(D("2024-01-01")), month_number(D("2024-12-01")))),
    ),
    "baseline: Shenzhen hukou (no counting)": Person("430102199003071230", shenzhen_hukou=True),
}
N = 5_000
for name, person in CASES.items():
    check(person, "residence_employment", D("2025-12-15"))
    start = time.perf_counter()
    for _ in range(N):
        answer = check(person, "residence_employment", D("2025-12-15"))
    per_call = (time.perf_counter() - start) / N * 1000
    print(
        f"{name:45s} {per_call:.3f} ms per check  (eligible={answer.eligible}, "
        f"earliest={answer.earliest_eligible_date})"
    )
