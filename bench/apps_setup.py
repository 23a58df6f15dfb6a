"""Set-up of bench/applications.sh: N real-name verified citizens, each signed in through the API,
with the records that make them eligible, written fast (bulk inserts, not the services).

Each citizen gets an account with an unusable password, an `Identity` bound to it, one live
`LoginSession` (remember: 14 days) whose token is known, as bench/make_token.py does with the
service, a current residence registration in 福田街道 (whose street office is the default
acceptance point) and a social insurance contribution for each of the 24 months up to this
one, so that the self-check `application_submit` runs finds them eligible.
Writes "user_id token" lines to TOKENS_FILE.
Usage: PYTHONPATH=. python bench/apps_setup.py N TOKENS_FILE
"""

import datetime as dt
import os
import secrets
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.base")
django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from residence.accounts.models import Channel, LoginSession, User  # noqa: E402
from residence.accounts.services import hash_token  # noqa: E402
from residence.core import clock  # noqa: E402
from residence.records.models import Identity, Registration  # noqa: E402

STREET = "440304004"  # 福田街道, as tests/applications.py
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
BATCH = 5000


def id_number(n: int) -> str:
    """A valid 18-character number: born 1970-01-01 + n % 7300 days in 440304, sequence n // 7300."""
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=n % 7300)
    body = f"440304{birth:%Y%m%d}{n // 7300:03d}"
    return body + CHECK[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def main(count: int, tokens_path: str) -> None:
    started = time.monotonic()
    now = clock.now()
    today = clock.today()
    password = make_password(None)  # unusable
    numbers = [id_number(n) for n in range(count)]
    assert len(set(numbers)) == count
    with transaction.atomic():
        Identity.objects.bulk_create(
            [
                Identity(
                    id_number=number,
                    name=f"测试{n:06d}",
                    sex="M" if n % 2 else "F",
                    birth_date=dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                    updated_at=now,
                )
                for n, number in enumerate(numbers)
            ],
            batch_size=BATCH,
        )
        person = dict(Identity.objects.filter(id_number__in=numbers).values_list("id_number", "pk"))
        User.objects.bulk_create(
            [
                User(
                    username=f"bench_apply_{n:06d}",
                    password=password,
                    kind="individual",
                    phone=f"166{n:08d}",
                    sms_required=False,
                    consent_version="bench",
                    consent_at=now,
                    person_id=person[number],
                    real_name_verified_at=now,
                )
                for n, number in enumerate(numbers)
            ],
            batch_size=BATCH,
        )
        users = list(User.objects.filter(username__startswith="bench_apply_").order_by("pk").values_list("pk"))
        tokens = [secrets.token_urlsafe(32) for _ in users]
        LoginSession.objects.bulk_create(
            [
                LoginSession(
                    user_id=pk,
                    channel=Channel.API,
                    token_hash=hash_token(token),
                    remember=True,
                    created_at=now,
                    last_seen_at=now,
                )
                for (pk,), token in zip(users, tokens, strict=True)
            ],
            batch_size=BATCH,
        )
        registered = today.replace(day=1) - dt.timedelta(days=730)
        Registration.objects.bulk_create(
            [
                Registration(
                    id_number=number, street_id=STREET, address="福田路 1 号", registered_on=registered, updated_at=now
                )
                for number in numbers
            ],
            batch_size=BATCH,
        )
        with connection.cursor() as cursor:
            # 24 months of contributions each, up to this month, in one statement.
            cursor.execute(
                """
                INSERT INTO records_insurancemonth (id_number, month, employer_credit_code, updated_at)
                SELECT i.id_number, (date_trunc('month', %s::date) - make_interval(months => m))::date,
                       '91440300MA5D4X7K8N', %s
                FROM records_identity i JOIN accounts_user u ON u.person_id = i.id
                CROSS JOIN generate_series(0, 23) AS m
                WHERE u.username LIKE 'bench_apply_%%'
                """,
                [today, now],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with open(tokens_path, "w") as file:
        file.writelines(f"{pk} {token}\n" for (pk,), token in zip(users, tokens, strict=True))
    print(f"{count} verified, signed-in, eligible citizens in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
