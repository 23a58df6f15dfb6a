"""Residence registration under parallel requests on PostgreSQL: one occupancy per person, one
house per plate and account, one application of a bulk file."""

import pytest
from django.db import connection

from residence.records.models import Registration
from residence.registrations.models import BulkUpload, Declaration, House, Occupancy

from .applications import citizen_api
from .idnumbers import WANG_FANG
from .test_races import lock_held_elsewhere, race, statuses
from .test_registrations import (
    DECLARATIONS,
    HOUSES,
    LI_NA,
    bulk,
    confirmed,
    house_body,
    move_in,
    organisation_api,
    tenant_report,
)

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


def test_parallel_dry_runs_dated_against_anothers_record_tell_no_more_than_the_limit(settings):
    """Each refusal telling of another declarant's record of a person counts against the day, as a
    wrong name does: of ten dry runs at once, the limit's three are told, the rest refused alike."""
    settings.FROZEN_TODAY = "2026-03-02"
    settings.LIMIT_DECLARATION_NAME_FAILURES_PER_DAY = 3
    api, _user = citizen_api()
    house = confirmed(api.post(HOUSES, house_body()).json())["id"]
    assert api.post(DECLARATIONS, move_in(house, date="2026-02-20")).status_code == 201
    org, houses = organisation_api()
    text = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    text += f"{houses[0]},move_in,李娜,{LI_NA},13700000021,employer,3,1,2026-02-10\n"
    responses = race(10, lambda i: bulk(org, text))
    assert statuses(responses) == {200: 10}
    reasons = [r.json()["invalid"][0]["reason"] for r in responses]
    assert sum("began on or after" in reason for reason in reasons) == 3
    assert sum("differ from the population records" in reason for reason in reasons) == 7


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


def test_a_move_in_during_a_registrations_import_waits_for_it_and_ends_what_it_brought(settings, monkeypatch):
    """An outsider's import and declarations, each blind to the other's uncommitted rows, left
    people with two open registrations (and rewrote an accepted move-out's date). The declaration
    now waits for the import and reads what it brought: the imported registration ends the day
    before the move-in, as in either order one after the other."""
    import threading

    from django.db import connections

    from residence.records import importing
    from residence.records.services import records_import_rows

    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    house = confirmed(api.post(HOUSES, house_body()).json())["id"]
    writing = threading.Event()

    def slow_to_commit(records):  # the import has written its rows and holds its lock a while
        writing.set()
        threading.Event().wait(1.0)

    monkeypatch.setitem(
        importing.AFTER_IMPORT, "registrations", [*importing.AFTER_IMPORT["registrations"], slow_to_commit]
    )
    row = {
        "id_number": LI_NA,
        "street_code": "440305001",
        "address": "南山区某路 1 号",
        "registered_on": "2026-01-10",
        "ended_on": "",
    }

    def police_import():
        try:
            assert records_import_rows("registrations", [row]).applied
        finally:
            connections.close_all()

    importer = threading.Thread(target=police_import)
    importer.start()
    assert writing.wait(10)
    declared = api.post(DECLARATIONS, move_in(house, date="2026-02-27"))
    importer.join()
    assert declared.status_code == 201, declared.content
    rows = list(
        Registration.objects.filter(id_number=LI_NA).order_by("registered_on").values_list("registered_on", "ended_on")
    )
    assert [(str(a), str(b) if b else None) for a, b in rows] == [("2026-01-10", "2026-02-26"), ("2026-02-27", None)]


