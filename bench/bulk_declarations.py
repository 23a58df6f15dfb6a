"""A 10,000-row bulk declaration checked and applied on PostgreSQL (target: under 10 s for both),
then the same people moving on to other houses, then moving out, each in one file.

An active organisation with 200 houses declares 10,000 move-ins of different people (valid ID
numbers, made here with the MOD 11-2 weights written out), through the services the API calls:
`bulk_check` then `bulk_confirm`. Prints each step's time and the total, and the rows written.

Usage (a throw-away database):
  DB=residence_bench_bulk
  psql -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB DEBUG=0 SECRET_KEY=bench-bulk-key-long-enough \\
    SMS_BACKEND=console SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1 \\
    PYTHONPATH=. .venv/bin/python bench/bulk_declarations.py [ROWS, default 10000]
"""

import datetime as dt
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.base")
django.setup()

from django.core.management import call_command  # noqa: E402

from residence.accounts.models import Kind, Status, User  # noqa: E402
from residence.core import clock  # noqa: E402
from residence.records.models import Registration  # noqa: E402
from residence.registrations.models import Declaration, House  # noqa: E402
from residence.registrations.selectors import declarations_for  # noqa: E402
from residence.registrations.services import bulk_check, bulk_confirm  # noqa: E402

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
HEADER = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date"


def id_number(n: int) -> str:
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=n % 7300)
    body = f"430102{birth:%Y%m%d}{n // 7300:03d}"
    return body + CHECK[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def apply_file(organisation, lines: list[str], name: str) -> float:
    """Check then confirm one file, as the two API calls do; prints and returns the seconds taken."""
    started = time.perf_counter()
    upload = bulk_check(actor=organisation, text="\n".join(lines) + "\n")
    checked = time.perf_counter()
    assert len(upload.valid) == len(lines) - 1 and not upload.invalid, upload.invalid[:3]
    bulk_confirm(actor=organisation, upload_id=upload.pk)
    applied = time.perf_counter()
    total = applied - started
    print(f"{name}: check {checked - started:.2f} s, apply {applied - checked:.2f} s, total {total:.2f} s")
    return total


def main(rows: int) -> None:
    call_command("migrate", verbosity=0)
    now = clock.now()
    organisation, _created = User.objects.get_or_create(
        username="bench_org",
        defaults={"kind": Kind.ORGANISATION, "status": Status.ACTIVE, "phone": "16600000001", "consent_at": now},
    )
    houses = House.objects.bulk_create(
        [
            House(
                owner=organisation,
                street_id="440304004",
                building_code=f"44030400400{n:03d}",
                building_name=f"测试大厦{n}",
                room=str(100 + n),
                address="深圳市福田区福田路",
                housing_type="dormitory",
                confirmed=True,  # declarations go only into houses a clerk has confirmed
                created_at=now,
            )
            for n in range(200)
        ]
    )
    moved = clock.today() - dt.timedelta(days=3)
    lines = [HEADER] + [
        f"{houses[n % len(houses)].pk},move_in,测试{chr(0x4E00 + n)},{id_number(n)},166{n:08d},employer,3,1,{moved}"
        for n in range(rows)
    ]
    total = apply_file(organisation, lines, f"{rows} rows")
    print(
        f"written: {Declaration.objects.count()} declarations, {Registration.objects.count()} registrations"
        f" (target: total < 10 s: {'met' if total < 10 else 'MISSED'})"
    )
    # The same people moving on to other houses: each move-in ends a registration (an outsider's
    # two such files, confirmed at once, timed out at 30 s).
    on = clock.today() - dt.timedelta(days=2)
    moving_on = [HEADER] + [
        f"{houses[(n + 100) % len(houses)].pk},move_in,测试{chr(0x4E00 + n)},{id_number(n)},"
        f"166{n:08d},employer,3,1,{on}"
        for n in range(rows)
    ]
    total = apply_file(organisation, moving_on, f"{rows} moving on")
    ended = Registration.objects.filter(ended_on=on - dt.timedelta(days=1)).count()
    print(f"registrations ended by them: {ended} (target: total < 10 s: {'met' if total < 10 else 'MISSED'})")
    # The same people moving out (an outsider's 10,000 move-outs timed out at 30 s: one UPDATE a row).
    left = clock.today() - dt.timedelta(days=1)
    outs = [HEADER] + [f"{houses[(n + 100) % len(houses)].pk},move_out,,{id_number(n)},,,,,{left}" for n in range(rows)]
    total = apply_file(organisation, outs, f"{rows} move-outs")
    linked = Declaration.objects.filter(kind="move_out", registration__ended_on=left).count()
    met = "met" if total < 10 else "MISSED"
    print(f"move-outs naming the registration they ended: {linked} (target: total < 10 s: {met})")
    # The list an organisation reads afterwards: the first page of the people living in its houses.
    for current in (False, True):
        started = time.perf_counter()
        page = list(declarations_for(actor=organisation, current=current)[:501])
        print(
            f"GET declarations{'?current=1' if current else ''}: first page ({len(page)} rows) in "
            f"{(time.perf_counter() - started) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
