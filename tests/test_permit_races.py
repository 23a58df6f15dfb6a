"""Permits under parallel requests on PostgreSQL: one endorsement per window; imports against
the numbering and the issuing of cards."""

import time

import pytest
from django.db import connection

from residence.core.models import Sequence
from residence.permits.models import Endorsement, Permit, PermitEvent
from residence.records.services import records_import_rows

from .applications import application_body, citizen_api, eligible_records, staff_apis
from .idnumbers import WANG_FANG, ZHANG_WEI
from .test_permits import permit_for, short_of_insurance
from .test_races import race, statuses

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races run on PostgreSQL (DESIGN §How 10)"),
]


def test_five_parallel_endorsements_in_one_window_grant_one(settings):
    settings.FROZEN_TODAY = "2027-01-15"
    api, user = citizen_api()
    eligible_records()
    permit_for(user)
    responses = race(5, lambda i: api.post("/api/v1/permits/4403202600000777/endorsements"))
    assert statuses(responses) == {201: 1, 409: 4}
    assert Endorsement.objects.count() == 1 and PermitEvent.objects.filter(kind="endorsed").count() == 1
    assert Permit.objects.get().endorsed_until.isoformat() == "2028-03-02"


def test_parallel_retries_of_a_refused_endorsement_make_one_refusal(settings):
    """An outsider's twelve parallel retries got twelve refusals on record and twelve messages."""
    from residence.notifications.models import Message

    settings.FROZEN_TODAY = "2027-01-15"
    api, user = citizen_api()
    short_of_insurance()
    permit_for(user)
    responses = race(8, lambda i: api.post("/api/v1/permits/4403202600000777/endorsements"))
    assert statuses(responses) == {201: 8}
    assert {r.json()["outcome"] for r in responses} == {"refused"} and len({r.json()["id"] for r in responses}) == 1
    assert Endorsement.objects.count() == 1
    assert Message.objects.filter(user=user, key="endorsement_refused").count() == 1


def slow_permit_imports(monkeypatch):
    """Permit imports that hold their transaction (and its lock) a while after their checks and writes."""
    from residence.records import importing

    hooks = list(importing.AFTER_IMPORT["permits"])

    def slow(records):
        for hook in hooks:
            hook(records)
        time.sleep(0.6)

    monkeypatch.setitem(importing.AFTER_IMPORT, "permits", [slow])


def approved_first_application(settings):
    settings.FROZEN_TODAY = "2027-01-15"
    api, _user = citizen_api()
    eligible_records()
    staff = staff_apis(["police", "insurance", "reviewer", "production", "clerk"])
    app = api.post("/api/v1/applications", application_body()).json()
    base = f"/api/v1/staff/applications/{app['id']}"
    for department, client in (("police", staff.police), ("social_insurance", staff.insurance)):
        client.post(f"{base}/verify", {"department": department, "outcome": "confirmed"})
    assert staff.reviewer.post(f"{base}/approve", {}).json()["status"] == "approved"
    return staff, base


def test_a_hand_over_waits_for_a_permits_import_in_progress(settings, monkeypatch):
    # The hand-over's check (no other live permit) and an import's checks (no open application
    # issuing one, no second live permit) read several tables each: done under one lock, an
    # import cannot slip in between a hand-over's commit and its own reads, nor the reverse.
    staff, base = approved_first_application(settings)
    for client, action in ((staff.production, "produce"), (staff.production, "dispatch"), (staff.clerk, "receive")):
        assert client.post(f"{base}/{action}", {}).status_code == 200, action
    slow_permit_imports(monkeypatch)
    row = {"id_number": WANG_FANG, "number": "SZ2019000123", "issued_on": "2019-03-02", "endorsed_until": "2027-03-02"}

    def act(i):
        if i == 0:
            return records_import_rows("permits", [{**row, "status": "active"}])
        time.sleep(0.2)  # the import holds its lock, its rows written
        started = time.monotonic()
        response = staff.clerk.post(f"{base}/hand-over", {"identity_checked": True, "signed": True})
        return response, time.monotonic() - started

    imported, (handed, waited) = race(2, act)
    assert imported.applied and handed.status_code == 200
    assert waited > 0.3  # it waited for the import's commit (0.6 s of holding, 0.2 s already gone)
    live = Permit.objects.filter(status__in=["active", "suspended"])
    assert sorted(live.values_list("id_number", flat=True)) == sorted([ZHANG_WEI, WANG_FANG])


def test_an_import_of_the_next_number_while_a_card_is_made_is_passed_over(settings, monkeypatch):
    staff, base = approved_first_application(settings)
    slow_permit_imports(monkeypatch)
    last = Sequence.objects.filter(name="permit_number").values_list("value", flat=True).first() or 0
    following = f"44032027{last + 1:08d}"  # the number production would give next
    row = {"id_number": WANG_FANG, "number": following, "issued_on": "2019-03-02", "endorsed_until": "2021-03-02"}

    def act(i):
        if i == 0:
            return records_import_rows("permits", [{**row, "status": "cancelled"}])
        time.sleep(0.2)
        return staff.production.post(f"{base}/produce", {})

    imported, produced = race(2, act)
    assert imported.applied and produced.status_code == 200
    assert produced.json()["permit_number"] != following  # passed over the number the import took
    staff.production.post(f"{base}/dispatch", {})
    staff.clerk.post(f"{base}/receive", {})
    assert staff.clerk.post(f"{base}/hand-over", {"identity_checked": True, "signed": True}).status_code == 200


def test_a_late_endorsement_committed_while_the_sweep_waits_keeps_the_permit_active(settings):
    """An outsider's day's sweep, run while late endorsements were granted, suspended 27 permits
    just restored, from their new anniversary a year on: the sweep's UPDATE had waited for the
    row and re-checked only its status."""
    import datetime as dt
    import threading

    from django.db import connections, transaction

    from residence.permits import sweeps
    from residence.permits.services import endorsement_request

    settings.FROZEN_TODAY = "2027-03-10"  # issued 2026-03-02: lapsed on 2027-03-02, not yet swept
    api, user = citizen_api()
    eligible_records()
    permit_for(user)
    endorsed, swept = threading.Event(), []

    def endorse_and_hold():
        try:
            with transaction.atomic():
                endorsement_request(actor=user, number="4403202600000777")
                endorsed.set()
                time.sleep(1.0)  # the sweep's UPDATE is waiting for the row meanwhile
        finally:
            connections.close_all()

    def sweep():
        try:
            endorsed.wait(5)
            swept.append(sweeps.permits_suspend(dt.date(2027, 3, 10)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=endorse_and_hold), threading.Thread(target=sweep)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    permit = Permit.objects.get()
    assert swept == [0]
    assert (permit.status, permit.endorsed_until.isoformat(), permit.suspended_on) == ("active", "2028-03-10", None)
    assert not PermitEvent.objects.filter(kind="suspended", on__gt="2027-03-10").exists()
    assert api.get("/api/v1/permits").json()[0]["status"] == "active"
