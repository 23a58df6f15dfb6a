import datetime as dt

import pytest
from django.utils import translation

from residence.records.models import (
    Enrolment,
    Identity,
    InsuranceMonth,
    PermitRecord,
    RecordVersion,
    Registration,
    TalentCertificate,
)
from residence.records.services import records_import_rows

from .idnumbers import with_check

pytestmark = pytest.mark.django_db
ID = with_check("43010219900307123")
CODE = "91440300MA5D4X7K8N"

ID2 = with_check("44030419900101555")

GOOD = {
    "identities": [
        {
            "id_number": ID,
            "name": "张伟",
            "sex": "M",
            "ethnicity": "汉",
            "birth_date": "1990-03-07",
            "hukou_address": "湖南省长沙市",
            "shenzhen_hukou": "0",
        }
    ],
    "registrations": [
        {
            "id_number": ID,
            "street_code": "440304004",
            "address": "福田路 1 号",
            "registered_on": "2024-02-29",
            "ended_on": "",
        }
    ],
    "social_insurance": [
        {"id_number": ID, "month": f"2025-{m:02d}", "employer_credit_code": CODE} for m in range(1, 13)
    ],
    "enrolments": [
        {
            "id_number": ID,
            "school": "深圳职业技术大学",
            "level": "higher",
            "full_time": "1",
            "start_date": "2024-09-01",
            "end_date": "2027-06-30",
        }
    ],
    "talents": [
        {
            "id_number": ID,
            "category": "degree",
            "certificate_no": "DEG-001",
            "issued_on": "2020-07-01",
            "valid_until": "",
        }
    ],
    "permits": [
        {
            "id_number": ID,
            "number": "440300202000001",
            "issued_on": "2020-01-01",
            "endorsed_until": "2027-01-01",
            "status": "active",
        }
    ],
}
MODELS = {
    "identities": Identity,
    "registrations": Registration,
    "social_insurance": InsuranceMonth,
    "enrolments": Enrolment,
    "talents": TalentCertificate,
    "permits": PermitRecord,
}


