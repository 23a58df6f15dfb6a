"""Applications through the API: the whole journey, every role and scope check, the messages."""

import datetime as dt
import io
import json
import os
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from django.test import Client, TestCase
from django.utils import translation
from reportlab.pdfbase import pdfmetrics

from residence.accounts.services import staff_create
from residence.applications import documents, receipts
from residence.applications.models import Application, Deadline, FamilyMember, StatusChange
from residence.applications.selectors import supervisor_dashboard
from residence.audit.models import AuditEvent
from residence.audit.services import person_index
from residence.core.validators import mask_id_number
from residence.notifications import sms
from residence.notifications.catalogue import render_message
from residence.notifications.models import Message, SmsMessage
from residence.notifications.services import sms_text
from residence.permits.models import Permit
from residence.records.models import Identity
from residence.records.services import records_import_rows

from .applications import (
    HOME_POINT,
    OTHER_POINT,
    application_body,
    citizen_api,
    confirm_all,
    eligible_records,
    live_permit,
    staff_apis,
)
from .conftest import PASSWORD, Api, error_code
from .idnumbers import FOREIGNER, GB11643_EXAMPLES, HONG_KONG, ZHANG_WEI, with_check, wrong_check
from .test_web import web_login

pytestmark = pytest.mark.django_db
URL = "/api/v1/applications"


@pytest.fixture
def world(settings):
    settings.FROZEN_TODAY = "2026-03-02"  # a Monday; 2026's schedule is published
    api, user = citizen_api()
    eligible_records()
    return api, user


@pytest.fixture
def staff(world):
    return staff_apis()


def submit(api, **extra):
    response = api.post(URL, application_body(**extra))
    assert response.status_code == 201, response.content
    return response.json()


def act(client, application, action, body=None, expect=200):
    response = client.post(f"/api/v1/staff/applications/{application['id']}/{action}", body or {})
    assert response.status_code == expect, response.content
    return response.json()


def test_with_the_streets_point_closed_the_applicant_is_asked_to_choose_another(world):
    """An outsider registered in a street whose point was closed was told "You have no current
    residence registration"."""
    from residence.places.models import AcceptancePoint

    api, _user = world
    AcceptancePoint.objects.filter(street_id="440304004").update(active=False)
    refused = api.post(URL, application_body())
    assert refused.status_code == 400 and refused.json()["error"]["fields"]["acceptance_point"] == [
        "No acceptance point of the street where you are registered is open now: choose another one."
    ]
    # Named, a closed point is said to be closed, not unknown.
    named = api.post(URL, application_body(acceptance_point=HOME_POINT)).json()["error"]["fields"]
    assert named["acceptance_point"] == ["This acceptance point is closed now: choose another one."]
    assert api.post(URL, application_body(acceptance_point=OTHER_POINT)).status_code == 201


def test_submission_answers_the_application_object_of_api_md(world):
    api, _user = world
    app = submit(api)
    assert {
        "id",
        "reference",
        "kind",
        "route",
        "status",
        "acceptance_point",
        "delivery",
        "fee",
        "payment_status",
        "accepted_on",
        "due_date",
        "due_date_provisional",
        "verifications",
        "history",
        "decision",
        "permit_number",
    } <= set(app)
    assert app["status"] == "accepted" and app["kind"] == "first" and app["route"] == "residence_employment"
    # The default point is the street office of the street of the current registration.
    assert app["acceptance_point"]["code"] == HOME_POINT
    assert app["fee"] == {"amount": "0.00", "currency": "CNY"} and app["payment_status"] == "not_required"
    assert app["accepted_on"] == "2026-03-02"
    # 15 working days after Mon 2 March 2026 (no holiday in between): Mon 23 March.
    assert app["due_date"] == "2026-03-23" and app["due_date_provisional"] is False
    # Police always, social insurance for this route; 3 working days: Thu 5 March.
    assert app["verifications"] == [
        {"department": "police", "status": "pending", "due_date": "2026-03-05"},
        {"department": "social_insurance", "status": "pending", "due_date": "2026-03-05"},
    ]
    assert [h["status"] for h in app["history"]] == ["accepted"]
    assert app["decision"] is None and app["permit_number"] is None
    assert app["self_check"]["eligible"] is True
    # Kept as reason keys: each reader gets the details in their own language.
    details = {c["name"]: c["detail"] for c in app["self_check"]["conditions"]}
    assert details["employment"] == "Social insurance paid for 14 consecutive months."
    chinese = api.get(f"{URL}/{app['id']}", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["self_check"]["conditions"]
    assert chinese[2]["name"] == "employment" and chinese[2]["detail"] == "社保连续缴纳 14 个月。"
    stored = Application.objects.get(pk=app["id"])
    assert stored.photo_receipt == "PZ20260302A1"  # stored upper-case


def test_optional_fields_sent_as_null_are_taken_as_not_sent(world):
    """API.md's `address?`, `acceptance_point?`, `reason?` and `remember?`: null is their absence
    (an outsider's pickup with `"address": null` was refused); a required field's null is not."""
    api, _user = world
    body = application_body(delivery={"method": "pickup", "address": None}, acceptance_point=None, reason=None)
    response = api.post("/api/v1/applications", body)
    assert response.status_code == 201, response.content
    app = response.json()
    assert app["delivery"] == {"method": "pickup", "address": ""} and app["acceptance_point"]["code"] == HOME_POINT
    refused = api.post("/api/v1/applications", {**body, "photo_receipt": None})
    assert refused.status_code == 400 and "photo_receipt" in refused.json()["error"]["fields"]
    login = Api().post("/api/v1/auth/login", {"username": "citizen1", "password": PASSWORD, "remember": None})
    assert login.status_code in (200, 202), login.content


def test_deadlines_are_counted_in_working_days_across_a_holiday(settings, world):
    api, _user = world
    settings.FROZEN_TODAY = "2026-09-24"  # Thursday before 25–27 Sep and 1–7 Oct; Sun 20 Sep was worked
    app = submit(api.login("citizen1", phone="13812345678"))
    # Working days after 24 Sep: 28, 29, 30 Sep, then 8, 9 Oct, Sat 10 Oct (make-up), 12–16, 19–22: the 15th is 22 Oct.
    assert app["due_date"] == "2026-10-22"
    # The 3 for verification: 28, 29, 30 September.
    assert {v["due_date"] for v in app["verifications"]} == {"2026-09-30"}
    refusal = Deadline.objects.get(application_id=app["id"], step="refusal")
    assert refusal.due_on == dt.date(2026, 10, 12)  # 28, 29, 30 Sep, 8, 9 Oct, Sat 10 Oct (make-up day), 12 Oct


def test_a_deadline_in_an_unpublished_year_is_provisional(settings, world):
    api, _user = world
    settings.FROZEN_TODAY = "2026-12-21"
    app = submit(api.login("citizen1", phone="13812345678"))
    assert app["due_date"] > "2027-01-01" and app["due_date_provisional"] is True
    # Said so in the message too (RULES §8; an outsider's gave the date as firm).
    told = Message.objects.get(user=_user, key="application_accepted_provisional")
    assert app["due_date"] in told.body and "provisional" in told.body


def test_the_whole_journey_to_an_active_permit(world, staff):
    api, user = world
    app = submit(api)
    assert (
        act(staff.police, app, "verify", {"department": "police", "outcome": "confirmed", "note": ""})["status"]
        == "verifying"
    )
    after = act(staff.insurance, app, "verify", {"department": "social_insurance", "outcome": "confirmed"})
    assert after["status"] == "reviewing"
    review = Deadline.objects.get(application_id=app["id"], step="review")
    assert review.due_on == dt.date(2026, 3, 4)  # 2 working days after Monday
    approved = act(staff.reviewer, app, "approve")
    assert approved["status"] == "approved" and approved["decision"]["outcome"] == "approved"
    produced = act(staff.production, app, "produce")
    assert produced["status"] == "in_production" and produced["permit_number"].startswith("44032026")
    assert act(staff.production, app, "dispatch")["status"] == "dispatched"
    sms.outbox.clear()
    assert act(staff.clerk, app, "receive")["status"] == "ready_for_pickup"
    # The applicant is told to come, with the point's address and its hours, in the reader's
    # language (an outsider read the hours in Chinese on an English page): this applicant's app
    # states English (Accept-Language), so the SMS is English.
    (ready_sms,) = [m["text"] for m in sms.outbox if m["to"] == user.phone]
    assert "福田" in ready_sms and "Monday to Friday, 9:00" in ready_sms
    # The reference is the application's, not the permit's number (an outsider read it as that).
    assert f"The card of application {app['reference']} is ready at" in ready_sms
    # And what to bring: a counter applicant without an account has nothing else to read.
    assert ready_sms.endswith("Bring your ID card and the acceptance receipt.")
    ready = Message.objects.get(user=user, key="application_ready_for_pickup")
    with translation.override("en"):
        assert "open Monday to Friday, 9:00–12:00 and 14:00–18:00" in render_message(ready.key, ready.params)[1]
    with translation.override("zh-hans"):
        assert "周一至周五" in render_message(ready.key, ready.params)[1]
    form = staff.clerk.get(f"/api/v1/staff/applications/{app['id']}/form")
    assert form.status_code == 200 and form["Content-Type"] == "application/pdf"
    # Everything the applicant asked for, to check before signing (an outsider's form left out
    # the phone, the kind, the route, the point and how the card is received).
    printed = pypdf.PdfReader(io.BytesIO(form.content)).pages[0].extract_text()
    for label, value in (
        ("联系电话", user.phone),
        ("申请类型", "首次申领"),
        ("申请条件", "合法稳定居所和合法稳定职业"),
        ("受理点", "福田"),
        ("领证方式", "到受理点领取"),
        ("居住证号码", produced["permit_number"]),
    ):
        assert label in printed and value in printed, label
    done = act(staff.clerk, app, "hand-over", {"identity_checked": True, "signed": True})
    assert done["status"] == "completed"
    assert [h["status"] for h in done["history"]] == [
        "accepted",
        "verifying",
        "reviewing",
        "approved",
        "in_production",
        "dispatched",
        "ready_for_pickup",
        "completed",
    ]
    permit = Permit.objects.get(number=done["permit_number"])
    assert permit.status == "active" and permit.issued_on == dt.date(2026, 3, 2)
    assert permit.endorsed_until == dt.date(2027, 3, 2)
    permits = api.get("/api/v1/permits").json()
    assert permits == [
        {
            "number": done["permit_number"],
            "status": "active",
            "issued_on": "2026-03-02",
            "endorsed_until": "2027-03-02",
            "endorsement_window": {"opens": "2027-01-01", "closes": "2027-03-01"},
            "continuous_since": "2026-03-02",
            "suspended_on": None,
        }
    ]
    assert not Deadline.objects.filter(application_id=app["id"], done_on__isnull=True).exists()
    # Every step has its audit event, about the person.
    assert AuditEvent.objects.filter(type="application_changed").count() == 8
    keys = list(Message.objects.filter(user=user).values_list("key", flat=True))
    for key in (
        "application_accepted",
        "application_approved",
        "application_ready_for_pickup",
        "application_completed",
    ):
        assert key in keys


def test_courier_delivery_completes_the_application(world, staff):
    api, _user = world
    app = submit(api, delivery={"method": "courier", "address": "深圳市福田区福田路 1 号 101"})
    confirm_all(staff, app)
    act(staff.reviewer, app, "approve")
    act(staff.production, app, "produce")
    assert act(staff.production, app, "dispatch")["status"] == "out_for_delivery"
    assert error_code(staff.clerk.post(f"/api/v1/staff/applications/{app['id']}/receive", {})) == "conflict"
    refused = staff.courier.post(f"/api/v1/staff/applications/{app['id']}/deliver", {"identity_checked": False})
    assert refused.status_code == 400 and "identity_checked" in refused.json()["error"]["fields"]
    assert act(staff.courier, app, "deliver", {"identity_checked": True})["status"] == "completed"
    assert Permit.objects.filter(application_id=app["id"], status="active").exists()


def test_a_card_the_courier_could_not_deliver_is_collected_at_the_point(world, staff):
    api, _user = world
    app = submit(api, delivery={"method": "courier", "address": "深圳市福田区福田路 1 号 101"})
    confirm_all(staff, app)
    act(staff.reviewer, app, "approve")
    # What the card prints, from the records, for production while it is to be made (an outsider's
    # production desk had only a masked ID number).
    url = f"/api/v1/staff/applications/{app['id']}"
    card = staff.production.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["card"]
    identity = Identity.objects.get(id_number=_user.person.id_number)
    assert card["id_number"] == identity.id_number and card["name"] == identity.name
    assert card["birth_date"] == identity.birth_date.isoformat()
    # As printed, in Chinese, whatever the caller's language (an outsider's English call read "Female").
    with translation.override("zh-hans"):
        assert card["sex"] == identity.get_sex_display() and card["sex"] in ("男", "女")
    assert card["issuing_authority"] == "深圳市公安局"
    assert card["residence_address"] == "福田路 1 号"  # eligible_records' registration
    assert card["photo_receipt"] == Application.objects.get(pk=app["id"]).photo_receipt
    produced = act(staff.production, app, "produce")
    assert not {"self_check", "family_members"} & set(produced) and {h["note"] for h in produced["history"]} == {""}
    assert produced["photo_receipt"] and produced["permit_number"]
    act(staff.production, app, "dispatch")
    assert "card" not in staff.production.get(url).json()  # made and sent: no longer production's to read
    url = f"/api/v1/staff/applications/{app['id']}/return"
    # Only the courier, and only with a reason the applicant can be told; nothing changes before.
    assert staff.clerk.post(url, {"reason": "无人签收"}).status_code == 403
    for body in ({}, {"reason": "  "}, {"reason": "无人\u202e签收"}):
        refused = staff.courier.post(url, body)
        assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"], body
    # Sent by SMS under the platform's name: no link, no sender's tag (an outsider's courier wrote
    # a fake police notice with a link as the reason).
    for forged in (
        "电话无人接听【深圳公安】您的居住证已作废",
        "请登录 http://sz-gov.example/x 补办",
        "详见 ｗｗｗ．ｘ．ｃｎ",
    ):
        refused = staff.courier.post(url, {"reason": forged})
        assert refused.json()["error"]["fields"]["reason"] == [
            "Write no web or e-mail address and no square brackets such as 【】: this is sent by SMS under the "
            "platform's name."
        ], forged
    assert Application.objects.get(pk=app["id"]).status == "out_for_delivery"
    sms.outbox.clear()
    type(_user).objects.filter(pk=_user.pk).update(language="zh-hans")  # a reader of Chinese, this time
    returned = act(staff.courier, app, "return", {"reason": "三次投递无人签收。"})
    assert returned["status"] == "dispatched"
    # The courier is answered what the delivery needed, not the case (as on reading it).
    assert not {"self_check", "family_members"} & set(returned) and {h["note"] for h in returned["history"]} == {""}
    assert returned["delivery"] == {"method": "pickup", "address": ""}
    seen = api.get(f"{URL}/{app['id']}").json()
    assert seen["history"][-1]["status"] == "dispatched" and seen["history"][-1]["note"] == "三次投递无人签收。"
    # The receipt, printed again, still names the address asked for and says what became of it
    # (an outsider's reprint had lost it); the applicant's page says so too.
    receipt = api.get(f"{URL}/{app['id']}/receipt")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(receipt.content)).pages)
    assert "到受理点领取" in text and "深圳市福田区福田路 1 号 101" in text and "快递未能送达" in text
    # The applicant learns why and where: the point's name is in the SMS.
    (text,) = [m["text"] for m in sms.outbox]
    assert "三次投递无人签收。" in text and "。。" not in text and "福田街道" in text
    assert Message.objects.filter(key="application_delivery_failed").count() == 1
    assert AuditEvent.objects.filter(data__action="return", data__status_to="dispatched").count() == 1
    # The courier's part is over; the point receives the card and hands it over as for a pickup.
    assert error_code(staff.courier.post(url, {"reason": "再次"})) == "conflict"
    delivered = staff.courier.post(f"/api/v1/staff/applications/{app['id']}/deliver", {"identity_checked": True})
    assert error_code(delivered) == "conflict"
    assert act(staff.clerk, app, "receive")["status"] == "ready_for_pickup"
    done = act(staff.clerk, app, "hand-over", {"identity_checked": True, "signed": True})
    assert done["status"] == "completed"
    assert Permit.objects.filter(application_id=app["id"], status="active").exists()
    client = Client()
    assert web_login(client).status_code == 302
    progress = client.get(f"/applications/{app['id']}/").content.decode()
    assert 'data-testid="undelivered"' in progress and "深圳市福田区福田路 1 号 101" in progress


