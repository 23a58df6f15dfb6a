"""The permits' suspension sweep at city scale, on PostgreSQL (docs/performance.md, "Permit sweeps").

Migrates the (throw-away) database of DATABASE_URL, generates PERMITS active permits (default
10,000,000; `--scale 0.1` for a quick run) with one INSERT … SELECT over generate_series, their
anniversaries (endorsed_until) spread evenly over the 365 days from DAY1, then in the same run:

  (a) the hand-written baseline, `UPDATE permits_permit SET status='suspended',
      suspended_on=endorsed_until WHERE status='active' AND endorsed_until <= DAY1` (the day's
      1/365th), in a transaction rolled back; REPEAT times, VACUUM between, the median kept;
  (b) the sweep for DAY1 (permits.sweeps.permits_suspend): the same rows, plus one history row
      and one audit event each (HMAC blind index), the holders' look-up, the progress, a commit
      per chunk; committed. Target: at most 1.3 × (a);
  (c) the sweep for DAY2 = DAY1 + 292 days: 292/365 of the permits (8,000,000 of 10,000,000) at
      once, its time and the peak RSS of this process (ru_maxrss). Target: under 300 MB.

The generated permits have no holder accounts (no message is written); the holders' look-up
still runs for every chunk. Usage: bench/permit_sweep.sh [--scale S] (creates the database).
"""

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.base")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from residence.permits import sweeps  # noqa: E402

DAY1 = dt.date(2027, 1, 1)
DAY2 = DAY1 + dt.timedelta(days=292)
FULL = 10_000_000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def generate(count: int) -> float:
    """`count` active permits, anniversaries spread evenly over 365 days from DAY1."""
    started = time.perf_counter()
    sql("TRUNCATE permits_permit, permits_permitevent, permits_sweeprun, audit_auditevent RESTART IDENTITY CASCADE")
    sql(
        """
        INSERT INTO permits_permit (number, id_number, name, source, issued_on, anniversary_base,
            endorsed_until, continuous_since, status, cancel_reason, created_at)
        SELECT 'B' || lpad(n::text, 14, '0'), '9' || lpad(n::text, 17, '0'), '测试', 'import', a - 365, a - 365,
            a, a - 365, 'active', '', now()
        FROM (SELECT n, %s::date + ((n - 1) * 365::bigint / %s)::int AS a FROM generate_series(1, %s) n) g
        """,
        [DAY1, count, count],
    )
    sql("VACUUM ANALYZE permits_permit")
    return time.perf_counter() - started


def scalar(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


def checkpoint() -> None:
    sql("CHECKPOINT")


BARE = (
    "UPDATE permits_permit SET status = 'suspended', suspended_on = endorsed_until "
    "WHERE status = 'active' AND endorsed_until <= %s"
)
# The same UPDATE with the writes the sweep adds, by hand in one statement: a history row and an
# audit event per permit (md5 standing in for the HMAC: pgcrypto is not installed). Not a target,
# the floor of what those writes cost.
WITH_HISTORY = """
    WITH moved AS (
        UPDATE permits_permit SET status = 'suspended', suspended_on = endorsed_until, updated_at = now()
        WHERE status = 'active' AND endorsed_until <= %s RETURNING id, id_number, number, endorsed_until
    ), history AS (
        INSERT INTO permits_permitevent (permit_id, kind, "on", at, data)
        SELECT id, 'suspended', %s, now(), jsonb_build_object('suspended_on', endorsed_until::text) FROM moved
    )
    INSERT INTO audit_auditevent (type, at, person_index, address, data)
    SELECT 'permit_changed', now(), md5(id_number) || md5('x' || id_number), '',
        jsonb_build_object('permit', number, 'action', 'suspend', 'status_from', 'active',
            'status_to', 'suspended', 'suspended_on', endorsed_until::text)
    FROM moved
"""


def baseline(day: dt.date, statement: str = BARE) -> tuple[float, int]:
    checkpoint()
    with transaction.atomic():
        started = time.perf_counter()
        rows = sql(statement, [day] * statement.count("%s"))
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    sql("VACUUM permits_permit")
    return elapsed, rows


def sweep(day: dt.date) -> tuple[float, int]:
    checkpoint()
    started = time.perf_counter()
    count = sweeps.permits_suspend(day)
    return time.perf_counter() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 10,000,000 permits (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the baseline (default 3)")
    parser.add_argument("--skip-generate", action="store_true", help="reuse the permits already there")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only: set DATABASE_URL=postgres://…")
    count = int(FULL * args.scale)
    call_command("migrate", verbosity=0)
    print(f"chunk {settings.PERMIT_SWEEP_CHUNK} rows; DEBUG {settings.DEBUG}")
    if not args.skip_generate:
        print(f"generated {count:,} permits in {generate(count):.1f} s")
    total = scalar("SELECT count(*) FROM permits_permit WHERE status = 'active'")
    print(f"{total:,} active permits; rss {rss_mb():.0f} MB")

    runs = [baseline(DAY1) for _ in range(args.repeat)]
    base = statistics.median(t for t, _ in runs)
    print(f"(a) baseline UPDATE for {DAY1}: {runs[0][1]:,} rows; " + ", ".join(f"{t:.3f}" for t, _ in runs) + " s")
    by_hand = [baseline(DAY1, WITH_HISTORY) for _ in range(args.repeat)]
    floor = statistics.median(t for t, _ in by_hand)
    print(
        "(a') the same UPDATE with history rows and audit events in one statement (rolled back): "
        + ", ".join(f"{t:.3f}" for t, _ in by_hand)
        + " s"
    )
    took, suspended = sweep(DAY1)
    events = scalar("SELECT count(*) FROM permits_permitevent WHERE kind = 'suspended'")
    audits = scalar("SELECT count(*) FROM audit_auditevent WHERE type = 'permit_changed'")
    print(
        f"(b) sweep for {DAY1}: {suspended:,} suspended ({events:,} history rows, {audits:,} audit events) "
        f"in {took:.3f} s"
    )
    print(f"    ratio sweep / baseline (median of {args.repeat}): {took / base:.2f} (target <= 1.3)")
    print(f"    ratio sweep / the same writes by hand (a'): {took / floor:.2f}")

    rss_before = rss_mb()
    took, suspended = sweep(DAY2)
    print(
        f"(c) sweep for {DAY2}: {suspended:,} suspended in {took:.1f} s ({suspended / took:,.0f} rows/s); "
        f"peak RSS {rss_mb():.0f} MB (before it {rss_before:.0f} MB; target < 300)"
    )
    events = scalar("SELECT count(*) FROM permits_permitevent WHERE kind = 'suspended'")
    audits = scalar("SELECT count(*) FROM audit_auditevent WHERE type = 'permit_changed'")
    left = scalar("SELECT count(*) FROM permits_permit WHERE status = 'active' AND endorsed_until <= %s", [DAY2])
    print(f"    check: {events:,} history rows, {audits:,} audit events, {left} due permits left active")


if __name__ == "__main__":
    main()
