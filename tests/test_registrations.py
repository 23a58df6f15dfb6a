"""Residence registration through the API (API.md § Residence registration): houses, declarations,
late declarations worked out by hand, the registration eligibility reads, tenants, organisations
and sub-accounts, bulk files and the counter."""

import datetime as dt
import io

import pytest
from django.utils import translation
from django.utils.translation import gettext

from residence.accounts.models import Kind, User
from residence.accounts.services import organisation_activate
from residence.notifications.models import Message
from residence.records.models import Registration
from residence.records.services import records_import_rows
from residence.registrations.models import BulkUpload, Declaration, House, Occupancy

from .applications import citizen_api, staff_apis
from .conftest import Api, committed, error_code, make_user
from .idnumbers import NOT_IN_RECORDS, WANG_FANG, ZHANG_WEI, with_check, wrong_check

pytestmark = pytest.mark.django_db
HOUSES, DECLARATIONS = "/api/v1/registrations/houses", "/api/v1/registrations/declarations"
LI_NA = with_check("36010219950812234")


def house_body(**extra):
    return {
        "street": "440304004",
        "building_code": "4403040040012",
        "building_name": "福田花园",
        "room": "101",
        "address": "深圳市福田区福田路 88 号福田花园 1 栋",
        "housing_type": "rented",
        **extra,
    }


def move_in(house, *, id_number=LI_NA, date="2026-02-27", declarant_type="landlord", **extra):
    return {
        "house": house,
        "kind": "move_in",
        "person": {"name": "李娜", "id_number": id_number, "phone": "13700000021"},
        "declarant_type": declarant_type,
        "occupation": 3,
        "reason": 1,
        "date": date,
        **extra,
    }


def tenant_report(room="101") -> dict:
    """王芳's self-report of her own move-in to the room of 福田花园 (the landlord fixture's plate)."""
    return {
        **move_in({"street": "440304004", "building_code": "4403040040012", "room": room}, id_number=WANG_FANG),
        "declarant_type": "tenant",
        "person": {"name": "王芳", "id_number": WANG_FANG, "phone": "13812345679"},
    }


def confirmed(house: dict) -> dict:
    """A house a clerk has confirmed (its proof of housing seen): only such a house takes declarations."""
    House.objects.filter(pk=house["id"]).update(confirmed=True)
    return house


@pytest.fixture
def landlord(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, user = citizen_api()
    house = api.post(HOUSES, house_body())
    assert house.status_code == 201, house.content
    return api, user, confirmed(house.json())


def test_a_house_is_registered_once_per_account(landlord):
    api, _user, house = landlord
    assert house == {
        "id": house["id"],
        "street": "440304004",
        "district": "440304",
        "building_code": "4403040040012",
        "building_name": "福田花园",
        "room": "101",
        "address": "深圳市福田区福田路 88 号福田花园 1 栋",
        "housing_type": "rented",
        "confirmed": False,
    }
    assert error_code(api.post(HOUSES, house_body())) == "conflict"
    # One room however it is typed: full-width, lower case (stored as P1).
    assert api.post(HOUSES, house_body(room="p1")).json()["room"] == "P1"
    for room in ("P1", "Ｐ１", " ｐ1 ", "P 1", "P\u200b1"):
        assert error_code(api.post(HOUSES, house_body(room=room))) == "conflict", room
    assert error_code(api.post(HOUSES, house_body(room="㍿" * 10))) == "invalid"  # 40 characters once normalised
    # Other scripts' digits are the same room (an outsider made a second 101 with ١٠١); a room of
    # invisible characters alone is no room.
    assert error_code(api.post(HOUSES, house_body(room="101"))) == "conflict"
    assert error_code(api.post(HOUSES, house_body(room="١٠١"))) == "conflict"
    assert error_code(api.post(HOUSES, house_body(room="\u202e\u200b"))) == "invalid"
    bad = api.post(HOUSES, house_body(building_code="４４０３０４００４００１２", street="999", housing_type="tent"))
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"building_code", "street", "housing_type"}
    # Blank fields and wrong ones in one answer (RULES §4: listed all at once; an outsider got the
    # blank ones first, then the others on sending again).
    worse = api.post(
        HOUSES,
        {
            "street": "440304004",
            "building_code": "123",
            "building_name": "",
            "room": "",
            "address": "",
            "housing_type": "castle",
        },
    )
    assert set(worse.json()["error"]["fields"]) == {"building_code", "building_name", "room", "address", "housing_type"}
    missing = api.post(HOUSES, {})
    assert set(missing.json()["error"]["fields"]) == {
        "street",
        "building_code",
        "building_name",
        "room",
        "address",
        "housing_type",
    }
    assert [h["id"] for h in api.get(HOUSES + "?q=福田").json() if h["room"] == "101"] == [house["id"]]
    # Part of the plate's code, as the search box says, not only its start (an outsider's was found by neither).
    assert {h["building_code"] for h in api.get(HOUSES + "?q=0040012").json()} == {"4403040040012"}
    assert api.get(HOUSES + "?q=0040013").json() == []
    # As typed into a box: spaces around it, full-width digits.
    assert {h["building_code"] for h in api.get(HOUSES + "?q=%200040012%20").json()} == {"4403040040012"}
    assert {h["building_code"] for h in api.get(HOUSES + "?q=００４００１２").json()} == {"4403040040012"}
    assert api.get(HOUSES + "?street=440304001").json() == []


