"""One million deadline computations through core.workdays against a day-by-day loop.

Target (issue 3): 1,000,000 calls of add_working_days in under 2 s.
Usage: .venv/bin/python bench/workdays.py   (uses a throw-away SQLite database)
"""

import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.base")

import django

django.setup()
from django.core.management import call_command  # noqa: E402

from residence.core import workdays  # noqa: E402

call_command("migrate", verbosity=0)
rng = random.Random(7)
starts = [dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(36_000)) for _ in range(1_000_000)]
counts = [rng.choice((2, 3, 5, 7, 10, 15)) for _ in range(1_000_000)]
workdays.add_working_days(starts[0], 1)  # load the calendar once


def day_by_day(start, n):
    day = start
    while n:
        day += dt.timedelta(days=1)
        if workdays.is_working_day(day):
            n -= 1
    return day


t0 = time.perf_counter()
for start, n in zip(starts, counts, strict=True):
    workdays.add_working_days(start, n)
fast = time.perf_counter() - t0

sample = 100_000
t0 = time.perf_counter()
for start, n in zip(starts[:sample], counts[:sample], strict=True):
    day_by_day(start, n)
loop = (time.perf_counter() - t0) * (1_000_000 / sample)

print(f"add_working_days: 1,000,000 calls in {fast:.2f} s ({fast:.2f} µs per call)")
print(f"day-by-day loop:  1,000,000 calls in {loop:.2f} s (extrapolated from {sample:,})")
print(f"ratio loop / add_working_days = {loop / fast:.1f}x; target < 2 s: {'MET' if fast < 2 else 'MISSED'}")
