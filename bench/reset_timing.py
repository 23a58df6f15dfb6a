"""Does a password reset take as long for an unknown username as for a real one?

Runs the whole request in-process (Django's test client, the real middleware, services and
database, PostgreSQL), alternating a real and an unknown username so that drift in the
machine weighs on both alike, and prints the median and quartiles of each and their
difference. The SMS backend is the file outbox of development; a real gateway is called
after commit, inside the request too, and would add its own time to the real username's
answer unless it queues (docs/security.md).
Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/residence_bench .venv/bin/python bench/reset_timing.py [N]
"""

import json
import os
import statistics
import sys
import tempfile
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.base")
os.environ.setdefault("SMS_BACKEND", "file")
os.environ.setdefault("SMS_FILE", os.path.join(tempfile.mkdtemp(), "outbox.jsonl"))
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from residence.accounts.models import User  # noqa: E402
from residence.accounts.services import account_create  # noqa: E402
from residence.core.models import LimitCounter  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 400
call_command("migrate", verbosity=0)
if not User.objects.filter(username="timing_real").exists():
    account_create(
        kind="individual", username="timing_real", password="Timing2026pass", phone="13700000002", consent=True
    )
# Every answer is 202 whatever the limits do; lift them so that both sides do all their work.
settings.LIMIT_SMS_PER_PHONE_DAY = settings.LIMIT_SMS_PER_ADDRESS_HOUR = 10**9
client = Client()


def reset(username: str) -> float:
    start = time.perf_counter()
    response = client.post(
        "/api/v1/auth/password-reset", data=json.dumps({"username": username}), content_type="application/json"
    )
    elapsed = time.perf_counter() - start
    assert response.status_code == 202, response.content
    return elapsed * 1000


for _ in range(20):  # warm up
    reset("timing_real"), reset("timing_ghost")
real, unknown = [], []
for _ in range(N):
    real.append(reset("timing_real"))
    unknown.append(reset("timing_ghost"))
LimitCounter.objects.filter(key__in=["13700000002"]).delete()


def quartiles(values):
    q = statistics.quantiles(values, n=4)
    return f"median {statistics.median(values):6.3f} ms  (quartiles {q[0]:.3f}–{q[2]:.3f})"


print(f"real username    {quartiles(real)}")
print(f"unknown username {quartiles(unknown)}")
difference = statistics.median(real) - statistics.median(unknown)
spread = statistics.quantiles(real, n=4)[2] - statistics.quantiles(real, n=4)[0]
print(f"difference of medians {difference:+.3f} ms; interquartile range of one side {spread:.3f} ms")
