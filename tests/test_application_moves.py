"""The supervisor's reassignment (DESIGN, Roles): open applications move to another acceptance
point, each applicant told where and why. An outsider found no way at all for a supervisor to
move work, nor for an administrator to close a point that had any."""

import itertools
import re

import pytest
from django.db import connection

from residence.applications.models import Application, StatusChange
from residence.audit.models import AuditEvent
from residence.notifications import sms
from residence.notifications.models import Message
from residence.places.models import AcceptancePoint

from .applications import HOME_POINT, OTHER_POINT, application_body, citizen_api, eligible_records, staff_apis
from .conftest import error_code
from .test_desk_pages import desk, page, post
from .test_races import race, statuses

URL = "/api/v1/applications"


@pytest.fixture
def world(settings, db):
    settings.FROZEN_TODAY = "2026-03-02"
    api, user = citizen_api()
    eligible_records()
    return api, user


def signed_in_admin():
    """A system administrator signed in on the web (the admin closes points), as the server would."""
    from residence.accounts.models import User

    from .conftest import AdminBrowser, last_code

    User.objects.create_superuser(username="race_admin", password="Admin2026pass", phone="13900008885", kind="staff")
    admin = AdminBrowser()
    admin.post("/accounts/login/", {"platform": "permit", "username": "race_admin", "password": "Admin2026pass"})
    admin.post("/accounts/login/verify/", {"code": last_code("13900008885")})
    return admin


def move(client, app, point=OTHER_POINT, reason="受理点装修暂停办理", without_clerk=True):
    """A supervisor's move; by default to a point whether or not a clerk works there (the tests
    here are about the move, not the points' clerks)."""
    body = {"acceptance_point": point, "reason": reason, "without_clerk": without_clerk}
    return client.post(f"/api/v1/staff/applications/{app['id']}/move", body)


def test_a_move_to_a_point_where_no_clerk_works_is_refused_unless_said_so(world):
    """An outsider's supervisor moved an application to a point nobody works at; its card,
    dispatched there, could be received by no one and moved nowhere."""
    api, _user = world
    app = api.post(URL, application_body()).json()
    staff = staff_apis(["supervisor"])
    assert move(staff.supervisor, app, without_clerk="true").status_code == 400  # a boolean, as the others
    refused = move(staff.supervisor, app, without_clerk=False)
    assert refused.status_code == 409 and "No clerk works at" in refused.json()["error"]["message"]
    assert Application.objects.get(pk=app["id"]).acceptance_point_id == HOME_POINT
    assert move(staff.supervisor, app, without_clerk=True).status_code == 200
    assert Application.objects.get(pk=app["id"]).acceptance_point_id == OTHER_POINT
    staff_apis(["clerk"])  # a clerk at the home point: a move back needs no word
    back = staff.supervisor.post(
        f"/api/v1/staff/applications/{app['id']}/move", {"acceptance_point": HOME_POINT, "reason": "装修结束"}
    )
    assert back.status_code == 200 and back.json()["acceptance_point"]["code"] == HOME_POINT


