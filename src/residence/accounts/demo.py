"""The demo data set of `load_demo`: one account per role, a few identities, police points."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from residence.core import clock
from residence.core.calendar_seed import seed_calendar
from residence.core.models import CalendarDay, CalendarYear
from residence.places.models import AcceptancePoint, Street

from . import services
from .models import Kind, Role, Status, User

DEMO_PASSWORD = "Demo2026pass"
DEMO_EMPLOYER = "91440300MA5D4X7K8N"
POLICE_POINTS = [
    ("44030400451", "福田派出所居住证受理点", "440304004", "深圳市福田区福田路 1 号"),
    ("44030500751", "粤海派出所居住证受理点", "440305007", "深圳市南山区科技南路 2 号"),
    ("44030601851", "西乡派出所居住证受理点", "440306018", "深圳市宝安区西乡大道 3 号"),
]


IDENTITIES = [
    # id_number (check characters by ISO 7064 MOD 11-2), name, sex, birth_date, shenzhen_hukou
    ("430102199003071234", "张伟", "M", dt.date(1990, 3, 7), False),
    ("360102199508122342", "李娜", "F", dt.date(1995, 8, 12), False),
    ("440304198801013443", "陈静", "F", dt.date(1988, 1, 1), True),
    ("810000199205054558", "黄志明", "M", dt.date(1992, 5, 5), False),
]

# username, role, phone, point, department
STAFF = [
    ("demo_clerk", Role.CLERK, "13900000001", "44030400401", ""),
    ("demo_verifier", Role.VERIFIER, "13900000002", None, "social_insurance"),
    ("demo_police", Role.VERIFIER, "13900000003", None, "police"),
    ("demo_reviewer", Role.REVIEWER, "13900000004", None, "police"),
    ("demo_production", Role.PRODUCTION, "13900000005", None, ""),
    ("demo_courier", Role.COURIER, "13900000006", None, ""),
    ("demo_supervisor", Role.SUPERVISOR, "13900000007", None, ""),
]


def _identities():
    from residence.records.services import records_import_rows

    rows = [
        {
            "id_number": n,
            "name": name,
            "sex": sex,
            "ethnicity": "汉",
            "birth_date": born.isoformat(),
            "hukou_address": "",
            "shenzhen_hukou": "1" if sz else "0",
        }
        for n, name, sex, born, sz in IDENTITIES
    ]
    result = records_import_rows("identities", rows, source="load_demo")
    if not result.applied:
        raise ValueError(f"demo identities rejected: {result.errors}")


def _records_of_the_demo_citizen():
    """张伟 has lived in 福田街道 since June 2024 and paid social insurance every month since:
    eligible by residence and employment, so the demo can apply."""
    from residence.records.services import records_import_rows

    number = IDENTITIES[0][0]
    registration = {
        "id_number": number,
        "street_code": "440304004",
        "address": "深圳市福田区福田街道福田路 88 号 1 栋 101",
        "registered_on": "2024-06-01",
        "ended_on": "",
    }
    today = clock.today()
    months, month = [], dt.date(2024, 6, 1)
    while month <= today.replace(day=1):
        months.append({"id_number": number, "month": month.strftime("%Y-%m"), "employer_credit_code": DEMO_EMPLOYER})
        month = (month + dt.timedelta(days=32)).replace(day=1)
    for kind, rows in (("registrations", [registration]), ("social_insurance", months)):
        result = records_import_rows(kind, rows, source="load_demo")
        if not result.applied:
            raise ValueError(f"demo {kind} rejected: {result.errors}")


@transaction.atomic
def load_demo() -> list[tuple[str, str, str | None, bool]]:
    """Idempotent: creates what is missing and nothing twice. Returns (username, role, phone) rows."""
    seed_calendar(CalendarYear, CalendarDay)
    for code, name, street, address in POLICE_POINTS:
        AcceptancePoint.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": AcceptancePoint.Kind.POLICE_STATION,
                "street": Street.objects.get(code=street),
                "address": address,
            },
        )
    _identities()
    _records_of_the_demo_citizen()
    accounts = []

    def ensure(username, create):
        user = User.objects.filter(username__iexact=username).first() or create()
        accounts.append((user.username, user.get_role_display() or user.get_kind_display(), user.phone, user.is_active))
        return user

    citizen = ensure(
        "demo_citizen",
        lambda: services.account_create(
            kind=Kind.INDIVIDUAL, username="demo_citizen", password=DEMO_PASSWORD, phone="13800000001", consent=True
        ),
    )
    if not citizen.person_id:
        services.real_name_verify(user=citizen, name=IDENTITIES[0][1], id_number=IDENTITIES[0][0])
    ensure(
        "demo_newcomer",
        lambda: services.account_create(
            kind=Kind.INDIVIDUAL, username="demo_newcomer", password=DEMO_PASSWORD, phone="13800000002", consent=True
        ),
    )
    org = ensure(
        "demo_org",
        lambda: services.account_create(
            kind=Kind.ORGANISATION,
            username="demo_org",
            password=DEMO_PASSWORD,
            phone="13800000003",
            consent=True,
            name="深圳市示范科技有限公司",
            credit_code=DEMO_EMPLOYER,
        ),
    )
    ensure(
        "demo_org_pending",
        lambda: services.account_create(
            kind=Kind.ORGANISATION,
            username="demo_org_pending",
            password=DEMO_PASSWORD,
            phone="13800000004",
            consent=True,
            name="深圳市待审物业管理有限公司",
            credit_code="91440300MA5FXXXX0U",
        ),
    )
    for username, role, phone, point, department in STAFF:
        ensure(
            username,
            lambda u=username, r=role, p=phone, pt=point, d=department: services.staff_create(
                username=u,
                password=DEMO_PASSWORD,
                phone=p,
                role=r,
                point=AcceptancePoint.objects.get(code=pt) if pt else None,
                department=d,
            ),
        )
    if org.status == Status.PENDING:
        clerk = User.objects.get(username="demo_clerk")
        services.organisation_activate(
            actor=clerk,
            account_id=org.pk,
            credit_code_checked=True,
            letter_checked=True,
            housing_checked=True,
            note="demo data",
        )
    admin = User.objects.filter(username="demo_admin").first()
    if admin is None:
        admin = User.objects.create_superuser(
            username="demo_admin", password=DEMO_PASSWORD, phone="13900000009", kind=Kind.STAFF, consent_at=clock.now()
        )
    accounts.append((admin.username, str(_("System administrator")), admin.phone, admin.is_active))
    return accounts