def test_a_move_in_makes_the_registration_eligibility_reads(landlord):
    api, _user, house = landlord
    response = api.post(DECLARATIONS, move_in(house["id"]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "recorded" and body["kind"] == "move_in" and body["declared_on"] == "2026-03-02"
    assert body["person"] == {"name": "李娜", "id_number_masked": "360102********2342"}
    assert body["late"] is False and body["days_late"] == 0
    assert body["registration"] == {"registered_on": "2026-02-27", "ended_on": None}
    registration = Registration.objects.get(id_number=LI_NA)
    assert registration.street_id == "440304004" and registration.registered_on == dt.date(2026, 2, 27)
    # The person, once verified, sees it among their registrations.
    tenant, _ = citizen_api("lina_citizen", "13812345600", "36010219950812234", "李娜")
    assert tenant.get("/api/v1/me/registrations").json() == [
        {
            "street": "440304004",
            "street_name": "福田街道",
            "address": "深圳市福田区福田路 88 号福田花园 1 栋 101",
            "registered_on": "2026-02-27",
            "ended_on": None,
        }
    ]


@pytest.mark.parametrize(
    ("declarant", "declarant_type", "date", "days_late"),
    [
        # Declared on 2026-03-02; allowances: hotel 0, tenant 3, landlord 7, owner 15 days.
        ("organisation", "hotel", "2026-03-02", 0),
        ("organisation", "hotel", "2026-03-01", 1),
        ("landlord", "landlord", "2026-02-23", 0),  # 7 days: in time
        ("landlord", "landlord", "2026-02-22", 1),  # 8 days: one day late
        ("organisation", "employer", "2026-02-12", 11),  # 18 days: 11 late
        ("landlord", "owner", "2026-02-15", 0),  # 15 days: in time
        ("landlord", "owner", "2026-02-14", 1),
    ],
)
def test_late_declarations_are_accepted_and_flagged(request, declarant, declarant_type, date, days_late):
    api, *rest = request.getfixturevalue(declarant)
    house_id = rest[-1]["id"] if declarant == "landlord" else rest[0][0]
    if declarant_type == "owner":
        owned(house_id)
    body = api.post(DECLARATIONS, move_in(house_id, date=date, declarant_type=declarant_type)).json()
    assert (body["days_late"], body["late"]) == (days_late, days_late > 0)


def owned(house_id: int) -> None:
    """The house confirmed as housing its holder owns and lives in (an owner declares there)."""
    House.objects.filter(pk=house_id).update(housing_type="owned")


def test_owner_living_there_is_for_owned_housing_and_never_an_organisation(landlord, organisation):
    # An outsider's landlord declared his tenants as "owner" and had 15 days instead of 7; an
    # organisation did the same (RULES §1: owner is the resident of self-owned housing).
    api, _user, house = landlord
    refused = api.post(DECLARATIONS, move_in(house["id"], declarant_type="owner"))
    assert (
        refused.status_code == 400 and "registered as owned" in refused.json()["error"]["fields"]["declarant_type"][0]
    )
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    report = bulk(api, f"{header}{house['id']},move_in,李娜,{LI_NA},13912345678,owner,1,1,2026-03-01\n")
    assert report.json()["valid"] == 0 and "registered as owned" in report.json()["invalid"][0]["reason"]
    org_api, houses = organisation
    owned(houses[0])
    refused = org_api.post(DECLARATIONS, move_in(houses[0], declarant_type="owner"))
    assert refused.status_code == 400 and "not a resident" in refused.json()["error"]["fields"]["declarant_type"][0]
    assert not Declaration.objects.exists() and not Registration.objects.exists()
    owned(house["id"])
    assert api.post(DECLARATIONS, move_in(house["id"], declarant_type="owner")).status_code == 201


def test_a_hotels_guests_are_declared_by_the_hotel_at_once_and_no_other_way(landlord, organisation):
    """An outsider's hotel declared its guests as landlord or school: 7 days, and never late
    (RULES §1: hotels declare immediately; API.md: 0 days for `hotel`)."""
    org_api, houses = organisation
    House.objects.filter(pk=houses[0]).update(housing_type="hotel")
    for declarant_type in ("landlord", "school", "manager", "employer"):
        refused = org_api.post(DECLARATIONS, move_in(houses[0], declarant_type=declarant_type, date="2026-03-01"))
        assert refused.status_code == 400, declarant_type
        assert "registered as a hotel" in refused.json()["error"]["fields"]["declarant_type"][0]
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    report = bulk(org_api, f"{header}{houses[0]},move_in,李娜,{LI_NA},13912345678,landlord,1,1,2026-03-01\n")
    assert report.json()["valid"] == 0 and "registered as a hotel" in report.json()["invalid"][0]["reason"]
    assert not Declaration.objects.exists()
    hotel = org_api.post(DECLARATIONS, move_in(houses[0], declarant_type="hotel", date="2026-03-01"))
    assert hotel.status_code == 201 and (hotel.json()["late"], hotel.json()["days_late"]) == (True, 1)
    # Nor does a guest report himself as its tenant, with a tenant's 3 days (an outsider's did).
    House.objects.filter(pk=houses[1]).update(housing_type="hotel", building_code="4403040040099")
    tenant, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    guest = {**tenant_report("102"), "house": {"street": "440304004", "building_code": "4403040040099", "room": "102"}}
    refused = tenant.post(DECLARATIONS, guest)
    assert (
        refused.status_code == 400 and "registered as a hotel" in refused.json()["error"]["fields"]["declarant_type"][0]
    )
    assert not Declaration.objects.filter(id_number=WANG_FANG).exists()
    # A person declares as landlord or owner (API.md): a hotel is an operator's to register.
    api, _user, _house = landlord
    refused = api.post(HOUSES, house_body(room="201", housing_type="hotel"))
    assert refused.status_code == 400 and list(refused.json()["error"]["fields"]) == ["housing_type"]
    assert not House.objects.filter(room="201").exists()


@pytest.mark.parametrize("declarant_type", ["hotel", "manager", "employer", "school"])
def test_an_individual_declares_as_landlord_or_owner_only(landlord, declarant_type):
    """API.md: an individual declares as landlord of his own rooms or owner living in them. The
    type sets the allowance: calling oneself anything else would move the late flag."""
    api, _user, house = landlord
    response = api.post(DECLARATIONS, move_in(house["id"], declarant_type=declarant_type))
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["declarant_type"]
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    report = bulk(api, f"{header}{house['id']},move_in,李娜,{LI_NA},13912345678,{declarant_type},1,1,2026-03-01\n")
    assert report.json()["valid"] == 0, report.content
    assert "landlord of their own rooms" in report.json()["invalid"][0]["reason"]
    assert not Declaration.objects.exists() and not Registration.objects.exists()


def test_bad_declarations_store_nothing(landlord):
    api, _user, house = landlord
    cases = [
        (move_in(house["id"], date="2026-03-03"), "date"),  # the future
        (move_in(house["id"], id_number=wrong_check(LI_NA)), "person.id_number"),
        (move_in(house["id"], occupation=14), "occupation"),
        (move_in(house["id"], reason=0), "reason"),
        (move_in(house["id"], date="9999-06-01"), "date"),
    ]
    for body, field in cases:
        response = api.post(DECLARATIONS, body)
        assert response.status_code == 400 and field in response.json()["error"]["fields"], (field, response.content)
    assert not Declaration.objects.exists() and not Registration.objects.exists()


def test_moving_in_twice_and_moving_out(landlord):
    api, _user, house = landlord
    assert api.post(DECLARATIONS, move_in(house["id"])).status_code == 201
    assert error_code(api.post(DECLARATIONS, move_in(house["id"], date="2026-03-01"))) == "conflict"
    out = {"house": house["id"], "kind": "move_out", "person": {"id_number": LI_NA}, "date": "2026-02-26"}
    early = api.post(DECLARATIONS, out)
    assert early.status_code == 400 and "date" in early.json()["error"]["fields"]  # before the move-in
    moved = api.post(DECLARATIONS, {**out, "date": "2026-03-01"})
    assert moved.status_code == 201 and moved.json()["registration"]["ended_on"] == "2026-03-01"
    assert Registration.objects.get(id_number=LI_NA).ended_on == dt.date(2026, 3, 1)
    assert error_code(api.post(DECLARATIONS, {**out, "date": "2026-03-02"})) == "conflict"  # no longer there
    assert not Occupancy.objects.exists()


def test_a_move_in_elsewhere_ends_the_current_registration_the_day_before(landlord):
    api, _user, house = landlord
    other = confirmed(api.post(HOUSES, house_body(room="202")).json())
    owned(house["id"])
    api.post(DECLARATIONS, move_in(house["id"], date="2026-02-01", declarant_type="owner"))
    api.post(DECLARATIONS, move_in(other["id"], date="2026-02-20"))
    registrations = list(Registration.objects.filter(id_number=LI_NA).order_by("registered_on"))
    assert [(r.registered_on, r.ended_on) for r in registrations] == [
        (dt.date(2026, 2, 1), dt.date(2026, 2, 19)),
        (dt.date(2026, 2, 20), None),
    ]


def test_a_person_lives_in_one_house_at_a_time(landlord):
    api, _user, house = landlord
    other = confirmed(api.post(HOUSES, house_body(room="202")).json())
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-01")).status_code == 201
    moved = api.post(DECLARATIONS, move_in(other["id"], date="2026-02-20"))
    assert moved.status_code == 201
    # The move elsewhere ended the first house's occupancy: it no longer lists her, nor lets her move out.
    current = api.get(f"{DECLARATIONS}?current=1").json()
    assert [(d["house"], d["date"]) for d in current] == [(other["id"], "2026-02-20")]
    out = {"house": house["id"], "kind": "move_out", "person": {"id_number": LI_NA}, "date": "2026-02-25"}
    assert error_code(api.post(DECLARATIONS, out)) == "conflict"
    assert list(Occupancy.objects.values_list("house_id", flat=True)) == [other["id"]]


@pytest.mark.parametrize("date", ["2026-02-20", "2026-02-10"])
def test_a_move_in_elsewhere_dated_on_or_before_the_current_registration_is_409(landlord, date):
    api, _user, house = landlord
    other = confirmed(api.post(HOUSES, house_body(room="202")).json())
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-20")).status_code == 201
    refused = api.post(DECLARATIONS, move_in(other["id"], date=date))
    assert error_code(refused) == "conflict" and "2026-02-20" in refused.json()["error"]["message"]
    assert [(r.registered_on, r.ended_on) for r in Registration.objects.filter(id_number=LI_NA)] == [
        (dt.date(2026, 2, 20), None)
    ]
    assert Declaration.objects.count() == 1 and Occupancy.objects.get().house_id == house["id"]


def test_a_move_in_cannot_overlap_a_registration_that_has_ended(landlord):
    api, _user, house = landlord
    other = confirmed(api.post(HOUSES, house_body(room="202")).json())
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-01")).status_code == 201
    out = {"house": house["id"], "kind": "move_out", "person": {"id_number": LI_NA}, "date": "2026-02-25"}
    assert api.post(DECLARATIONS, out).status_code == 201
    refused = api.post(DECLARATIONS, move_in(other["id"], date="2026-02-24"))
    assert error_code(refused) == "conflict" and "ended on or after this date" in refused.json()["error"]["message"]
    # A move on the day of the move-out is the commonest move: taken, and the ended registration
    # ends the day before, as a move-in declared first would have ended it (an outsider's was
    # refused or taken by which declarant filed first).
    assert api.post(DECLARATIONS, move_in(other["id"], date="2026-02-25")).status_code == 201
    assert [(r.registered_on, r.ended_on) for r in Registration.objects.filter(id_number=LI_NA).order_by("id")] == [
        (dt.date(2026, 2, 1), dt.date(2026, 2, 24)),
        (dt.date(2026, 2, 25), None),
    ]
    # A registration that began and ended on one day cannot end the day before: refused.
    out = {"house": other["id"], "kind": "move_out", "person": {"id_number": LI_NA}, "date": "2026-02-25"}
    assert api.post(DECLARATIONS, out).status_code == 201
    assert error_code(api.post(DECLARATIONS, move_in(house["id"], date="2026-02-25"))) == "conflict"


def test_a_move_on_the_day_of_a_move_out_ends_the_same_whichever_is_declared_first(landlord, organisation):
    """The same facts for two people, filed in either order, by one declaration or in a bulk file."""
    api, _user, house = landlord
    org, houses = organisation
    room = confirmed(api.post(HOUSES, house_body(room="303")).json())
    for person in (LI_NA, WANG_FANG):
        assert api.post(DECLARATIONS, move_in(house["id"], id_number=person, date="2026-02-01")).status_code == 201
    # 李娜: the move-out first, then the move-in elsewhere the same day (from a bulk file).
    out = {"house": house["id"], "kind": "move_out", "person": {"id_number": LI_NA}, "date": "2026-02-25"}
    assert api.post(DECLARATIONS, out).status_code == 201
    checked = bulk(
        org,
        f"house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
        f"{houses[0]},move_in,李娜,{LI_NA},13700000021,employer,3,1,2026-02-25\n",
    )
    assert checked.json()["invalid"] == [], checked.content
    assert committed(lambda: org.post(f"{DECLARATIONS}/bulk/{checked.json()['upload']}/confirm")).status_code == 200
    # 王芳: the move-in elsewhere first.
    assert api.post(DECLARATIONS, move_in(room["id"], id_number=WANG_FANG, date="2026-02-25")).status_code == 201
    for person in (LI_NA, WANG_FANG):
        stays = Registration.objects.filter(id_number=person).order_by("registered_on")
        assert [(r.registered_on, r.ended_on) for r in stays] == [
            (dt.date(2026, 2, 1), dt.date(2026, 2, 24)),
            (dt.date(2026, 2, 25), None),
        ], person


def test_another_holder_is_not_told_the_dates_of_a_persons_registration(landlord, organisation):
    """An outsider's new organisation, given only an ID number, read when a person had moved in
    elsewhere and until when they had lived somewhere else, off the 409 of its move-ins. The
    holder of the house the person lives in is still told (it declared that date); another
    holder, in a declaration or a bulk file, is not: the person sees their own registrations."""
    api, _user, house = landlord
    org, houses = organisation
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-20")).status_code == 201
    since = "2026-02-20"
    refused = org.post(DECLARATIONS, move_in(houses[0], date="2026-02-10"))
    assert error_code(refused) == "conflict"
    assert since not in refused.json()["error"]["message"] and "began on or after" in refused.json()["error"]["message"]
    own = confirmed(api.post(HOUSES, house_body(room="202")).json())
    assert since in api.post(DECLARATIONS, move_in(own["id"], date="2026-02-10")).json()["error"]["message"]
    checked = bulk(
        org,
        f"house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
        f"{houses[0]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-10\n",
    )
    assert checked.status_code == 200, checked.content
    (problem,) = checked.json()["invalid"]
    assert since not in problem["reason"] and "began on or after" in problem["reason"]
    out = {"house": house["id"], "kind": "move_out", "person": {"id_number": LI_NA}, "date": "2026-02-25"}
    assert api.post(DECLARATIONS, out).status_code == 201
    ended = org.post(DECLARATIONS, move_in(houses[0], date="2026-02-24"))
    assert error_code(ended) == "conflict" and "2026-02-25" not in ended.json()["error"]["message"]
    assert Registration.objects.filter(id_number=LI_NA).count() == 1


def test_dates_probed_on_another_holders_resident_count_and_past_the_limit_nothing_is_learnt(
    landlord, organisation, settings
):
    """An outsider's organisation, with nothing to do with a person, found the day their
    registration began in 14 dry runs of a one-row file (binary search on the row's date: refused
    on or before it, valid after) and whether they were registered at all. A refusal that tells of
    another declarant's record counts against the declarant's day as a wrong name does, in single
    declarations and dry runs alike; past the limit every row naming a person is refused alike."""
    settings.LIMIT_DECLARATION_NAME_FAILURES_PER_DAY = 2
    api, _user, house = landlord
    org, houses = organisation
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-20")).status_code == 201
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"

    def probe(date):
        row = f"{houses[0]},move_in,李娜,{LI_NA},13700000021,employer,3,1,{date}\n"
        return bulk(org, header + row).json()

    single = org.post(DECLARATIONS, move_in(houses[0], date="2026-02-10"))
    assert "began on or after" in single.json()["error"]["message"]
    assert "began on or after" in probe("2026-02-15")["invalid"][0]["reason"]
    before, after = probe("2026-02-18"), probe("2026-02-25")
    assert before["valid"] == after["valid"] == 0
    assert before["invalid"][0]["reason"] == after["invalid"][0]["reason"]
    assert "differ from the population records" in after["invalid"][0]["reason"]
    assert org.post(DECLARATIONS, move_in(houses[0], date="2026-02-25")).status_code == 429
    # The holder who declared the date is told it, and not counted for it.
    own = confirmed(api.post(HOUSES, house_body(room="202")).json())
    for _ in range(3):
        told = api.post(DECLARATIONS, move_in(own["id"], date="2026-02-10")).json()["error"]["message"]
        assert "2026-02-20" in told
    assert Registration.objects.filter(id_number=LI_NA).count() == 1


def test_reimporting_a_registration_a_move_in_ended_leaves_one_open(landlord):
    api, _user, house = landlord
    row = {"id_number": LI_NA, "street_code": "440303001", "address": "桂园路 1 号", "registered_on": "2025-03-01"}
    assert records_import_rows("registrations", [row]).applied
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-20")).status_code == 201
    old = Registration.objects.get(id_number=LI_NA, registered_on=dt.date(2025, 3, 1))
    for _ in range(3):  # the police file again: the row is open there
        again = records_import_rows("registrations", [row])
        # Read as the move-in ended it: unchanged, no new version (an outsider's four runs made eight).
        assert again.applied and (again.updated, again.unchanged) == (0, 1)
    assert [(r.registered_on, r.ended_on) for r in Registration.objects.filter(id_number=LI_NA).order_by("id")] == [
        (dt.date(2025, 3, 1), dt.date(2026, 2, 19)),
        (dt.date(2026, 2, 20), None),
    ]
    assert Registration.objects.get(pk=old.pk).version == old.version


@pytest.mark.parametrize("value", [True, 1.5, -1, 2**70, 440304199001011234, ["x"], {"a": 1}])
def test_a_person_field_sent_as_a_number_or_boolean_is_400_and_writes_nothing(landlord, value):
    api, _user, house = landlord
    body = move_in(house["id"])
    for field in ("id_number", "phone"):
        response = api.post(DECLARATIONS, {**body, "person": {**body["person"], field: value}})
        assert response.status_code == 400 and f"person.{field}" in response.json()["error"]["fields"]
    out = {"house": house["id"], "kind": "move_out", "person": {"id_number": value}, "date": "2026-02-28"}
    assert "person.id_number" in api.post(DECLARATIONS, out).json()["error"]["fields"]
    assert not Declaration.objects.exists() and not Registration.objects.exists()


def test_a_move_in_must_follow_an_imported_registration_too(landlord):
    api, _user, house = landlord
    row = {"id_number": LI_NA, "street_code": "440304004", "address": "福田路 1 号", "registered_on": "2026-02-15"}
    assert records_import_rows("registrations", [row]).applied
    assert error_code(api.post(DECLARATIONS, move_in(house["id"], date="2026-02-15"))) == "conflict"
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-16")).status_code == 201
    assert [(r.registered_on, r.ended_on) for r in Registration.objects.filter(id_number=LI_NA).order_by("id")] == [
        (dt.date(2026, 2, 15), dt.date(2026, 2, 15)),
        (dt.date(2026, 2, 16), None),
    ]


def test_a_registration_the_police_import_elsewhere_ends_the_persons_stay_in_the_house(landlord):
    """An outsider's person, declared into a house and then registered elsewhere by the police, was
    still listed as living there: a move-in back was "already lives in this house", a move-out
    ended nothing."""
    api, _user, house = landlord
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-10")).status_code == 201
    current = api.get(f"{DECLARATIONS}?house={house['id']}&current=1").json()
    assert [d["person"]["id_number_masked"][:6] for d in current] == [LI_NA[:6]]
    for wrong in ("current=abc", "late=yes"):  # said, not dropped for the whole list (an outsider)
        refused = api.get(f"{DECLARATIONS}?house={house['id']}&{wrong}")
        assert refused.status_code == 400 and wrong.split("=")[0] in refused.json()["error"]["fields"]
    elsewhere = {
        "id_number": LI_NA,
        "street_code": "440305001",
        "address": "南山路 2 号",
        "registered_on": "2026-02-20",
    }
    assert records_import_rows("registrations", [elsewhere]).applied
    assert Registration.objects.get(id_number=LI_NA, registered_on="2026-02-10").ended_on == dt.date(2026, 2, 19)
    assert api.get(f"{DECLARATIONS}?house={house['id']}&current=1").json() == []
    out = {"house": house["id"], "kind": "move_out", "person": {"id_number": LI_NA}, "date": "2026-02-25"}
    assert error_code(api.post(DECLARATIONS, out)) == "conflict"  # not living there
    back = api.post(DECLARATIONS, move_in(house["id"], date="2026-02-26"))
    assert back.status_code == 201, back.content
    assert Registration.objects.get(id_number=LI_NA, registered_on="2026-02-20").ended_on == dt.date(2026, 2, 25)


def test_a_stay_elsewhere_already_over_leaves_the_declared_one_and_a_same_day_row_ends_it(landlord):
    """A stay elsewhere the police record as over (a hotel's nights, from 02-12 to 02-14) ended the
    declared registration on 02-11: the person was unregistered from 02-15, out of the landlord's
    list and with the residence clock restarted (an outsider; RULES §2 counts overlapping
    registrations as one run). It ends nothing now. A row of the same day in another street still
    rewrites the declared registration and takes the person off the house's list (an earlier one)."""
    api, _user, house = landlord
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-10")).status_code == 201
    over = {"id_number": LI_NA, "street_code": "440303001", "address": "罗湖路 3 号", "registered_on": "2026-02-12",
            "ended_on": "2026-02-14"}  # fmt: skip
    result = records_import_rows("registrations", [over])
    assert result.applied and result.notes == []
    assert [(r.registered_on, r.ended_on) for r in Registration.objects.filter(id_number=LI_NA).order_by("id")] == [
        (dt.date(2026, 2, 10), None),
        (dt.date(2026, 2, 12), dt.date(2026, 2, 14)),
    ]
    assert [d["person"]["name"] for d in api.get(f"{DECLARATIONS}?house={house['id']}&current=1").json()] == ["李娜"]
    # The same day, another street.
    assert api.post(DECLARATIONS, move_in(house["id"], id_number=WANG_FANG, date="2026-02-20")).status_code == 201
    same_day = {"id_number": WANG_FANG, "street_code": "440303001", "address": "罗湖路 3 号",
                "registered_on": "2026-02-20"}  # fmt: skip
    assert records_import_rows("registrations", [same_day]).applied
    assert [d["person"]["name"] for d in api.get(f"{DECLARATIONS}?house={house['id']}&current=1").json()] == ["李娜"]
    out = {"house": house["id"], "kind": "move_out", "person": {"id_number": WANG_FANG}, "date": "2026-02-25"}
    assert error_code(api.post(DECLARATIONS, out)) == "conflict"


def test_who_may_declare(landlord):
    _api, _user, house = landlord
    make_user("newcomer", "13812340000")
    unverified = Api("10.7.7.7").login("newcomer", phone="13812340000")
    assert unverified.post(HOUSES, house_body()).status_code == 403
    assert unverified.post(DECLARATIONS, move_in(house["id"])).status_code == 403
    other, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    assert other.post(DECLARATIONS, move_in(house["id"])).status_code == 404  # another account's house
    pending = make_user(
        "org_pending", "13812340001", kind=Kind.ORGANISATION, name="待审公司", credit_code="91440300MA5FXXXX0U"
    )
    org = Api("10.7.7.8").login("org_pending", phone="13812340001")
    assert pending.status == "pending" and org.post(HOUSES, house_body()).status_code == 403
    assert not Declaration.objects.exists()


def test_a_tenant_reports_himself_and_the_holder_confirms(landlord):
    api, _user, _house = landlord
    tenant, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    report = tenant_report()
    response = tenant.post(DECLARATIONS, report)
    assert response.status_code == 201 and response.json()["status"] == "pending"
    assert response.json()["registration"] is None and not Registration.objects.filter(id_number=WANG_FANG).exists()
    assert error_code(tenant.post(DECLARATIONS, report)) == "conflict"  # one report waits at a time
    assert Declaration.objects.count() == 1
    nowhere = {**report, "house": {"street": "440304004", "building_code": "4403040040012", "room": "999"}}
    unknown = tenant.post(DECLARATIONS, nowhere, HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 400
    # A house its holder has registered and no clerk has confirmed yet: answered as an unknown one
    # (a stranger learns nothing), in words that say what to do (an outsider's tenant read "no
    # registered house" of the house just registered).
    assert api.post(HOUSES, house_body(room="102")).status_code == 201
    waiting = tenant.post(
        DECLARATIONS, {**nowhere, "house": {**nowhere["house"], "room": "102"}}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert waiting.status_code == 400 and waiting.json()["error"]["fields"] == unknown.json()["error"]["fields"]
    assert "once a clerk has confirmed it" in waiting.json()["error"]["fields"]["house"][0]
    full_width = {
        **report,
        "house": {"street": "440304004", "building_code": "４４０３０４００４００１２", "room": "101"},
    }
    refused = tenant.post(DECLARATIONS, full_width, HTTP_ACCEPT_LANGUAGE="en")
    assert (
        refused.status_code == 400
        and "half-width digits" in refused.json()["error"]["fields"]["house.building_code"][0]
    )
    someone_else = {**report, "person": {"name": "张伟", "id_number": ZHANG_WEI, "phone": "13812345678"}}
    assert tenant.post(DECLARATIONS, someone_else).status_code == 403
    # The tenant's own name as verified (an outsider's report kept "x", shown so to the holder).
    typed = tenant.post(DECLARATIONS, {**report, "person": {**report["person"], "name": "x"}})
    assert error_code(typed) == "name_mismatch" and "王芳" in typed.json()["error"]["fields"]["person.name"][0]
    declaration = response.json()["id"]
    assert tenant.post(f"{DECLARATIONS}/{declaration}/confirm").status_code == 404  # not the holder
    # Nor a clerk of the house's district, who holds no house (an outsider's clerk confirmed one).
    clerk = staff_apis(["clerk"]).clerk
    for answer in ("confirm", "decline"):
        assert clerk.post(f"{DECLARATIONS}/{declaration}/{answer}").status_code == 403
    assert Declaration.objects.get(pk=declaration).status == "pending"
    confirmed = api.post(f"{DECLARATIONS}/{declaration}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "recorded"
    assert confirmed.json()["registration"]["registered_on"] == "2026-02-27"
    assert api.post(f"{DECLARATIONS}/{declaration}/confirm").status_code == 409
    assert [d["id"] for d in api.get(DECLARATIONS + "?current=1").json()] == [declaration]
    assert api.post(f"{DECLARATIONS}/{declaration}/decline").status_code == 409  # answered already
    # The holder moves the tenant out as the house's landlord: a type, not null (an outsider's
    # move-out answered "declarant_type": null), with a landlord's 7 days.
    out = {"house": _house["id"], "kind": "move_out", "person": {"id_number": WANG_FANG}, "date": "2026-02-28"}
    moved_out = api.post(DECLARATIONS, out).json()
    assert (moved_out["declarant_type"], moved_out["days_late"]) == ("landlord", 0)


def test_a_report_into_a_room_two_accounts_hold_asks_both_and_the_first_answer_decides(landlord, organisation):
    """An owner and the agency that manages the room both hold it, each confirmed by a clerk: the
    tenant cannot say which is meant, and the report went to whichever registered first (an
    outsider's agency never saw its tenant's report, nor could confirm it)."""
    owner_api, owner, _house = landlord
    agency_api, agency_houses = organisation
    agency = User.objects.get(username="org_admin")
    tenant, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    report = tenant.post(DECLARATIONS, tenant_report()).json()
    assert report["status"] == "pending"
    for holder_api, holder in ((owner_api, owner), (agency_api, agency)):
        assert [d["id"] for d in holder_api.get(DECLARATIONS).json() if d["status"] == "pending"] == [report["id"]]
        assert [t["reference"] for t in _told(holder, "registration_report_waiting")] == [report["reference"]]
    # Each holder reads it as a report into its own house of the room, and finds it under that house
    # (an outsider's agency read the owner's house id, and its own house's list left it out).
    (listed,) = [
        d for d in agency_api.get(f"{DECLARATIONS}?house={agency_houses[0]}").json() if d["id"] == report["id"]
    ]
    assert listed["house"] == agency_houses[0]
    assert not [d for d in agency_api.get(f"{DECLARATIONS}?house={agency_houses[1]}").json() if d["id"] == report["id"]]
    # A sub-account of the agency not given its house of the room: 403, as for its own house.
    body = {
        "username": "org_desk9",
        "password": "Testing2026pass",
        "phone": "13812340009",
        "houses": [agency_houses[1]],
    }
    assert agency_api.post("/api/v1/organisations/sub-accounts", body).status_code == 201
    desk = Api("10.7.7.19").login("org_desk9", phone="13812340009")
    assert desk.post(f"{DECLARATIONS}/{report['id']}/confirm").status_code == 403
    confirmed_by_agency = agency_api.post(f"{DECLARATIONS}/{report['id']}/confirm")
    assert confirmed_by_agency.status_code == 200, confirmed_by_agency.content
    assert confirmed_by_agency.json()["house"] == agency_houses[0]
    assert confirmed_by_agency.json()["registration"]["registered_on"] == "2026-02-27"
    assert Occupancy.objects.get(id_number=WANG_FANG).house_id == agency_houses[0]
    # The other holder asked is told it was answered, not "not found" (an outsider's was).
    for answer in ("confirm", "decline"):
        late = owner_api.post(f"{DECLARATIONS}/{report['id']}/{answer}")
        assert late.status_code == 409 and error_code(late) == "conflict", answer
    assert not [d for d in owner_api.get(DECLARATIONS).json() if d["id"] == report["id"]]
    assert [d["id"] for d in agency_api.get(DECLARATIONS + "?current=1").json()] == [report["id"]]
    assert agency_api.post(f"{DECLARATIONS}/{report['id']}/decline").status_code == 409  # answered
    # A decline is the decliner's answer too: it keeps seeing it under its own house, the other
    # holder no longer lists it (an outsider's decliner lost it, and the other read a decline it never made).
    lodger, _ = citizen_api("citizen3", "13812345670", "44030419920202777", "李强")
    person = {"name": "李强", "id_number": with_check("44030419920202777"), "phone": "13812345670"}
    second = lodger.post(DECLARATIONS, {**tenant_report(), "person": person}).json()
    declined = agency_api.post(f"{DECLARATIONS}/{second['id']}/decline")
    assert declined.status_code == 200 and declined.json()["house"] == agency_houses[0]
    assert [d["status"] for d in agency_api.get(DECLARATIONS).json() if d["id"] == second["id"]] == ["declined"]
    assert not [d for d in owner_api.get(DECLARATIONS).json() if d["id"] == second["id"]]


def test_a_report_a_recorded_move_in_leaves_unconfirmable_is_closed_and_its_tenant_told(landlord):
    """An outsider's report and the landlord's own declaration of the same move, sent together:
    the report stayed pending for good, every confirmation refused; so did one tenant's reports
    into other houses once one was confirmed."""
    api, _user, _house = landlord
    tenant, tenant_user = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    report = tenant.post(DECLARATIONS, tenant_report()).json()
    other_house = confirmed(api.post(HOUSES, house_body(room="102")).json())
    later = {**move_in(other_house["id"], id_number=WANG_FANG, date="2026-02-28"), "person": tenant_report()["person"]}
    assert api.post(DECLARATIONS, later).status_code == 201  # recorded on or after the report's date
    closed = Declaration.objects.get(pk=report["id"])
    assert closed.status == "superseded"
    [told] = _told(tenant_user, "registration_report_superseded")
    assert told["reference"] == report["reference"] and "101" in told["house"]
    assert [d["status"] for d in tenant.get(DECLARATIONS).json() if d["id"] == report["id"]] == ["superseded"]
    assert api.post(f"{DECLARATIONS}/{report['id']}/confirm").status_code == 409
    from residence.registrations.selectors import CLOSED_REPORTS

    assert closed.status in CLOSED_REPORTS  # left out of the late list as declined ones are
    # A report dated after the person's current registration began still waits for its answer.
    moving_on = tenant.post(DECLARATIONS, {**tenant_report(), "date": "2026-03-01"}).json()
    assert Declaration.objects.get(pk=moving_on["id"]).status == "pending"
    # A bulk file's move-in closes them alike.
    third = confirmed(api.post(HOUSES, house_body(room="103")).json())
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    upload = bulk(api, header + f"{third['id']},move_in,王芳,{WANG_FANG},13812345679,landlord,3,1,2026-03-02\n").json()
    assert api.post(f"{DECLARATIONS}/bulk/{upload['upload']}/confirm").status_code == 200
    assert Declaration.objects.get(pk=moving_on["id"]).status == "superseded"
    assert len(_told(tenant_user, "registration_report_superseded")) == 2


def test_a_self_report_can_be_declined_by_the_holder_or_withdrawn_by_the_tenant(landlord):
    """An outsider found a wrong report waited for ever and blocked the person's next one."""
    api, _user, _house = landlord
    tenant, tenant_user = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    report = tenant_report()
    first = tenant.post(DECLARATIONS, report).json()["id"]
    assert tenant.post(f"{DECLARATIONS}/{first}/decline").status_code == 404  # not the holder
    declined = api.post(f"{DECLARATIONS}/{first}/decline")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert declined.json()["registration"] is None and not Registration.objects.filter(id_number=WANG_FANG).exists()
    [told] = _told(tenant_user, "registration_report_declined")
    assert told["reference"] == declined.json()["reference"] and "101" in told["house"]
    assert api.post(f"{DECLARATIONS}/{first}/confirm").status_code == 409
    assert tenant.post(f"{DECLARATIONS}/{first}/withdraw").status_code == 409

    second = tenant.post(DECLARATIONS, report)  # a declined report no longer blocks the next
    assert second.status_code == 201
    assert api.post(f"{DECLARATIONS}/{second.json()['id']}/withdraw").status_code == 404  # only the tenant
    withdrawn = tenant.post(f"{DECLARATIONS}/{second.json()['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert api.post(f"{DECLARATIONS}/{second.json()['id']}/confirm").status_code == 409
    assert not Occupancy.objects.exists()


@pytest.fixture
def organisation(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    return organisation_api()


def organisation_api():
    """An active organisation's API, signed in, and its two confirmed houses."""
    user = make_user(
        "org_admin", "13812340002", kind=Kind.ORGANISATION, name="示范物业", credit_code="91440300MA5D4X7K8N"
    )
    clerk = staff_apis(["clerk"]).users["clerk"]
    organisation_activate(
        actor=clerk, account_id=user.pk, credit_code_checked=True, letter_checked=True, housing_checked=True
    )
    api = Api("10.7.7.9").login("org_admin", phone="13812340002")
    houses = [confirmed(api.post(HOUSES, house_body(room=room)).json())["id"] for room in ("101", "102")]
    return api, houses


def test_sub_accounts_declare_only_for_the_houses_they_are_given(organisation):
    api, houses = organisation
    created = api.post(
        "/api/v1/organisations/sub-accounts",
        {"username": "org_desk1", "password": "Testing2026pass", "phone": "13812340003", "houses": [houses[0]]},
    )
    assert created.status_code == 201 and created.json()["kind"] == "sub_account"
    desk = Api("10.7.7.10").login("org_desk1", phone="13812340003")
    assert desk.get("/api/v1/me").json()["organisation"]["name"] == "示范物业"
    assert [h["id"] for h in desk.get(HOUSES).json()] == [houses[0]]
    assert desk.post(DECLARATIONS, move_in(houses[0])).status_code == 201
    assert desk.post(DECLARATIONS, move_in(houses[1], id_number=WANG_FANG)).status_code == 403
    # The organisation sees its sub-accounts' declarations.
    assert len(api.get(DECLARATIONS).json()) == 1
    # And the sub-account who lives in its house, whoever declared them (an outsider's read nobody,
    # and could not see whom to move out); never the other houses'.
    wang = {"name": "王芳", "id_number": WANG_FANG, "phone": "13812345679"}
    zhang = {"name": "张伟", "id_number": ZHANG_WEI, "phone": "13812345678"}
    assert api.post(DECLARATIONS, move_in(houses[0], person=wang)).status_code == 201
    assert api.post(DECLARATIONS, move_in(houses[1], person=zhang)).status_code == 201
    living = desk.get(f"{DECLARATIONS}?house={houses[0]}&current=1").json()
    assert {d["person"]["name"] for d in living} == {"李娜", "王芳"}
    assert desk.get(f"{DECLARATIONS}?house={houses[1]}&current=1").json() == []
    # Once 王芳 has moved out, her name is no longer the sub-account's to read (an outsider's read
    # everyone who had ever lived in its houses); its own filings stay in its list.
    out = {"house": houses[0], "kind": "move_out", "person": {"id_number": WANG_FANG}, "date": "2026-03-02"}
    assert api.post(DECLARATIONS, out).status_code == 201
    assert [(d["kind"], d["person"]["name"]) for d in desk.get(DECLARATIONS).json()] == [("move_in", "李娜")]
    assert {d["person"]["name"] for d in api.get(f"{DECLARATIONS}?house={houses[0]}").json()} == {"李娜", "王芳"}
    someone_elses = api.post(
        "/api/v1/organisations/sub-accounts",
        {"username": "org_desk2", "password": "Testing2026pass", "phone": "13812340004", "houses": [999999]},
    )
    assert someone_elses.status_code == 400 and "houses" in someone_elses.json()["error"]["fields"]


def bulk(api, text):
    return committed(
        lambda: api.client.post(
            "/api/v1/registrations/declarations/bulk",
            data=text if isinstance(text, bytes) else text.encode(),
            content_type="text/csv",
            HTTP_AUTHORIZATION=f"Bearer {api.token}",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    )


def test_a_bulk_file_in_utf8_with_a_gbk_row_is_refused_at_that_line(organisation):
    api, houses = organisation
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    utf8 = f"{houses[0]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27\n"
    gbk = f"{houses[1]},move_in,王芳,{WANG_FANG},13700000022,landlord,3,1,2026-02-27\n"
    refused = bulk(api, (header + utf8).encode() + gbk.encode("gbk"))
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["file"][0].startswith("Line 3 is not UTF-8 text, though")


def test_a_bulk_file_in_big5_or_shift_jis_is_refused_not_stored_garbled(organisation):
    """GB18030 reads any such bytes: an outsider's Big5 張國强 was stored as 眎瓣眏. The bytes are
    written out from the code tables (Big5 張 B169 國 B0EA 強 B16A; Shift_JIS 山 8E52 田 9363 太 91BE
    郎 9859; GB18030 张 D5C5 喆 86B4 刘 C1F5 堃 88D2), not made by the codecs under test."""
    api, houses = organisation
    header = b"house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"

    def row(house, name: bytes, body17: str) -> bytes:
        return b"%d,move_in,%s,%s,13700000021,landlord,3,1,2026-02-27\n" % (house, name, with_check(body17).encode())

    big5 = header + row(houses[0], bytes.fromhex("b169b0eab16a"), "44030419900101111")
    shift_jis = header + row(houses[0], bytes.fromhex("8e52936391be9859"), "44030419900101131")
    for file in (big5, shift_jis):
        refused = bulk(api, file)
        assert refused.status_code == 400 and "Big5 or Shift_JIS" in refused.json()["error"]["fields"]["file"][0]
    # Names with a rare character each, as GB18030 names have (喆, 堃): read and applied.
    gb = (
        header
        + row(houses[0], bytes.fromhex("d5c586b4"), "44030419900101151")
        + row(houses[1], bytes.fromhex("c1f588d2"), "44030419900101171")
    )
    checked = bulk(api, gb).json()
    assert (checked["rows"], checked["valid"]) == (2, 2)
    assert api.post(f"/api/v1/registrations/declarations/bulk/{checked['upload']}/confirm").json() == {"applied": 2}
    assert set(Declaration.objects.values_list("name", flat=True)) == {"张喆", "刘堃"}

    # A charset that says otherwise is not believed blindly (a re-testing outsider's were stored
    # garbled): Big5 and UTF-8 bytes declared GB18030 are refused; GB18030 declared so is read.
    def declared_gb18030(body):
        return committed(
            lambda: api.client.post(
                "/api/v1/registrations/declarations/bulk",
                data=body,
                content_type="text/csv; charset=GB18030",
                HTTP_AUTHORIZATION=f"Bearer {api.token}",
                HTTP_ACCEPT_LANGUAGE="en",
            )
        )

    assert "Big5 or Shift_JIS" in declared_gb18030(big5).json()["error"]["fields"]["file"][0]
    utf8 = header + row(houses[0], "王喆".encode(), "44030419900101191")  # E7 8E 8B, E5 96 86: UTF-8
    said = declared_gb18030(utf8).json()["error"]["fields"]["file"][0]
    assert said.startswith("The file is UTF-8 text, not GB18030 as its charset says")
    assert declared_gb18030(gb).json()["rows"] == 2


def test_a_bulk_file_is_checked_row_by_row_and_applied_only_when_confirmed(organisation):
    api, houses = organisation
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    rows = [
        f"{houses[0]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27",
        f"{houses[1]},move_in,王芳,{wrong_check(WANG_FANG)},13700000022,landlord,3,1,2026-02-27",  # bad check character
        f"{houses[1]},move_in,张伟,{ZHANG_WEI},13700000023,landlord,3,99,2026-02-27",  # reason out of range
        f"{houses[1]},move_in,王芳,{WANG_FANG},13700000022,landlord,3,1,2026-02-28",
    ]
    checked = bulk(api, header + "\n".join(rows) + "\n")
    assert checked.status_code == 200, checked.content
    body = checked.json()
    assert (body["rows"], body["valid"]) == (4, 2)
    assert [problem["line"] for problem in body["invalid"]] == [3, 4]
    assert "id_number" in body["invalid"][0]["reason"] and "reason" in body["invalid"][1]["reason"]
    assert not Declaration.objects.exists()
    confirm = f"/api/v1/registrations/declarations/bulk/{body['upload']}/confirm"
    assert api.post(confirm).json() == {"applied": 2}
    assert Declaration.objects.count() == 2 and Registration.objects.count() == 2
    assert api.post(confirm).status_code == 409
    # A problem of the whole row names no column (an outsider read "row: The same person twice…").
    twice = bulk(api, header + "\n".join([rows[0].replace("2026-02-27", "2026-02-28")] * 2) + "\n").json()
    (problem,) = [p for p in twice["invalid"] if "same person" in p["reason"]]
    # Which of the two is kept, said (an outsider could not tell).
    assert problem["reason"] == "The same person as line 2: declare one move at a time; line 2 is kept."
    # Its first line valid, in Chinese the same reason, not left in English nor another one (an outsider's).
    zhang = rows[2].replace(",99,", ",1,")
    twice = bulk(api, header + "\n".join([zhang] * 2) + "\n").json()
    assert [p["line"] for p in twice["invalid"]] == [3] and twice["valid"] == 1
    (problem,) = twice["invalid"]
    upload = BulkUpload.objects.get(pk=twice["upload"])
    with translation.override("zh-hans"):
        (chinese,) = [p for p in upload.problems() if p["line"] == problem["line"]]
        kept = gettext("The same person as line %(line)d: declare one move at a time; line %(line)d is kept.")
        assert chinese["reason"] == kept % {"line": 2}
    assert chinese["reason"] == "与第 2 行为同一人：请逐次申报，保留第 2 行。"


def test_a_bulk_file_moving_a_person_between_two_rooms_keeps_the_move_in_alone(organisation):
    """An agency filed a move from one of its rooms to another as a move-out and a move-in: the
    move-in was refused as "the same person", the move-out applied, and the person was left
    unregistered, their residence clock broken (an outsider)."""
    api, houses = organisation
    assert api.post(DECLARATIONS, move_in(houses[0], date="2026-02-01")).status_code == 201
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    out = f"{houses[0]},move_out,,{LI_NA},,,,,2026-02-27"
    into = f"{houses[1]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-28"
    for rows, refused, kept in (([out, into], 2, 3), ([into, out], 3, 2)):
        body = bulk(api, header + "\n".join(rows) + "\n").json()
        assert body["valid"] == 1 and [p["line"] for p in body["invalid"]] == [refused]
        reason = body["invalid"][0]["reason"]
        assert reason == f"Not needed: the move-in on line {kept} ends this stay on 2026-02-27 by itself."
        with translation.override("zh-hans"):
            (chinese,) = BulkUpload.objects.get(pk=body["upload"]).problems()
        assert chinese["reason"] == f"无需申报：第 {kept} 行的迁入将于 2026-02-27 自动结束此处的居住登记。"
    assert api.post(f"{DECLARATIONS}/bulk/{body['upload']}/confirm").json() == {"applied": 1}
    stays = Registration.objects.filter(id_number=LI_NA).order_by("registered_on")
    assert [(str(r.registered_on), str(r.ended_on)) for r in stays] == [
        ("2026-02-01", "2026-02-27"),
        ("2026-02-28", "None"),
    ]
    # A move-in dated before the move-out is no move on: the first line kept, as for two moves (an
    # outsider's move-in ten days earlier cut the declared stay short).
    earlier = f"{houses[0]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-28"
    before = bulk(api, f"{header}{houses[1]},move_out,,{LI_NA},,,,,2026-03-01\n{earlier}\n").json()
    assert [p["reason"] for p in before["invalid"]] == [
        "The same person as line 2: declare one move at a time; line 2 is kept."
    ]
    # A move-out of a house the person does not live in is said to be that, not "not needed".
    third = confirmed(api.post(HOUSES, house_body(room="103")).json())["id"]
    onward = f"{third},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-03-02"
    stray = bulk(api, f"{header}{houses[0]},move_out,,{LI_NA},,,,,2026-03-01\n{onward}\n").json()
    assert stray["valid"] == 1 and [p["reason"] for p in stray["invalid"]] == [
        "This person does not live in this house."
    ]
    # Days between the two (lived elsewhere meanwhile): two moves, the first line kept as before.
    back = f"{houses[0]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-03-02"
    gap = bulk(api, f"{header}{houses[1]},move_out,,{LI_NA},,,,,2026-02-28\n{back}\n").json()
    assert gap["valid"] == 1 and [p["reason"] for p in gap["invalid"]] == [
        "The same person as line 2: declare one move at a time; line 2 is kept."
    ]


def test_a_bulk_file_reports_rows_the_present_state_refuses_and_applies_the_others(organisation):
    api, houses = organisation
    assert api.post(DECLARATIONS, move_in(houses[0], date="2026-02-01")).status_code == 201
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    rows = [
        f"{houses[0]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27",  # lives there already
        f"{houses[1]},move_out,,{WANG_FANG},,,,,2026-02-26",  # never lived there
        f"{houses[1]},move_in,张伟,{ZHANG_WEI},13700000023,landlord,3,1,2026-02-27",
    ]
    body = bulk(api, header + "\n".join(rows) + "\n").json()
    assert (body["rows"], body["valid"]) == (3, 1)
    assert [(p["line"], "lives in this house" in p["reason"]) for p in body["invalid"]] == [(2, True), (3, False)]
    assert "does not live in this house" in body["invalid"][1]["reason"]
    assert api.post(f"/api/v1/registrations/declarations/bulk/{body['upload']}/confirm").json() == {"applied": 1}
    assert Registration.objects.get(id_number=ZHANG_WEI).ended_on is None


def test_a_bulk_file_takes_dates_and_code_words_as_a_chinese_spreadsheet_saves_them(organisation):
    """An outsider's HR office had rows refused for `Employer` and for `2026/11/27`, the form a
    spreadsheet in Chinese settings re-saves a date in. A day-first date stays refused: 5/1 is
    the 5th of January to some and the 1st of May to others."""
    api, houses = organisation
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    rows = [
        f"{houses[0]},Move_In,李娜,{LI_NA},13700000021,LANDLORD,3,1,2026/2/27",
        f"{houses[1]},move_in,王芳,{WANG_FANG},13700000022,Landlord,3,1,2026-2-26",
        f"{houses[1]},move_in,张伟,{ZHANG_WEI},13700000023,landlord,3,1,26/02/2026",
        f"{houses[1]},move_in,张伟,{ZHANG_WEI},13700000023,landlord,3,1,２０２６/02/26",
    ]
    body = bulk(api, header + "\n".join(rows) + "\n").json()
    assert (body["rows"], body["valid"]) == (4, 2), body
    assert [p["line"] for p in body["invalid"]] == [4, 5] and all("date" in p["reason"] for p in body["invalid"])
    assert api.post(f"/api/v1/registrations/declarations/bulk/{body['upload']}/confirm").json() == {"applied": 2}
    dates = dict(Declaration.objects.values_list("id_number", "date"))
    assert dates == {LI_NA: dt.date(2026, 2, 27), WANG_FANG: dt.date(2026, 2, 26)}
    assert set(Declaration.objects.values_list("declarant_type", flat=True)) == {"landlord"}


def test_the_declarations_list_pages_by_500_with_a_link_to_the_next(organisation, settings):
    api, houses = organisation
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    people = [with_check(f"44030419900101{n:03d}") for n in range(501)]
    rows = [
        f"{houses[n % 2]},move_in,某{chr(0x4E00 + n)},{p},13700000021,landlord,3,1,2026-02-27"
        for n, p in enumerate(people)
    ]
    upload = bulk(api, header + "\n".join(rows) + "\n").json()
    assert api.post(f"/api/v1/registrations/declarations/bulk/{upload['upload']}/confirm").json() == {"applied": 501}
    first = api.get(f"{DECLARATIONS}?current=1")
    assert len(first.json()) == 500
    assert first["Link"] == f'<http://testserver{DECLARATIONS}?current=1&page=2>; rel="next"'
    second = api.get(f"{DECLARATIONS}?current=1&page=2")
    assert len(second.json()) == 1 and "Link" not in second
    seen = {d["id"] for d in first.json()} | {d["id"] for d in second.json()}
    assert seen == set(Declaration.objects.values_list("id", flat=True))
    assert error_code(api.get(f"{DECLARATIONS}?page=0")) == "invalid"
    assert error_code(api.get(f"{DECLARATIONS}?page=２")) == "invalid"


def test_a_bulk_file_over_10000_rows_is_413_and_a_bad_header_400(organisation):
    api, houses = organisation
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    row = f"{houses[0]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27\n"
    too_many = bulk(api, header + row * 10_001)
    assert too_many.status_code == 413 and too_many.json()["error"]["message"] == "A bulk file has at most 10,000 rows."
    assert bulk(api, "a,b,c\n" + row).status_code == 400
    # A header alone (or with blank lines) is no upload: nothing to confirm.
    for empty in (header, header + "\n,,,,,,,,\n"):
        refused = bulk(api, empty)
        assert refused.status_code == 400 and "no rows" in refused.json()["error"]["fields"]["file"][0]
    assert not Declaration.objects.exists() and not BulkUpload.objects.exists()


def test_a_bulk_file_of_10000_rows_over_one_megabyte_is_checked_and_one_over_5_mb_is_413(organisation, settings):
    """The bulk file's stated limit is its 10,000 rows (API.md): 10,000 rows of long names pass
    1 MB, and the web page took such a file while the API refused it (an outsider)."""
    api, houses = organisation
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    name = "阿卜杜热合曼·买买提艾力·阿卜杜拉"
    rows = "".join(
        f"{houses[n % 2]},move_in,{name},{with_check(f'650102{1950 + n // 1000}0101{n % 1000:03d}')},"
        "13700000021,landlord,3,1,2026-02-27\n"
        for n in range(10_000)
    )
    text = header + rows
    assert 1024 * 1024 < len(text.encode()) < settings.BULK_FILE_MAX_BYTES
    checked = bulk(api, text)
    assert checked.status_code == 200, checked.content[:300]
    assert checked.json()["rows"] == 10_000 and checked.json()["valid"] == 10_000
    padded = header + rows[: rows.index("\n") + 1].replace(name, name * 60) * 2_000
    assert len(padded.encode()) > settings.BULK_FILE_MAX_BYTES
    too_big = bulk(api, padded)
    assert too_big.status_code == 413 and error_code(too_big) == "payload_too_large"
    assert BulkUpload.objects.count() == 1


def test_a_clerks_system_saying_the_papers_were_not_checked_confirms_nothing(landlord):
    """API.md's confirmation has no body; one that says the papers were not checked is refused,
    as the desk's page refuses its box unticked (an outsider confirmed with papers_checked false)."""
    api, _user, _house = landlord
    house = api.post(HOUSES, house_body(room="303")).json()
    clerk = staff_apis(["clerk"]).clerk
    url = f"/api/v1/staff/registrations/houses/{house['id']}/confirm"
    refused = clerk.post(url, {"papers_checked": False})
    assert refused.status_code == 400 and "papers_checked" in refused.json()["error"]["fields"]
    assert not House.objects.get(pk=house["id"]).confirmed
    assert clerk.post(url, {"papers_checked": "no"}).status_code == 400
    assert clerk.post(url).json()["confirmed"] is True


def test_the_counter_declares_for_a_walk_in_and_confirms_houses(landlord):
    _api, _user, house = landlord
    clerk = staff_apis(["clerk"]).clerk
    # Not through the holders' endpoint, which names no declarant (an outsider's clerk did).
    sideways = clerk.post(DECLARATIONS, move_in(house["id"]))
    assert sideways.status_code == 403 and "counter" in sideways.json()["error"]["message"]
    assert not Declaration.objects.exists()
    body = {**move_in(house["id"]), "declarant": {"name": "张伟", "id_number": ZHANG_WEI, "phone": "13812345678"}}
    # A house not yet confirmed: the clerk, at the counter already, is told to confirm it (an
    # outsider's clerk was told to bring the proof of housing to a registration point).
    House.objects.filter(pk=house["id"]).update(confirmed=False)
    waiting = clerk.post("/api/v1/staff/registrations/declarations", body)
    assert waiting.status_code == 409 and "confirm it first" in waiting.json()["error"]["message"]
    assert "registration point" not in waiting.json()["error"]["message"]
    House.objects.filter(pk=house["id"]).update(confirmed=True)
    created = clerk.post("/api/v1/staff/registrations/declarations", body)
    assert created.status_code == 201 and Declaration.objects.get().declarant["name"] == "张伟"
    # Re-checked with every stored number (an outsider's broken declarant went unlisted).
    from django.core.management import call_command

    call_command("check_identifiers", stdout=io.StringIO())  # all pass: exit 0
    Declaration.objects.update(declarant={"name": "张伟", "id_number": wrong_check(ZHANG_WEI), "phone": "13655"})
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("check_identifiers", stdout=out, stderr=io.StringIO())
    listed = [line.split("\t")[0] for line in out.getvalue().splitlines()]
    assert listed == ["registrations.Declaration.declarant__id_number", "registrations.Declaration.declarant__phone"]
    Declaration.objects.update(declarant={"name": "张伟", "id_number": ZHANG_WEI, "phone": "13812345678"})
    confirmed = clerk.post(f"/api/v1/staff/registrations/houses/{house['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed"] is True
    bad = {**body, "declarant": {"name": "张伟", "id_number": wrong_check(ZHANG_WEI), "phone": "1"}}
    assert clerk.post("/api/v1/staff/registrations/declarations", bad).status_code == 400
    # Every field of the walk-in declarant is checked, all in one answer.
    odd = {**body, "declarant": {"name": "x" * 100_000, "id_number": ZHANG_WEI, "phone": True}}
    refused = clerk.post("/api/v1/staff/registrations/declarations", odd)
    assert set(refused.json()["error"]["fields"]) == {"declarant.name", "declarant.phone"}
    # The declarant's, the declaration's and the house's problems together.
    empty = clerk.post("/api/v1/staff/registrations/declarations", {"kind": "move_out", "person": {}, "date": ""})
    assert set(empty.json()["error"]["fields"]) >= {
        "declarant.name",
        "declarant.id_number",
        "person.id_number",
        "date",
        "house",
    }
    assert Declaration.objects.count() == 1


def test_a_bulk_file_applies_move_outs_and_nothing_when_a_row_went_stale(organisation):
    api, houses = organisation
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    assert api.post(DECLARATIONS, move_in(houses[0], date="2026-02-01")).status_code == 201
    outs = header + f"{houses[0]},move_out,,{LI_NA},,,,,2026-02-20\n"
    outs += f"{houses[1]},move_in,王芳,{WANG_FANG},13700000022,landlord,3,1,2026-02-28\n"
    upload = bulk(api, outs).json()
    assert upload["valid"] == 2, upload
    assert api.post(f"/api/v1/registrations/declarations/bulk/{upload['upload']}/confirm").json() == {"applied": 2}
    assert Registration.objects.get(id_number=LI_NA).ended_on == dt.date(2026, 2, 20)
    assert Registration.objects.get(id_number=WANG_FANG).registered_on == dt.date(2026, 2, 28)
    # Each declaration names the registration it started or ended.
    out = Declaration.objects.get(kind="move_out", id_number=LI_NA)
    assert out.registration == Registration.objects.get(id_number=LI_NA)
    # Named as the move-in named the person, as a move-out declared alone is (an outsider's were blank).
    assert out.name == "李娜"
    listed = {d["reference"]: d for d in api.get(DECLARATIONS).json()}
    assert listed[out.reference]["person"]["name"] == "李娜"
    assert Declaration.objects.get(id_number=WANG_FANG).registration.registered_on == dt.date(2026, 2, 28)
    # Checked, then someone declares one of its people before the confirmation: nothing applies.
    stale = bulk(api, header + f"{houses[0]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-25\n").json()
    assert api.post(DECLARATIONS, move_in(houses[0], date="2026-02-25")).status_code == 201
    before = Declaration.objects.count()
    response = api.post(f"/api/v1/registrations/declarations/bulk/{stale['upload']}/confirm")
    assert response.status_code == 409 and response.json()["error"]["line"] == 2
    assert Declaration.objects.count() == before


def test_odd_input_found_by_an_outsider_gets_clear_answers(landlord):
    api, _user, house = landlord
    # A boolean is not a house id (True == 1 in Python).
    response = api.post(DECLARATIONS, move_in(True))
    assert response.status_code == 400 and "house" in response.json()["error"]["fields"]
    # JSON sent where CSV is expected: the answer names the type to send.
    wrong_type = api.post("/api/v1/registrations/declarations/bulk", [{"house": house["id"]}])
    assert wrong_type.status_code == 400 and error_code(wrong_type) == "parse_error"
    assert "text/csv" in wrong_type.json()["error"]["message"]
    # A field over the CSV reader's limit is named as too long, not as broken CSV.
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    huge = bulk(api, header + f"{house['id']},move_in,{'李' * 200_000},{LI_NA},13700000021,landlord,3,1,2026-02-27\n")
    assert huge.status_code == 400 and "longer than" in huge.json()["error"]["fields"]["file"][0]
    # A move-out names the person its move-in named.
    api.post(DECLARATIONS, move_in(house["id"]))
    out = api.post(
        DECLARATIONS, {"house": house["id"], "kind": "move_out", "person": {"id_number": LI_NA}, "date": "2026-03-01"}
    )
    assert out.json()["person"]["name"] == "李娜"
    # A body on a bodiless POST is still parsed: malformed JSON is 400 parse_error, nothing confirmed.
    confirm = api.call("POST", f"{DECLARATIONS}/{out.json()['id']}/confirm", raw=b"{bad")
    assert confirm.status_code == 400 and error_code(confirm) == "parse_error"


def test_an_unconfirmed_house_cannot_move_a_stranger_and_a_recorded_person_keeps_their_name(settings):
    """An outsider's attack: a verified account registers any house (unconfirmed), declares a
    stranger moving in under a made-up name, then out, and so ends the stranger's real
    registration elsewhere. Declarations need a house a clerk has confirmed, and a person of the
    population records is declared under the recorded name."""
    settings.FROZEN_TODAY = "2026-03-02"
    from .test_account_changes import identity

    identity(ZHANG_WEI[:17], "张伟")
    assert records_import_rows(
        "registrations",
        [
            {
                "id_number": ZHANG_WEI,
                "street_code": "440303001",
                "address": "罗湖区东门路 1 号",
                "registered_on": "2024-01-10",
                "ended_on": "",
            }
        ],
    ).applied
    api, _user = citizen_api("attacker", "13812345601", "44030419900101555", "王芳")
    house = api.post(HOUSES, house_body()).json()
    stranger = {"name": "张三", "id_number": ZHANG_WEI, "phone": "13600000002"}
    refused = api.post(DECLARATIONS, {**move_in(house["id"]), "person": stranger})
    assert refused.status_code == 409 and "confirm" in refused.json()["error"]["message"]
    move_out = {"house": house["id"], "kind": "move_out", "person": {"id_number": ZHANG_WEI}, "date": "2026-03-01"}
    assert api.post(DECLARATIONS, move_out).status_code == 409
    checked = bulk(
        api,
        "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
        f"{house['id']},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27\n",
    )
    assert checked.json()["valid"] == 0 and "confirm" in checked.json()["invalid"][0]["reason"]
    # Confirmed by a clerk, the house takes declarations, under the name of the records.
    confirmed(house)
    wrong_name = api.post(DECLARATIONS, {**move_in(house["id"]), "person": stranger})
    assert wrong_name.status_code == 400 and error_code(wrong_name) == "name_mismatch"
    assert "person.name" in wrong_name.json()["error"]["fields"]
    assert not Declaration.objects.exists()
    [registration] = Registration.objects.filter(id_number=ZHANG_WEI)
    assert registration.ended_on is None and registration.street_id == "440303001"
    right = api.post(DECLARATIONS, {**move_in(house["id"]), "person": {**stranger, "name": "张伟"}})
    assert right.status_code == 201


def test_a_move_dated_before_the_persons_birth_is_refused(landlord):
    """LI_NA was born on 1995-08-12 (her ID number): a move-in in 1980 would start her residence
    clock before she lived; the day she was born is the first day a move can be dated."""
    api, _user, house = landlord
    before = api.post(DECLARATIONS, move_in(house["id"], date="1995-08-11"))
    assert before.status_code == 400 and "date" in before.json()["error"]["fields"]
    assert not Declaration.objects.exists()
    assert api.post(DECLARATIONS, move_in(house["id"], date="1995-08-12")).status_code == 201


@pytest.mark.parametrize("ending", ["\r\n", "\r"], ids=["crlf", "cr-only"])
def test_a_bulk_file_with_other_line_endings_is_read_line_by_line(organisation, ending):
    """A file saved with Windows or old Mac line endings (an outsider's lone CR was reported as an
    empty file) is read like any other, its lines numbered alike."""
    api, houses = organisation
    rows = [
        "house,kind,name,id_number,phone,declarant_type,occupation,reason,date",
        f"{houses[0]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27",
        f"{houses[1]},move_in,王芳,{wrong_check(WANG_FANG)},13700000022,landlord,3,1,2026-02-27",
    ]
    body = bulk(api, ending.join(rows) + ending).json()
    assert (body["rows"], body["valid"]) == (2, 1) and [i["line"] for i in body["invalid"]] == [3]


def test_names_tried_on_a_stranger_are_counted_and_past_the_limit_nothing_is_learnt(landlord, settings):
    """An outsider tried 30 names on one number with no limit: each comparison with the records
    now counts against the declarant's day and is taken back when the name is right; past the
    limit a right name is refused as a wrong one is, in single declarations and bulk files alike.
    A private landlord's day allows as many wrong names as real-name verification does (an outsider's
    landlord had four times as many); an organisation's is its own (below)."""
    from .test_account_changes import identity

    settings.LIMIT_REAL_NAME_FAILURES_PER_DAY = 3
    settings.LIMIT_DECLARATION_NAME_FAILURES_PER_DAY = 100
    api, _user, house = landlord
    stranger = identity("44030419900101555", "王芳")
    person = {"name": "李四", "id_number": stranger, "phone": "13600000002"}
    # A right name is not counted: several declarations of recorded people go through.
    for _ in range(3):
        assert error_code(api.post(DECLARATIONS, {**move_in(house["id"]), "person": person})) == "name_mismatch"
    over = api.post(DECLARATIONS, {**move_in(house["id"]), "person": {**person, "name": "王芳"}})
    assert over.status_code == 429 and error_code(over) == "rate_limited"
    # Not "move-ins" only: a counter's move-out names its walk-in declarant and is refused too.
    assert "declarations that name a person are refused" in over.json()["error"]["message"]
    # A number the records do not hold is refused alike: an outsider's file, refused only for the
    # recorded people, told which numbers the records hold.
    unknown = {"name": "李四", "id_number": NOT_IN_RECORDS, "phone": "13600000003"}
    assert api.post(DECLARATIONS, {**move_in(house["id"]), "person": unknown}).status_code == 429
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    rows = [
        f"{house['id']},move_in,{name},{number},13600000002,landlord,3,1,2026-02-27\n"
        for name, number in (("王芳", stranger), ("李四", NOT_IN_RECORDS))
    ]
    checked = bulk(api, header + "".join(rows)).json()
    assert checked["valid"] == 0  # the right name too: no row tells a right name from a wrong one
    assert [row["reason"] for row in checked["invalid"]] == [checked["invalid"][0]["reason"]] * 2
    assert not Declaration.objects.exists()


def test_right_names_are_not_counted(landlord, settings):
    from .test_account_changes import identity

    settings.LIMIT_DECLARATION_NAME_FAILURES_PER_DAY = settings.LIMIT_REAL_NAME_FAILURES_PER_DAY = 1
    api, _user, house = landlord
    people = [identity(f"4403041990010{n}555", name) for n, name in ((1, "王芳"), (2, "李四"), (3, "赵六"))]
    for number, name in zip(people, ("王芳", "李四", "赵六"), strict=True):
        body = {**move_in(house["id"]), "person": {"name": name, "id_number": number, "phone": "13600000002"}}
        assert api.post(DECLARATIONS, body).status_code == 201, name


def test_every_bulk_check_is_on_record_though_it_applies_nothing(organisation):
    """An outsider's 40 dry runs compared 2,006 rows each with the population records and left no
    trace: each check is an audit event of the uploader and its organisation, with its counts."""
    from residence.audit.models import AuditEvent

    from .test_account_changes import identity

    api, houses = organisation
    stranger = identity("44030419900101555", "王芳")
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    rows = [
        f"{houses[0]},move_in,{name},{number},13600000002,employer,3,1,2026-02-27\n"
        for name, number in (("李四", stranger), ("赵六", NOT_IN_RECORDS))
    ]
    first = bulk(api, header + "".join(rows)).json()
    second = bulk(api, header + rows[1]).json()
    events = AuditEvent.objects.filter(type="bulk_checked").order_by("id")
    admin = User.objects.get(username="org_admin")
    assert [(e.actor, e.subject, e.data) for e in events] == [
        (admin, admin, {"upload": first["upload"], "rows": 2, "valid": 1, "invalid": 1}),
        (admin, admin, {"upload": second["upload"], "rows": 1, "valid": 1, "invalid": 0}),
    ]
    assert not Declaration.objects.exists()


def test_an_organisations_sub_accounts_share_its_name_limit(organisation, settings):
    """An outsider multiplied the limit by opening sub-accounts: a sub-account's tries count for
    its organisation, and the refusal says what it is about."""
    from .test_account_changes import identity

    settings.LIMIT_DECLARATION_NAME_FAILURES_PER_DAY = 2
    settings.LIMIT_REAL_NAME_FAILURES_PER_DAY = 100  # a private person's day, not an organisation's
    api, houses = organisation
    api.post(
        "/api/v1/organisations/sub-accounts",
        {"username": "org_desk1", "password": "Testing2026pass", "phone": "13812340003", "houses": houses},
    )
    desk = Api("10.7.7.10").login("org_desk1", phone="13812340003")
    stranger = identity("44030419900101555", "王芳")
    wrong = {**move_in(houses[0]), "person": {"name": "李四", "id_number": stranger, "phone": "13600000002"}}
    assert error_code(api.post(DECLARATIONS, wrong)) == "name_mismatch"
    assert error_code(desk.post(DECLARATIONS, wrong)) == "name_mismatch"
    refused = desk.post(DECLARATIONS, wrong)
    assert refused.status_code == 429 and "differ from the population records" in refused.json()["error"]["message"]
    assert api.post(DECLARATIONS, wrong).status_code == 429


def test_a_file_past_the_name_limit_keeps_the_answers_of_the_rows_inside_it(organisation, settings):
    """An outsider's file of 22 wrong names, 6 of the day's 20 used, read "too many" on every line,
    the 14 still inside the limit too: those keep their own reason; from the row past the limit on,
    every row is refused alike, a right name too (nothing learnt past the limit)."""
    from .test_account_changes import identity

    settings.LIMIT_DECLARATION_NAME_FAILURES_PER_DAY = 2
    org, houses = organisation
    people = [identity(body17, name) for body17, name in (("44030419900101555", "王芳"), ("11010519491231002", "赵敏"))]
    people.append(identity("36010219881111459", "陈静"))
    right = identity("43010219900307123", "张伟")
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    rows = [
        f"{houses[0]},move_in,李四,{number},1370000002{i},employer,3,1,2026-02-27\n" for i, number in enumerate(people)
    ]
    rows.append(f"{houses[0]},move_in,张伟,{right},13700000029,employer,3,1,2026-02-27\n")  # the right name
    answer = bulk(org, header + "".join(rows)).json()
    reasons = [row["reason"] for row in sorted(answer["invalid"], key=lambda row: row["line"])]
    assert answer["valid"] == 0 and len(reasons) == 4
    assert all("name differs from the population records" in reason for reason in reasons[:2]), reasons
    assert all("Too many names" in reason for reason in reasons[2:]), reasons


# --- whoever a declaration concerns hears of it ---------------------------------------------
# An outsider ended a stranger's registration: a confirmed house of his own, the person's name and
# number, a move-in (which by the rules ends the registration elsewhere), then a move-out.


def _told(user, key):
    from residence.notifications.models import Message

    return [m.params for m in Message.objects.filter(user=user, key=key)]


def _texts(phone):
    from residence.notifications.models import SmsMessage

    return list(
        SmsMessage.objects.filter(to=phone, purpose="registration").order_by("id").values_list("text", flat=True)
    )


def test_a_move_in_elsewhere_and_a_move_out_tell_the_person_and_the_house_they_left(landlord):
    api, holder, house = landlord
    lina_api, lina = citizen_api("lina_citizen", phone="13700000077", body17="36010219950812234", name="李娜")
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-01")).status_code == 201
    assert _told(lina, "registration_moved") == [] and _told(lina, "registration_ended") == []
    # Her first registration is hers to hear of (an outsider's was recorded with nobody told), by
    # SMS without the address.
    first_home = "深圳市福田区福田路 88 号福田花园 1 栋 101"
    assert _told(lina, "registration_started") == [{"address": first_home, "date": "2026-02-01"}]
    [began] = _texts("13700000077")
    assert "2026-02-01" in began and "福田路" not in began
    stranger, bob = citizen_api("bob_citizen", phone="13700000088", body17="11010519491231002", name="赵六")
    bobs = confirmed(stranger.post(HOUSES, house_body(room="909", building_code="4403040040099")).json())
    assert stranger.post(DECLARATIONS, move_in(bobs["id"], date="2026-03-01")).status_code == 201

    moved = {"previous": "深圳市福田区福田路 88 号福田花园 1 栋 101", "ended_on": "2026-02-28"}
    assert _told(lina, "registration_moved") == [
        {**moved, "address": "深圳市福田区福田路 88 号福田花园 1 栋 909", "date": "2026-03-01"}
    ]
    [_began, sms] = _texts("13700000077")  # the number of her own account, not the one the stranger typed
    # The dates, and no address: the messages name them (an outsider's SMS held both homes').
    assert "2026-02-28" in sms and "2026-03-01" in sms and "909" not in sms and "福田路" not in sms
    assert _texts("13700000021") == []
    masked = LI_NA[:6] + "********" + LI_NA[-4:]
    assert _told(holder, "registration_left") == [
        {"name": "李娜", "id_number": masked, "previous": moved["previous"], "date": "2026-03-01"}
    ]
    assert _told(bob, "registration_moved") == _told(bob, "registration_left") == []

    out = {"house": bobs["id"], "kind": "move_out", "person": {"id_number": LI_NA}, "date": "2026-03-02"}
    assert stranger.post(DECLARATIONS, out).status_code == 201
    assert _told(lina, "registration_ended") == [
        {"previous": "深圳市福田区福田路 88 号福田花园 1 栋 909", "ended_on": "2026-03-02"}
    ]
    assert len(_texts("13700000077")) == 3
    # She reads it in her language, with the dates and addresses filled in.
    inbox = lina_api.get("/api/v1/me/messages", HTTP_ACCEPT_LANGUAGE="en")
    assert inbox.status_code == 200, inbox.content
    assert "ended on 2026-02-28" in inbox.content.decode()


def test_without_an_account_the_person_is_told_at_the_number_the_last_declarant_recorded(landlord):
    api, holder, house = landlord
    other = confirmed(api.post(HOUSES, house_body(room="202")).json())
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-01")).status_code == 201
    moved = move_in(other["id"], date="2026-02-20")
    moved["person"]["phone"] = "13700000055"
    assert api.post(DECLARATIONS, moved).status_code == 201
    [sms] = _texts("13700000021")
    assert "2026-02-19" in sms and _texts("13700000055") == []
    # A number the previous declarant typed may be anyone's: it is told neither where she went nor
    # where she lived.
    assert "栋 202" not in sms and "2026-02-20" not in sms and "栋 101" not in sms
    # The number may be a parent's or a landlord's, told of several people: it says whose registration
    # ended, the name masked (an outsider's phone got two "your registration ended" for two people).
    name = moved["person"]["name"]
    assert f"{name[0]}*" in sms and name not in sms
    # The holder moved her between his own houses: he is not told of his own declaration.
    assert _told(holder, "registration_left") == []


def test_a_bulk_file_tells_each_person_it_moves_away_and_the_holders_they_left(organisation):
    api, houses = organisation
    landlord_api, holder = citizen_api("holder_one", phone="13700000066", body17="43010219900307123", name="张伟")
    theirs = confirmed(landlord_api.post(HOUSES, house_body(room="505", building_code="4403040040055")).json())
    assert landlord_api.post(DECLARATIONS, move_in(theirs["id"], date="2026-02-01")).status_code == 201
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    rows = [
        f"{houses[0]},move_in,李娜,{LI_NA},13700000099,landlord,3,1,2026-02-27",
        f"{houses[1]},move_in,王芳,{WANG_FANG},13700000022,landlord,3,1,2026-02-27",  # registered nowhere before
    ]
    _wang_api, wang = citizen_api("wang_citizen", phone="13700000056", body17="44030419900101555", name="王芳")
    upload = bulk(api, header + "\n".join(rows) + "\n").json()
    assert api.post(f"/api/v1/registrations/declarations/bulk/{upload['upload']}/confirm").json() == {"applied": 2}
    # 王芳, registered nowhere before, hears her registration begin, at her account's number.
    [began] = _told(wang, "registration_started")
    assert began["date"] == "2026-02-27" and len(_texts("13700000056")) == 1
    assert _told(wang, "registration_moved") == []
    [sms] = _texts("13700000021")
    assert "2026-02-26" in sms and "2026-02-27" not in sms and "栋 101" not in sms
    assert _texts("13700000099") == _texts("13700000022") == []
    [left] = _told(holder, "registration_left")
    assert left["name"] == "李娜" and left["date"] == "2026-02-27" and "505" in left["previous"]


def test_a_clerk_confirms_and_declares_only_for_their_districts_houses_and_each_confirmation_is_audited(landlord):
    """Outsiders confirmed houses across the city and declared for them from another district's
    point, and no record said which clerk vouched for which house."""
    from residence.audit.models import AuditEvent
    from residence.registrations.selectors import houses_awaiting_confirmation

    api, holder, _house = landlord
    house = api.post(HOUSES, house_body(room="303")).json()  # 福田 (440304), not yet confirmed
    registered = AuditEvent.objects.get(type="house_registered", data__house=house["id"])
    assert (registered.actor, registered.data["room"], registered.data["street"]) == (holder, "303", "440304004")
    staff = staff_apis(["clerk", "other_clerk"])  # 福田街道 and a point in 南山 (440305)
    elsewhere = staff.other_clerk.post(f"/api/v1/staff/registrations/houses/{house['id']}/confirm")
    # Named in the reader's language (the API client asks for English; an outsider read 罗湖区).
    assert elsewhere.status_code == 403 and "a registration point of Futian" in elsewhere.json()["error"]["message"]
    assert House.objects.get(pk=house["id"]).confirmed is False
    assert house["id"] not in {h.pk for h in houses_awaiting_confirmation(district="440305")}
    assert house["id"] in {h.pk for h in houses_awaiting_confirmation(district="440304")}
    body = {**move_in(house["id"]), "declarant": {"name": "张伟", "id_number": ZHANG_WEI, "phone": "13812345678"}}
    assert staff.other_clerk.post("/api/v1/staff/registrations/declarations", body).status_code == 403

    assert staff.clerk.post(f"/api/v1/staff/registrations/houses/{house['id']}/confirm").status_code == 200
    assert staff.clerk.post(f"/api/v1/staff/registrations/houses/{house['id']}/confirm").status_code == 200
    [event] = AuditEvent.objects.filter(type="house_confirmed")
    assert (event.actor, event.subject) == (staff.users["clerk"], holder)
    assert event.data == {
        "house": house["id"],
        "street": "440304004",
        "building_code": "4403040040012",
        "room": "303",
        "point": "44030400401",
    }
    assert not Declaration.objects.exists()
    # The holder, told to wait for the confirmation, is told it came, once (an outsider's heard nothing).
    [told] = Message.objects.filter(user=holder, key="house_confirmed")
    assert "303" in told.body and "you can now declare" in told.body


def test_a_walk_in_declarant_of_the_population_records_is_checked_by_name_too(landlord):
    _api, _user, house = landlord
    clerk = staff_apis(["clerk"]).clerk
    # 张伟 (ZHANG_WEI) is in the records: the landlord's own verified identity.
    body = {**move_in(house["id"]), "declarant": {"name": "错名", "id_number": ZHANG_WEI, "phone": "13812345678"}}
    refused = clerk.post("/api/v1/staff/registrations/declarations", body)
    assert error_code(refused) == "name_mismatch" and set(refused.json()["error"]["fields"]) == {"declarant.name"}
    both = {**body, "person": {**body["person"], "id_number": ZHANG_WEI}}
    refused = clerk.post("/api/v1/staff/registrations/declarations", both)
    assert set(refused.json()["error"]["fields"]) == {"declarant.name", "person.name"}
    assert not Declaration.objects.exists()
    body["declarant"]["name"] = "张伟"
    assert clerk.post("/api/v1/staff/registrations/declarations", body).status_code == 201


FORMULAS = ['=HYPERLINK("http://evil.example/","点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)"]


INVISIBLE_NAMES = ["\u3164", "\u115f\u1160", "张\u034f三", "张\ufe0f三", "张" + "\u0301" * 40, "张三-"]


@pytest.mark.parametrize("name", [*FORMULAS, "李\u202e娜", "李\u200b娜", "张伟2", "<b>李娜</b>", *INVISIBLE_NAMES])
def test_a_name_is_letters_and_a_house_has_no_formula_or_hidden_characters(landlord, name):
    """An outsider stored spreadsheet formulas and bidi overrides as people's names and house fields."""
    api, _user, house = landlord
    refused = api.post(DECLARATIONS, move_in(house["id"], person={"name": name, "id_number": LI_NA}))
    assert refused.status_code == 400 and "letters only" in refused.json()["error"]["fields"]["person.name"][0]
    text = "=" + name if name.isprintable() and name not in FORMULAS else name
    for field in ("building_name", "address"):
        bad = api.post(HOUSES, house_body(room="707", **{field: text}))
        assert bad.status_code == 400 and "hidden formatting" in bad.json()["error"]["fields"][field][0], field
    assert not Declaration.objects.exists() and House.objects.count() == 1


@pytest.mark.parametrize(
    "name",
    [
        "买买提·艾力",
        "O'Brien",
        "Jean-Luc Picard",
        "欧阳娜娜",
        "Zoë",
        "ᠪᠠᠭᠠᠲᠤᠷ",
        "𠮷田一",
        "राजू",
        "葛\U000e0100",
        "Nguyễn",
        "测试\u3000一",  # a Chinese input method's space (outsider AS got 400 for it, and 200 for an ASCII one)
        "测试\u00a0一",  # a no-break space pasted from a page
    ],
)
def test_names_of_every_script_with_their_joiners_are_taken(landlord, name):
    api, _user, house = landlord
    body = move_in(house["id"])
    body["person"]["name"] = name
    assert api.post(DECLARATIONS, body).status_code == 201


def test_a_name_is_stored_in_the_form_names_compare_in(landlord):
    """An outsider's full-width "测试Ｋ" was accepted as the records' "测试K" but kept as typed."""
    api, _user, house = landlord
    body = move_in(house["id"])
    body["person"]["name"] = " 李Ｋ　娜 "
    created = api.post(DECLARATIONS, body)
    assert created.status_code == 201 and created.json()["person"]["name"] == "李K 娜"
    assert Declaration.objects.get().name == "李K 娜"


def test_a_bulk_file_skips_blank_lines_and_names_the_line_of_a_forbidden_character(organisation):
    api, houses = organisation
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    row = f"{houses[0]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27\n"
    body = bulk(api, header + "\n,,,,,,,,\n" + row + "\r\n").json()
    assert (body["rows"], body["valid"], body["invalid"]) == (1, 1, [])
    nul = bulk(api, header + row + f"{houses[1]},move_in,王\x00芳,{WANG_FANG},13700000022,landlord,3,1,2026-02-27\n")
    assert nul.status_code == 400 and nul.json()["error"]["fields"]["file"] == [
        "Line 3 contains characters that are not allowed."
    ]
    formula = bulk(api, header + row.replace("李娜", "@SUM(1+1)"))
    assert formula.json()["valid"] == 0 and "letters only" in formula.json()["invalid"][0]["reason"]
    assert not Declaration.objects.exists()


def test_an_organisation_is_told_it_has_no_registrations_of_its_own_not_to_verify(organisation):
    api, _houses = organisation
    refused = api.get("/api/v1/me/registrations", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Only a personal account has residence registrations of its own."


def test_new_sub_accounts_cannot_ask_numbers_and_usernames_one_by_one_whether_they_are_taken(organisation):
    """An outsider's organisation asked 44 mobile numbers through new sub-accounts, each 409 telling
    which had an account."""
    api, houses = organisation
    for n in range(5):
        make_user(f"bound_user{n}", f"1590000900{n}")

    def create(username, phone):
        body = {"username": username, "password": "Testing2026pass", "phone": phone, "houses": [houses[0]]}
        return api.post("/api/v1/organisations/sub-accounts", body)

    assert create("org_free1", "13812340031").status_code == 201  # nothing taken: not counted
    answers = [create(f"org_try{n}", f"1590000900{n}") for n in range(4)] + [create("bound_user4", "13812340032")]
    assert [a.status_code for a in answers] == [409] * 5
    assert error_code(answers[-1]) == "duplicate_username"
    refused = [create("bound_user0", "13812340033"), create("org_free2", "13812340034")]
    assert [r.status_code for r in refused] == [429, 429]  # taken or free alike, the answer tells nothing
    assert refused[0].json() == refused[1].json() and error_code(refused[1]) == "rate_limited"
    assert not User.objects.filter(username="org_free2").exists()


def test_an_organisation_sending_a_sub_account_again_is_told_it_exists_and_not_counted(organisation):
    """An outsider's twenty identical creates (a double tap, a retry) made one sub-account and used up
    the day's quota of taken identifiers: the organisation could create none until midnight."""
    api, houses = organisation
    body = {"username": "sub_one", "password": "Testing2026pass", "phone": "13812340041", "houses": [houses[0]]}
    assert api.post("/api/v1/organisations/sub-accounts", body).status_code == 201
    again = [api.post("/api/v1/organisations/sub-accounts", body) for _ in range(7)]
    assert {error_code(answer) for answer in again} == {"duplicate_username"}
    fresh = {**body, "username": "sub_two", "phone": "13812340042"}
    assert api.post("/api/v1/organisations/sub-accounts", fresh).status_code == 201
    # Another account's name is answered as before (and counted: the test above).
    make_user("bound_other", "15900009100")
    assert error_code(api.post("/api/v1/organisations/sub-accounts", {**body, "username": "bound_other"})) == (
        "duplicate_username"
    )


def test_an_organisation_lists_and_deactivates_its_sub_accounts(organisation):
    """An outsider found no way to end a sub-account: someone who left kept declaring."""
    from residence.accounts.models import LoginSession
    from residence.audit.models import AuditEvent
    from residence.notifications.models import SmsMessage

    from .conftest import last_code

    api, houses = organisation
    body = {"username": "org_desk9", "password": "Testing2026pass", "phone": "13812340009", "houses": [houses[1]]}
    created = api.post("/api/v1/organisations/sub-accounts", body).json()
    assert created == {"id": created["id"], "username": "org_desk9", "kind": "sub_account", "active": True,
                       "houses": [houses[1]]}  # fmt: skip
    desk = Api("10.7.7.11").login("org_desk9", phone="13812340009")
    assert desk.post(DECLARATIONS, move_in(houses[1])).status_code == 201
    assert api.get("/api/v1/organisations/sub-accounts").json() == [created]

    url = f"/api/v1/organisations/sub-accounts/{created['id']}/deactivate"
    assert desk.post(url).status_code == 403  # a sub-account manages nothing
    ended = api.post(url)
    assert ended.status_code == 200 and ended.json() == {**created, "active": False}
    token_refused = desk.get("/api/v1/me")
    assert token_refused.status_code == 401  # its live login ended at once
    relogin = Api("10.7.7.12").post("/api/v1/auth/login", {"username": "org_desk9", "password": "Testing2026pass"})
    assert relogin.status_code == 403
    # One explanation, both ways: its organisation ends a sub-account (an outsider was told "a counter").
    said = "This account has been disabled. A sub-account is disabled by its organisation's administrator."
    assert token_refused.json()["error"]["message"] == relogin.json()["error"]["message"] == said
    assert api.post(url).status_code == 200  # again: nothing changes
    assert AuditEvent.objects.filter(type="account_disabled", subject_id=created["id"]).count() == 1
    assert Declaration.objects.filter(declared_by_id=created["id"]).count() == 1  # its declarations stay
    # Its number is free again: the same person may be given a new sub-account.
    again = {"username": "org_desk9b", "password": "Testing2026pass", "phone": "13812340009", "houses": [houses[1]]}
    assert api.post("/api/v1/organisations/sub-accounts", again).status_code == 201

    # Ended between its password and its SMS code: the code signs nobody in; and a password reset
    # for it is answered as for an unknown username, no code sent.
    body = {"username": "org_desk8", "password": "Testing2026pass", "phone": "13812340008", "houses": []}
    late = api.post("/api/v1/organisations/sub-accounts", body).json()
    started = Api("10.7.7.14").post("/api/v1/auth/login", {"username": "org_desk8", "password": "Testing2026pass"})
    assert started.status_code == 202
    assert api.post(f"/api/v1/organisations/sub-accounts/{late['id']}/deactivate").status_code == 200
    code = last_code("13812340008")
    verify = Api("10.7.7.14").post("/api/v1/auth/sms-verify", {"challenge": started.json()["challenge"], "code": code})
    assert verify.status_code == 403 and not LoginSession.objects.filter(user_id=late["id"]).exists()
    sent = SmsMessage.objects.filter(to="13812340008").count()
    reset = Api("10.7.7.15").post("/api/v1/auth/password-reset", {"username": "org_desk8"})
    assert reset.status_code == 202 and SmsMessage.objects.filter(to="13812340008").count() == sent

    stranger, _user = citizen_api()
    assert stranger.post(url).status_code == 403
    assert stranger.get("/api/v1/organisations/sub-accounts").status_code == 403
    other = make_user(
        "org_other", "13812340010", kind=Kind.ORGANISATION, name="另一公司", credit_code="91350100M000100Y43"
    )
    organisation_activate(
        actor=User.objects.get(username="staff_clerk"),
        account_id=other.pk,
        credit_code_checked=True,
        letter_checked=True,
        housing_checked=True,
    )
    other_api = Api("10.7.7.13").login("org_other", phone="13812340010")
    assert other_api.post(url).status_code == 404
    assert other_api.post("/api/v1/organisations/sub-accounts/999999/deactivate").status_code == 404


def test_the_registered_address_names_the_room_once(landlord):
    api, _user, _house = landlord
    house = confirmed(api.post(HOUSES, house_body(room="302", address="深圳市福田区陈家楼302")).json())
    assert api.post(DECLARATIONS, move_in(house["id"])).status_code == 201
    assert Registration.objects.get(id_number=LI_NA).address == "深圳市福田区陈家楼302"
    # With 室 too (an outsider's read "皇庭大厦502室 502"); a street number is no room.
    rooms = {"502": "福田区福华一路皇庭大厦502室", "1": "福田区福华一路1号"}
    shown = {room: House(address=address, room=room).full_address for room, address in rooms.items()}
    assert shown == {"502": "福田区福华一路皇庭大厦502室", "1": "福田区福华一路1号 1"}


def test_a_move_out_at_the_counter_tells_the_house_holder(landlord):
    """An outsider's clerk, for a walk-in declarant, moved a tenant out unbeknown to the holder."""
    api, holder, house = landlord
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-01")).status_code == 201
    assert _told(holder, "registration_moved_out") == []
    clerk = staff_apis(["clerk"]).clerk
    body = {
        "house": house["id"],
        "kind": "move_out",
        "person": {"id_number": LI_NA},
        "date": "2026-02-25",
        "declarant": {"name": "李娜", "id_number": LI_NA, "phone": "13700000021"},
    }
    assert clerk.post("/api/v1/staff/registrations/declarations", body).status_code == 201
    [told] = _told(holder, "registration_moved_out")
    assert told == {
        "name": "李娜",
        "id_number": LI_NA[:6] + "********" + LI_NA[-4:],
        "previous": "深圳市福田区福田路 88 号福田花园 1 栋 101",
        "date": "2026-02-25",
    }
    # The holder's own move-out tells the holder nothing.
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-02-26")).status_code == 201
    out = {"house": house["id"], "kind": "move_out", "person": {"id_number": LI_NA}, "date": "2026-02-28"}
    assert api.post(DECLARATIONS, out).status_code == 201
    assert len(_told(holder, "registration_moved_out")) == 1


def test_a_move_in_at_the_counter_tells_the_house_holder(landlord):
    # An outsider's walk-in declarant moved a stranger into a landlord's room at the counter; the
    # landlord heard nothing.
    _api, holder, house = landlord
    clerk = staff_apis(["clerk"]).clerk
    body = {
        **move_in(house["id"], date="2026-02-25"),
        "declarant": {"name": "李娜", "id_number": LI_NA, "phone": "13700000021"},
    }
    assert clerk.post("/api/v1/staff/registrations/declarations", body).status_code == 201
    [told] = _told(holder, "registration_counter_move_in")
    assert told == {
        "house": "深圳市福田区福田路 88 号福田花园 1 栋 101",
        "name": "李娜",
        "id_number": LI_NA[:6] + "********" + LI_NA[-4:],
        "date": "2026-02-25",
        "declarant": "李娜",
    }


@pytest.mark.parametrize("room", ["=1+1", "+1", "-1", "@SUM(1)", " =1+1", "\t=1+1", "＝1+1", "福田\x07路", "\u3164"])
def test_a_room_has_no_formula_start_or_hidden_characters(landlord, room):
    api, _user, _house = landlord
    refused = api.post(HOUSES, house_body(room=room))
    assert refused.status_code == 400 and "room" in refused.json()["error"]["fields"]
    assert House.objects.count() == 1


@pytest.mark.parametrize(
    ("declarant", "declarant_type", "moved_in", "moved_out", "late"),
    [
        ("landlord", "owner", "2026-02-01", "2026-02-15", 0),  # 15 days allowed: 15 days after is in time
        ("landlord", "owner", "2026-02-01", "2026-02-14", 1),  # declared 2026-03-02, 16 days after
        ("organisation", "hotel", "2026-02-28", "2026-03-01", 1),  # a hotel declares at once: a day after is late
        ("landlord", "landlord", "2026-02-01", "2026-02-21", 2),  # 9 days after, 7 allowed
    ],
)
def test_a_move_out_has_the_allowance_of_its_move_ins_declarant(
    request, declarant, declarant_type, moved_in, moved_out, late
):
    """Worked out by hand from RULES §1 (today 2026-03-02): an outsider found every move-out given
    a landlord's 7 days."""
    api, *rest = request.getfixturevalue(declarant)
    house_id = rest[-1]["id"] if declarant == "landlord" else rest[0][0]
    if declarant_type == "owner":
        owned(house_id)
    assert api.post(DECLARATIONS, move_in(house_id, date=moved_in, declarant_type=declarant_type)).status_code == 201
    out = api.post(
        DECLARATIONS, {"house": house_id, "kind": "move_out", "person": {"id_number": LI_NA}, "date": moved_out}
    )
    assert out.status_code == 201, out.content
    assert (out.json()["days_late"], out.json()["declarant_type"]) == (late, declarant_type)


def test_a_sub_account_answers_self_reports_only_for_the_houses_it_was_given(organisation):
    api, houses = organisation
    body = {"username": "org_desk7", "password": "Testing2026pass", "phone": "13812340007", "houses": [houses[0]]}
    assert api.post("/api/v1/organisations/sub-accounts", body).status_code == 201
    desk = Api("10.7.7.16").login("org_desk7", phone="13812340007")
    tenant, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    report = tenant_report(room="102")
    pk = tenant.post(DECLARATIONS, report).json()["id"]
    assert Declaration.objects.get(pk=pk).house_id == houses[1]  # not given to the sub-account
    for action in ("confirm", "decline"):
        assert desk.post(f"{DECLARATIONS}/{pk}/{action}").status_code == 403
    assert Declaration.objects.get(pk=pk).status == "pending"
    assert api.post(f"{DECLARATIONS}/{pk}/confirm").status_code == 200  # the organisation itself may


def test_a_bulk_file_whose_references_meet_earlier_ones_gets_new_ones_not_a_500(organisation, monkeypatch):
    # An outsider's second 10,000-row file of a day met a reference of the first (a 500).
    from residence.registrations import services

    api, houses = organisation
    assert api.post(DECLARATIONS, move_in(houses[0], date="2026-02-01")).status_code == 201
    taken = Declaration.objects.get().reference
    drawn = iter([taken, taken, "DJ260302AAAAAA", "DJ260302AAAAAA", "DJ260302BBBBBB"])
    monkeypatch.setattr(services, "_reference", lambda today: next(drawn))
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    rows = f"{houses[1]},move_in,王芳,{WANG_FANG},13700000022,landlord,3,1,2026-02-28\n"
    rows += f"{houses[1]},move_in,张伟,{ZHANG_WEI},13700000023,landlord,3,1,2026-02-28\n"
    upload = bulk(api, header + rows).json()
    confirmed = api.post(f"/api/v1/registrations/declarations/bulk/{upload['upload']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json() == {"applied": 2}
    references = sorted(Declaration.objects.values_list("reference", flat=True))
    assert len(set(references)) == 3 and {"DJ260302AAAAAA", "DJ260302BBBBBB"} <= set(references)


def test_a_too_long_house_field_says_its_limit_not_to_enter_it(organisation):
    """An outsider typed a 60-letter room, a 600-character address and a 300-character building
    name and was told to "enter" each; a blank one is still asked for."""
    api, _houses = organisation
    too_long = api.post(HOUSES, house_body(room="A" * 60, address="地" * 600, building_name="楼" * 300))
    assert too_long.status_code == 400
    fields = too_long.json()["error"]["fields"]
    assert fields["room"] == ["Ensure this value has at most 30 characters (it has 60)."]
    assert fields["address"] == ["Ensure this value has at most 200 characters (it has 600)."]
    assert fields["building_name"] == ["Ensure this value has at most 100 characters (it has 300)."]
    blank = api.post(HOUSES, house_body(room=" ", address="")).json()["error"]["fields"]
    assert (blank["room"], blank["address"]) == (["Enter the room."], ["Enter the address."])
    assert House.objects.count() == 2  # the fixture's two


def test_a_bulk_row_of_the_wrong_width_says_how_many_fields_it_has(organisation):
    api, houses = organisation
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date"
    row = f"{houses[0]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27"
    body = bulk(api, "\n".join([header, row + ",extra", row.rsplit(",", 1)[0], "地" * 150 + row[1:]]) + "\n").json()
    reasons = {p["line"]: p["reason"] for p in body["invalid"]}
    expected = "This row has %d fields, not 9 (" + header + ")."
    assert reasons[2] == expected % 10 and reasons[3] == expected % 8
    # Excel ends rows (and the header) with commas when a cell beyond the table was touched.
    trailing = bulk(api, header + ",,\n" + row.replace(LI_NA, WANG_FANG) + ",, \n").json()
    assert (trailing["rows"], trailing["valid"], trailing["invalid"]) == (1, 1, [])
    long_name = bulk(api, header + "\n" + row.replace("李娜", "张" * 150) + "\n").json()
    assert long_name["invalid"][0]["reason"] == "name: Ensure this value has at most 100 characters (it has 150)."


def test_a_bulk_rows_house_that_is_no_id_is_said_so_with_the_rows_other_problems(organisation):
    """An outsider's "abc", empty and 999 were all "not a house you may declare for", and the
    house's problem was left out when the row had others."""
    api, houses = organisation
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date"
    row = f"{houses[0]},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27"
    lines = [
        row.replace(str(houses[0]), "abc", 1),
        row.replace(str(houses[0]), "", 1),
        row.replace(str(houses[0]), "999999", 1),
    ]
    lines.append(row.replace(str(houses[0]), "abc", 1).replace(",3,1,", ",0,15,"))
    reasons = {p["line"]: p["reason"] for p in bulk(api, "\n".join([header, *lines]) + "\n").json()["invalid"]}
    number = "house: Give the house's id, a number, as your list of houses shows it."
    assert reasons[2] == reasons[3] == number
    assert reasons[4] == "house: Not a house you may declare for."
    assert reasons[5].startswith(number) and "occupation" in reasons[5] and "reason" in reasons[5]


def test_late_declarations_are_listed_all_and_counted_on_the_dashboard(organisation):
    """The dashboard shows the newest 50 late declarations; an outsider with 10,006 read "50 are
    late". It now says how many, and the list (page and API) filters them."""
    api, houses = organisation
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    people = [with_check(f"44030419900101{n:03d}") for n in range(52)]
    rows = [
        f"{houses[n % 2]},move_in,某{chr(0x4E00 + n)},{p},13700000021,employer,3,1,2026-02-01"
        for n, p in enumerate(people)
    ]
    rows.append(f"{houses[0]},move_in,李娜,{LI_NA},13700000021,employer,3,1,2026-03-02")  # in time
    upload = bulk(api, header + "\n".join(rows) + "\n").json()
    assert api.post(f"/api/v1/registrations/declarations/bulk/{upload['upload']}/confirm").json() == {"applied": 53}
    late = api.get(f"{DECLARATIONS}?late=1").json()
    assert len(late) == 52 and all(d["late"] for d in late)
    assert len(api.get(DECLARATIONS).json()) == 53
    from .test_registration_pages import signed_in

    client = signed_in("org_admin", "13812340002")
    page = client.get("/account/").content.decode()
    assert "Late declarations (52)" in page and "The newest 50 of 52 late declarations." in page
    assert page.count('class="row-overdue"') == 50
    # Chinese names on the English page are marked so (an outsider's screen reader read them in English).
    assert '<h1><span lang="zh-CN">示范物业</span></h1>' in page
    assert page.count('<td data-label="Person"><span lang="zh-CN">某') == 50
    listed = client.get("/registration/declarations/?late=1").content.decode()
    assert listed.count('class="row-overdue"') == 52 and "李娜" not in listed


def test_the_days_a_house_waits_for_its_confirmation_do_not_make_a_declaration_late(landlord, settings):
    """An outsider's employer, refused (409) until a clerk confirmed the house, was then marked
    late for the wait. Worked by hand: the house is registered on 2026-03-02 and confirmed on
    2026-03-12 (ten days waited); the landlord's allowance is 7 days."""
    api, _user, _house = landlord
    house = api.post(HOUSES, house_body(room="909")).json()
    assert api.post(DECLARATIONS, move_in(house["id"], date="2026-03-02")).status_code == 409
    settings.FROZEN_TODAY = "2026-03-12"
    clerk = staff_apis(["clerk"]).clerk
    assert clerk.post(f"/api/v1/staff/registrations/houses/{house['id']}/confirm").status_code == 200
    api = Api().login("citizen1", phone="13812345678", remember=True)  # the login of 03-02 has ended
    settings.FROZEN_TODAY = "2026-03-13"
    cases = [
        # (move, ID number): elapsed days − 7 − days the house waited after the move
        ("2026-03-02", LI_NA, 0),  # 11 − 7 − 10: in time
        ("2026-02-23", WANG_FANG, 1),  # 18 − 7 − 10 (the wait counts from the house's registration)
        ("2026-03-05", ZHANG_WEI, 0),  # 8 − 7 − 7
    ]
    for date, id_number, late in cases:
        name = {LI_NA: "李娜", WANG_FANG: "王芳", ZHANG_WEI: "张伟"}[id_number]
        body = move_in(house["id"], date=date, id_number=id_number)
        body["person"]["name"] = name
        answer = api.post(DECLARATIONS, body)
        assert answer.status_code == 201, answer.content
        assert (answer.json()["days_late"], answer.json()["late"]) == (late, late > 0), date
    # A house confirmed before the move: nothing is waived.
    settings.FROZEN_TODAY = "2026-03-30"
    api = Api().login("citizen1", phone="13812345678", remember=True)
    out = api.post(
        DECLARATIONS, {"house": house["id"], "kind": "move_out", "person": {"id_number": LI_NA}, "date": "2026-03-20"}
    )
    assert out.status_code == 201 and out.json()["days_late"] == 3  # 10 − 7


def test_house_wait_by_hand():
    from residence.registrations.rules import house_wait

    day = dt.date.fromisoformat
    assert house_wait(date=day("2026-03-02"), registered_on=day("2026-03-02"), confirmed_on=day("2026-03-12")) == 10
    assert house_wait(date=day("2026-02-23"), registered_on=day("2026-03-02"), confirmed_on=day("2026-03-12")) == 10
    assert house_wait(date=day("2026-03-05"), registered_on=day("2026-03-02"), confirmed_on=day("2026-03-12")) == 7
    assert house_wait(date=day("2026-03-20"), registered_on=day("2026-03-02"), confirmed_on=day("2026-03-12")) == 0
    assert house_wait(date=day("2026-03-02"), registered_on=day("2026-03-02"), confirmed_on=None) == 0


def test_an_organisation_changes_the_houses_a_sub_account_declares_for(organisation):
    """An outsider's HR office registered a new dormitory and could give it to its clerk only by
    ending the clerk's sub-account and opening another."""
    from residence.audit.models import AuditEvent

    api, houses = organisation
    body = {"username": "org_desk7", "password": "Testing2026pass", "phone": "13812340007", "houses": []}
    created = api.post("/api/v1/organisations/sub-accounts", body).json()
    desk = Api("10.7.7.17").login("org_desk7", phone="13812340007")
    assert desk.post(DECLARATIONS, move_in(houses[1])).status_code == 403
    url = f"/api/v1/organisations/sub-accounts/{created['id']}/houses"
    given = api.call("PUT", url, {"houses": [houses[1]]})
    assert given.status_code == 200 and given.json() == {**created, "houses": [houses[1]]}
    assert [h["id"] for h in desk.get(HOUSES).json()] == [houses[1]]
    assert desk.post(DECLARATIONS, move_in(houses[1])).status_code == 201
    [event] = AuditEvent.objects.filter(type="sub_account_houses")
    assert event.subject_id == created["id"] and event.data == {"before": [], "after": [houses[1]]}
    # Refused, changing nothing: another's houses, not ids, a sub-account itself, another organisation.
    for bad in ([999999], ["1"], [True], "x"):
        answer = api.call("PUT", url, {"houses": bad})
        assert answer.status_code == 400 and "houses" in answer.json()["error"]["fields"], bad
    assert desk.call("PUT", url, {"houses": houses}).status_code == 403
    assert api.call("PUT", "/api/v1/organisations/sub-accounts/999999/houses", {"houses": []}).status_code == 404
    assert api.get("/api/v1/organisations/sub-accounts").json()[0]["houses"] == [houses[1]]
    # Taken away, the house is no longer the sub-account's; the same list again writes nothing.
    assert api.call("PUT", url, {"houses": [houses[0]]}).json()["houses"] == [houses[0]]
    assert desk.post(DECLARATIONS, move_in(houses[1], id_number=WANG_FANG)).status_code == 403
    assert api.call("PUT", url, {"houses": [houses[0]]}).status_code == 200
    assert AuditEvent.objects.filter(type="sub_account_houses").count() == 2
    # A deactivated sub-account declares for no house.
    assert api.post(f"/api/v1/organisations/sub-accounts/{created['id']}/deactivate").status_code == 200
    assert api.call("PUT", url, {"houses": houses}).status_code == 409


@pytest.mark.parametrize(
    ("cell", "read"),
    [
        ("2026/11/27", "2026-11-27"),
        ("2026/1/5", "2026-01-05"),
        ("2026.1.5", "2026-01-05"),
        ("2026-1-5", "2026-01-05"),
        ("2026-01-05", "2026-01-05"),
        ("2026/1-5", "2026/1-5"),  # two separators: left for the check to refuse
        ("5/1/2026", "5/1/2026"),  # day or month first: left as it is
        ("２０２６/1/5", "２０２６/1/5"),
    ],
)
def test_a_spreadsheets_year_first_dates_are_read_as_iso(cell, read):
    from residence.registrations.services import _spreadsheet_date

    assert _spreadsheet_date(cell) == read


def test_a_sub_accounts_list_of_houses_is_told_what_is_wrong_with_it(organisation):
    """An outsider's list with one house twice, and one id as text, was told the houses were not
    the organisation's."""
    api, houses = organisation
    body = {"username": "sub_houses", "password": "Testing2026pass", "phone": "13812340051"}
    said = {}
    for name, given in (("twice", [houses[0], houses[0]]), ("text", [str(houses[0])]), ("other", [999_999])):
        answer = api.post("/api/v1/organisations/sub-accounts", {**body, "houses": given}, HTTP_ACCEPT_LANGUAGE="en")
        assert answer.status_code == 400
        said[name] = answer.json()["error"]["fields"]["houses"]
    assert said == {
        "twice": ["Give each house once."],
        "text": ["Give each house by its id, a number (as the list of houses gives it)."],
        "other": ["Give the ids of houses your organisation holds."],
    }
    assert not User.objects.filter(username="sub_houses").exists()
    assert api.post("/api/v1/organisations/sub-accounts", {**body, "houses": [houses[0]]}).status_code == 201


def test_a_late_report_the_holder_declined_is_not_among_the_holders_late_declarations(landlord):
    """An outsider's dashboard counted among its own late declarations a tenant's report it had
    declined. The tenant's allowance (RULES §1) is worked by hand: a move-in of 2026-02-01 reported
    on 2026-03-02 is late."""
    api, _user, _house = landlord
    tenant, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    report = tenant.post(DECLARATIONS, {**tenant_report(), "date": "2026-02-01"}).json()
    assert Declaration.objects.get(pk=report["id"]).days_late > 0
    # Waiting, it is the holder's to answer: listed.
    assert [d["id"] for d in api.get(f"{DECLARATIONS}?late=1").json()] == [report["id"]]
    assert api.post(f"{DECLARATIONS}/{report['id']}/decline").status_code == 200
    assert api.get(f"{DECLARATIONS}?late=1").json() == []
    assert [d["status"] for d in api.get(DECLARATIONS).json()] == ["declined"]  # still listed among all


def test_a_report_overtaken_by_a_move_in_into_the_same_house_is_not_said_to_be_elsewhere(landlord):
    """An outsider's landlord declared its tenant into the very room the tenant had reported, then
    confirmed the report, and read that a move-in at another house was recorded first."""
    api, _user, house = landlord
    tenant, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    report = tenant.post(DECLARATIONS, tenant_report()).json()
    own = {**move_in(house["id"], id_number=WANG_FANG, date="2026-02-20"), "person": tenant_report()["person"]}
    assert api.post(DECLARATIONS, own).status_code == 201
    confirm = api.post(f"{DECLARATIONS}/{report['id']}/confirm", HTTP_ACCEPT_LANGUAGE="en")
    assert confirm.status_code == 409, confirm.content
    message = confirm.json()["error"]["message"]
    assert message.startswith("Another move-in of this person was recorded") and "elsewhere" not in message
    assert Declaration.objects.get(pk=report["id"]).status == "superseded"