def test_a_supervisor_moves_an_application_and_the_applicant_is_told_where_and_why(world):
    api, user = world
    app = api.post(URL, application_body()).json()
    staff = staff_apis(["supervisor", "clerk", "police"])
    sms.outbox.clear()
    moved = move(staff.supervisor, app)
    assert moved.status_code == 200 and moved.json()["acceptance_point"]["code"] == OTHER_POINT
    assert moved.json()["status"] == "accepted"  # the status and the deadlines stay
    assert api.get(f"{URL}/{app['id']}").json()["acceptance_point"]["code"] == OTHER_POINT
    message = Message.objects.get(user=user, key="application_moved")
    assert message.params["reason"] == "受理点装修暂停办理" and message.params["reference"] == app["reference"]
    point = AcceptancePoint.objects.get(code=OTHER_POINT)
    assert any(point.name in m["text"] and "受理点装修暂停办理" in m["text"] for m in sms.outbox)
    event = AuditEvent.objects.get(type="application_changed", data__action="move")
    assert (event.data["point_from"], event.data["point_to"]) == (HOME_POINT, OTHER_POINT)
    assert event.address == "10.3.09.1"  # the supervisor's, as every other step records it
    # In the application's history too, which its applicant reads (an outsider found it only in the audit).
    home = AcceptancePoint.objects.get(code=HOME_POINT)
    last = api.get(f"{URL}/{app['id']}").json()["history"][-1]
    assert last == {"status": "accepted", "at": last["at"], "note": f"{home.name} → {point.name}：受理点装修暂停办理"}
    # A verifier, who is not shown the reason, reads a move as one, not "Accepted" a second time (an outsider).
    history = page(desk("insurance"), f"/staff/applications/{app['id']}/").split('class="timeline"')[1]
    assert history.count("Accepted") == 1 and history.count("Moved to another acceptance point") == 1
    # The clerk of the old point no longer handles it; a move to where it is changes nothing.
    assert staff.clerk.get(f"/api/v1/staff/applications/{app['id']}").status_code == 403
    assert move(staff.supervisor, app).status_code == 200
    assert AuditEvent.objects.filter(type="application_changed", data__action="move").count() == 1
    assert len(api.get(f"{URL}/{app['id']}").json()["history"]) == 2
    # Only a supervisor; an open point; a reason in one line.
    assert move(staff.police, app, HOME_POINT).status_code == 403
    AcceptancePoint.objects.filter(code=HOME_POINT).update(active=False)
    closed = move(staff.supervisor, app, HOME_POINT)
    assert closed.status_code == 400 and "acceptance_point" in closed.json()["error"]["fields"]
    AcceptancePoint.objects.filter(code=HOME_POINT).update(active=True)
    blank = move(staff.supervisor, app, HOME_POINT, reason="  ")
    assert blank.status_code == 400 and "reason" in blank.json()["error"]["fields"]
    # A reason a spreadsheet would run is refused saying so (an outsider read only "hidden characters").
    formula = move(staff.supervisor, app, HOME_POINT, reason="=1+1 转办")
    assert "not starting with =" in formula.json()["error"]["fields"]["reason"][0]
    assert Application.objects.get().acceptance_point_id == OTHER_POINT


def test_a_card_that_left_production_does_not_move(world):
    api, _user = world
    app = api.post(URL, application_body()).json()
    staff = staff_apis(["supervisor", "police", "insurance", "reviewer", "production"])
    base = f"/api/v1/staff/applications/{app['id']}"
    staff.police.post(f"{base}/verify", {"department": "police", "outcome": "confirmed"})
    staff.insurance.post(f"{base}/verify", {"department": "social_insurance", "outcome": "confirmed"})
    for client, action in ((staff.reviewer, "approve"), (staff.production, "produce"), (staff.production, "dispatch")):
        assert client.post(f"{base}/{action}", {}).status_code == 200, action
    refused = move(staff.supervisor, app)
    assert refused.status_code == 409 and error_code(refused) == "conflict"
    assert Application.objects.get().acceptance_point_id == HOME_POINT


