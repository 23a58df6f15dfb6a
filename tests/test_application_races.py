"""Applications under parallel requests on PostgreSQL: one open application per person, one use
of a photo receipt, one transition when two staff act at once, one payment, unique permit numbers."""

import pytest
from django.db import connection

from residence.accounts.services import staff_create
from residence.applications.models import Application, Payment, StatusChange

from .applications import application_body, citizen_api, confirm_all, eligible_records, live_permit, staff_apis
from .conftest import PASSWORD, Api, error_code
from .idnumbers import with_check
from .test_races import race, statuses

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races run on PostgreSQL (DESIGN §How 10)"),
]
URL = "/api/v1/applications"


@pytest.fixture
def world(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, user = citizen_api()
    eligible_records()
    return api, user


def test_ten_parallel_submissions_of_one_person_store_one(world):
    api, _user = world
    responses = race(10, lambda i: api.post(URL, application_body(photo_receipt=f"PZRACE{i:04d}")))
    assert statuses(responses) == {201: 1, 409: 9}
    assert {error_code(r) for r in responses if r.status_code == 409} == {"open_application"}
    assert Application.objects.count() == 1


def test_one_photo_receipt_used_by_several_people_at_once_is_stored_once(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    people = []
    for i in range(6):
        body17 = f"440304199001{i + 10:02d}555"
        api, _user = citizen_api(f"racer{i}", f"138123400{i:02d}", body17, "王芳")
        people.append(api)
    responses = race(
        6, lambda i: people[i].post(URL, application_body(photo_receipt="PZSHARED01", acceptance_point="44030400401"))
    )
    assert statuses(responses) == {201: 1, 409: 5}
    assert {error_code(r) for r in responses if r.status_code == 409} == {"conflict"}
    assert Application.objects.count() == 1


def test_two_reviewers_deciding_at_once_one_wins(world):
    api, _user = world
    staff = staff_apis(["police", "insurance", "reviewer"])
    staff_create(
        username="staff_reviewer2", password=PASSWORD, phone="13900001099", role="reviewer", department="police"
    )
    second = Api("10.3.99.1").login("staff_reviewer2", phone="13900001099")
    app = api.post(URL, application_body()).json()
    confirm_all(staff, app)
    clients = [staff.reviewer, second]
    actions = [("approve", {}), ("reject", {"reasons": ["材料不全"]})]
    responses = race(
        2, lambda i: clients[i].post(f"/api/v1/staff/applications/{app['id']}/{actions[i][0]}", actions[i][1])
    )
    assert statuses(responses) == {200: 1, 409: 1}
    decided = StatusChange.objects.filter(application_id=app["id"], status__in=["approved", "rejected"])
    assert decided.count() == 1
    winner = next(r for r in responses if r.status_code == 200).json()["status"]
    assert Application.objects.get(pk=app["id"]).status == winner


def test_a_courier_delivering_and_returning_one_card_at_once_does_one(world):
    api, _user = world
    staff = staff_apis(["police", "insurance", "reviewer", "production", "courier"])
    app = api.post(URL, application_body(delivery={"method": "courier", "address": "深圳市福田区福华路 8 号"})).json()
    confirm_all(staff, app)
    for action in ("approve", "produce", "dispatch"):
        client = staff.reviewer if action == "approve" else staff.production
        assert client.post(f"/api/v1/staff/applications/{app['id']}/{action}", {}).status_code == 200
    steps = [("deliver", {"identity_checked": True}), ("return", {"reason": "无人签收"})] * 3
    responses = race(
        6, lambda i: staff.courier.post(f"/api/v1/staff/applications/{app['id']}/{steps[i][0]}", steps[i][1])
    )
    assert statuses(responses) == {200: 1, 409: 5}
    moved = StatusChange.objects.filter(application_id=app["id"], action__in=["deliver", "return"])
    assert moved.count() == 1
    assert (
        Application.objects.get(pk=app["id"]).status
        == next(r for r in responses if r.status_code == 200).json()["status"]
    )


def test_parallel_production_gives_every_card_its_own_permit_number(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    staff = staff_apis(["police", "insurance", "reviewer", "production"])
    applications = []
    for i in range(8):
        body17 = f"430102199003{i + 10:02d}123"
        api, _user = citizen_api(f"maker{i}", f"138123411{i:02d}", body17, "张伟")
        eligible_records(with_check(body17))
        app = api.post(URL, application_body(photo_receipt=f"PZMAKE{i:04d}")).json()
        confirm_all(staff, app)
        staff.reviewer.post(f"/api/v1/staff/applications/{app['id']}/approve", {})
        applications.append(app)
    responses = race(
        8, lambda i: staff.production.post(f"/api/v1/staff/applications/{applications[i]['id']}/produce", {})
    )
    assert statuses(responses) == {200: 8}
    numbers = [r.json()["permit_number"] for r in responses]
    assert len(set(numbers)) == 8


@pytest.mark.parametrize("same_key", [False, True])
def test_two_payments_racing_charge_once(settings, same_key):
    settings.FROZEN_TODAY = "2026-03-02"
    api, user = citizen_api()
    eligible_records()
    staff = staff_apis(["police", "insurance", "reviewer"])
    live_permit(user, "4403202500000001")
    app = api.post(URL, application_body(kind="replacement")).json()
    confirm_all(staff, app)
    assert (
        staff.reviewer.post(f"/api/v1/staff/applications/{app['id']}/approve", {}).json()["status"]
        == "awaiting_payment"
    )
    responses = race(
        4,
        lambda i: api.post(
            f"{URL}/{app['id']}/payment",
            {"provider": "sandbox"},
            HTTP_IDEMPOTENCY_KEY="press" if same_key else f"press-{i}",
        ),
    )
    # One press repeated (the same key) is answered with its one payment every time; four
    # different presses: one pays, the others are told it is paid.
    assert statuses(responses) == ({200: 4} if same_key else {200: 1, 409: 3})
    # Told it is paid, not only the application's status (an outsider's retries could not tell).
    assert all("already been paid" in r.json()["error"]["message"] for r in responses if r.status_code == 409)
    assert Payment.objects.count() == 1
    assert Application.objects.get(pk=app["id"]).status == "approved"


def test_the_applicant_online_and_the_clerk_at_the_counter_paying_at_once_charge_once(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, user = citizen_api()
    eligible_records()
    staff = staff_apis(["clerk", "police", "insurance", "reviewer"])
    live_permit(user, "4403202500000001")
    app = api.post(URL, application_body(kind="replacement")).json()
    confirm_all(staff, app)
    staff.reviewer.post(f"/api/v1/staff/applications/{app['id']}/approve", {})
    responses = race(
        8,
        lambda i: (
            api.post(f"{URL}/{app['id']}/payment", {"provider": "sandbox"}, HTTP_IDEMPOTENCY_KEY=f"press-{i}")
            if i % 2
            else staff.clerk.post(f"/api/v1/staff/applications/{app['id']}/payment", {})
        ),
    )
    assert statuses(responses) == {200: 1, 409: 7}
    assert Payment.objects.count() == 1
    assert StatusChange.objects.filter(application_id=app["id"], action="pay").count() == 1


def test_a_calendar_change_racing_a_staff_action_waits_for_it_instead_of_deadlocking(world):
    """An outsider's calendar change, loaded while staff acted, died of a deadlock after the calendar
    was saved (every deadline left on the old one) and gave a staff action a 500. Here a step holds
    its application, as every step does first, and writes its deadlines after the change's
    recompute has begun: the recompute waits for it, and both finish."""
    import datetime as dt
    import threading
    import time

    from django.db import connections, transaction

    from residence.applications.models import Deadline
    from residence.core.services import calendar_day_set

    api, _user = world
    app = api.post(URL, application_body()).json()
    locked, errors = threading.Event(), []

    def step():
        try:
            with transaction.atomic():
                Application.objects.select_for_update().get(pk=app["id"])
                locked.set()
                time.sleep(1.5)  # the recompute is under way meanwhile
                Deadline.objects.filter(application_id=app["id"]).update(reminded_on=dt.date(2026, 3, 2))
        except Exception as e:  # a deadlock ends one side: the test must see it
            errors.append(e)
        finally:
            connections.close_all()

    holder = threading.Thread(target=step)
    holder.start()
    assert locked.wait(5)
    calendar_day_set(date=dt.date(2026, 3, 4), working=False, name="typhoon")  # its recompute runs on commit
    holder.join()
    assert errors == []
    due = dict(Deadline.objects.filter(application_id=app["id"]).values_list("step", "due_on"))
    assert due["verification"] == dt.date(2026, 3, 6) and due["whole"] == dt.date(2026, 3, 24)


def test_family_members_added_at_once_from_several_tabs_are_all_kept(settings):
    """An outsider's two tabs added a family member each at the same moment: both were told it was
    saved, and one of the two was lost (each step rewrote the whole draft it had read)."""
    from residence.accounts.services import real_name_verify
    from residence.applications.models import Draft

    from .conftest import CommittingClient, make_user
    from .test_account_changes import identity
    from .test_web import web_login

    settings.FROZEN_TODAY = "2026-03-02"
    user = make_user("citizen1", "13812345678")
    real_name_verify(user=user, name="张伟", id_number=identity("43010219900307123", "张伟"))
    eligible_records()
    signed_in = CommittingClient()
    assert web_login(signed_in, remember=True).status_code == 302
    names = ["王芳", "李娜", "刘洋", "陈静", "杨帆", "赵敏"]

    def add(i):
        tab = CommittingClient()
        tab.cookies = signed_in.cookies
        member = {"relation": "other", "name": names[i], "id_number": with_check(f"11010519900101{i:02d}1")}
        return tab.post("/applications/apply/family/add/", member)

    responses = race(len(names), add)
    assert statuses(responses) == {302: len(names)}
    kept = Draft.objects.get(user=user).data["family_members"]
    assert sorted(m["name"] for m in kept) == sorted(names)