def test_a_move_in_waits_a_while_for_a_long_import_then_is_told_to_send_again(settings):
    from residence.records.importing import REGISTRATIONS_LOCK

    settings.FROZEN_TODAY = "2026-03-02"
    settings.DECLARATION_WAIT_SECONDS = 0.5
    api, _user = citizen_api()
    house = confirmed(api.post(HOUSES, house_body()).json())["id"]
    with lock_held_elsewhere(REGISTRATIONS_LOCK):
        refused = api.post(DECLARATIONS, move_in(house), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409 and refused["Retry-After"] == "60"
    assert "records are being updated just now" in refused.json()["error"]["message"]
    assert not Declaration.objects.exists() and not Registration.objects.exists()
    assert api.post(DECLARATIONS, move_in(house)).status_code == 201


def test_a_bulk_file_waits_a_while_for_anothers_confirmation_then_is_told_to_confirm_again(settings):
    """Three 10,000-row files confirmed at once each ran past gunicorn's timeout (an outsider's
    500s): files are applied one at a time, and one that waits too long is told so, unapplied."""
    from residence.registrations.services import BULK_CONFIRM_LOCK

    settings.FROZEN_TODAY = "2026-03-02"
    settings.BULK_CONFIRM_WAIT_SECONDS = 0.5
    api, _user = citizen_api()
    house = confirmed(api.post(HOUSES, house_body()).json())["id"]
    text = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"
    text += f"{house},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27\n"
    upload = bulk(api, text).json()["upload"]
    confirm = f"/api/v1/registrations/declarations/bulk/{upload}/confirm"
    with lock_held_elsewhere(BULK_CONFIRM_LOCK):
        refused = api.post(confirm, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409 and refused["Retry-After"] == "60"
    assert "Confirm this one again in a minute" in refused.json()["error"]["message"]
    assert not Declaration.objects.exists() and BulkUpload.objects.get().applied_at is None
    assert api.post(confirm).status_code == 200
    assert Declaration.objects.count() == 1


def test_two_holders_confirming_one_persons_two_reports_at_once_leave_none_waiting(settings):
    """An outsider's two holders confirmed one tenant's two reports at once: one won, the other was
    told "try again", and its report stayed pending for good, every retry refused. The loser's
    report is closed as superseded, as it is when the two come one after the other."""
    settings.FROZEN_TODAY = "2026-03-02"
    holders = [citizen_api()[0], citizen_api("citizen3", "13812345677", "11010519491231002", "赵敏")[0]]
    for holder, room in zip(holders, ("101", "202"), strict=True):
        confirmed(holder.post(HOUSES, house_body(room=room)).json())
    tenant, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    reports = [tenant.post(DECLARATIONS, tenant_report(room=room)).json()["id"] for room in ("101", "202")]
    responses = race(2, lambda i: holders[i].post(f"{DECLARATIONS}/{reports[i]}/confirm", HTTP_ACCEPT_LANGUAGE="en"))
    assert statuses(responses) == {200: 1, 409: 1}
    [lost] = [r for r in responses if r.status_code == 409]
    assert "closed as superseded" in lost.json()["error"]["message"]
    assert sorted(Declaration.objects.filter(pk__in=reports).values_list("status", flat=True)) == [
        "recorded",
        "superseded",
    ]
    assert Occupancy.objects.count() == 1
    assert Registration.objects.filter(id_number=WANG_FANG, ended_on__isnull=True).count() == 1


def test_two_holders_of_one_room_confirming_its_report_at_once_answer_it_once(settings):
    """An outsider's two accounts held one room; a tenant's report of it, confirmed by both at once,
    answered the loser 404 (its house read from before the winner's answer), where 409 is due."""
    settings.FROZEN_TODAY = "2026-03-02"
    holders = [citizen_api()[0], citizen_api("citizen3", "13812345677", "11010519491231002", "赵敏")[0]]
    for holder in holders:
        confirmed(holder.post(HOUSES, house_body()).json())
    tenant, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    report = tenant.post(DECLARATIONS, tenant_report()).json()["id"]
    responses = race(2, lambda i: holders[i].post(f"{DECLARATIONS}/{report}/confirm"))
    assert statuses(responses) == {200: 1, 409: 1}
    assert Declaration.objects.get(pk=report).status == "recorded" and Occupancy.objects.count() == 1