def test_the_supervisor_moves_a_points_applications_on_the_desk_after_seeing_how_many(world):
    api, _user = world
    first = api.post(URL, application_body()).json()
    supervisor = desk("supervisor")
    dashboard = page(supervisor, "/staff/applications/dashboard/")
    assert f'href="/staff/applications/move/?from={HOME_POINT}"' in dashboard
    form = page(supervisor, f"/staff/applications/move/?from={HOME_POINT}")
    assert f'<option value="{HOME_POINT}" selected>' in form
    body = {"from_point": HOME_POINT, "to_point": OTHER_POINT, "reason": "窗口人员不足。"}
    ask = supervisor.post("/staff/applications/move/", body).content.decode()
    assert 'data-testid="move-confirm"' in ask and "1 application will move" in ask and first["reference"] in ask
    assert "“窗口人员不足。”" in ask and "“窗口人员不足。”." not in ask  # the reason's own stop, once
    assert Application.objects.get(pk=first["id"]).acceptance_point_id == HOME_POINT  # asked, nothing moved yet
    # Moved in after the supervisor was shown the list: not moved with it (an outsider).
    late_api, _late = citizen_api("citizen3", "13812345677", "44030419900101555", "王芳")
    eligible_records(_late.person.id_number)
    late = late_api.post(URL, application_body(photo_receipt="PZLATE0001")).json()
    shown = ask[ask.index('name="ids" value="') + len('name="ids" value="') :].split('"')[0]
    assert shown == str(first["id"])
    done = post(supervisor, "/staff/applications/move/", {**body, "ids": shown, "confirmed": "1"})
    assert done["Location"] == "/staff/applications/dashboard/"
    moved = page(supervisor, done["Location"])
    # Nothing said of some left behind when none were (an outsider read of some).
    assert "1 application(s) moved" in moved and "stayed" not in moved
    assert Application.objects.get(pk=first["id"]).acceptance_point_id == OTHER_POINT
    assert Application.objects.get(pk=late["id"]).acceptance_point_id == HOME_POINT
    # Confirmed again (the back button): nothing moves twice, and it is not blamed on a card dispatched.
    again = post(supervisor, "/staff/applications/move/", {**body, "ids": shown, "confirmed": "1"})
    said = page(supervisor, again["Location"])
    assert "No application moved" in said and "the 1 listed had been moved already" in said
    assert "each applicant is told" not in said
    assert StatusChange.objects.filter(application_id=first["id"], action="move").count() == 1
    same = supervisor.post("/staff/applications/move/", {**body, "to_point": HOME_POINT}).content.decode()
    assert "Choose another point than the one they leave." in same
    assert "Only a supervisor" in page(desk("clerk"), "/staff/applications/move/", status=403)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races run on PostgreSQL (DESIGN §How 10)")
