"""Residence registration under parallel requests on PostgreSQL: one occupancy per person, one
house per plate and account, one application of a bulk file."""

import pytest
from django.db import connection

from residence.records.models import Registration
from residence.registrations.models import BulkUpload, Declaration, House, Occupancy

from .applications import citizen_api
from .idnumbers import WANG_FANG
from .test_races import race, statuses
from .test_registrations import DECLARATIONS, HOUSES, LI_NA, bulk, confirmed, house_body, move_in, tenant_report

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races run on PostgreSQL (DESIGN §How 10)"),
]


def test_parallel_declarations_of_one_move_in_record_one(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    house = confirmed(api.post(HOUSES, house_body()).json())["id"]
    responses = race(10, lambda i: api.post(DECLARATIONS, move_in(house)))
    assert statuses(responses) == {201: 1, 409: 9}
    assert Declaration.objects.count() == 1 and Registration.objects.filter(id_number=LI_NA).count() == 1


def test_parallel_registrations_of_one_house_store_one(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    responses = race(8, lambda i: api.post(HOUSES, house_body()))
    assert statuses(responses) == {201: 1, 409: 7}
    assert House.objects.count() == 1


def test_parallel_confirmations_of_one_bulk_file_apply_it_once(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    house = confirmed(api.post(HOUSES, house_body()).json())["id"]
    text = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    text += f"{house},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27\n"
    upload = bulk(api, text).json()["upload"]
    responses = race(5, lambda i: api.post(f"/api/v1/registrations/declarations/bulk/{upload}/confirm"))
    assert statuses(responses) == {200: 1, 409: 4}
    assert Declaration.objects.count() == 1 and BulkUpload.objects.get().applied == 1


def test_two_files_confirmed_at_once_that_drew_the_same_references_are_both_applied(settings, monkeypatch):
    """An outsider's two 10,000-row files, confirmed at once, drew a reference in common (about a
    billion a day): one confirmation got a 500. Here every thread draws the same references, in
    the same order, so the two files always meet at their first."""
    import threading

    from residence.registrations import services

    drawn = threading.local()

    def same_in_every_thread(today):
        drawn.n = getattr(drawn, "n", -1) + 1
        return "DJ" + today.strftime("%y%m%d") + f"{drawn.n:06d}"

    monkeypatch.setattr(services, "_reference", same_in_every_thread)
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    houses = [confirmed(api.post(HOUSES, house_body(room=str(100 + i))).json())["id"] for i in range(2)]
    header = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    people = [("李娜", LI_NA), ("王芳", WANG_FANG)]
    uploads = [
        bulk(api, header + f"{houses[i]},move_in,{name},{number},1370000002{i},landlord,3,1,2026-02-27\n").json()[
            "upload"
        ]
        for i, (name, number) in enumerate(people)
    ]
    responses = race(2, lambda i: api.post(f"/api/v1/registrations/declarations/bulk/{uploads[i]}/confirm"))
    assert statuses(responses) == {200: 2}
    references = list(Declaration.objects.values_list("reference", flat=True))
    assert len(references) == len(set(references)) == 2 and Occupancy.objects.count() == 2


def test_parallel_move_ins_of_one_person_into_different_houses_record_one(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    houses = [confirmed(api.post(HOUSES, house_body(room=str(100 + i))).json())["id"] for i in range(6)]
    responses = race(6, lambda i: api.post(DECLARATIONS, move_in(houses[i])))
    assert statuses(responses) == {201: 1, 409: 5}
    assert Occupancy.objects.count() == 1 and Declaration.objects.count() == 1
    assert Registration.objects.filter(id_number=LI_NA, ended_on__isnull=True).count() == 1


def test_parallel_moves_of_a_resident_elsewhere_leave_one_home(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    houses = [confirmed(api.post(HOUSES, house_body(room=str(100 + i))).json())["id"] for i in range(6)]
    assert api.post(DECLARATIONS, move_in(houses[0], date="2026-02-01")).status_code == 201
    responses = race(5, lambda i: api.post(DECLARATIONS, move_in(houses[i + 1], date=f"2026-02-{10 + i}")))
    assert 500 not in statuses(responses) and statuses(responses)[201] >= 1
    assert Occupancy.objects.count() == 1
    assert Registration.objects.filter(id_number=LI_NA, ended_on__isnull=True).count() == 1


def test_parallel_self_reports_of_one_move_in_leave_one_waiting(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    confirmed(api.post(HOUSES, house_body()).json())
    tenant, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    report = tenant_report()
    responses = race(6, lambda i: tenant.post(DECLARATIONS, report))
    assert statuses(responses) == {201: 1, 409: 5}
    assert Declaration.objects.filter(status="pending").count() == 1


def test_parallel_confirmations_declines_and_a_withdrawal_of_one_report_answer_it_once(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    confirmed(api.post(HOUSES, house_body()).json())
    tenant, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    report = tenant_report()
    pk = tenant.post(DECLARATIONS, report).json()["id"]
    actions = ["confirm", "decline"] * 5 + ["withdraw"]

    def answer(i):
        caller = tenant if actions[i] == "withdraw" else api
        return caller.post(f"{DECLARATIONS}/{pk}/{actions[i]}")

    responses = race(len(actions), answer)
    assert statuses(responses) == {200: 1, 409: len(actions) - 1}
    declaration = Declaration.objects.get(pk=pk)
    assert declaration.status in ("recorded", "declined", "withdrawn")
    assert Registration.objects.filter(id_number=WANG_FANG).count() == (declaration.status == "recorded")
