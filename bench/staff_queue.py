"""The police verifiers' queue with OPEN open applications (default 100,000), on PostgreSQL.
(Not named bench/queue.py: run as scripts, bench/'s files would import it as the standard
library's `queue`.)

Migrates the database of DATABASE_URL (use a throw-away one), bulk-creates OPEN accepted
applications (route residence_employment: a pending police and a pending social insurance
check each, with their verification, refusal and whole deadlines) whose verification due
dates spread over DAYS days, so that thousands share one date as on a busy day; then times,
CALLS times each after a warm-up:
  - selectors.staff_queue(user=police verifier), the first page;
  - the same with `after` = the (due_on, application) of the item in the middle of the queue,
    a deep page whose date thousands of others share;
  - GET /api/v1/staff/queue and GET /api/v1/staff/queue?after=... through Django's test
    client (the real middleware, token lookup, view and JSON), with a bearer token;
and prints the median and p95 of each, and EXPLAIN (ANALYZE, BUFFERS) of both pages' query.
Target: under 50 ms.
Usage (a throw-away database; the environment of bench/run.sh):
  DB=residence_bench_queue
  psql -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB DEBUG=0 SECRET_KEY=bench-queue \\
    SMS_BACKEND=console SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=testserver \\
    PYTHONPATH=. .venv/bin/python bench/staff_queue.py [OPEN, default 100000] [CALLS, default 50]
"""

import os
import secrets
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.base")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from residence.accounts.models import Channel, LoginSession, User  # noqa: E402
from residence.accounts.services import hash_token  # noqa: E402
from residence.applications import selectors  # noqa: E402
from residence.core import clock  # noqa: E402

OPEN = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
CALLS = int(sys.argv[2]) if len(sys.argv) > 2 else 50
DAYS = 10
POINT = "44030400401"


def create(count: int) -> None:
    """Everything in set-based INSERTs: persons, applications, checks, deadlines."""
    now, today = clock.now(), clock.today()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO applications_person (id_number, name, phone, created_at)
            SELECT 'Q' || lpad(n::text, 17, '0'), '排队' || n, '', %(now)s FROM generate_series(1, %(count)s) n
            """,
            {"now": now, "count": count},
        )
        cursor.execute(
            """
            INSERT INTO applications_application (
              reference, kind, route, status, person_id, channel, acceptance_point_id, delivery_method,
              delivery_address, photo_receipt, reason, fee_amount, payment_status, portrait_captured,
              materials_checked, self_check, accepted_on, due_date, due_date_provisional, decision_outcome,
              decision_reasons, reply_text, created_at, updated_at, document)
            SELECT 'Q' || lpad(p.id::text, 12, '0'), 'first', 'residence_employment', 'accepted', p.id, 'online',
                   %(point)s, 'pickup', '', 'Q' || lpad(p.id::text, 12, '0'), '', 0, 'not_required', false, false,
                   '{}', %(today)s, %(today)s + 21, false, '', '[]', '', %(now)s, %(now)s, '{}'
            FROM applications_person p WHERE p.id_number LIKE 'Q%%'
            """,
            {"point": POINT, "today": today, "now": now},
        )
        # The verification due date: one of DAYS dates, in random order of application id.
        cursor.execute(
            """
            INSERT INTO applications_verification (application_id, department, status, due_on, note)
            SELECT a.id, d.department, 'pending', %(today)s + (hashint8(a.id) & 1023) %% %(days)s, ''
            FROM applications_application a
            CROSS JOIN (VALUES ('police'), ('social_insurance')) AS d(department)
            WHERE a.reference LIKE 'Q%%'
            """,
            {"today": today, "days": DAYS},
        )
        cursor.execute(
            """
            INSERT INTO applications_deadline (application_id, step, start_on, working_days, due_on, provisional,
                                               calendar_version)
            SELECT v.application_id, s.step, %(today)s, s.days, CASE WHEN s.step = 'verification' THEN v.due_on
                   ELSE %(today)s + s.days END, false, ''
            FROM applications_verification v
            CROSS JOIN (VALUES ('verification', 3), ('refusal', 7), ('whole', 15)) AS s(step, days)
            WHERE v.department = 'police'
            """,
            {"today": today},
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would soon; the visibility map allows index-only scans


def verifier() -> tuple[User, str]:
    user = User.objects.create(
        username="bench_police_verifier", kind="staff", role="verifier", department="police", phone="13900009999"
    )
    token = secrets.token_urlsafe(32)
    now = clock.now()
    LoginSession.objects.create(
        user=user, channel=Channel.API, token_hash=hash_token(token), remember=True, created_at=now, last_seen_at=now
    )
    return user, token


def timed(call) -> tuple[float, float]:
    for _ in range(5):
        call()
    times = []
    for _ in range(CALLS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)]


def explain(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    create(OPEN)
    user, token = verifier()
    print(f"{OPEN} open applications, each with a pending police check, made in {time.monotonic() - started:.1f} s")
    pending = selectors.Verification.objects.filter(department="police", status="pending")
    middle = pending.order_by("due_on", "application_id").values_list("due_on", "application_id")[OPEN // 2]
    same_day = pending.filter(due_on=middle[0]).count()
    print(f"deep page after {middle[0]},{middle[1]}: item {OPEN // 2 + 1} of {OPEN}, {same_day} share its date")

    first = selectors.staff_queue(user=user)
    deep = selectors.staff_queue(user=user, after=middle)
    assert len(first) == len(deep) == selectors.QUEUE_PAGE
    assert (deep[0]["due_on"], deep[0]["application"]) > middle
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    after = f"{middle[0].isoformat()},{middle[1]}"

    def api(query=""):
        response = client.get("/api/v1/staff/queue" + query, **headers)
        assert response.status_code == 200, (response.status_code, response.content[:300])
        assert len(response.json()["results"]) == selectors.QUEUE_PAGE

    print(f"{'':42s} median      p95   ({CALLS} calls each)")
    for label, call in (
        ("staff_queue(), first page", lambda: selectors.staff_queue(user=user)),
        ("staff_queue(after=middle), deep page", lambda: selectors.staff_queue(user=user, after=middle)),
        ("GET /api/v1/staff/queue", lambda: api()),
        ("GET /api/v1/staff/queue?after=middle", lambda: api(f"?after={after}")),
    ):
        median, p95 = timed(call)
        verdict = "met" if p95 < 50 else "MISSED"
        print(f"{label:40s} {median:7.2f} ms {p95:7.2f} ms   (target < 50 ms: {verdict})")

    for label, page_after in (("first page", None), ("deep page", middle)):
        print(f"\nEXPLAIN (ANALYZE, BUFFERS), {label}:")
        print(explain(queue_query(user, page_after)))


def queue_query(user, after):
    """The verifier's page query as staff_queue builds it (selectors.verifier_queue_rows)."""
    return selectors.verifier_queue_rows(user=user, after=after, limit=selectors.QUEUE_PAGE)


if __name__ == "__main__":
    main()
