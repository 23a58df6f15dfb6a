import pytest

from residence.accounts.services import real_name_verify, staff_create
from residence.audit.models import AuditEvent
from residence.eligibility.models import EligibilityCheck
from residence.places.models import AcceptancePoint
from residence.records.services import records_import_rows

from .conftest import PASSWORD, Api, error_code, make_user
from .idnumbers import with_check
from .test_account_changes import identity

pytestmark = pytest.mark.django_db
URL = "/api/v1/eligibility-checks"


def load_records(number):
    """Registered 2025-06-10, insurance paid 2025-06 … 2026-02: nine months short of twelve."""
    assert records_import_rows(
        "registrations",
        [
            {
                "id_number": number,
                "street_code": "440304004",
                "address": "福田路 1 号",
                "registered_on": "2025-06-10",
                "ended_on": "",
            }
        ],
    ).applied
    paid = [f"2025-{m:02d}" for m in range(6, 13)] + ["2026-01", "2026-02"]
    assert records_import_rows(
        "social_insurance",
        [{"id_number": number, "month": month, "employer_credit_code": "91440300MA5D4X7K8N"} for month in paid],
    ).applied


@pytest.fixture
def records(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    number = identity()
    load_records(number)
    return number


def body(number, **extra):
    return {"name": "张伟", "id_number": number, "route": "residence_employment", **extra}


def test_verified_account_gets_the_full_answer_for_itself(signed_in, citizen, records):
    real_name_verify(user=citizen, name="张伟", id_number=records)
    response = signed_in.post(URL, body(records))
    answer = response.json()
    assert response.status_code == 200 and answer["eligible"] is False and answer["date"] == "2026-03-02"
    assert [c["name"] for c in answer["conditions"]] == ["identity", "residence", "employment"]
    employment = answer["conditions"][2]
    # "截至查询日社保连续缴纳 9 个月，还需 3 个月" in Chinese; the test client asks for English.
    assert employment["met"] is False and employment["detail"].startswith(
        "Social insurance paid for 9 consecutive months up to the day checked, 3 more"
    )
    assert answer["earliest_eligible_date"] == "2026-06-10"
    check = EligibilityCheck.objects.get()
    # An explicit null date is today's, as an absent one (an outsider got a 400).
    assert signed_in.post(URL, {**body(records), "date": None}).json()["date"] == "2026-03-02"
    assert (
        check.full
        and check.checked_by == citizen
        and {i["kind"] for i in check.inputs} == {"identities", "registrations", "social_insurance"}
    )


def test_verified_account_cannot_check_someone_else(signed_in, citizen, records):
    real_name_verify(user=citizen, name="张伟", id_number=records)
    other = identity("44030419900101555", "王芳")
    response = signed_in.post(URL, {**body(other), "name": "王芳"})
    assert response.status_code == 403 and error_code(response) == "permission_denied"
    assert not EligibilityCheck.objects.exists()


def test_unverified_account_gets_the_limited_answer_five_times_a_day(signed_in, records):
    for _ in range(5):
        answer = signed_in.post(URL, body(records)).json()
        assert answer["conditions"] and all(c["detail"] == "" for c in answer["conditions"])
        assert "earliest_eligible_date" in answer
    response = signed_in.post(URL, body(records))
    assert response.status_code == 429 and error_code(response) == "rate_limited"
    assert EligibilityCheck.objects.count() == 5


def test_a_limited_answer_says_nothing_of_a_person_whose_name_does_not_match(signed_in, settings):
    """An unverified account may type anyone's number: with a wrong name the answer is the one an
    unknown number gets (every condition unmet, no date), so it is no name oracle and shows no
    stranger's records; with the recorded name, the person's own limited answer."""
    settings.FROZEN_TODAY = "2026-03-02"
    number = identity("44030419900101555", "王芳")
    records_import_rows(
        "registrations",
        [
            {
                "id_number": number,
                "street_code": "440304004",
                "address": "福田路 1 号",
                "registered_on": "2024-01-10",
                "ended_on": "",
            }
        ],
    )
    paid = [f"2025-{m:02d}" for m in range(3, 13)] + ["2026-01", "2026-02"]
    records_import_rows(
        "social_insurance",
        [{"id_number": number, "month": month, "employer_credit_code": "91440300MA5D4X7K8N"} for month in paid],
    )
    right = signed_in.post(URL, {**body(number), "name": "王芳"}).json()
    assert right["eligible"] is True and all(c["met"] for c in right["conditions"])
    wrong_name = signed_in.post(URL, {**body(number), "name": "不对"}).json()
    unknown = signed_in.post(URL, body(with_check("44030419900101666"))).json()
    for answer in (wrong_name, unknown):
        assert answer["eligible"] is False and answer["earliest_eligible_date"] is None
        assert [(c["name"], c["met"], c["detail"]) for c in answer["conditions"]] == [
            ("identity", False, ""),
            ("residence", False, ""),
            ("employment", False, ""),
        ]
    # The check itself is kept whole, for the record.
    kept = EligibilityCheck.objects.filter(id_number=number).order_by("at").last()
    assert [c["met"] for c in kept.answer["conditions"]] == [False, True, True]


def test_bad_input_is_400_before_any_403(db, records):
    org = make_user("org_x", "15811119999", kind="organisation", name="单位", credit_code="91440300MA5D4X7K8N")
    api = Api().login(org.username, phone=org.phone)
    bad = api.post(URL, body(records[:17] + ("0" if records[17] != "0" else "1")))
    assert bad.status_code == 400 and "id_number" in bad.json()["error"]["fields"]
    assert error_code(api.post(URL, body(records, route="lottery"))) == "invalid"
    assert error_code(api.post(URL, body(records, date="2026-02-30"))) == "invalid"
    assert api.post(URL, body(records)).status_code == 403
    # Every bad field in one answer, not one round each.
    all_bad = api.post(URL, body(records[:17] + "Y", route="lottery", date="2026-02-30"))
    assert set(all_bad.json()["error"]["fields"]) == {"id_number", "route", "date"}
    # A formula or a newline is no name (a clerk's check is logged with the name asked).
    for name in ("=1+1", "张\n伟"):
        assert "name" in api.post(URL, {**body(records), "name": name}).json()["error"]["fields"]


def test_clerk_gets_full_answers_and_the_access_is_audited(db, records):
    staff_create(
        username="clerk_e", password=PASSWORD, phone="13900004444", role="clerk", point=AcceptancePoint.objects.first()
    )
    api = Api().login("clerk_e", phone="13900004444")
    answer = api.post(URL, body(records, date="2026-06-10")).json()
    assert answer["date"] == "2026-06-10" and all(c["detail"] for c in answer["conditions"])
    assert [c["met"] for c in answer["conditions"]] == [True, True, False]
    assert AuditEvent.objects.filter(type="personal_data_viewed").count() == 1


def test_courier_may_not_check(db, records):
    staff_create(username="courier_e", password=PASSWORD, phone="13900004445", role="courier")
    api = Api().login("courier_e", phone="13900004445")
    assert api.post(URL, body(records)).status_code == 403


def test_not_signed_in_is_401(api, records):
    assert api.post(URL, body("bad")).status_code == 401


def test_hong_kong_number_is_valid_but_not_eligible(signed_in, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    number = identity("81000019920505456", "黄志明")
    answer = signed_in.post(URL, {"name": "黄志明", "id_number": number, "route": "talent"}).json()
    assert answer["eligible"] is False and answer["conditions"][0] == {"name": "identity", "met": False, "detail": ""}


def test_unknown_identity_is_200_with_identity_not_met(signed_in, settings):
    settings.FROZEN_TODAY = "2026-03-02"

    number = with_check("44030419850505333")
    response = signed_in.post(URL, body(number))
    assert response.status_code == 200 and response.json()["conditions"][0]["met"] is False


def test_without_an_identity_record_the_other_conditions_are_still_answered(db, settings):
    """Outsider W: a registration and insurance on record, no identity row: the answer said "no
    registration" and "0 months". Registered 2025-06-10, nine months paid to 2026-02 (by hand)."""
    settings.FROZEN_TODAY = "2026-06-10"
    number = with_check("44030419850505333")  # in no identity record
    load_records(number)
    staff_create(
        username="clerk_w", password=PASSWORD, phone="13900004446", role="clerk", point=AcceptancePoint.objects.first()
    )
    answer = Api().login("clerk_w", phone="13900004446").post(URL, body(number)).json()
    identity_, residence, employment = answer["conditions"]
    assert not identity_["met"] and "not in the population records" in identity_["detail"]
    assert residence["met"] and residence["detail"].startswith("Registered continuously since 2025-06-10")
    # The nine months ended in February: a run must start again (12 more), and the nine count in the 24.
    assert not employment["met"] and employment["detail"].startswith(
        "Social insurance paid for 0 consecutive months up to the day checked, 12 more needed"
    )
    assert "9 so far" in employment["detail"]


def test_a_talent_certificate_is_named_by_its_category_not_its_code(db, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    number = identity()
    load_records(number)
    assert records_import_rows(
        "talents",
        [
            {
                "id_number": number,
                "certificate_no": "T2020-001",
                "category": "degree",
                "issued_on": "2020-07-01",
                "valid_until": "",
            }
        ],
    ).applied
    staff_create(
        username="clerk_t", password=PASSWORD, phone="13900004447", role="clerk", point=AcceptancePoint.objects.first()
    )
    answer = Api().login("clerk_t", phone="13900004447").post(URL, body(number, route="talent")).json()
    assert answer["conditions"][2]["detail"] == "Valid talent certificate (Full-time associate degree or higher)."