@pytest.mark.parametrize("kind", GOOD)
def test_each_kind_imports_and_a_second_import_changes_nothing(kind, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    first = records_import_rows(kind, GOOD[kind])
    assert first.applied and first.created == len(GOOD[kind]) == MODELS[kind].objects.count()
    second = records_import_rows(kind, GOOD[kind])
    assert (second.created, second.updated, second.unchanged) == (0, 0, len(GOOD[kind]))


def test_a_changed_record_keeps_its_earlier_version(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    records_import_rows("registrations", GOOD["registrations"])
    ended = [{**GOOD["registrations"][0], "ended_on": "2025-12-31"}]
    result = records_import_rows("registrations", ended)
    assert result.updated == 1
    record = Registration.objects.get()
    assert record.ended_on.isoformat() == "2025-12-31" and record.version == 2
    old = RecordVersion.objects.get(kind="registrations", record_id=record.pk)
    assert old.version == 1 and old.data["ended_on"] is None and old.data["registered_on"] == "2024-02-29"


def test_a_talent_certificate_keeps_its_holder(settings):
    """An outsider's second file gave DEG-001 to another person, and the talent route with it."""
    settings.FROZEN_TODAY = "2026-03-02"
    records_import_rows("talents", GOOD["talents"])
    moved = [{**GOOD["talents"][0], "id_number": ID2}]
    with translation.override("en"):
        result = records_import_rows("talents", moved)
    assert not result.applied
    assert result.errors == [(2, "Certificate DEG-001 belongs to another person: an import cannot change its holder.")]
    assert TalentCertificate.objects.get().id_number == ID
    renewed = [{**GOOD["talents"][0], "valid_until": "2030-07-01"}]  # its own holder may change it
    assert records_import_rows("talents", renewed).updated == 1
    # The same number spelt in lower case or in full-width forms is the same certificate (a second
    # outsider attached tc001 and ＴＣ001 to another person).
    for spelling in ("deg-001", "ＤＥＧ－００１", " Deg-001 "):
        respelt = [{**GOOD["talents"][0], "id_number": ID2, "certificate_no": spelling}]
        assert not records_import_rows("talents", respelt).applied, spelling
    assert list(TalentCertificate.objects.values_list("certificate_no", "id_number")) == [("DEG-001", ID)]


@pytest.mark.parametrize(("kind", "field"), [("registrations", "registered_on"), ("enrolments", "start_date")])
def test_a_registration_or_enrolment_before_the_persons_birth_is_refused(settings, kind, field):
    """An outsider's registration of 1800-01-01 for a person born on 1990-03-07 (by the ID number)
    was kept, and a check then read a residence since 1800."""
    settings.FROZEN_TODAY = "2026-03-02"
    rows = [{**GOOD[kind][0], field: day} for day in ("1800-01-01", "1990-03-06")]
    with translation.override("en"):
        result = records_import_rows(kind, rows[:1])
        assert result.errors == [
            (2, f"{field} 1800-01-01 is before the birth of the person (1990-03-07, by the ID number).")
        ]
        assert records_import_rows(kind, rows[1:]).errors[0][1].startswith(f"{field} 1990-03-06 is before")
    assert not MODELS[kind].objects.exists()
    born = {**GOOD[kind][0], field: "1990-03-07"}  # the day of the birth itself
    assert records_import_rows(kind, [born]).applied


def test_an_insurance_month_before_the_persons_birth_is_refused(settings):
    """An outsider's 1900-01 for a person born in 1990 (by the ID number) was kept."""
    settings.FROZEN_TODAY = "2026-03-02"
    rows = [{"id_number": ID, "month": month, "employer_credit_code": CODE} for month in ("1990-02", "1990-03")]
    with translation.override("en"):
        result = records_import_rows("social_insurance", rows)
    assert result.errors == [(2, "month 1990-02 is before the birth of the person (1990-03, by the ID number).")]
    assert not InsuranceMonth.objects.exists()
    assert records_import_rows("social_insurance", rows[1:]).applied  # the month of the birth itself


BAD = [
    ("registrations", {"registered_on": "2026-02-30"}, "registered_on"),
    ("registrations", {"registered_on": "2026-03-03"}, "future"),
    ("registrations", {"street_code": "440304999"}, "street_code"),
    ("registrations", {"street_code": "４４０３０４００４"}, "half-width digits"),
    ("registrations", {"ended_on": "2023-01-01"}, "ended_on"),
    ("registrations", {"id_number": ID[:17] + ("0" if ID[17] != "0" else "1")}, "id_number"),
    ("social_insurance", {"month": "2025-13"}, "month"),
    ("social_insurance", {"month": "2026-04"}, "month"),
    ("social_insurance", {"employer_credit_code": "91440300MA5D4X7K8M"}, "employer_credit_code"),
    ("enrolments", {"level": "primary"}, "level"),
    ("enrolments", {"full_time": "yes"}, "full_time"),
    ("talents", {"category": "genius"}, "category"),
    ("talents", {"valid_until": "2019-01-01"}, "valid_until"),
    ("permits", {"status": "lost"}, "status"),
    # What declared names are checked against, and staff read: no formula, no blank letters
    # (an outsider's department feed sent both), no hidden characters in an address.
    ("identities", {"id_number": ID2, "name": "=1+1"}, "letters only"),
    ("identities", {"id_number": ID2, "name": "\u3164"}, "letters only"),
    ("identities", {"id_number": ID2, "hukou_address": "=cmd|' /C calc'!A0"}, "hukou_address"),
    ("registrations", {"address": "=1+1"}, "address"),
]


@pytest.mark.parametrize(("kind", "change", "word"), BAD)
def test_a_bad_row_rejects_the_whole_file_with_its_line(kind, change, word, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    rows = [
        *GOOD[kind][:1],
        {
            **GOOD[kind][0],
            **change,
            **({"certificate_no": "DEG-002"} if kind == "talents" else {}),
            **({"number": "440300202000002"} if kind == "permits" else {}),
            **({"school": "另一所"} if kind == "enrolments" else {}),
            **({"registered_on": change.get("registered_on", "2025-01-01")} if kind == "registrations" else {}),
        },
    ]
    if kind == "social_insurance":
        rows[1]["month"] = change.get("month", "2024-12")
    with translation.override("en"):
        result = records_import_rows(kind, rows)
    assert not result.applied and [line for line, _ in result.errors] == [3]
    assert word in result.errors[0][1]
    assert MODELS[kind].objects.count() == 0


def test_duplicate_natural_keys_in_one_file(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    result = records_import_rows("social_insurance", GOOD["social_insurance"][:2] + GOOD["social_insurance"][:1])
    assert result.errors and result.errors[0][0] == 4 and InsuranceMonth.objects.count() == 0


@pytest.mark.parametrize("order", [("04", "06", "05"), ("05", "06", "04"), ("06", "05", "04"), ("04", "05", "06")])
def test_registrations_arriving_in_any_order_leave_one_at_a_time(settings, order):
    """An outsider's rows of one person, one push each, open, from April, June, then May: April
    ended in May (at June's start), May ran to June, and the person stood registered in two places
    for all of May. Worked by hand, whatever the order: April to 30 April, May to 31 May, June open."""
    settings.FROZEN_TODAY = "2026-03-02"
    row = {"id_number": ID, "street_code": "440304004", "address": "福田路 1 号"}
    for month in order:
        assert records_import_rows("registrations", [{**row, "registered_on": f"2025-{month}-01"}]).applied
    again = records_import_rows("registrations", [{**row, "registered_on": f"2025-{order[-1]}-01"}])
    assert again.applied and (again.created, again.updated) == (0, 0)  # the same row again: unchanged
    stored = Registration.objects.filter(id_number=ID).order_by("registered_on")
    assert [(str(r.registered_on), str(r.ended_on) if r.ended_on else None) for r in stored] == [
        ("2025-04-01", "2025-04-30"),
        ("2025-05-01", "2025-05-31"),
        ("2025-06-01", None),
    ]


def test_a_registration_inside_another_is_stored_as_sent_and_the_clock_runs_through(settings):
    """An outsider's rows of one person: 2025 in full, a stay from March to June inside it, open from
    2026. The year was cut at 28 February, the person unregistered from July to December and told
    the 12 months restart in 2026; sent again, the file was "unchanged". Worked by hand: nothing is
    cut (the stay is over before the year ends), and the run from 2025-01-01 reaches 12 months on
    2026-01-01 (RULES §2: a registration starting on or before the day after the last one ended
    continues the clock). A registration that outlasts the one it begins in still ends it."""
    from residence.eligibility import rules
    from residence.eligibility.selectors import person_records

    settings.FROZEN_TODAY = "2026-03-02"
    row = {"id_number": ID, "street_code": "440304004", "address": "福田路 1 号"}
    rows = [
        {**row, "registered_on": "2025-01-01", "ended_on": "2025-12-31"},
        {**row, "address": "福田路 2 号", "registered_on": "2025-03-01", "ended_on": "2025-06-30"},
        {**row, "address": "福田路 3 号", "registered_on": "2026-01-01"},
    ]
    result = records_import_rows("registrations", rows)
    assert result.applied and result.notes == [] and result.created == 3
    stored = Registration.objects.filter(id_number=ID).order_by("registered_on")
    sent = [(r["registered_on"], r.get("ended_on")) for r in rows]
    assert [(str(r.registered_on), str(r.ended_on) if r.ended_on else None) for r in stored] == sent
    again = records_import_rows("registrations", rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    person, _inputs = person_records(id_number=ID, name="张三", route="residence_employment")
    for day, met in (("2025-12-31", False), ("2026-01-01", True)):
        condition = rules.residence_condition(person, dt.date.fromisoformat(day), 12)
        assert condition.met is met and condition.reason.params["since"] == "2025-01-01", day
    # A stay from March that runs on past the year's end does end the year the day before it.
    longer = {**rows[1], "ended_on": "2026-01-15"}
    assert records_import_rows("registrations", [longer]).notes
    assert str(Registration.objects.get(id_number=ID, registered_on="2025-01-01").ended_on) == "2025-02-28"


def test_a_registration_that_ends_an_open_one_says_so_at_its_line(settings):
    """An outsider's open registration from 2025-04-03 ended the one from 2025-04-02 and the answer
    said "0 updated" with no note."""
    settings.FROZEN_TODAY = "2026-03-02"
    first = {"id_number": ID, "street_code": "440304004", "address": "福田路 1 号", "registered_on": "2025-04-02"}
    assert records_import_rows("registrations", [first]).notes == []
    other = {**first, "id_number": ID2, "registered_on": "2025-01-01"}
    later = {**first, "address": "福田路 2 号", "registered_on": "2025-04-03"}
    with translation.override("en"):
        result = records_import_rows("registrations", [other, later])
    assert result.applied and [line for line, _note in result.notes] == [3]
    assert result.notes[0][1] == (
        "The registration from 2025-04-02 at 福田路 1 号 was still open: it now ends on 2025-04-02, "
        "the day before the one from 2025-04-03."
    )
    ended = Registration.objects.get(id_number=ID, registered_on="2025-04-02")
    assert ended.ended_on.isoformat() == "2025-04-02"


def test_an_identity_is_not_refused_for_a_birth_date_or_sex_its_number_contradicts(settings):
    """RULES §12: sex and birth date recorded elsewhere are not cross-checked against the number
    (registries hold errors the platform must not refuse). GB 11643's example 11010519491231002X
    carries a woman born on 1949-12-31; the register's row says otherwise and is kept as it says."""
    settings.FROZEN_TODAY = "2026-03-02"
    row = {**GOOD["identities"][0], "id_number": "11010519491231002X", "sex": "M", "birth_date": "1950-01-01"}
    assert records_import_rows("identities", [row]).applied
    kept = Identity.objects.get()
    assert (kept.sex, kept.birth_date.isoformat()) == ("M", "1950-01-01")