def test_a_refusal_takes_up_to_20_reasons_of_500_characters_and_its_sms_is_cut_to_fit(world, staff):
    """An outsider's refusal with 470 characters of reasons was a 500: the SMS overflowed its
    column. The longest refusal API.md allows is recorded, whole in the message, cut in the SMS."""
    api, user = world
    app = submit(api)
    note = {"department": "social_insurance", "outcome": "not_confirmed", "note": "无缴费记录"}
    assert act(staff.insurance, app, "verify", note)["status"] == "reviewing"
    url = f"/api/v1/staff/applications/{app['id']}/reject"
    assert list(staff.reviewer.post(url, {"reasons": ["长" * 501]}).json()["error"]["fields"]) == ["reasons.0"]
    # Each reason's problem is named by its place, as the long one's (an outsider read a hidden
    # character's under `reasons`): here the second, a right-to-left override.
    hidden = staff.reviewer.post(url, {"reasons": ["材料不全", "补充\u202e说明"]})
    assert hidden.status_code == 400 and list(hidden.json()["error"]["fields"]) == ["reasons.1"]
    # Every bad reason in one answer, blank, hidden character and length alike (an outsider's
    # long reason hid its neighbour's hidden character until it was mended).
    mixed = staff.reviewer.post(url, {"reasons": ["照片不符合要求", "社保\u200b记录有误", "长" * 501, " "]})
    assert sorted(mixed.json()["error"]["fields"]) == ["reasons.1", "reasons.2", "reasons.3"]
    longest = [f"{i:02d}" + "长" * 498 for i in range(20)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert act(staff.reviewer, app, "reject", {"reasons": longest})["status"] == "rejected"
    assert Application.objects.get(pk=app["id"]).decision_reasons == longest
    assert all(reason in Message.objects.get(user=user, key="application_rejected").body for reason in longest)
    sms_row = SmsMessage.objects.filter(text__contains=app["reference"]).latest("id")
    assert len(sms_row.text) < 140 and "account's messages" in sms_row.text  # the reasons are there
    # One with no account has no messages: the SMS holds the reasons, cut to fit, and says where the rest is.
    told = {"reference": app["reference"], "reasons": "；".join(longest), "point": "福田街道办事处居住证受理点"}
    cut = sms_text("application_rejected", language="en", has_account=False, **told)
    assert len(cut) == 500 and longest[0][:200] in cut and cut.endswith("(ask at the acceptance point for the rest)")


def test_a_not_confirmed_check_goes_to_review_and_a_rejection_carries_its_reasons(world, staff):
    api, user = world
    app = submit(api)
    missing_note = staff.insurance.post(
        f"/api/v1/staff/applications/{app['id']}/verify", {"department": "social_insurance", "outcome": "not_confirmed"}
    )
    assert missing_note.status_code == 400
    moved = act(
        staff.insurance,
        app,
        "verify",
        {"department": "social_insurance", "outcome": "not_confirmed", "note": "no contributions since 2026-01"},
    )
    assert moved["status"] == "reviewing"  # at once, although police is still pending
    # The reviewer reads the reason beside the department that gave it (an outsider found it only in
    # the history, with no department named); the citizen's object is API.md's, without notes.
    checks = staff.reviewer.get(f"/api/v1/staff/applications/{app['id']}").json()["verifications"]
    assert {c["department"]: (c["status"], c["note"]) for c in checks} == {
        "police": ("pending", ""),
        "social_insurance": ("not_confirmed", "no contributions since 2026-01"),
    }
    assert all("note" not in c for c in api.get(f"{URL}/{app['id']}").json()["verifications"])
    # The audit trail says who answered what (a supervisor could not tell a "not confirmed").
    [said] = AuditEvent.objects.filter(type="application_changed", data__action="verify")
    assert (said.data["department"], said.data["outcome"]) == ("social_insurance", "not_confirmed")
    # The police check can no longer be answered: it leaves the police queue.
    assert staff.police.get("/api/v1/staff/queue").json()["results"] == []
    late = {"department": "police", "outcome": "confirmed"}
    assert error_code(staff.police.post(f"/api/v1/staff/applications/{app['id']}/verify", late)) == "conflict"
    assert Message.objects.filter(user=user, key="application_verification_problem").exists()
    # Approval needs every department confirmed.
    assert error_code(staff.reviewer.post(f"/api/v1/staff/applications/{app['id']}/approve", {})) == "conflict"
    no_reason = staff.reviewer.post(f"/api/v1/staff/applications/{app['id']}/reject", {"reasons": []})
    assert no_reason.status_code == 400
    rejected = act(staff.reviewer, app, "reject", {"reasons": ["社保缴纳不满 12 个月"]})
    assert rejected["status"] == "rejected"
    assert rejected["decision"] == {
        "outcome": "rejected",
        "reasons": ["社保缴纳不满 12 个月"],
        "decided_on": "2026-03-02",
    }
    message = Message.objects.get(user=user, key="application_rejected")
    assert "社保缴纳不满 12 个月" in message.body
    # The written reply: asked by the applicant, due 3 working days later, recorded by the reviewer.
    asked = api.post(f"{URL}/{app['id']}/written-reply")
    assert asked.status_code == 201 and asked.json() == {"due_date": "2026-03-05"}
    assert error_code(api.post(f"{URL}/{app['id']}/written-reply")) == "conflict"
    queue = staff.reviewer.get("/api/v1/staff/queue").json()["results"]
    assert [(i["reference"], i["step"]) for i in queue] == [(app["reference"], "written_reply")]
    # The supervisor sees the reply owed, though the application itself is closed.
    owed = {step["code"]: step for step in supervisor_dashboard()["steps"]}["written_reply"]
    assert (owed["open"], owed["done"]) == (1, 0)
    act(staff.reviewer, app, "written-reply", {"text": "经核查，您的社保记录自 2026 年 1 月中断。"})
    given = {step["code"]: step for step in supervisor_dashboard()["steps"]}["written_reply"]
    assert (given["open"], given["done"], given["on_time"]) == (0, 1, 1)
    reply = Message.objects.get(user=user, key="application_written_reply")
    assert "2026 年 1 月中断" in reply.body
    shown = api.get(f"{URL}/{app['id']}").json()["written_reply"]
    assert shown["due_date"] == "2026-03-05" and "中断" in shown["text"]


def test_an_illegal_move_is_409_and_changes_nothing(world, staff):
    api, _user = world
    app = submit(api)
    for client, action in ((staff.reviewer, "approve"), (staff.production, "produce"), (staff.clerk, "receive")):
        response = client.post(f"/api/v1/staff/applications/{app['id']}/{action}", {})
        assert response.status_code == 409 and error_code(response) == "conflict", action
    assert Application.objects.get(pk=app["id"]).status == "accepted"
    assert StatusChange.objects.filter(application_id=app["id"]).count() == 1
    again = {"department": "police", "outcome": "confirmed"}
    act(staff.police, app, "verify", again)
    assert error_code(staff.police.post(f"/api/v1/staff/applications/{app['id']}/verify", again)) == "conflict"


def test_roles_and_scopes_that_may_not_act_get_403(world, staff):
    api, _user = world
    app = submit(api)
    url = f"/api/v1/staff/applications/{app['id']}"
    # A verifier answers only for their own department, and only a department the route needs.
    assert (
        staff.police.post(f"{url}/verify", {"department": "social_insurance", "outcome": "confirmed"}).status_code
        == 403
    )
    assert staff.education.post(f"{url}/verify", {"department": "education", "outcome": "confirmed"}).status_code == 403
    # Wrong roles.
    assert staff.clerk.post(f"{url}/approve", {}).status_code == 403
    assert staff.courier.post(f"{url}/produce", {}).status_code == 403
    assert staff.supervisor.post(f"{url}/verify", {"department": "police", "outcome": "confirmed"}).status_code == 403
    # A citizen cannot use the staff endpoints, and staff cannot withdraw.
    assert api.post(f"{url}/approve", {}).status_code == 403
    assert staff.clerk.post(f"{URL}/{app['id']}/withdraw").status_code == 403
    confirm_all(staff, app)
    act(staff.reviewer, app, "approve")
    act(staff.production, app, "produce")
    act(staff.production, app, "dispatch")
    # Only the clerk of the chosen point receives and hands over.
    assert staff.other_clerk.post(f"{url}/receive", {}).status_code == 403
    assert staff.other_clerk.get(f"{url}/form").status_code == 403
    assert Application.objects.get(pk=app["id"]).status == "dispatched"


def test_staff_who_may_not_read_an_application_do_not_learn_its_status_from_an_action(world, staff):
    """An outsider's courier and production centre, refused the application itself, polled its
    progress by the 409 of an action: "its status is 'accepted'", later "checking"."""
    api, _user = world
    app = submit(api)  # collected at the point
    url = f"/api/v1/staff/applications/{app['id']}"
    # A 409 that does not name the status, to staff who may not read the application.
    # Each is told, in words that fit every state, that the application is not at its own step
    # (an outsider's courier, sent a card still in production, read that someone had acted first).
    for client, action, body, said in (
        (staff.courier, "deliver", {"identity_checked": True}, "This card is not out for delivery with you"),
        (staff.production, "dispatch", {}, "This application is not waiting for the card production centre"),
    ):
        refused = client.post(f"{url}/{action}", body, HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 409 and error_code(refused) == "conflict"
        assert "status" not in refused.json()["error"] and refused.json()["error"]["message"].startswith(said)
        assert client.get(url).status_code == 403
    # Staff who may read it are told the status, as before.
    told = staff.reviewer.post(f"{url}/approve", {})
    assert told.status_code == 409 and told.json()["error"]["status"] == Application.objects.get().status
    assert Application.objects.get(pk=app["id"]).history.count() == 1


def test_staff_read_an_application_only_within_their_work(world, staff):
    api, _user = world
    app = submit(api)
    path = f"/api/v1/staff/applications/{app['id']}"
    # Not yet approved: no card to make or deliver; not checked by education; another point.
    for role in ("production", "courier", "education", "other_clerk"):
        response = getattr(staff, role).get(path)
        assert response.status_code == 403 and error_code(response) == "permission_denied", role
    for role in ("police", "insurance", "reviewer", "clerk"):
        assert getattr(staff, role).get(path).status_code == 200, role
    confirm_all(staff, app)
    # Answered, the case is no longer the verifiers' work: the person's data is not theirs to read.
    for role in ("police", "insurance"):
        response = getattr(staff, role).get(path)
        assert response.status_code == 403 and error_code(response) == "permission_denied", role
    act(staff.reviewer, app, "approve")
    assert staff.production.get(path).status_code == 200  # it has reached the production centre
    assert staff.courier.get(path).status_code == 403  # a pickup: never the courier's


def test_a_verifier_reads_nothing_of_an_application_withdrawn_before_the_check(world, staff):
    api, _user = world
    app = submit(api)
    path = f"/api/v1/staff/applications/{app['id']}"
    assert staff.police.get(path).status_code == 200
    assert api.post(f"/api/v1/applications/{app['id']}/withdraw", {}).status_code == 200
    assert staff.police.get(path).status_code == 403
    assert staff.reviewer.get(path).status_code == 200
    # Its answer, from a page left open, is told why it went nowhere (an outsider's was told
    # someone may have acted first), and not the status.
    late = staff.police.post(
        f"{path}/verify", {"department": "police", "outcome": "confirmed"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert late.status_code == 409 and "status" not in late.json()["error"]
    assert late.json()["error"]["message"].startswith("This application is not waiting for your department's check")


def test_reading_an_application_is_one_query_with_the_token_lookup(world, django_assert_num_queries):
    api, _user = world
    app = submit(api)
    assert api.get(f"{URL}/{app['id']}").status_code == 200  # the session's last-seen touch is done
    with django_assert_num_queries(1):
        shown = api.get(f"{URL}/{app['id']}")
    assert shown.status_code == 200 and shown.json()["reference"] == app["reference"]
    with django_assert_num_queries(1):
        assert api.get(f"{URL}/{app['id'] + 1000}").status_code == 404


def test_other_peoples_applications_are_404(world):
    api, _user = world
    app = submit(api)
    other, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    for path in (f"{URL}/{app['id']}", f"{URL}/{app['id']}/receipt"):
        assert other.get(path).status_code == 404
    assert other.post(f"{URL}/{app['id']}/withdraw").status_code == 404
    assert other.get(URL).json() == []
    assert Application.objects.get(pk=app["id"]).status == "accepted"


def test_withdraw_before_approval_only(world, staff):
    api, _user = world
    app = submit(api)
    response = api.post(f"{URL}/{app['id']}/withdraw")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert error_code(api.post(f"{URL}/{app['id']}/withdraw")) == "conflict"
    # A new application is possible once the old one is closed, with a new photo receipt: API.md
    # makes a receipt "usable for one application only", for another person and for the same one
    # (an outsider reused a completed application's, whose photo is on a card already).
    other, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    taken = other.post(URL, application_body(acceptance_point=HOME_POINT))
    assert taken.status_code == 409 and "photo_receipt" in taken.json()["error"]["fields"]
    again = api.post(URL, application_body(acceptance_point=HOME_POINT))
    assert again.status_code == 409 and "photo_receipt" in again.json()["error"]["fields"]
    second = submit(api, photo_receipt="PZ20260302D4")
    assert second["id"] != app["id"]
    confirm_all(staff, second)
    act(staff.reviewer, second, "approve")
    assert error_code(api.post(f"{URL}/{second['id']}/withdraw")) == "conflict"


def test_the_clerk_withdraws_or_asks_for_the_written_reply_for_an_applicant_in_person(world, staff):
    """A counter applicant may have no account (an outsider's had no way to withdraw, or to ask for
    the written reply RULES §4 gives on request): the clerk of the chosen point does it for them,
    the applicant's identity checked, and they are told as online."""
    api, _user = world
    app = submit(api)
    url = f"/api/v1/staff/applications/{app['id']}"
    unchecked = staff.clerk.post(f"{url}/withdraw", {"identity_checked": False})
    assert unchecked.status_code == 400 and "identity_checked" in unchecked.json()["error"]["fields"]
    assert staff.other_clerk.post(f"{url}/withdraw", {"identity_checked": True}).status_code == 403
    assert staff.police.post(f"{url}/withdraw", {"identity_checked": True}).status_code == 403
    assert Application.objects.get(pk=app["id"]).status == "accepted"
    sms.outbox.clear()
    assert act(staff.clerk, app, "withdraw", {"identity_checked": True})["status"] == "withdrawn"
    # Told it was at their request at the point, not "you withdrew" (they may have no account).
    (text,) = [m["text"] for m in sms.outbox]
    assert f"{app['reference']} was withdrawn at" in text and "at your request" in text
    assert Message.objects.filter(key="application_withdrawn_at_counter").exists()
    assert error_code(staff.clerk.post(f"{url}/withdraw", {"identity_checked": True})) == "conflict"

    refused = submit(api, photo_receipt="PZ20260302D4")
    act(staff.police, refused, "verify", {"department": "police", "outcome": "not_confirmed", "note": "查无此人"})
    act(staff.reviewer, refused, "reject", {"reasons": ["居住登记不满 6 个月"]})
    url = f"/api/v1/staff/applications/{refused['id']}"
    assert error_code(staff.clerk.post(f"{url}/withdraw", {"identity_checked": True})) == "conflict"
    asked = act(staff.clerk, refused, "written-reply-request", {"identity_checked": True})
    assert asked["status"] == "rejected"
    assert "the police reply by 2026-03-05" in sms.outbox[-1]["text"]
    # Due three working days on (Monday 2 March → Thursday 5 March), in the reviewer's queue.
    due = Deadline.objects.get(application_id=refused["id"], step="written_reply")
    assert due.due_on == dt.date(2026, 3, 5) and due.done_on is None
    assert error_code(staff.clerk.post(f"{url}/written-reply-request", {"identity_checked": True})) == "conflict"
    assert api.post(f"{URL}/{refused['id']}/written-reply").status_code == 409  # asked already


def test_a_confirmation_the_records_do_not_bear_out_says_what_it_rests_on(world, staff):
    """An outsider's walk-in unknown to every record: both verifiers ticked "confirmed" with no word,
    the reviewer approved, and a card was made. Such a confirmation needs a note now; one the
    records bear out does not (张伟, whose identity, registration and insurance are all on record)."""
    stranger = with_check("36010219881111461")
    body = {
        **application_body(photo_receipt="CT20260302N1"),
        "applicant": {"name": "李娜", "id_number": stranger, "phone": "13700000018"},
        "portrait_captured": True,
    }
    created = staff.clerk.post("/api/v1/staff/applications", body).json()
    verify = f"/api/v1/staff/applications/{created['id']}/verify"
    for department, client in (("police", staff.police), ("social_insurance", staff.insurance)):
        bare = client.post(verify, {"department": department, "outcome": "confirmed"})
        assert bare.status_code == 400 and "note" in bare.json()["error"]["fields"], department
    assert Application.objects.get(pk=created["id"]).verifications.filter(status="pending").count() == 2
    said = staff.police.post(verify, {"department": "police", "outcome": "confirmed", "note": "核验了身份证原件"})
    assert said.status_code == 200
    # The records bear out 张伟's claim: a bare confirmation goes through.
    mine = world[0].post(URL, application_body()).json()
    for department, client in (("police", staff.police), ("social_insurance", staff.insurance)):
        bare = client.post(
            f"/api/v1/staff/applications/{mine['id']}/verify", {"department": department, "outcome": "confirmed"}
        )
        assert bare.status_code == 200, bare.content


def test_the_form_shows_full_numbers_only_to_the_clerk_who_hands_the_card_over(world, staff):
    """The counter that took an application in for another point may print it that day; the numbers
    in full are for the clerk of the point that hands the card over (an outsider's intake clerk
    read them in full there)."""
    number = with_check("36010219881111460")
    body = {
        **application_body(photo_receipt="CT20260302X1", acceptance_point=HOME_POINT),
        "applicant": {"name": "李娜", "id_number": number, "phone": "13700000017"},
        "portrait_captured": True,
    }
    created = staff.other_clerk.post("/api/v1/staff/applications", body).json()
    confirm_all(staff, created, note="核验了身份证原件")  # in no record
    for client, action in ((staff.reviewer, "approve"), (staff.production, "produce"), (staff.production, "dispatch")):
        act(client, created, action)
    act(staff.clerk, created, "receive")

    def printed(client):
        pdf = client.get(f"/api/v1/staff/applications/{created['id']}/form")
        assert pdf.status_code == 200
        return pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()

    assert number in printed(staff.clerk) and "13700000017" in printed(staff.clerk)
    taken_in = printed(staff.other_clerk)
    assert number not in taken_in and mask_id_number(number) in taken_in
    assert "13700000017" not in taken_in and "137****0017" in taken_in  # the phone as the ID number


def test_the_card_of_a_counter_applicant_the_records_do_not_hold_prints_what_the_id_number_carries(world, staff):
    """GB 11643's own example, worked by hand: born 1949-12-31 (digits 7-14), a woman (the 17th
    digit, 2, is even). An outsider's card for such a person had no sex and no birth date."""
    assert not Identity.objects.filter(id_number=GB11643_EXAMPLES[0]).exists()
    body = {
        **application_body(photo_receipt="CT20260302R9"),
        "applicant": {"name": "李娜", "id_number": GB11643_EXAMPLES[0], "phone": "13700000019"},
        "portrait_captured": True,
    }
    created = staff.clerk.post("/api/v1/staff/applications", body).json()
    confirm_all(staff, created, note="核验了身份证原件")  # in no record
    act(staff.reviewer, created, "approve")
    card = staff.production.get(f"/api/v1/staff/applications/{created['id']}").json()["card"]
    assert (card["name"], card["sex"], card["birth_date"]) == ("李娜", "女", "1949-12-31")
    assert card["ethnicity"] == ""  # not carried by the number: the records alone know it


def test_a_counter_applicant_without_an_account_reads_the_written_reply_in_the_sms(world, staff):
    """The SMS of one with an account points to its messages; one without has none to read."""
    body = {
        **application_body(photo_receipt="CT20260302R1"),
        "applicant": {"name": "李娜", "id_number": with_check("36010219881111459"), "phone": "13700000016"},
        "portrait_captured": True,
    }
    created = staff.clerk.post("/api/v1/staff/applications", body).json()
    act(staff.police, created, "verify", {"department": "police", "outcome": "not_confirmed", "note": "查无此人"})
    # What the reviewer writes is sent by SMS: a link or a sender's tag in it is refused.
    linked = staff.reviewer.post(
        f"/api/v1/staff/applications/{created['id']}/reject", {"reasons": ["未办理居住登记，详见 http://x.example"]}
    )
    assert "no web or e-mail address" in linked.json()["error"]["fields"]["reasons.0"][0]
    act(staff.reviewer, created, "reject", {"reasons": ["未办理居住登记"]})
    act(staff.clerk, created, "written-reply-request", {"identity_checked": True})
    tagged = staff.reviewer.post(
        f"/api/v1/staff/applications/{created['id']}/written-reply", {"text": "【深圳公安】请补缴费用"}
    )
    assert "no web or e-mail address" in tagged.json()["error"]["fields"]["text"][0]
    sms.outbox.clear()
    act(staff.reviewer, created, "written-reply", {"text": "经核查，申请人未在本市办理居住登记。"})
    (text,) = [m["text"] for m in sms.outbox if m["to"] == "13700000016"]
    assert "经核查，申请人未在本市办理居住登记" in text and "messages" not in text


def test_a_kind_that_does_not_fit_is_explained_to_whoever_reads_it(world, staff):
    """Online the applicant reads of their own permit; at the counter the clerk reads of the
    applicant's (an outsider's clerk read "you already hold a residence permit")."""
    api, user = world
    live_permit(user)
    online = api.post(URL, application_body())
    assert online.status_code == 409 and online.json()["error"]["message"].startswith("You already hold")
    body = {
        **application_body(),
        "applicant": {"name": user.person.name, "id_number": user.person.id_number, "phone": "13812345678"},
        "portrait_captured": True,
    }
    counter = staff.clerk.post("/api/v1/staff/applications", body, HTTP_ACCEPT_LANGUAGE="en")
    assert counter.status_code == 409
    assert counter.json()["error"]["message"].startswith("The applicant already holds a residence permit")
    # Lapsed (suspended as of today): sent to endorse it, not to an exchange refused for that (an outsider).
    Permit.objects.update(endorsed_until="2026-03-01")
    lapsed = staff.clerk.post("/api/v1/staff/applications", body, HTTP_ACCEPT_LANGUAGE="en").json()["error"]
    assert "suspended: it must be endorsed first" in lapsed["message"]


def test_a_second_open_application_is_409_with_the_open_ones_reference(world):
    api, _user = world
    first = submit(api)
    response = api.post(URL, application_body(photo_receipt="PZ20260302C3"))
    assert response.status_code == 409 and error_code(response) == "open_application"
    assert first["reference"] in response.json()["error"]["message"]
    assert "fields" not in response.json()["error"] or not response.json()["error"]["fields"]
    # The same photo receipt again: both problems in one answer (RULES §4).
    both = api.post(URL, application_body())
    assert error_code(both) == "open_application" and "photo_receipt" in both.json()["error"]["fields"]
    # With a field's own problem too: all three in the one answer.
    courier = api.post(URL, application_body(delivery={"method": "courier"}))
    fields = courier.json()["error"]["fields"]
    assert error_code(courier) == "open_application" and {"photo_receipt", "delivery.address"} <= set(fields)
    assert Application.objects.count() == 1


def test_a_verified_foreigner_or_hong_kong_resident_may_not_apply_online(world):
    for username, phone, body17, name, words in (
        ("foreigner1", "13812340077", FOREIGNER[:17], "SMITH JOHN", "Foreigners cannot apply"),
        ("hongkong1", "13812340078", HONG_KONG[:17], "陈大文", "Residence Permit for Hong Kong"),
    ):
        api, _user = citizen_api(username, phone, body17, name)
        refused = api.post(URL, application_body(photo_receipt=f"PZ{phone}"))
        assert error_code(refused) == "permission_denied" and words in refused.json()["error"]["message"]
    assert Application.objects.count() == 0


def test_a_shenzhen_hukou_holder_may_apply_neither_online_nor_at_the_counter(world, staff):
    """RULES §2 names hukou holders with the two above as not eligible; an outsider's hukou holder
    was taken in online and at the counter, and approved."""
    from .test_account_changes import identity

    api, _user = citizen_api("hukou1", "13812340079", "44030419901022205", "刘深")
    number = identity("44030419901022205", "刘深", shenzhen_hukou="1")  # the records' word
    refused = api.post(URL, application_body(photo_receipt="PZ13812340079"))
    assert error_code(refused) == "permission_denied"
    assert refused.json()["error"]["message"] == "Holders of Shenzhen hukou do not need a residence permit."
    body = {
        **application_body(photo_receipt="CT20260302H1"),
        "applicant": {"name": "刘深", "id_number": number, "phone": "13812340079"},
        "portrait_captured": True,
    }
    counter = staff.clerk.post("/api/v1/staff/applications", body)
    assert counter.status_code == 400
    assert counter.json()["error"]["fields"]["applicant.id_number"] == [
        "Holders of Shenzhen hukou do not need a residence permit."
    ]
    assert Application.objects.count() == 0


def test_an_unverified_or_organisation_account_may_not_apply(world):
    from .conftest import Api, make_user

    make_user("newcomer", "13812340000")
    newcomer = Api("10.7.7.7").login("newcomer", phone="13812340000")
    assert error_code(newcomer.post(URL, application_body())) == "permission_denied"
    # Who may apply is said first, whatever the body (an outsider got 400 for a partial body).
    assert error_code(newcomer.post(URL, {"kind": "first"})) == "permission_denied"
    assert Application.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "renewal"}, "kind"),
        ({"route": "marriage"}, "route"),
        ({"photo_receipt": "AB12"}, "photo_receipt"),
        ({"photo_receipt": "ＡＢ１２３４５６７８"}, "photo_receipt"),  # full-width letters and digits
        ({"acceptance_point": "99999999999"}, "acceptance_point"),
        ({"delivery": {"method": "drone"}}, "delivery.method"),
        ({"delivery": {"method": "courier"}}, "delivery.address"),
        ({"delivery": {"method": "courier", "address": "北京市朝阳区建国路 1 号"}}, "delivery.address"),
        (
            {"family_members": [{"name": "李娜", "id_number": "11010519491231002Y", "relation": "spouse"}]},
            "family_members.0.id_number",
        ),
        (
            {"family_members": [{"name": "李娜", "id_number": "11010519491231002X", "relation": "cousin"}]},
            "family_members.0.relation",
        ),
        (
            {"family_members": [{"name": "", "id_number": "11010519491231002X", "relation": "spouse"}]},
            "family_members.0.name",
        ),
        (
            {"family_members": [{"name": "张伟", "id_number": ZHANG_WEI, "relation": "sibling"}]},
            "family_members.0.id_number",
        ),
        (  # one spouse (an outsider listed two, one born in 2015)
            {
                "family_members": [
                    {"name": "李娜", "id_number": "11010519491231002X", "relation": "spouse"},
                    {"name": "王芳", "id_number": with_check("44030419900101555"), "relation": "spouse"},
                ]
            },
            "family_members.1.relation",
        ),
        (
            {"family_members": [{"name": "李娜", "id_number": with_check("11010520150101123"), "relation": "spouse"}]},
            "family_members.0.relation",
        ),
        (  # a spreadsheet formula is no name (an outsider stored one)
            {"family_members": [{"name": "=1+2", "id_number": "11010519491231002X", "relation": "spouse"}]},
            "family_members.0.name",
        ),
        (
            {"family_members": [{"name": "李\u202e娜", "id_number": "11010519491231002X", "relation": "spouse"}]},
            "family_members.0.name",
        ),
    ],
)
def test_bad_bodies_name_the_field_and_store_nothing(world, change, field):
    api, _user = world
    response = api.post(URL, application_body(**change))
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert Application.objects.count() == 0


