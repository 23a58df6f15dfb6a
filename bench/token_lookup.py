"""What the token lookup of every API request costs, in-process, one PostgreSQL connection.

Compares, in one run and in alternating rounds, the ORM query the lookup replaces, the
shipped lookup with Django's client-side binding (prepared statements off) and with the
prepared statement it uses, and one indexed column as the floor of a round trip.
Usage: .venv/bin/python bench/token_lookup.py [calls per round]   (PostgreSQL on 127.0.0.1:5432)
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
ROUNDS = 5
DB = "residence_bench_lookup"

PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q"]
subprocess.run(
    [*PSQL, "-c", f"DROP DATABASE IF EXISTS {DB}", "-c", f"CREATE DATABASE {DB}"],
    check=True,
    env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"},
)
os.environ.update(DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}", DJANGO_SETTINGS_MODULE="config.base")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

call_command("migrate", verbosity=0)

from residence.accounts.models import Channel, LoginSession  # noqa: E402
from residence.accounts.selectors import session_by_token_hash  # noqa: E402
from residence.accounts.services import account_create, hash_token, session_start  # noqa: E402

user = account_create(
    kind="individual", username="bench_user", password="Bench2026pass", phone="13700000001", consent=True
)
token_hash = hash_token(session_start(user=user, channel=Channel.API, remember=True)[1])
connection.ensure_connection()


def lookup(prepare):
    def call():
        connection.connection.prepare_threshold = 5 if prepare else None
        session_by_token_hash(token_hash)

    return call


def one_column():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM accounts_loginsession WHERE token_hash = %s", [token_hash])
        cursor.fetchone()


cases = {
    'ORM select_related("user", "user__person")': lambda: LoginSession.objects.select_related(
        "user", "user__person"
    ).get(token_hash=token_hash),
    "shipped SQL, client-side binding (DB_PREPARED_STATEMENTS=0)": lookup(False),
    "shipped SQL, prepared statement (default)": lookup(True),
    "one indexed column, client-side binding (floor)": one_column,
}
times = {name: [] for name in cases}
for _ in range(ROUNDS):
    for name, call in cases.items():
        for _ in range(100):
            call()
        start = time.perf_counter()
        for _ in range(CALLS):
            call()
        times[name].append((time.perf_counter() - start) / CALLS * 1000)

base = statistics.median(times["shipped SQL, client-side binding (DB_PREPARED_STATEMENTS=0)"])
print(f"{'query':62s} median ms  vs client-side")
for name, values in times.items():
    median = statistics.median(values)
    print(f"{name:62s} {median:9.3f}  {median / base:5.2f}")