def test_parallel_moves_of_one_application_leave_it_at_one_point_and_audit_each_real_move(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    eligible_records()
    app = api.post(URL, application_body()).json()
    staff = staff_apis(["supervisor"])
    responses = race(12, lambda i: move(staff.supervisor, app, OTHER_POINT if i % 2 else HOME_POINT))
    assert statuses(responses) == {200: 12}, [r.content[:300] for r in responses if r.status_code != 200][:2]
    final = Application.objects.get().acceptance_point_id
    moves = list(AuditEvent.objects.filter(type="application_changed", data__action="move").order_by("id"))
    # Each real move left from where the one before it arrived, and the last arrived where it is.
    assert all(a.data["point_to"] == b.data["point_from"] for a, b in itertools.pairwise(moves))
    assert not moves or moves[-1].data["point_to"] == final


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races run on PostgreSQL (DESIGN §How 10)")
def test_a_step_taken_while_the_application_moves_is_not_lost_as_not_found(settings):
    """A transition that waited for the row lock of a move re-checked its join to the old point
    and found nothing: a 404 for an application that exists."""
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    eligible_records()
    app = api.post(URL, application_body()).json()
    staff = staff_apis(["supervisor", "police"])
    verify = f"/api/v1/staff/applications/{app['id']}/verify"

    def act(i):
        if i % 2:
            return move(staff.supervisor, app, OTHER_POINT if i % 4 == 1 else HOME_POINT)
        return staff.police.post(verify, {"department": "police", "outcome": "confirmed"})

    responses = race(10, act)
    assert 404 not in statuses(responses) and 500 not in statuses(responses)
    verifications = [r for i, r in enumerate(responses) if i % 2 == 0]
    assert sorted(r.status_code for r in verifications) == [200, 409, 409, 409, 409]
    assert Application.objects.get().verifications.get(department="police").status == "confirmed"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races run on PostgreSQL (DESIGN §How 10)")
def test_a_point_closing_while_an_application_moves_in_never_keeps_it(settings):
    """An outsider closed a point in the admin while a supervisor moved an application into it:
    both succeeded, and the application waited at a closed point."""

    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    eligible_records()
    app = api.post(URL, application_body()).json()
    staff = staff_apis(["supervisor"])
    admin = signed_in_admin()
    target = AcceptancePoint.objects.get(code="44030300101")
    closing = {"name": target.name, "kind": target.kind, "street": target.street_id, "address": target.address}
    for _round in range(3):
        AcceptancePoint.objects.filter(code=target.code).update(active=True)
        Application.objects.filter(pk=app["id"]).update(acceptance_point_id=HOME_POINT)

        def act(i):
            if i == 0:
                return admin.post(f"/admin/places/acceptancepoint/{target.code}/change/", {**closing, "active": ""})
            return move(staff.supervisor, app, target.code, reason=f"第 {i} 次")

        race(4, act)
        point_open = AcceptancePoint.objects.get(code=target.code).active
        moved_in = Application.objects.get(pk=app["id"]).acceptance_point_id == target.code
        assert point_open or not moved_in


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races run on PostgreSQL (DESIGN §How 10)")
def test_a_point_closing_while_its_only_clerk_leaves_never_keeps_work_with_nobody(settings):
    """An outsider closed a point in the admin while `set_staff_point` moved its only clerk away:
    both went through in 11 of 12 rounds, and the point kept an open application and no clerk."""
    from django.core.management import call_command

    from residence.accounts.models import User
    from residence.accounts.services import staff_create

    from .conftest import PASSWORD

    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    eligible_records()
    app = api.post(URL, application_body()).json()  # at HOME_POINT
    staff_create(
        username="only_clerk",
        password=PASSWORD,
        phone="13900008886",
        role="clerk",
        point=AcceptancePoint.objects.get(code=HOME_POINT),
    )
    admin = signed_in_admin()
    point = AcceptancePoint.objects.get(code=HOME_POINT)
    closing = {"name": point.name, "kind": point.kind, "street": point.street_id, "address": point.address}
    for _round in range(4):
        AcceptancePoint.objects.filter(code=HOME_POINT).update(active=True)
        User.objects.filter(username="only_clerk").update(point_id=HOME_POINT)

        def act(i):
            if i == 0:
                return admin.post(f"/admin/places/acceptancepoint/{HOME_POINT}/change/", {**closing, "active": ""})
            try:
                call_command("set_staff_point", "--username", "only_clerk", "--point", "44030300101")
            except Exception as error:  # the refusal, as the operator reads it
                return error

        race(2, act)
        closed = not AcceptancePoint.objects.get(code=HOME_POINT).active
        clerks = User.objects.filter(point_id=HOME_POINT, role="clerk", is_active=True).count()
        open_work = Application.objects.filter(pk=app["id"], acceptance_point_id=HOME_POINT).exists()
        assert not (closed and open_work and clerks == 0)


def counter_applications(clerk, count: int, start: int = 0) -> list[int]:
    """`count` applications taken in at HOME_POINT's counter for as many people (records imported)."""
    from .test_account_changes import identity

    ids = []
    for i in range(start, start + count):
        number = identity(f"36010219950812{i:02d}3", "李娜")
        body = {
            **application_body(photo_receipt=f"CTMOVE{i:04d}", acceptance_point=HOME_POINT),
            "applicant": {"name": "李娜", "id_number": number, "phone": f"137000{i:05d}"},
            "portrait_captured": True,
        }
        created = clerk.post("/api/v1/staff/applications", body)
        assert created.status_code == 201, created.content
        ids.append(created.json()["id"])
    return ids


def test_a_busy_points_move_is_written_set_based_each_application_whole(world, django_assert_max_num_queries):
    # An outsider's supervisor moved a point's 1,318 applications one by one, four queries and a
    # notice each: the request timed out. The queries of a move no longer grow with its size.
    from residence.applications import services

    staff = staff_apis(["clerk", "supervisor"])
    supervisor = staff.users["supervisor"]
    few = counter_applications(staff.clerk, 3)

    def moved(ids):
        return services.applications_move_from(
            actor=supervisor, from_code=HOME_POINT, point_code=OTHER_POINT, reason="受理点装修暂停办理", only=ids
        )

    # The log of queries is bounded: what the set-up filled it with would leave no room to count.
    connection.queries_log.clear()
    with django_assert_max_num_queries(40) as small:
        assert moved(few) == 3
    queries_for_three = len(small)
    many = counter_applications(staff.clerk, 12, start=3)
    connection.queries_log.clear()
    with django_assert_max_num_queries(queries_for_three):
        assert moved(many) == 12
    for application in Application.objects.filter(pk__in=few + many).select_related("person"):
        assert application.acceptance_point_id == OTHER_POINT
        assert application.history.filter(action="move", note__endswith="受理点装修暂停办理").count() == 1
        document = application.document
        assert f'"code":"{OTHER_POINT}"' in document and "受理点装修暂停办理" in document
        assert AuditEvent.objects.filter(
            type="application_changed", data__application=application.reference, data__action="move"
        ).exists()
        assert any(application.reference in m["text"] for m in sms.outbox if m["to"] == application.person.phone)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks outside a test's transaction: PostgreSQL")
def test_a_points_move_on_the_desk_commits_chunk_by_chunk_and_stops_at_a_point_closed_meanwhile(settings, monkeypatch):
    # Each chunk is its own transaction, as on the live server (a test's own transaction hid that
    # the chunks' row locks need one each); the point it moves to closed after the first chunk.
    from residence.applications import services

    settings.FROZEN_TODAY = "2026-03-02"
    staff = staff_apis(["clerk"])
    ids = counter_applications(staff.clerk, 5)
    monkeypatch.setattr(services, "MOVE_CHUNK", 2)
    chunks = []
    original = services._move_chunk

    def chunk_then_close(*args, **kwargs):
        chunks.append(original(*args, **kwargs))
        AcceptancePoint.objects.filter(code=OTHER_POINT).update(active=False)
        return chunks[-1]

    monkeypatch.setattr(services, "_move_chunk", chunk_then_close)
    supervisor = desk("supervisor")
    body = {"from_point": HOME_POINT, "to_point": OTHER_POINT, "reason": "窗口人员不足", "confirmed": "1"}
    answer = supervisor.post("/staff/applications/move/", {**body, "ids": ",".join(map(str, ids))})
    assert answer.status_code == 409
    assert "was closed while the applications moved: 2 moved there" in answer.content.decode()
    assert chunks == [2, None]
    at = dict(Application.objects.filter(pk__in=ids).values_list("pk", "acceptance_point_id"))
    assert [at[pk] for pk in sorted(ids)] == [OTHER_POINT] * 2 + [HOME_POINT] * 3


def test_a_long_move_on_the_desk_goes_on_request_by_request_saying_how_far_it_got(world, monkeypatch):
    # An outsider's move of 1,650 applications under load took 15 s in one request; thousands
    # would outlast the server's timeout. A request starts chunks for MOVE_SECONDS, then the page
    # says how far it got and asks for the rest (at once with JavaScript, by a button without).
    from residence.applications import services, staff_views

    staff = staff_apis(["clerk"])
    ids = counter_applications(staff.clerk, 5)
    monkeypatch.setattr(services, "MOVE_CHUNK", 2)
    monkeypatch.setattr(staff_views, "MOVE_SECONDS", -1)  # one chunk a request
    supervisor = desk("supervisor")
    body = {"from_point": HOME_POINT, "to_point": OTHER_POINT, "reason": "窗口人员不足"}
    ask = page_of(supervisor.post("/staff/applications/move/", body))
    # Nobody works at OTHER_POINT's counter yet: said before the move.
    assert 'data-testid="move-no-clerk"' in ask and "5 applications will move" in ask
    # The button says the move goes against the warning (an outsider read it as refused, and pressed).
    assert "Move them anyway</button>" in ask
    form = {**body, "ids": ",".join(map(str, ids)), "confirmed": "1"}
    for moved, left in ((2, 3), (4, 1)):
        going_on = page_of(supervisor.post("/staff/applications/move/", form))
        assert f"{moved} of 5 applications moved" in going_on and "data-auto-submit" in going_on
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', going_on))
        assert len(fields["ids"].split(",")) == left and fields["moved_before"] == str(moved)
        form = {**form, **{k: fields[k] for k in ("ids", "moved_before", "total")}}
    done = supervisor.post("/staff/applications/move/", form)
    assert done.status_code == 302
    assert "5 application(s) moved" in page(supervisor, done["Location"])
    assert set(Application.objects.filter(pk__in=ids).values_list("acceptance_point_id", flat=True)) == {OTHER_POINT}
    staff_apis(["other_clerk"])
    back = {**body, "from_point": OTHER_POINT, "to_point": HOME_POINT}
    fine = page_of(supervisor.post("/staff/applications/move/", back))
    assert 'data-testid="move-no-clerk"' not in fine and "Move them</button>" in fine


def page_of(response):
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()
