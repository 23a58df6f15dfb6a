"""A supervisor's move of a busy acceptance point: COUNT open applications (default 1,500) of one
point moved to another, set-based in chunks (services.applications_move_from), against the same
applications moved back one by one (services.application_move in a loop, what a point's move did
before), in the same run on the same rows. Each move writes the point, a history row, an audit
event, the rebuilt document and the applicant's message and SMS.

Usage (a throw-away database; SMS to a file):
  DB=residence_bench_move
  psql -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB DEBUG=0 SECRET_KEY=bench-move \\
    SMS_BACKEND=file SMS_FILE=/tmp/bench-move-sms.jsonl SECURE_SSL_REDIRECT=0 \\
    PYTHONPATH=. .venv/bin/python bench/move_point.py [COUNT, default 1500]
"""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.base")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.staff_queue import POINT, create  # noqa: E402
from residence.accounts.models import User  # noqa: E402
from residence.applications import documents, services  # noqa: E402
from residence.applications.models import Application, StatusChange  # noqa: E402

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 1_500
OTHER = "44030500701"
REASON = "受理点装修暂停办理"


def main() -> None:
    call_command("migrate", verbosity=0)
    create(COUNT)
    with connection.cursor() as cursor:  # a mobile each, so that every move sends its SMS
        cursor.execute("UPDATE applications_person SET phone = '137' || lpad(id::text, 8, '0')")
    ids = list(Application.objects.filter(acceptance_point_id=POINT).values_list("pk", flat=True))
    documents.refresh_many(ids)
    supervisor = User.objects.create(username="bench_supervisor", kind="staff", role="supervisor", phone="13900009998")
    print(f"{len(ids)} open applications at {POINT}")

    started = time.perf_counter()
    moved = services.applications_move_from(actor=supervisor, from_code=POINT, point_code=OTHER, reason=REASON)
    chunked = time.perf_counter() - started
    assert moved == len(ids) and not Application.objects.filter(acceptance_point_id=POINT).exists()

    started = time.perf_counter()
    for pk in ids:
        services.application_move(actor=supervisor, application_id=pk, point_code=POINT, reason=REASON)
    one_by_one = time.perf_counter() - started
    assert Application.objects.filter(acceptance_point_id=POINT).count() == len(ids)
    assert StatusChange.objects.filter(action="move").count() == 2 * len(ids)

    print(f"set-based in chunks: {chunked:7.2f} s ({chunked / len(ids) * 1000:.2f} ms an application)")
    print(f"one by one:          {one_by_one:7.2f} s ({one_by_one / len(ids) * 1000:.2f} ms an application)")
    print(f"one by one : chunks = {one_by_one / chunked:.1f}")


if __name__ == "__main__":
    main()