def test_family_members_names_are_kept_in_the_form_names_compare_in(world):
    """An outsider's full-width "ＬＩ　ＸＩＡＯ" was stored and shown as typed."""
    api, _user = world
    family = [
        {"name": "ＬＩ\u3000ＸＩＡＯ", "id_number": "11010519491231002X", "relation": "child"},
        {"name": "阿卜杜 • 热合曼", "id_number": with_check("44030419900101555"), "relation": "other"},
    ]
    response = api.post(URL, application_body(family_members=family))
    assert response.status_code == 201, response.content
    assert [m["name"] for m in response.json()["family_members"]] == ["LI XIAO", "阿卜杜·热合曼"]
    assert sorted(FamilyMember.objects.values_list("name", flat=True)) == ["LI XIAO", "阿卜杜·热合曼"]


def test_an_object_sent_as_text_and_the_applicant_listed_as_family_are_said_plainly(world):
    """An outsider's `"delivery": "pickup"` was told DRF's "Expected a dictionary, but got str",
    and the applicant listed among the family members "This person is already listed"."""
    api, _user = world
    response = api.post(URL, application_body(delivery="pickup"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["fields"]["delivery"] == [
        "Must be an object with named fields, not a single value or a list."
    ]
    chinese = api.post(URL, application_body(family_members=["张伟"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "字典" not in json.dumps(chinese.json(), ensure_ascii=False)
    myself = [{"name": "张伟", "id_number": ZHANG_WEI, "relation": "sibling"}]
    response = api.post(URL, application_body(family_members=myself), HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["fields"]["family_members.0.id_number"] == [
        "A family member's ID number cannot be the applicant's own."
    ]
    assert Application.objects.count() == 0


def test_a_list_a_choice_and_a_length_are_refused_in_the_platforms_words(world, staff):
    """An outsider read DRF's own words: the Python type of a value sent where a list belongs
    ("得到的类型是"str"", with 物件 for items, which mainland Chinese does not say), "“yes” is not
    a valid choice" without the choices, and a length limit worded like a programmer's note."""
    api, _user = world
    english = api.post(URL, application_body(family_members="none"), HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["error"]["fields"]["family_members"] == ["Must be a list."]
    chinese = api.post(
        URL, application_body(family_members="none", photo_receipt="p" * 41), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).json()
    said = json.dumps(chinese, ensure_ascii=False)
    assert "str" not in said and "物件" not in said and "这个字段" not in said
    assert chinese["error"]["fields"]["family_members"] == ["须为列表。"]
    assert chinese["error"]["fields"]["photo_receipt"] == ["最多 40 个字符。"]
    app = submit(api)
    base = f"/api/v1/staff/applications/{app['id']}"
    outcome = staff.police.post(f"{base}/verify", {"department": "police", "outcome": "yes"}, HTTP_ACCEPT_LANGUAGE="en")
    assert outcome.json()["error"]["fields"]["outcome"] == ["Must be one of: confirmed, not_confirmed."]
    reasons = staff.reviewer.post(f"{base}/reject", {"reasons": "原因"}, HTTP_ACCEPT_LANGUAGE="en")
    assert reasons.json()["error"]["fields"]["reasons"] == ["Must be a list."]
    assert Application.objects.get().history.count() == 1


def test_every_problem_is_listed_at_once(world):
    api, _user = world
    response = api.post(URL, application_body(kind="x", route="y", photo_receipt="!", delivery={"method": "z"}))
    assert set(response.json()["error"]["fields"]) >= {"kind", "route", "photo_receipt", "delivery.method"}
    # In Chinese, the routes by their names, as the kinds are (an outsider read the bare slugs).
    chinese = api.post(URL, application_body(route="y"), HTTP_ACCEPT_LANGUAGE="zh-hans").json()["error"]["fields"]
    assert "人才引进（talent）" in chinese["route"][0] and "合法稳定居所和合法稳定职业" in chinese["route"][0]


def test_family_members_are_stored_with_checked_numbers(world):
    api, _user = world
    spouse = "11010519491231002x"  # GB 11643's own example, lower-case x accepted
    app = submit(api, family_members=[{"name": "李娜", "id_number": spouse, "relation": "spouse"}])
    assert app["family_members"] == [{"name": "李娜", "id_number_masked": "110105********002X", "relation": "spouse"}]


def test_counter_intake_lists_every_problem_even_with_blank_fields(world, staff):
    """RULES §4: every problem at once. An outsider's intake with a blank name was told that alone
    (in the framework's words); the other seven came only after it was filled in."""
    body = {
        **application_body(photo_receipt="AB1", route="nowhere"),
        "delivery": {"method": "courier", "address": ""},
        "family_members": [{"name": "李小", "id_number": "12345", "relation": "child"}],
        "applicant": {"name": "", "id_number": wrong_check("36010219950812234X")[:18], "phone": "12"},
        "portrait_captured": False,
    }
    refused = staff.clerk.post("/api/v1/staff/applications", body, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    fields = refused.json()["error"]["fields"]
    assert set(fields) >= {
        "applicant.name",
        "applicant.id_number",
        "applicant.phone",
        "route",
        "photo_receipt",
        "delivery.address",
        "family_members.0.id_number",
        "portrait_captured",
    }
    assert fields["applicant.name"] == ["Enter the applicant's name as on the ID card."]
    assert Application.objects.count() == 0


def test_a_minority_name_prints_its_middle_dot_on_the_counter_receipt(world, staff):
    """An outsider's 欧阳·娜仁 printed as 欧阳□娜仁 in ReportLab's CID font, which has no U+00B7; the
    embedded font prints it, and the CID font draws U+30FB, its own middle dot, in its place."""
    body = {
        **application_body(photo_receipt="CT20260302D1"),
        "applicant": {"name": "欧阳•娜仁", "id_number": with_check("36010219881111456"), "phone": "13700000013"},
        "portrait_captured": True,
    }
    created = staff.clerk.post("/api/v1/staff/applications", body).json()
    assert created["applicant"]["name"] == "欧阳·娜仁"  # unified at the door, as API.md says
    pdf = staff.clerk.get(f"/api/v1/staff/applications/{created['id']}/receipt")
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "欧阳\u00b7娜仁" in text
    assert receipts._printable("欧阳\u00b7娜仁", None) == "欧阳\u30fb娜仁"


@pytest.mark.skipif(
    not Path(settings.PDF_FONT).is_file() and not os.environ.get("CI"),
    reason="fonts-wqy-zenhei is not installed; CI installs it",
)
def test_receipts_embed_their_font_so_that_any_viewer_shows_them(world, staff):
    """An outsider's receipts, in a viewer without a Chinese font, were blank but for the digits and
    the QR code: ReportLab's CID font is the viewer's own."""
    body = {
        **application_body(photo_receipt="CT20260302F3"),
        "applicant": {"name": "李娜", "id_number": with_check("36010219881111458"), "phone": "13700000015"},
        "portrait_captured": True,
    }
    created = staff.clerk.post("/api/v1/staff/applications", body).json()
    for paper in ("receipt", "form"):
        page = pypdf.PdfReader(
            io.BytesIO(staff.clerk.get(f"/api/v1/staff/applications/{created['id']}/{paper}").content)
        )
        fonts = [font.get_object() for font in page.pages[0]["/Resources"]["/Font"].values()]
        chinese = [font for font in fonts if font["/Subtype"] != "/Type1"]  # Helvetica: every viewer's own
        assert chinese and all("/FontFile2" in font["/FontDescriptor"] for font in chinese), paper
        assert "李娜" in page.pages[0].extract_text()


@pytest.fixture
def without_fallback_font(settings):
    settings.PDF_FONT_FALLBACK = ""
    receipts._fallback_characters.cache_clear()
    yield
    receipts._fallback_characters.cache_clear()


def rare_named_applicant(staff, name="王\U00021484") -> dict:
    body = {
        **application_body(photo_receipt="CT20260302E2"),
        "applicant": {"name": name, "id_number": with_check("36010219881111457"), "phone": "13700000014"},
        "portrait_captured": True,
    }
    created = staff.clerk.post("/api/v1/staff/applications", body).json()
    assert created["applicant"]["name"] == name
    return created


@pytest.mark.skipif(
    not (Path(settings.PDF_FONT).is_file() and Path(settings.PDF_FONT_FALLBACK).is_file()) and not os.environ.get("CI"),
    reason="fonts-wqy-zenhei or fonts-babelstone-han is not installed; CI installs them",
)
def test_a_rare_character_of_a_name_prints_in_the_fallback_font(world, staff):
    """An outsider's 𡒄伟 (CJK Extension B, which the main font lacks) printed as 〔U+21484〕伟 on the
    receipt and on the form the applicant signs; a name's U+2022 dot as 〔U+2022〕."""
    created = rare_named_applicant(staff, "买买提\u00b7𡒄伟")
    for paper in ("receipt", "form"):
        pdf = pypdf.PdfReader(
            io.BytesIO(staff.clerk.get(f"/api/v1/staff/applications/{created['id']}/{paper}").content)
        )
        text = pdf.pages[0].extract_text()
        # The glyph is drawn from the fallback font, embedded; ReportLab's text layer maps only the
        # Basic Multilingual Plane back to text, so a reader copies the rare character out wrong.
        assert "买买提\u00b7" in text and "伟" in text and "〔U+" not in text, paper
        fonts = [font.get_object() for font in pdf.pages[0]["/Resources"]["/Font"].values()]
        embedded = {str(font["/BaseFont"]) for font in fonts if "/FontFile2" in font.get("/FontDescriptor", {})}
        assert len(embedded) == 2 and any("BabelStone" in name for name in embedded), (paper, embedded)
    assert receipts._runs("买买提\u00b7𡒄伟", receipts.FONT) == [
        (receipts.FONT, "买买提\u00b7"),
        (receipts.FALLBACK_FONT, "𡒄"),
        (receipts.FONT, "伟"),
    ]
    # A record's name keeps the dot it was imported with; printed as the dot the font has.
    assert receipts._printable("买买提\u2022艾力", receipts.FONT_CHARACTERS) == "买买提\u00b7艾力"


def test_a_rare_character_of_a_name_prints_as_its_code_point_never_as_another_character(
    world, staff, without_fallback_font
):
    """Without a font that has it: the CID font's encoding stops at U+FFFF, and an outsider's 王𡒄
    (CJK Extension B) printed as 王□蟕□ on the receipt and on the form the applicant signs."""
    created = rare_named_applicant(staff)
    for paper in ("receipt", "form"):
        pdf = staff.clerk.get(f"/api/v1/staff/applications/{created['id']}/{paper}")
        text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
        assert "王〔U+21484〕" in text and "蟕" not in text, paper
    # A code point is never broken over two lines (an outsider read "〔U+2148" and "4〕").
    value = receipts._printable("深圳市福田区福华路" + "😀" * 30, receipts.FONT_CHARACTERS)
    lines = receipts._wrapped(value, 11, receipts.FONT)
    assert len(lines) > 1 and all(line.count("〔") == line.count("〕") for line in lines), lines


def test_a_refusals_sms_points_an_account_to_its_messages_and_tells_one_without_the_reasons(world, staff):
    """An outsider's refusal SMS carried the reviewer's reasons word for word, 216 to 500 characters
    with a home address in them; the account's messages have them. A counter applicant with no
    account has no messages to read: theirs keeps them."""
    api, user = world
    reason = "申报住址深圳市南山区粤海街道科技园路4号与登记不符"
    app = submit(api)
    counter = staff.clerk.post(
        URL.replace("/applications", "/staff/applications"),
        {
            **application_body(photo_receipt="CT20260302R7"),
            "applicant": {"name": "李娜", "id_number": with_check("36010219950812234"), "phone": "13700000011"},
            "portrait_captured": True,
        },
    ).json()
    sms.outbox.clear()
    for application in (app, counter):
        act(staff.police, application, "verify", {"department": "police", "outcome": "not_confirmed", "note": "不符"})
        act(staff.reviewer, application, "reject", {"reasons": [reason]})
    (own,) = [m["text"] for m in sms.outbox if m["to"] == user.phone and "refused" in m["text"]]  # in English
    assert app["reference"] in own and "account's messages" in own and reason not in own and len(own) < 140
    assert reason in Message.objects.get(user=user, key="application_rejected").body
    (theirs,) = [m["text"] for m in sms.outbox if m["to"] == "13700000011" and "不予批准" in m["text"]]  # Chinese
    assert counter["reference"] in theirs and reason in theirs
    # Where to ask for the written reply, without an account (an outsider's was told of none).
    assert "到福田街道办事处居住证受理点要求书面答复" in theirs


def test_counter_intake_of_materials_not_checked_is_refused_as_at_the_desk(world, staff):
    """An outsider's intake said materials_checked false and was taken, its receipt saying they
    were checked and returned. Left out (API.md's body has no such field), they were."""
    body = {
        **application_body(photo_receipt="CT20260302M1"),
        "applicant": {"name": "李娜", "id_number": with_check("36010219950812234"), "phone": "13700000011"},
        "portrait_captured": True,
    }
    refused = staff.clerk.post("/api/v1/staff/applications", {**body, "materials_checked": False})
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"materials_checked"}
    assert Application.objects.count() == 0
    assert staff.clerk.post("/api/v1/staff/applications", body).status_code == 201


def test_counter_intake_by_the_clerk(world, staff):
    number = with_check("36010219950812234")
    body = {
        **application_body(photo_receipt="CT20260302X9"),
        "applicant": {"name": "李娜", "id_number": number, "phone": "13700000011"},
        "portrait_captured": True,
    }
    created = staff.clerk.post("/api/v1/staff/applications", body)
    assert created.status_code == 201, created.content
    app = created.json()
    assert app["channel"] == "counter" and app["acceptance_point"]["code"] == HOME_POINT
    assert app["self_check"]["eligible"] is False  # not in the records: the departments decide
    assert any(m["to"] == "13700000011" for m in sms.outbox)
    receipt = staff.clerk.get(f"/api/v1/staff/applications/{app['id']}")
    assert receipt.status_code == 200
    # Without the portrait, or with a wrong check character, nothing is stored.
    bad = {**body, "portrait_captured": False, "photo_receipt": "CT20260302Y8"}
    refused = staff.clerk.post("/api/v1/staff/applications", bad)
    # Her application is open now: that answers (API.md), with the field's problem beside it (RULES §4).
    assert error_code(refused) == "open_application" and "portrait_captured" in refused.json()["error"]["fields"]
    bad_id = {**body, "applicant": {**body["applicant"], "id_number": wrong_check(number)}, "photo_receipt": "CT2Z8888"}
    response = staff.clerk.post("/api/v1/staff/applications", bad_id)
    assert response.status_code == 400 and "applicant.id_number" in response.json()["error"]["fields"]
    # Whom the number itself shows cannot apply (RULES §1, §2: art. 51) is not taken in: an
    # outsider's Hong Kong resident and foreigner went on to approval.
    for excluded, words in ((HONG_KONG, "Hong Kong, Macao and Taiwan residents"), (FOREIGNER, "Foreigners")):
        other = {**body, "applicant": {**body["applicant"], "id_number": excluded}, "photo_receipt": "CT2Z7777"}
        refused = staff.clerk.post("/api/v1/staff/applications", other)
        assert refused.status_code == 400 and words in refused.json()["error"]["fields"]["applicant.id_number"][0]
    # Only clerks take counter applications.
    assert (
        staff.reviewer.post("/api/v1/staff/applications", {**body, "photo_receipt": "CT20260302Z7"}).status_code == 403
    )
    assert Application.objects.count() == 1


def test_counter_intake_refuses_a_name_that_differs_from_the_records(world, staff):
    body = {
        **application_body(photo_receipt="CT20260302N1"),
        "applicant": {"name": "张三", "id_number": ZHANG_WEI, "phone": "13700000012"},
        "portrait_captured": True,
    }
    assert error_code(staff.clerk.post("/api/v1/staff/applications", body)) == "name_mismatch"
    # With other problems, all are said at once (RULES §4): an outsider's clerk learnt of the name last.
    body["delivery"] = {"method": "courier", "address": ""}
    body["family_members"] = [
        {"name": "张小", "id_number": wrong_check(with_check("43010220180101125")), "relation": "child"}
    ]
    fields = staff.clerk.post("/api/v1/staff/applications", body).json()["error"]["fields"]
    assert {"applicant.name", "delivery.address", "family_members.0.id_number"} <= set(fields)
    assert fields["applicant.name"] == ["The name differs from the population records."]
    assert not Application.objects.exists()


def test_the_receipt_is_a_pdf_and_its_qr_target_shows_no_personal_data(world):
    api, _user = world
    app = submit(api)
    pdf = api.get(f"{URL}/{app['id']}/receipt")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # Marked as Chinese, for a screen reader, and as the platform's (an outsider found neither).
    assert b"/Lang (zh-CN)" in pdf.content and b"/Author" in pdf.content
    check = api.get(f"/api/v1/receipts/{app['reference']}/verify")
    assert check.json() == {"valid": True, "kind": "first", "status": "accepted"}


def test_the_receipts_qr_code_opened_in_a_phones_browser_is_a_page(world):
    """Outsiders scanning the QR code read raw JSON: a browser asking for HTML gets a page, in its
    language; a client asking for JSON, or for anything, gets API.md's JSON."""
    api, _user = world
    app = submit(api)
    url = f"/api/v1/receipts/{app['reference']}/verify"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = Api(address="10.7.7.9").client.get(url, HTTP_ACCEPT=browser, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    shown = page.content.decode()
    assert f"受理回执 {app['reference']} 真实有效" in shown and "首次申领" in shown and "已受理" in shown
    unknown = Api(address="10.7.7.9").client.get(
        "/api/v1/receipts/SZ000000XXXXXX/verify", HTTP_ACCEPT=browser, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "No application has the reference SZ000000XXXXXX" in unknown.content.decode()
    for accept in (
        "application/json",
        "*/*",
        None,
        # An API client listing text/html as well, lower or as high (an outsider's got a page).
        "application/json;q=1.0, text/html;q=0.1",
        "application/json, text/html",
        "application/vnd.api+json, text/html;q=0.1",
        "text/html;q=nonsense, application/json;q=0.5",
    ):
        extra = {"HTTP_ACCEPT": accept} if accept else {}
        answer = Api(address="10.7.7.9").client.get(url, **extra)
        assert answer["Content-Type"] == "application/json", accept
        assert answer.json() == {"valid": True, "kind": "first", "status": "accepted"}


def test_the_receipt_check_is_limited_per_address_found_or_not(world, settings):
    """An outsider read 70 applications' statuses in a row from one address."""
    api, _user = world
    app = submit(api)
    settings.LIMIT_RECEIPT_CHECKS_PER_HOUR = 3
    visitor = Api(address="10.7.7.7")
    for reference in (app["reference"], "SZ000000XXXXXX", app["reference"].lower()):
        assert visitor.get(f"/api/v1/receipts/{reference}/verify").json()["valid"] is (reference != "SZ000000XXXXXX")
    refused = visitor.get(f"/api/v1/receipts/{app['reference']}/verify")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert Api(address="10.7.7.8").get(f"/api/v1/receipts/{app['reference']}/verify").status_code == 200


def test_the_receipts_qr_code_opens_the_platform_where_it_is_reached(world, settings, monkeypatch):
    """The QR code's address: PUBLIC_BASE_URL when set, else the address the receipt was asked at
    (it pointed at http://127.0.0.1:8000 on every deployment that did not set it)."""
    from residence.applications import receipts

    api, _user = world
    app = submit(api)
    drawn = []
    real_qr = receipts._qr
    monkeypatch.setattr(receipts, "_qr", lambda pdf, text, *args: drawn.append(text) or real_qr(pdf, text, *args))
    settings.ALLOWED_HOSTS = ["permits.example.gov.cn", "testserver"]
    api.client.get(
        f"{URL}/{app['id']}/receipt",
        HTTP_HOST="permits.example.gov.cn",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    settings.PUBLIC_BASE_URL = "https://jzz.sz.gov.cn/"
    api.get(f"{URL}/{app['id']}/receipt")
    assert drawn == [
        f"http://permits.example.gov.cn/api/v1/receipts/{app['reference']}/verify",
        f"https://jzz.sz.gov.cn/api/v1/receipts/{app['reference']}/verify",
    ]
    assert api.get("/api/v1/receipts/SZ000000XXXXXX/verify").json()["valid"] is False


def test_staff_queue_sorted_by_due_date_with_badges(settings, world, staff):
    api, _user = world
    first = submit(api)
    settings.FROZEN_TODAY = "2026-03-03"
    police = staff.police.login("staff_police", phone="13900001003")  # staff logins end when idle: again each day
    other, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    eligible_records(with_check("44030419900101555"))
    second = submit(other, photo_receipt="PZ20260303B1")
    queue = police.get("/api/v1/staff/queue").json()["results"]
    assert [i["reference"] for i in queue] == [first["reference"], second["reference"]]
    assert queue[0]["id_number_masked"] == "430102********1234"
    settings.FROZEN_TODAY = "2026-03-05"
    police.login("staff_police", phone="13900001003")
    queue = police.get("/api/v1/staff/queue").json()["results"]
    assert [i["due"] for i in queue] == ["today", ""]
    settings.FROZEN_TODAY = "2026-03-06"
    police.login("staff_police", phone="13900001003")
    assert [i["due"] for i in police.get("/api/v1/staff/queue").json()["results"]] == ["overdue", "today"]
    # The next page starts after the cursor.
    page = police.get(f"/api/v1/staff/queue?after=2026-03-05,{first['id']}").json()["results"]
    assert [i["reference"] for i in page] == [second["reference"]]
    assert police.get("/api/v1/staff/queue?after=bad").status_code == 400
    assert (
        staff.insurance.login("staff_insurance", phone="13900001004")
        .get("/api/v1/staff/queue")
        .json()["results"][0]["step"]
        == "verification"
    )
    assert api.get("/api/v1/staff/queue").status_code == 403


def test_an_account_verified_after_a_counter_application_sees_it(world, staff):
    number = with_check("36010219950812234")
    body = {
        **application_body(photo_receipt="CT20260302V5"),
        "applicant": {"name": "李娜", "id_number": number, "phone": "13700000013"},
        "portrait_captured": True,
    }
    app = staff.clerk.post("/api/v1/staff/applications", body).json()
    later, _user = citizen_api("lina2026", "13812345670", "36010219950812234", "李娜")
    mine = later.get(URL).json()
    assert [a["reference"] for a in mine] == [app["reference"]]
    assert later.get(f"{URL}/{app['id']}").json()["channel"] == "counter"
    # Staff reading an application is logged against the person, not only the account.
    staff.clerk.get(f"/api/v1/staff/applications/{app['id']}")
    viewed = AuditEvent.objects.filter(type="personal_data_viewed", person_index=person_index(number))
    assert viewed.count() == 1


def test_the_stored_document_is_what_a_rebuild_from_the_rows_gives(world, staff):
    api, _user = world
    app = submit(api, family_members=[{"name": "李娜", "id_number": "11010519491231002X", "relation": "spouse"}])
    confirm_all(staff, app)
    act(staff.reviewer, app, "reject", {"reasons": ["材料不全"]})
    api.post(f"{URL}/{app['id']}/written-reply")
    stored = Application.objects.get(pk=app["id"])
    assert json.loads(stored.document) == documents.refresh(stored)
    shown = api.get(f"{URL}/{app['id']}")
    assert shown["Content-Type"] == "application/json"
    # Read with it: the self-check in the reader's language, and nothing holding a first application.
    assert shown.json() == {**json.loads(stored.document), "on_hold": None, "self_check": shown.json()["self_check"]}
    assert shown.json()["written_reply"]["due_date"] == "2026-03-05"
    # The list answers the same objects.
    assert api.get(URL).json() == [shown.json()]


def test_unknown_api_paths_answer_the_api_error_body(world):
    api, _user = world
    too_big = "/api/v1/applications/99999999999999999999999"  # past any database's integer
    for path in ("/api/v1/applications/abc", "/api/v1/applications/-1", too_big, "/api/v1/nothing-here"):
        response = api.get(path)
        assert response.status_code == 404 and error_code(response) == "not_found", path
    assert api.post("/api/v1/staff/applications/abc/verify", {}).status_code == 404


def test_the_applicants_own_requests_are_refused_to_anyone_else_the_same_for_every_id(world, staff):
    """An organisation or a staff member asking for the applicant's written reply, paying or
    withdrawing gets one 403 whether the id exists or not; another citizen gets 404."""
    from residence.accounts.models import Kind

    from .conftest import Api, make_user

    api, _user = world
    app = submit(api)
    confirm_all(staff, app)
    act(staff.reviewer, app, "reject", {"reasons": ["社保缴纳不满 12 个月"]})
    make_user("org1", "13812340003", kind=Kind.ORGANISATION, name="示范物业", credit_code="91440300MA5D4X7K8N")
    org = Api("10.7.7.8").login("org1", phone="13812340003")
    other, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    missing = app["id"] + 1000
    for client in (org, staff.clerk, staff.courier, staff.reviewer):
        for pk in (app["id"], missing):
            for path, body in (("written-reply", None), ("withdraw", None), ("payment", {"provider": "sandbox"})):
                response = client.post(f"{URL}/{pk}/{path}", body)
                assert response.status_code == 403 and error_code(response) == "permission_denied", (path, pk)
    assert other.post(f"{URL}/{app['id']}/written-reply").status_code == 404
    assert Application.objects.get(pk=app["id"]).reply_requested_on is None
    assert not AuditEvent.objects.filter(type="application_reply").exists()
    assert api.post(f"{URL}/{app['id']}/written-reply").status_code == 201


def test_staff_endpoints_refuse_another_role_before_the_id_or_the_body(world, staff):
    """A citizen (or a staff member of another role) gets the same 403 for an application that
    exists and one that does not, and before a malformed body is looked at."""
    api, _user = world
    app = submit(api)
    missing = app["id"] + 1000
    for pk in (app["id"], missing):
        base = f"/api/v1/staff/applications/{pk}"
        assert api.get(f"{base}/form").status_code == 403
        assert staff.reviewer.get(f"{base}/form").status_code == 403
        assert api.get(base).status_code == 403
        assert api.post(f"{base}/verify", {"department": "nonsense"}).status_code == 403
        assert staff.clerk.post(f"{base}/reject", {"reasons": "not a list"}).status_code == 403
        assert api.post(f"{base}/written-reply", {"text": 7}).status_code == 403
    assert api.post("/api/v1/staff/permits/4403202600000001/revoke", {}).status_code == 403
    assert api.post("/api/v1/staff/organisations/1/activate", {}).status_code == 403
    assert staff.courier.post("/api/v1/staff/applications", {}).status_code == 403
    assert Application.objects.get(pk=app["id"]).status == "accepted"


def test_a_clerk_prints_the_receipt_of_an_application_taken_in_for_another_point(world, staff):
    """RULES §3: the counter issues the acceptance receipt. The applicant may collect the card at
    another point; the clerk who took it in still reads it and prints its receipt and form."""
    from .applications import OTHER_POINT

    body = {
        **application_body(photo_receipt="CT20260302X9", acceptance_point=OTHER_POINT),
        "applicant": {"name": "李娜", "id_number": with_check("36010219950812234"), "phone": "13700000011"},
        "portrait_captured": True,
    }
    app = staff.clerk.post("/api/v1/staff/applications", body).json()
    assert app["acceptance_point"]["code"] == OTHER_POINT
    for client in (staff.clerk, staff.other_clerk):
        assert client.get(f"/api/v1/staff/applications/{app['id']}").status_code == 200
        assert client.get(f"/api/v1/staff/applications/{app['id']}/form").status_code == 200
    # Through the API as on the desk (an outsider's counter clerk found no receipt route): the
    # receipt the applicant signs, with the reference and the masked ID number, on record.
    receipt = staff.clerk.get(f"/api/v1/staff/applications/{app['id']}/receipt")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(receipt.content)).pages)
    assert app["reference"] in text and "李娜" in text and "受理回执" in text
    assert AuditEvent.objects.filter(type="personal_data_viewed", data__what="receipt").exists()
    # A clerk of a third point sees nothing of it.
    from residence.accounts.services import staff_create
    from residence.places.models import AcceptancePoint

    from .conftest import PASSWORD, Api

    staff_create(
        username="staff_third",
        password=PASSWORD,
        phone="13900001099",
        role="clerk",
        point=AcceptancePoint.objects.exclude(code__in=[HOME_POINT, OTHER_POINT]).first(),
    )
    outsider = Api("10.3.99.1").login("staff_third", phone="13900001099", remember=True)
    assert outsider.get(f"/api/v1/staff/applications/{app['id']}").status_code == 403
    assert outsider.get(f"/api/v1/staff/applications/{app['id']}/form").status_code == 403
    assert outsider.get(f"/api/v1/staff/applications/{app['id']}/receipt").status_code == 403
    assert staff.reviewer.get(f"/api/v1/staff/applications/{app['id']}/receipt").status_code == 403


def _taken_in_for_another_point(staff, receipt, applicant=("李娜", "36010219950812234")):
    from .applications import OTHER_POINT

    body = {
        **application_body(photo_receipt=receipt, acceptance_point=OTHER_POINT),
        "applicant": {"name": applicant[0], "id_number": with_check(applicant[1]), "phone": "13700000011"},
        "portrait_captured": True,
    }
    response = staff.clerk.post("/api/v1/staff/applications", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _clerk_reads(client, pk) -> list[int]:
    paths = ("", "/form", "/receipt")
    return [client.get(f"/api/v1/staff/applications/{pk}{path}").status_code for path in paths]


def test_the_intake_clerk_reads_another_points_case_on_the_intake_day_only(world, staff, settings):
    """An outsider's intake clerk still read such a case, full ID number and hukou address on its
    form, long after the counter had handed it to its point."""
    pk = _taken_in_for_another_point(staff, "CT20260302Y1")
    assert _clerk_reads(staff.clerk, pk) == [200, 200, 200]
    settings.FROZEN_TODAY = "2026-03-03"  # a staff login ends when idle: both sign in again
    clerk = Api("10.3.1.1").login("staff_clerk", phone="13900001001")
    other_clerk = Api("10.3.2.1").login("staff_other_clerk", phone="13900001002")
    assert _clerk_reads(clerk, pk) == [403, 403, 403]
    assert _clerk_reads(other_clerk, pk) == [200, 200, 200]


def test_the_intake_clerk_loses_the_case_once_it_or_the_clerk_moves(world, staff):
    from residence.accounts.models import User
    from residence.places.models import AcceptancePoint

    from .applications import HOME_POINT, OTHER_POINT

    third = AcceptancePoint.objects.exclude(code__in=[HOME_POINT, OTHER_POINT]).first()
    moved = _taken_in_for_another_point(staff, "CT20260302Y2")
    answer = staff.supervisor.post(
        f"/api/v1/staff/applications/{moved}/move",
        {"acceptance_point": third.code, "reason": "窗口业务量过大", "without_clerk": True},
    )
    assert answer.status_code == 200, answer.content
    assert _clerk_reads(staff.clerk, moved) == [403, 403, 403]

    kept = _taken_in_for_another_point(staff, "CT20260302Y3", applicant=("陈静", "44010619980101004"))
    assert _clerk_reads(staff.clerk, kept) == [200, 200, 200]
    User.objects.filter(username="staff_clerk").update(point=third)
    assert _clerk_reads(staff.clerk, kept) == [403, 403, 403]


def test_a_provisional_due_date_is_marked_in_the_staff_queue_and_pages(settings):
    """RULES §8: a date computed with next year's calendar unpublished is shown as provisional,
    to staff as to the applicant."""
    from .test_desk_pages import desk

    settings.FROZEN_TODAY = "2026-12-30"  # + 3 working days reaches January 2027, not published here
    api, _user = citizen_api()
    eligible_records()
    staff = staff_apis(["police"])
    app = submit(api, photo_receipt="PZ20261230A1")
    assert app["verifications"][0]["due_date"].startswith("2027-01") and app["due_date_provisional"] is True
    [item] = staff.police.get("/api/v1/staff/queue").json()["results"]
    assert item["provisional"] is True and item["due_on"].startswith("2027-01")
    clerk = desk("clerk")
    page = clerk.get(f"/staff/applications/{app['id']}/").content.decode()
    assert page.count('data-testid="provisional"') >= 2  # the whole and the verification step


def test_a_spouse_of_twenty_is_taken_a_day_younger_is_not(world, settings):
    """The age by the ID number's birth date, worked out by hand: born 2006-03-02 is 20 on 2026-03-02."""
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = world
    younger = with_check("11010520060303123")  # 20 tomorrow
    refused = api.post(
        URL, application_body(family_members=[{"name": "李娜", "id_number": younger, "relation": "spouse"}])
    )
    assert "family_members.0.relation" in refused.json()["error"]["fields"]
    twenty = with_check("11010520060302123")
    app = submit(api, family_members=[{"name": "李娜", "id_number": twenty, "relation": "spouse"}])
    assert app["family_members"][0]["relation"] == "spouse"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"delivery": {"method": "courier", "address": "深圳市福田区福田路1号\u202e"}}, "delivery.address"),
        ({"delivery": {"method": "courier", "address": "深圳市福田区福田路1号\x1b[2J"}}, "delivery.address"),
        ({"reason": "卡片损坏\x01"}, "reason"),
        ({"reason": "补充\u200e说明"}, "reason"),
    ],
)
def test_free_text_with_hidden_or_control_characters_is_refused_at_its_field(world, body, field):
    """An outsider's terminal escapes and right-to-left override reached staff screens and the
    citizen's page through a courier address and a reason."""
    api, _user = world
    response = api.post(URL, application_body(**body))
    assert response.status_code == 400 and field in response.json()["error"]["fields"], response.content
    assert not Application.objects.exists()


def test_notes_keep_their_lines_but_not_hidden_characters(world, staff):
    api, _user = world
    app = submit(api)
    url = f"/api/v1/staff/applications/{app['id']}/verify"
    hidden = {"department": "social_insurance", "outcome": "not_confirmed", "note": "无记录\u202e"}
    assert staff.insurance.post(url, hidden).status_code == 400
    lines = {**hidden, "note": "无记录\n2026-01 起未缴费\t(单位已注销)"}
    assert act(staff.insurance, app, "verify", lines)["status"] == "reviewing"


@pytest.mark.parametrize(
    ("delivery", "said", "not_said"),
    [
        ({"method": "pickup"}, "领取居住证时请携带本人身份证和本回执", "快递"),
        ({"method": "courier", "address": "深圳市福田区福华路 8 号"}, "快递送达时请本人出示身份证签收", "领取居住证时"),
    ],
)
def test_the_receipt_says_how_the_card_reaches_the_applicant(world, delivery, said, not_said):
    """An outsider's courier application had a receipt telling them to bring it to collect the card."""
    api, _user = world
    app = submit(api, delivery=delivery)
    pdf = api.get(f"{URL}/{app['id']}/receipt")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert app["reference"] in text and said in text and not_said not in text
    # The form's and RULES §3's name for the photo number (an outsider read 相片回执号 here).
    assert "数码照相回执号" in text and "相片回执号" not in text.replace("数码照相回执号", "")


def test_a_courier_receipt_shows_the_address_to_check_before_signing(world):
    """An outsider's courier receipt said 快递送达 but not where: the applicant signs it unchecked."""
    api, _user = world
    address = "深圳市福田区福田街道福华一路八号国际商会大厦A座二十三楼二三零八室前台转交收件人本人"
    app = submit(api, delivery={"method": "courier", "address": address})
    pdf = api.get(f"{URL}/{app['id']}/receipt")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "送达地址" in text and address in "".join(text.split())  # on lines that fit the page


CONTRACT = [  # API.md § Applications: the application object
    *("id", "reference", "kind", "route", "status", "acceptance_point", "delivery", "fee", "payment_status"),
    *("accepted_on", "due_date", "due_date_provisional", "verifications", "history", "decision", "permit_number"),
]


def test_production_and_the_courier_get_what_the_card_and_the_delivery_need_not_the_case(world, staff):
    """An outsider's courier read the self-check, the family and the departments' notes by API."""
    api, _user = world
    app = submit(api, delivery={"method": "courier", "address": "深圳市福田区福华路 8 号"})
    note = {"department": "police", "outcome": "confirmed", "note": "户籍核查一致"}
    act(staff.police, app, "verify", note)
    act(staff.insurance, app, "verify", {"department": "social_insurance", "outcome": "confirmed"})
    act(staff.reviewer, app, "approve")
    url = f"/api/v1/staff/applications/{app['id']}"
    made = staff.production.get(url).json()
    assert made["photo_receipt"] == "PZ20260302A1" and made["applicant"]["name"] == "张伟"
    act(staff.production, app, "produce")
    act(staff.production, app, "dispatch")
    carried = staff.courier.get(url).json()
    assert (
        carried["delivery"]["address"] == "深圳市福田区福华路 8 号" and carried["applicant"]["phone"] == "13812345678"
    )
    for seen in (made, carried):
        # API.md's application object, every field of it (its staff actions "answer the application
        # object": an outsider's client missed route, fee, verifications, history, decision) …
        assert set(CONTRACT) <= set(seen) and seen["route"] == "residence_employment"
        assert seen["fee"] == {"amount": "0.00", "currency": "CNY"} and seen["decision"]["outcome"] == "approved"
        assert {v["status"] for v in seen["verifications"]} == {"confirmed"}
        # … without the case behind it: no notes, no self-check, no family.
        assert not {"self_check", "family_members", "deadlines", "written_reply"} & set(seen)
        assert {entry["note"] for entry in seen["history"]} == {""}
        assert "户籍核查一致" not in json.dumps(seen, ensure_ascii=False)
    delivered = act(staff.courier, app, "deliver", {"identity_checked": True})
    assert set(CONTRACT) <= set(delivered) and delivered["status"] == "completed"
    done = staff.courier.get(url).json()
    assert done["delivery"]["address"] == "" and "phone" not in done["applicant"]
    # Production, once the card has left it, reads neither where it went nor the photo receipt,
    # and the desk pages show what the API answers (an outsider read both there).
    finished = staff.production.get(url).json()
    assert finished["delivery"]["address"] == "" and "photo_receipt" not in finished
    assert made["delivery"]["address"] == "深圳市福田区福华路 8 号"
    from .applications import STAFF
    from .conftest import CommittingClient
    from .test_web import web_login

    for role in ("courier", "production"):
        browser = CommittingClient()
        assert web_login(browser, f"staff_{role}", phone=STAFF[role][1]).status_code == 302
        page = browser.get(f"/staff/applications/{app['id']}/").content.decode()
        assert app["reference"] in page and "福华路" not in page and "PZ20260302A1" not in page, role
    assert "self_check" in staff.reviewer.get(url).json()  # the case, for those who decide on it
    # Another courier, who carried it nowhere, reads it no more once it is delivered.
    staff_create(username="staff_courier2", password=PASSWORD, phone="13900007777", role="courier")
    other = Api(address="10.3.77.1").login("staff_courier2", phone="13900007777")
    assert other.get(url).status_code == 403


def test_a_verifier_is_answered_only_its_own_departments_notes(world, staff):
    api, _user = world
    address = "深圳市福田区福华路 8 号"
    app = submit(api, delivery={"method": "courier", "address": address})
    act(staff.police, app, "verify", {"department": "police", "outcome": "confirmed", "note": "治安记录（内部）"})
    url = f"/api/v1/staff/applications/{app['id']}"
    seen = staff.insurance.get(url).json()
    notes = [entry["note"] for entry in seen["history"]]
    assert "治安记录（内部）" not in notes
    # Nor where the card goes: no verifier's business (an outsider's insurance verifier read it).
    assert seen["delivery"] == {"method": "courier", "address": ""} and address not in json.dumps(seen)
    answered = act(
        staff.insurance, app, "verify", {"department": "social_insurance", "outcome": "confirmed", "note": "社保连续"}
    )
    assert [e["note"] for e in answered["history"] if e["note"]] == ["社保连续"]
    assert [c["note"] for c in seen["verifications"]] == ["", ""]
    assert {c["department"]: c["note"] for c in answered["verifications"]} == {
        "police": "",
        "social_insurance": "社保连续",
    }
    assert "治安记录（内部）" in [e["note"] for e in staff.reviewer.get(url).json()["history"]]
    assert staff.reviewer.get(url).json()["delivery"]["address"] == address


def test_a_verifier_reads_its_departments_records_as_held_now_beside_the_claim(world, staff):
    """An outsider's department pushed months after a submission: the desk page showed them, the API
    only the self-check kept from the submission."""
    api, user = world
    app = submit(api)
    url = f"/api/v1/staff/applications/{app['id']}"
    insurance = staff.insurance.get(url).json()["records"]
    assert insurance["identity"] == {"name": "张伟", "birth_date": "1990-03-07", "shenzhen_hukou": False}
    assert insurance["insurance_months"] == {
        "count": 14,
        "ranges": [{"first": "2025-01", "last": "2026-02", "months": 14}],
    }
    assert set(insurance) == {"identity", "insurance_months"}  # its own department's records only
    pushed = [{"id_number": user.person.id_number, "month": "2024-06", "employer_credit_code": "91440300MA5D4X7K8N"}]
    assert records_import_rows("social_insurance", pushed).applied
    months = staff.insurance.get(url).json()["records"]["insurance_months"]
    assert months["count"] == 15 and [r["first"] for r in months["ranges"]] == ["2024-06", "2025-01"]
    police = staff.police.get(url).json()["records"]
    assert set(police) == {"identity", "registrations"}
    [registration] = police["registrations"]
    assert registration["street"] == "440304004" and registration["registered_on"] == "2025-01-10"
    assert registration["ended_on"] is None and registration["address"] == "福田路 1 号"
    assert "records" not in staff.reviewer.get(url).json()  # the reviewer reads the departments' answers


def test_the_full_id_number_goes_to_those_checking_the_person_now_and_no_one_else(world, staff):
    """An outsider's department system, given only 430102********1234, could not find the applicant
    in its own records to verify anyone."""
    api, user = world
    app = submit(api)
    url = f"/api/v1/staff/applications/{app['id']}"
    full = user.person.id_number
    for verifier in (staff.police, staff.insurance):
        applicant = verifier.get(url).json()["applicant"]
        assert applicant["id_number"] == full and applicant["id_number_masked"] == full[:6] + "********" + full[-4:]
    assert "id_number" not in staff.reviewer.get(url).json()["applicant"]  # not the reviewer's turn yet
    act(staff.police, app, "verify", {"department": "police", "outcome": "confirmed"})
    assert full not in staff.police.get(url).content.decode()  # answered: no longer needed
    assert staff.insurance.get(url).json()["applicant"]["id_number"] == full
    act(staff.insurance, app, "verify", {"department": "social_insurance", "outcome": "confirmed"})
    assert staff.reviewer.get(url).json()["applicant"]["id_number"] == full
    assert "id_number" not in api.get(f"{URL}/{app['id']}").json().get("applicant", {})
    act(staff.reviewer, app, "approve")
    assert "id_number" not in staff.reviewer.get(url).json()["applicant"]


def test_twenty_reasons_are_counted_after_repeated_ones_are_merged(world, staff):
    """An outsider's 19 reasons and four spellings of one more were refused as 23 by the API."""
    api, _user = world
    app = submit(api)
    note = {"department": "social_insurance", "outcome": "not_confirmed", "note": "无缴费记录"}
    assert act(staff.insurance, app, "verify", note)["status"] == "reviewing"
    url = f"/api/v1/staff/applications/{app['id']}/reject"
    assert staff.reviewer.post(url, {"reasons": ["x"] * 101}).status_code == 400  # the body's own bound
    repeated = ["材料不全。", "材料不全；", " 材料不全 ", "材料不全！"]  # one reason, four spellings
    merged = staff.reviewer.post(url, {"reasons": [f"理由{i}" for i in range(19)] + repeated})
    assert merged.status_code == 200 and len(merged.json()["decision"]["reasons"]) == 20


def test_a_long_history_of_applications_comes_a_page_at_a_time(world, monkeypatch):
    # An outsider's 253 applications: all in one 387 KB API answer, and 20 of them on the page.
    from residence.applications import api as applications_api
    from residence.applications import views

    from .conftest import CommittingClient
    from .test_web import web_login

    api, _user = world
    monkeypatch.setattr(applications_api, "LIST_PAGE", 2)
    monkeypatch.setattr(views, "MINE_PAGE", 2)
    references = []
    for n in range(3):
        app = submit(api, photo_receipt=f"PZPAGE000{n}")
        references.append(app["reference"])
        assert api.post(f"{URL}/{app['id']}/withdraw").status_code == 200
    first = api.get(URL)
    assert [a["reference"] for a in first.json()] == references[:0:-1] and 'rel="next"' in first["Link"]
    second = api.get(URL + "?page=2")
    assert [a["reference"] for a in second.json()] == references[:1] and not second.has_header("Link")
    client = CommittingClient()
    client.cookies["django_language"] = "en"
    web_login(client, "citizen1", phone="13812345678")
    page = client.get("/applications/mine/").content.decode()
    assert references[2] in page and references[0] not in page and 'rel="next"' in page
    assert references[0] in client.get("/applications/mine/?page=2").content.decode()


def test_a_photo_receipt_in_groups_and_a_too_long_id_number_are_read_as_the_web_form_reads_them(world, staff):
    # An outsider's "sp 9719 1260" was taken by the web step and refused by the API and the counter;
    # a relative's ID number with a space was "no more than 18 characters", not what is wrong.
    api, _user = world
    spaced = [{"name": "张小明", "id_number": "440304 20150101123", "relation": "child"}]
    refused = api.post(URL, application_body(photo_receipt="pz 2026 0302 a1", family_members=spaced))
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["family_members.0.id_number"] == [
        "An ID number has 17 digits and a check character (a digit or X)."
    ]
    assert not Application.objects.exists()
    created = submit(api, photo_receipt="pz 2026 0302 a1")
    assert Application.objects.get(pk=created["id"]).photo_receipt == "PZ20260302A1"
    counter = {
        **application_body(photo_receipt="CT 2026 0302 H1"),
        "applicant": {"name": "李娜", "id_number": with_check("36010219950812234"), "phone": "13700000011"},
        "portrait_captured": True,
    }
    assert staff.clerk.post(URL.replace("applications", "staff/applications"), counter).status_code == 201
    assert Application.objects.filter(photo_receipt="CT20260302H1").exists()


def test_a_long_name_on_the_receipt_wraps_short_of_the_qr_code(world, staff):
    # An outsider's applicant with a 41-character name had it printed across the QR code. The code
    # stands from 145 mm (411 pt) on an A4 page; the values start at 70 mm (198 pt): at 11 pt a
    # Chinese character is 11 pt wide, so a line beside the code holds at most 19 of them.
    name = "迪丽热巴·迪力木拉提·阿不都热合曼·买买提·吐尔逊·艾则孜·阿布都克里木"
    from .test_account_changes import identity

    number = identity("65010219950812234", name)
    body = {
        **application_body(photo_receipt="CT20260302L1"),
        "applicant": {"name": name, "id_number": number, "phone": "13700000019"},
        "portrait_captured": True,
    }
    created = staff.clerk.post("/api/v1/staff/applications", body)
    assert created.status_code == 201, created.content
    pdf = staff.clerk.get(f"/api/v1/staff/applications/{created.json()['id']}/receipt")
    lines = []

    def visit(text, _cm, tm, _font, _size):
        if text.strip() and abs(tm[4] - 198.4) < 1 and tm[5] > 842 - 105 * 72 / 25.4:
            lines.append(text)

    pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text(visitor_text=visit)
    printed = "".join(lines).replace("\n", "")
    for dot in "·・":
        printed, name = printed.replace(dot, ""), name.replace(dot, "")
    assert name in printed  # the whole name, over several lines
    assert all(pdfmetrics.stringWidth(line.strip(), receipts.FONT, 11) <= 70 * 72 / 25.4 for line in lines), lines


def test_a_value_longer_than_the_page_goes_on_over_it_and_every_row_is_printed(world, staff, without_fallback_font):
    """An outsider's 200-character courier address (valid) ran off the bottom of the receipt, its
    notes and the form's permit and card rows on no page; the form's later pages had no reference or
    page number, and a family member's ID number broke after "6501"."""
    address = "深圳市福田区福华路" + "𠮷" * 190
    family = [
        {
            "relation": "child",
            "name": f"李小{'一二三四五六七八九十'[n]}",
            "id_number": with_check(f"65010120100101{n:03d}"),
        }
        for n in range(10)
    ]
    body = {
        **application_body(photo_receipt="CT20260302L9", family_members=family),
        "delivery": {"method": "courier", "address": address},
        "applicant": {"name": "李娜", "id_number": with_check("36010219881111459"), "phone": "13700000016"},
        "portrait_captured": True,
    }
    created = staff.clerk.post("/api/v1/staff/applications", body)
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    bottom = 15 * 72 / 25.4  # the lowest a line may sit (the platform keeps 20 mm)

    def read(paper):
        pdf = pypdf.PdfReader(
            io.BytesIO(staff.clerk.get(f"/api/v1/staff/applications/{created.json()['id']}/{paper}").content)
        )
        heights = []
        texts = [
            page.extract_text(visitor_text=lambda t, _cm, tm, _f, _s: heights.append(tm[5]) if t.strip() else None)
            for page in pdf.pages
        ]
        assert min(heights) >= bottom, paper
        return texts

    receipt = read("receipt")
    # Progress on the platform; the code checks the receipt (as its label says: an outsider read a
    # footer that sent the scan for progress).
    assert "可登录平台查询办理进度；扫描二维码可核验本回执真伪。" in "".join(receipt)
    assert "".join(receipt).count("〔U+20BB7〕") == 190  # every character of the address, somewhere
    form = read("form")
    assert len(form) >= 2 and all(f"{reference}（第 {n} 页）" in form[n - 1] for n in range(2, len(form) + 1))
    whole = "".join(form)
    assert "居住证号码" in whole and "卡号" in whole and "申请人签名" in form[-1]
    # Whole on their line (masked: printed before the card waits at the point).
    assert all(mask_id_number(member["id_number"]) in whole for member in family)


def test_an_english_readers_messages_and_sms_name_the_point_by_its_kind_and_street_too(world):
    """An outsider's English messages and SMS named the point in Chinese only ("accepted at
    粤海街道办事处居住证受理点"), which the English pages no longer did."""
    from residence.notifications.services import sms_text

    api, user = world
    submit(api)
    [message] = Message.objects.filter(user=user, key="application_accepted")
    point = "福田街道办事处居住证受理点"
    with translation.override("en"):
        assert (
            f"accepted at Street office, Futian Subdistrict · {point}."
            in render_message(message.key, message.params)[1]
        )
    with translation.override("zh-hans"):
        chinese = render_message(message.key, message.params)[1]
    assert point in chinese and "Street office" not in chinese
    ready = sms_text("application_ready_for_pickup", language="en", **message.params)
    assert f"is ready at Street office, Futian Subdistrict · {point}, " in ready
    assert "Street office" not in sms_text("application_ready_for_pickup", language="zh-hans", **message.params)
