"""Shared set-up of the application tests: a verified citizen with records, and one signed-in
client per staff role, all made through the real services."""

from dataclasses import dataclass

from residence.accounts.services import real_name_verify, staff_create
from residence.places.models import AcceptancePoint
from residence.records.services import records_import_rows

from .conftest import PASSWORD, Api, make_user
from .idnumbers import ZHANG_WEI
from .test_account_changes import identity

# The street office of 福田街道 (440304004): the point of the street ZHANG_WEI is registered in.
HOME_POINT = "44030400401"
OTHER_POINT = "44030500701"


def eligible_records(number=ZHANG_WEI):
    """Registered 2025-01-10 in 福田街道, insurance every month of 2025-01 … 2026-02: eligible on 2026-03-02."""
    assert records_import_rows(
        "registrations",
        [
            {
                "id_number": number,
                "street_code": "440304004",
                "address": "福田路 1 号",
                "registered_on": "2025-01-10",
                "ended_on": "",
            }
        ],
    ).applied
    months = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02"]
    assert records_import_rows(
        "social_insurance",
        [{"id_number": number, "month": m, "employer_credit_code": "91440300MA5D4X7K8N"} for m in months],
    ).applied


def citizen_api(username="citizen1", phone="13812345678", body17="43010219900307123", name="张伟"):
    user = make_user(username, phone)
    number = identity(body17, name)
    real_name_verify(user=user, name=name, id_number=number)
    return Api(address=f"10.2.{int(phone[-2:])}.1").login(username, phone=phone, remember=True), user


STAFF = {
    # key: role, phone, point, department
    "clerk": ("clerk", "13900001001", HOME_POINT, ""),
    "other_clerk": ("clerk", "13900001002", OTHER_POINT, ""),
    "police": ("verifier", "13900001003", None, "police"),
    "insurance": ("verifier", "13900001004", None, "social_insurance"),
    "education": ("verifier", "13900001005", None, "education"),
    "reviewer": ("reviewer", "13900001006", None, "police"),
    "production": ("production", "13900001007", None, ""),
    "courier": ("courier", "13900001008", None, ""),
    "supervisor": ("supervisor", "13900001009", None, ""),
}


@dataclass
class Staff:
    apis: dict
    users: dict

    def __getattr__(self, key):
        return self.apis[key]


def staff_member(key: str, prefix: str):
    """The staff account `{prefix}_{key}` of STAFF's role, phone, point and department."""
    role, phone, point, department = STAFF[key]
    return staff_create(
        username=f"{prefix}_{key}",
        password=PASSWORD,
        phone=phone,
        role=role,
        point=AcceptancePoint.objects.get(code=point) if point else None,
        department=department,
    )


def staff_apis(keys=None) -> Staff:
    apis, users = {}, {}
    for key in keys or STAFF:
        users[key] = staff_member(key, "staff")
    staff = Staff(apis, users)
    signed_in_again(staff, *users)
    return staff


def signed_in_again(staff: Staff, *keys) -> None:
    """New logins for these staff (a staff login ends when idle: a test that moves the date on)."""
    for key in keys:
        phone = STAFF[key][1]
        staff.apis[key] = Api(address=f"10.3.{phone[-2:]}.1").login(f"staff_{key}", phone=phone, remember=True)


def application_body(**extra):
    return {
        "kind": "first",
        "route": "residence_employment",
        "photo_receipt": "pz20260302a1",
        "delivery": {"method": "pickup"},
        "family_members": [],
        **extra,
    }


def live_permit(user, number="4403202500000001"):
    """An active permit issued a year before the tests' day (exchange and replacement need one)."""
    from residence.permits.models import Permit

    return Permit.objects.create(
        number=number,
        id_number=user.person.id_number,
        name=user.person.name,
        issued_on="2025-03-02",
        anniversary_base="2025-03-02",
        endorsed_until="2027-03-02",
        continuous_since="2025-03-02",
        status="active",
        created_at="2025-03-02T10:00:00+08:00",
    )


def confirm_all(staff, app, note=""):
    """The police and social insurance verifiers both confirm (the residence_employment route); with
    a note where the records do not bear the claim out."""
    for department, client in (("police", staff.police), ("social_insurance", staff.insurance)):
        response = client.post(
            f"/api/v1/staff/applications/{app['id']}/verify",
            {"department": department, "outcome": "confirmed", "note": note},
        )
        assert response.status_code == 200, response.content
    return response.json()
