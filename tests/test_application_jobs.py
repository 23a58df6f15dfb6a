"""The statutory clock and the daily jobs of applications: recomputation when the calendar
changes, payment time-outs on both sides of the 15th day, reminders and escalation, reruns."""

import datetime as dt
import io
import re
from io import StringIO

import pypdf
import pytest
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import translation

from residence.applications import effects
from residence.applications.models import Application, Deadline, Payment
from residence.audit.models import AuditEvent
from residence.core.services import calendar_day_set, calendar_year_publish
from residence.notifications.catalogue import SMS, render_message
from residence.notifications.models import Message, SmsMessage
from residence.notifications.services import sms_text

from .applications import (
    application_body,
    citizen_api,
    confirm_all,
    eligible_records,
    live_permit,
    signed_in_again,
    staff_apis,
)
from .conftest import Api, CommittingClient, error_code
from .idnumbers import WANG_FANG
from .test_web import web_login

pytestmark = pytest.mark.django_db
URL = "/api/v1/applications"


@pytest.fixture
def world(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, user = citizen_api()
    eligible_records()
    return api, user, staff_apis(["police", "insurance", "reviewer", "production", "supervisor"])


def verified(world, **extra):
    api, _user, staff = world
    app = api.post(URL, application_body(**extra)).json()
    confirm_all(staff, app)
    return app


def daily(date):
    """The daily jobs run on that day (the command refuses a day still to come)."""
    out = StringIO()
    with override_settings(FROZEN_TODAY=date):
        call_command("run_daily_jobs", "--date", date, stdout=out)
    return out.getvalue()


def test_a_calendar_change_recomputes_open_deadlines(world):
    api, user, _staff = world
    app = api.post(URL, application_body()).json()
    assert app["due_date"] == "2026-03-23"
    # A day off inside the span (say a typhoon closure declared as a holiday) moves every open deadline.
    with TestCase.captureOnCommitCallbacks(execute=True):
        calendar_day_set(date=dt.date(2026, 3, 4), working=False, name="typhoon")
    refreshed = api.get(f"{URL}/{app['id']}").json()
    assert refreshed["due_date"] == "2026-03-24"
    assert {v["due_date"] for v in refreshed["verifications"]} == {"2026-03-06"}
    assert Deadline.objects.get(application_id=app["id"], step="refusal").due_on == dt.date(2026, 3, 12)
    # The applicant is told the new date (an outsider's counter applicant had only the receipt's).
    [told] = Message.objects.filter(user=user, key="application_due_changed")
    assert (told.params["reference"], told.params["due_date"]) == (app["reference"], "2026-03-24")
    [text] = SmsMessage.objects.filter(to=user.phone, text__contains="2026-03-24").values_list("text", flat=True)
    assert app["reference"] in text
    # A change that leaves the whole date where it was tells nothing more.
    with TestCase.captureOnCommitCallbacks(execute=True):
        calendar_day_set(date=dt.date(2026, 3, 30), working=False, name="typhoon")
    assert Message.objects.filter(key="application_due_changed").count() == 1


def test_a_calendar_change_leaves_deadlines_already_passed_alone(settings, world):
    # An outsider unticked a February day in October: an open case's verification deadline,
    # seven months past, moved by a day with it.
    api, _user, _staff = world
    app = api.post(URL, application_body()).json()
    settings.FROZEN_TODAY = "2026-03-20"  # verification (due 03-05) and refusal (03-11) passed; whole 03-23 not
    api.login("citizen1", phone="13812345678", remember=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        calendar_day_set(date=dt.date(2026, 3, 4), working=False, name="typhoon")
    due = dict(Deadline.objects.filter(application_id=app["id"]).values_list("step", "due_on"))
    assert due == {"verification": dt.date(2026, 3, 5), "refusal": dt.date(2026, 3, 11), "whole": dt.date(2026, 3, 24)}
    refreshed = api.get(f"{URL}/{app['id']}").json()
    assert refreshed["due_date"] == "2026-03-24"
    assert {v["due_date"] for v in refreshed["verifications"]} == {"2026-03-05"}


def test_a_calendar_correction_that_puts_a_passed_deadline_back_in_time_re_dates_it(settings, world):
    # An outsider declared Mon 2026-03-04 a day off on Fri 03-06, when the verification due Thu
    # 03-05 (accepted Mon 03-02: 03-03, 03-04, 03-05) was a day late. Without 03-04 it is due
    # 03-06, today: on time, not "overdue" to the applicant and the supervisors.
    api, _user, _staff = world
    app = api.post(URL, application_body()).json()
    assert "1 overdue step(s) escalated" in daily("2026-03-06")
    settings.FROZEN_TODAY = "2026-03-06"
    api.login("citizen1", phone="13812345678", remember=True)
    with TestCase.captureOnCommitCallbacks(execute=True):
        calendar_day_set(date=dt.date(2026, 3, 4), working=False, name="typhoon")
    verification = Deadline.objects.get(application_id=app["id"], step="verification")
    assert verification.due_on == dt.date(2026, 3, 6) and verification.escalated_on is None
    refreshed = api.get(f"{URL}/{app['id']}").json()
    assert {v["due_date"] for v in refreshed["verifications"]} == {"2026-03-06"}
    # Overdue again after it, and escalated again (the escalation was for the old day).
    assert "1 overdue step(s) escalated" in daily("2026-03-09")


def test_a_calendar_change_never_makes_a_step_late_after_the_fact(settings, world):
    """An outsider turned two past weekend days into working days: steps due that day became two
    days overdue and were escalated. Accepted Mon 2026-03-02, the whole is due Mon 03-23 (15
    working days); with Sat 03-21 a working day it would count to Sat 03-21, already past."""
    api, _user, _staff = world
    app = api.post(URL, application_body()).json()
    settings.FROZEN_TODAY = "2026-03-23"
    with TestCase.captureOnCommitCallbacks(execute=True):
        calendar_day_set(date=dt.date(2026, 3, 21), working=True, name="make-up day")
    due = dict(Deadline.objects.filter(application_id=app["id"]).values_list("step", "due_on"))
    assert due == {"verification": dt.date(2026, 3, 5), "refusal": dt.date(2026, 3, 11), "whole": dt.date(2026, 3, 23)}
    assert Application.objects.get(pk=app["id"]).due_date == dt.date(2026, 3, 23)


def test_a_recompute_cut_short_is_finished_by_the_next_load_or_daily_run(settings, world, tmp_path, monkeypatch):
    """An outsider's recompute died after the calendar was saved; loading the same file again said
    "unchanged" and left every deadline on the old calendar. Counted by hand as in the test above:
    from Wed 2026-12-30 the verification is due Wed 2027-01-06 under SCHEDULE_2027."""
    api, _user, _staff = world
    settings.FROZEN_TODAY = "2026-12-30"
    api.login("citizen1", phone="13812345678", remember=True)
    app = api.post(URL, application_body()).json()
    schedule = tmp_path / "2027.csv"
    schedule.write_text(SCHEDULE_2027, encoding="utf-8")
    monkeypatch.setattr("residence.core.services.DEADLINE_RECOMPUTERS", [])  # the recompute never runs
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("load_calendar", str(schedule), stdout=StringIO())
    verification = Deadline.objects.filter(application_id=app["id"], step="verification")
    assert verification.get().due_on != dt.date(2027, 1, 6)
    monkeypatch.undo()
    out = StringIO()
    call_command("load_calendar", str(schedule), stdout=out)
    assert "unchanged" in out.getvalue() and "left on an earlier calendar recomputed" in out.getvalue()
    assert verification.get().due_on == dt.date(2027, 1, 6)
    assert {v["due_date"] for v in api.get(f"{URL}/{app['id']}").json()["verifications"]} == {"2027-01-06"}
    # The same by the daily jobs, for a single day changed.
    monkeypatch.setattr("residence.core.services.DEADLINE_RECOMPUTERS", [])
    with TestCase.captureOnCommitCallbacks(execute=True):
        calendar_day_set(date=dt.date(2027, 1, 5), working=False, name="typhoon")
    assert verification.get().due_on == dt.date(2027, 1, 6)
    monkeypatch.undo()
    assert "3 deadline(s) left on an earlier calendar recomputed" in daily("2026-12-30")
    assert verification.get().due_on == dt.date(2027, 1, 7)


def test_a_review_begun_after_the_refusal_deadline_is_overdue_at_the_top_of_the_queue(settings, world):
    # An outsider's case, not confirmed months late, came to the reviewer "due" two working days
    # later and listed last, though its refusal reasons were long overdue (7 working days from
    # acceptance, RULES §4).
    api, _user, staff = world
    late = api.post(URL, application_body()).json()  # accepted Mon 2026-03-02: refusal due Wed 03-11
    settings.FROZEN_TODAY = "2026-03-16"
    signed_in_again(staff, "police", "insurance", "reviewer")
    other, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    eligible_records(WANG_FANG)
    fresh = other.post(URL, application_body(photo_receipt="PZ20260316B1")).json()
    confirm_all(staff, fresh)  # review due Wed 03-18 (2 working days)
    not_confirmed = {"department": "police", "outcome": "not_confirmed", "note": "无居住登记"}
    assert staff.police.post(f"/api/v1/staff/applications/{late['id']}/verify", not_confirmed).status_code == 200
    queue = staff.reviewer.get("/api/v1/staff/queue").json()["results"]
    assert [(i["reference"], i["due_on"], i["due"]) for i in queue] == [
        (late["reference"], "2026-03-11", "overdue"),
        (fresh["reference"], "2026-03-18", ""),
    ]
    # Both move together when the calendar changes (a day off before the refusal's date, made when
    # that date was still to come, is counted by both).
    review = Deadline.objects.get(application_id=late["id"], step="review")
    assert (review.start_on, review.working_days) == (dt.date(2026, 3, 2), 7)


def test_publishing_a_year_makes_its_deadlines_final(settings, world):
    api, _user, _staff = world
    settings.FROZEN_TODAY = "2026-12-21"
    api.login("citizen1", phone="13812345678", remember=True)
    app = api.post(URL, application_body()).json()
    assert app["due_date_provisional"] is True
    with TestCase.captureOnCommitCallbacks(execute=True):
        calendar_year_publish(year=2027, published=True, source="test notice")
    assert api.get(f"{URL}/{app['id']}").json()["due_date_provisional"] is False


# A made-up 2027 schedule (the official one was not out when this was written): Fri 01-01 and
# Mon 01-04 off for New Year, Sat 01-09 a make-up working day.
SCHEDULE_2027 = (
    "date,working_day,name,notice\n"
    "2027-01-01,0,元旦,国务院办公厅关于2027年部分节假日安排的通知\n"
    "2027-01-04,0,元旦,国务院办公厅关于2027年部分节假日安排的通知\n"
    "2027-01-09,1,元旦,国务院办公厅关于2027年部分节假日安排的通知\n"
)


def test_loading_a_years_schedule_publishes_it_and_recomputes_its_deadlines(settings, world, tmp_path):
    """An outsider could enter a year only day by day in the admin. Counted by hand from Wed
    2026-12-30: 3 working days are Thu 12-31, Tue 01-05, Wed 01-06; 15 are 12-31, 01-05 to 01-08,
    Sat 01-09, 01-11 to 01-15 and 01-18 to 01-21."""
    api, _user, _staff = world
    settings.FROZEN_TODAY = "2026-12-30"
    api.login("citizen1", phone="13812345678", remember=True)
    app = api.post(URL, application_body()).json()
    assert app["due_date_provisional"] is True and app["verifications"][0]["due_date"] != "2027-01-06"
    schedule = tmp_path / "2027.csv"
    schedule.write_text(SCHEDULE_2027, encoding="utf-8")
    out = StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("load_calendar", str(schedule), stdout=out)
    assert "2027: 2 days off and 1 make-up working days listed; published" in out.getvalue()
    shown = api.get(f"{URL}/{app['id']}").json()
    assert (shown["due_date"], shown["due_date_provisional"]) == ("2027-01-21", False)
    assert {v["due_date"] for v in shown["verifications"]} == {"2027-01-06"}
    event = AuditEvent.objects.get(type="calendar_changed")
    assert event.data["year"] == 2027 and event.data["before"]["published"] is False
    # Entered again, nothing changes and nothing is recorded twice.
    call_command("load_calendar", str(schedule), stdout=out)
    assert "2027: 2 days off and 1 make-up working days listed; unchanged" in out.getvalue()
    assert AuditEvent.objects.filter(type="calendar_changed").count() == 1


def fee_application(world):
    _api, user, staff = world
    live_permit(user, "4403202500000009")
    app = verified(world, kind="replacement")
    approved = staff.reviewer.post(f"/api/v1/staff/applications/{app['id']}/approve", {}).json()
    assert approved["status"] == "awaiting_payment" and approved["fee"] == {"amount": "20.00", "currency": "CNY"}
    assert approved["due_date"] is None  # the 10 working days run from payment
    return approved


def test_unpaid_for_15_days_is_terminated_the_day_after(world):
    app = fee_application(world)
    assert Application.objects.get(pk=app["id"]).payment_due_on == dt.date(2026, 3, 17)
    daily("2026-03-17")  # the 15th day: still time to pay
    assert Application.objects.get(pk=app["id"]).status == "awaiting_payment"
    # The next morning, before the daily job has run, every reading already says it ended (an
    # outsider's read "awaiting payment" under a page saying the time to pay was over).
    assert world[0].get(f"{URL}/{app['id']}").json()["status"] == "awaiting_payment"  # before its day
    with override_settings(FROZEN_TODAY="2026-03-18"):
        api = Api(address="10.2.78.1").login("citizen1", phone=world[1].phone)
        for shown in (api.get(f"{URL}/{app['id']}").json(), api.get(URL).json()[0]):
            assert (shown["status"], shown["payment_status"]) == ("terminated", "expired")
            assert shown["history"][-1]["status"] == "awaiting_payment"  # the job records the move
        assert api.get(f"/api/v1/receipts/{app['reference']}/verify").json()["status"] == "terminated"
        browser = CommittingClient(HTTP_ACCEPT_LANGUAGE="en")
        browser.cookies["django_language"] = "en"
        assert web_login(browser, "citizen1", phone=world[1].phone).status_code == 302
        page = browser.get(f"/applications/{app['id']}/").content.decode()
        status = re.search(r'data-testid="status">\s*<strong>(.*?)</strong><br>(.*?)\s*</div>', page, re.S)
        assert status.group(1) == "Terminated"
        assert "The time to pay ended on 2026-03-17" in status.group(2)
        assert 'data-testid="pay"' not in page
    assert "1 unpaid application(s) terminated" in daily("2026-03-18")
    stored = Application.objects.get(pk=app["id"])
    assert stored.status == "terminated" and stored.payment_status == "expired"
    # Told by SMS, as the payment request was (an outsider's citizen learnt of it only in the app).
    (text,) = SmsMessage.objects.filter(purpose="application", text__contains="terminated").values_list(
        "text", flat=True
    )
    assert app["reference"] in text and "2026-03-17" in text
    assert "0 unpaid" in daily("2026-03-18")  # a rerun changes nothing


def test_the_termination_sms_says_the_last_day_to_pay_as_the_payment_request_did():
    """ "因未在 3 月 17 日前缴费" read as "before the 17th" while paying on the 17th was accepted (an
    outsider): the last day is said inclusively, "截至", as the request's "最迟于" says it."""
    params = {"reference": "SZ260302ABCDEF", "pay_by": "2026-03-17", "amount": "20.00", "point": "福田街道受理点"}
    with translation.override("zh-hans"):
        asked = str(SMS["application_payment_requested"]) % params
        ended = str(SMS["application_terminated"]) % params
    assert "最迟于 2026-03-17" in asked
    # Without an account there is no "My applications" to pay in (an outsider's was sent there).
    without = sms_text("application_payment_requested", language="zh-hans", has_account=False, **params)
    assert "我的申请" not in without and "到福田街道受理点窗口缴纳 20.00 元" in without
    assert ended == "申请 SZ260302ABCDEF 因截至 2026-03-17 仍未缴费已终止办理。您可重新申请。"


def test_paying_starts_the_ten_working_days_and_a_repeated_key_charges_once(world):
    api, _user, _staff = world
    app = fee_application(world)
    receipt_url = f"{URL}/{app['id']}/payment-receipt"
    early = api.get(receipt_url, HTTP_ACCEPT_LANGUAGE="en")  # nothing paid yet: said so, not "not found"
    assert error_code(early) == "conflict" and "has not been paid" in early.json()["error"]["message"]
    paid = api.post(f"{URL}/{app['id']}/payment", {"provider": "sandbox"}, HTTP_IDEMPOTENCY_KEY="press-1")
    assert paid.status_code == 200 and paid.json() == {"status": "paid", "amount": "20.00", "currency": "CNY"}
    # The receipt of the payment through the API too (an outsider's client found only the application's).
    receipt = api.get(receipt_url)
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(receipt.content)).pages)
    assert Payment.objects.get().transaction_id in text and "20.00" in text and app["reference"] in text
    again = api.post(f"{URL}/{app['id']}/payment", {"provider": "sandbox"}, HTTP_IDEMPOTENCY_KEY="press-1")
    assert again.status_code == 200 and Payment.objects.count() == 1
    other_press = api.post(f"{URL}/{app['id']}/payment", {"provider": "sandbox"}, HTTP_IDEMPOTENCY_KEY="press-2")
    assert other_press.status_code == 409 and Payment.objects.count() == 1
    shown = api.get(f"{URL}/{app['id']}").json()
    assert shown["status"] == "approved" and shown["payment_status"] == "paid"
    assert shown["due_date"] == "2026-03-16"  # 10 working days after Monday 2 March
    # The message says what was paid and by when it is now due (an outsider's said neither).
    told = api.get("/api/v1/me/messages", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    [paid_message] = [m["body"] for m in told if "received the fee" in m["body"]]
    assert "20.00 yuan" in paid_message and "2026-03-16" in paid_message and app["reference"] in paid_message
    assert error_code(api.post(f"{URL}/{app['id']}/payment", {"provider": "bank"})) == "invalid"


def test_an_idempotency_key_counts_only_with_its_own_application(world):
    """An outsider's payment was refused as "already paid" (unpaid all the same) because another
    applicant had used the same Idempotency-Key on their own application."""
    api, _user, staff = world
    app = fee_application(world)
    assert (
        api.post(f"{URL}/{app['id']}/payment", {"provider": "sandbox"}, HTTP_IDEMPOTENCY_KEY="K-4").status_code == 200
    )
    other_api, other = citizen_api("citizen2", "13812345679", WANG_FANG[:17], "王芳")
    eligible_records(WANG_FANG)
    live_permit(other, "4403202500000010")
    second = other_api.post(URL, application_body(kind="replacement", photo_receipt="PZ20260302B2"))
    assert second.status_code == 201, second.content
    second = second.json()
    confirm_all(staff, second)
    staff.reviewer.post(f"/api/v1/staff/applications/{second['id']}/approve", {})
    paid = other_api.post(f"{URL}/{second['id']}/payment", {"provider": "sandbox"}, HTTP_IDEMPOTENCY_KEY="K-4")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert Payment.objects.filter(idempotency_key="K-4").count() == 2
    assert Application.objects.get(pk=second["id"]).payment_status == "paid"


def test_a_fee_bearing_application_closed_unpaid_owes_nothing(world):
    """An outsider saw a refused and a withdrawn replacement still "awaiting payment"."""
    api, user, staff = world
    live_permit(user, "4403202500000009")
    app = verified(world, kind="replacement")
    assert api.get(f"{URL}/{app['id']}").json()["payment_status"] == "awaiting"
    refused = staff.reviewer.post(f"/api/v1/staff/applications/{app['id']}/reject", {"reasons": ["材料不全"]})
    assert refused.json()["payment_status"] == "not_required"
    assert api.get(f"{URL}/{app['id']}").json()["payment_status"] == "not_required"
    again = api.post(URL, application_body(kind="replacement", photo_receipt="PZ20260302E5")).json()
    assert api.post(f"{URL}/{again['id']}/withdraw").json()["payment_status"] == "not_required"
    assert error_code(api.post(f"{URL}/{again['id']}/payment", {"provider": "sandbox"})) == "conflict"


def test_paying_before_the_review_is_told_when_the_fee_is_asked_for(world):
    api, user, _staff = world
    live_permit(user, "4403202500000009")
    app = api.post(URL, application_body(kind="replacement")).json()
    early = api.post(f"{URL}/{app['id']}/payment", {"provider": "sandbox"}, HTTP_ACCEPT_LANGUAGE="en")
    assert early.status_code == 409 and "once the application passes review" in early.json()["error"]["message"]
    assert not Payment.objects.exists()


def test_paying_a_free_application_is_told_there_is_nothing_to_pay(world):
    """An outsider paying an approved first application was told only its status."""
    api, _user, staff = world
    app = verified(world)
    assert staff.reviewer.post(f"/api/v1/staff/applications/{app['id']}/approve", {}).json()["status"] == "approved"
    answer = api.post(f"{URL}/{app['id']}/payment", {"provider": "sandbox"}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 409 and error_code(answer) == "conflict"
    assert answer.json()["error"]["message"] == "This application is free of charge: there is nothing to pay."
    assert not Payment.objects.exists()


def test_paying_on_the_15th_day_is_allowed(world, settings):
    api, _user, _staff = world
    app = fee_application(world)  # pay by 2026-03-17: approved on 2 March, + 15 days
    settings.FROZEN_TODAY = "2026-03-17"
    api.login("citizen1", phone="13812345678", remember=True)
    assert api.post(f"{URL}/{app['id']}/payment", {"provider": "sandbox"}).status_code == 200
    # The applicant's timeline dates the decision on its day, not on the payment's (an outsider's
    # page said the police took 16 days): approved again at payment, it was the first date found.
    from residence.applications.views import timeline

    done = {i["key"]: i["done_on"] for i in timeline(Application.objects.get(pk=app["id"]), dt.date(2026, 3, 17))}
    assert (done["review"], done["payment"]) == (dt.date(2026, 3, 2), dt.date(2026, 3, 17))


def test_paying_after_the_15th_day_is_409_and_terminates_it_even_before_the_daily_job(world, settings):
    """An outsider was told "terminated" by the payment and still read "awaiting payment" in the
    application until the daily job ran: the refused payment terminates it there and then."""
    api, _user, _staff = world
    app = fee_application(world)  # pay by 2026-03-17
    settings.FROZEN_TODAY = "2026-03-18"
    api.login("citizen1", phone="13812345678", remember=True)
    late = api.post(f"{URL}/{app['id']}/payment", {"provider": "sandbox"}, HTTP_ACCEPT_LANGUAGE="en")
    assert late.status_code == 409 and "ended on 2026-03-17" in late.json()["error"]["message"]
    shown = api.get(f"{URL}/{app['id']}").json()
    assert (shown["status"], shown["payment_status"]) == ("terminated", "expired")
    assert Payment.objects.count() == 0
    assert api.post(f"{URL}/{app['id']}/payment", {"provider": "sandbox"}).status_code == 409
    daily("2026-03-18")  # the job finds nothing left to do
    history = [h["status"] for h in api.get(f"{URL}/{app['id']}").json()["history"]]
    assert history.count("terminated") == 1


def test_an_application_unpaid_past_the_15th_day_does_not_block_a_new_one_before_the_daily_job(world, settings):
    """An outsider's pages said "terminated" and a new application was refused as a second open one
    until the daily job ran: the lapsed one is terminated then and the new one accepted."""
    api, _user, _staff = world
    app = fee_application(world)  # pay by 2026-03-17
    settings.FROZEN_TODAY = "2026-03-17"  # the 15th day: it is still open
    api.login("citizen1", phone="13812345678", remember=True)
    body = application_body(kind="replacement", photo_receipt="pz20260318b2", reason="遗失")
    assert error_code(api.post(URL, body)) == "open_application"
    settings.FROZEN_TODAY = "2026-03-18"
    api.login("citizen1", phone="13812345678", remember=True)
    again = api.post(URL, body)
    assert again.status_code == 201, again.json()
    assert Application.objects.get(pk=app["id"]).status == "terminated"
    assert [a.status for a in Application.objects.order_by("pk")] == ["terminated", "accepted"]
    assert "2026-03-18: 0 unpaid application(s) terminated" in daily("2026-03-18")  # nothing left for the job


def test_a_second_run_of_the_jobs_finding_an_application_terminated_meanwhile_goes_on(world, monkeypatch):
    """An outsider ran the daily jobs twice at once: the run that came second to an unpaid
    application crashed there, and its suspensions, cancellations and reminders never ran. Here
    the other run terminates it between this run's listing and its move."""
    from residence.applications import jobs

    app = fee_application(world)  # pay by 2026-03-17
    real = jobs.workflow.application_transition

    def the_other_run_first(**kwargs):
        real(**kwargs)
        return real(**kwargs)

    monkeypatch.setattr(jobs.workflow, "application_transition", the_other_run_first)
    assert jobs.payments_expire(dt.date(2026, 3, 18)) == 0  # none terminated by this run, and no crash
    monkeypatch.undo()
    assert "Traceback" not in daily("2026-03-18")
    assert Application.objects.get(pk=app["id"]).status == "terminated"


def test_paying_a_terminated_application_is_409(world):
    api, _user, _staff = world
    app = fee_application(world)
    daily("2026-03-18")
    response = api.post(f"{URL}/{app['id']}/payment", {"provider": "sandbox"})
    assert response.status_code == 409 and Payment.objects.count() == 0


def test_reminders_for_the_next_working_day_and_escalation_of_overdue_steps(world):
    api, _user, staff = world
    app = api.post(URL, application_body()).json()
    # Verification is due Thursday 5 March: the Wednesday run reminds both departments' verifiers.
    daily("2026-03-04")
    for key in ("police", "insurance"):
        assert Message.objects.filter(user=staff.users[key], key="deadline_due_next").count() == 1
    assert not Message.objects.filter(user=staff.users["reviewer"], key="deadline_due_next").exists()
    daily("2026-03-04")  # rerun: no second reminder
    assert Message.objects.filter(user=staff.users["police"], key="deadline_due_next").count() == 1
    # Friday: verification is overdue; the supervisor hears of it once.
    assert "1 overdue step(s) escalated" in daily("2026-03-06")
    message = Message.objects.get(user=staff.users["supervisor"], key="deadline_overdue")
    assert app["reference"] in message.body
    # And those whose step it is, of theirs (after skipped days they had no reminder; an outsider's).
    for key in ("police", "insurance"):
        (own,) = Message.objects.filter(user=staff.users[key], key="deadline_overdue")
        assert own.params == {"count": 1, "references": app["reference"]}
    assert not Message.objects.filter(user=staff.users["reviewer"], key="deadline_overdue").exists()
    assert "0 overdue" in daily("2026-03-06")
    assert AuditEvent.objects.filter(type="deadline_escalated").count() == 1


def test_the_reminder_on_the_eve_of_a_holiday_names_the_day_it_is_for(settings, world):
    # Worked by hand from RULES §8: accepted Mon 2026-09-28, the working days after it are Tue
    # 09-29, Wed 09-30 and (1–7 October off) Thu 10-08: verification is due 10-08, and the run
    # of Wed 09-30 reminds of it. An outsider's verifier read "due tomorrow" a week early.
    api, _user, staff = world
    settings.FROZEN_TODAY = "2026-09-28"
    api.login("citizen1", phone="13812345678", remember=True)
    app = api.post(URL, application_body()).json()
    assert {v["due_date"] for v in app["verifications"]} == {"2026-10-08"}
    assert "1 step(s) due 2026-10-08 reminded" in daily("2026-09-30")
    message = Message.objects.get(user=staff.users["police"], key="deadline_due_next")
    for language, said in (("en", "Due 2026-10-08: 1 item(s)"), ("zh-hans", "2026-10-08")):
        with translation.override(language):
            title, body = render_message(message.key, message.params)
        assert said in title and app["reference"] in body, (title, body)
        assert "tomorrow" not in title.lower() and "明日" not in title


def test_a_staff_messages_references_read_as_a_list_of_the_readers_language():
    # Listed with "、" when sent; an outsider's English message read "SZ1、SZ2".
    params = {"count": 2, "day": "2026-10-08", "references": "SZ260928CYACB8、SZ260928T4WSUX"}
    with translation.override("en"):
        assert render_message("deadline_due_next", params)[1].endswith("SZ260928CYACB8, SZ260928T4WSUX.")
    with translation.override("zh-hans"):
        assert "SZ260928CYACB8、SZ260928T4WSUX" in render_message("deadline_due_next", params)[1]


def test_the_supervisors_message_counts_the_overdue_steps_as_the_report_does(world):
    api, _user, staff = world
    app = api.post(URL, application_body()).json()
    report = daily("2026-03-12")  # verification (due 5 March) and the decision step both late
    steps = int(report.split(" overdue step(s)")[0].rsplit(" ", 1)[1])
    assert steps >= 2
    message = Message.objects.get(user=staff.users["supervisor"], key="deadline_overdue")
    assert message.params["count"] == steps and message.params["references"] == app["reference"]


def test_approved_applications_go_into_the_days_production_batch_once(world):
    _api, _user, staff = world
    app = verified(world)
    staff.reviewer.post(f"/api/v1/staff/applications/{app['id']}/approve", {})
    assert "1 approved application(s) put in the production batch" in daily("2026-03-03")
    assert "0 approved" in daily("2026-03-04")
    assert Application.objects.get(pk=app["id"]).production_batch == dt.date(2026, 3, 3)


def test_a_failure_while_producing_leaves_no_half_produced_card(world, monkeypatch):
    _api, _user, staff = world
    app = verified(world)
    staff.reviewer.post(f"/api/v1/staff/applications/{app['id']}/approve", {})

    def broken(*args, **kwargs):
        raise RuntimeError("card printer offline")

    monkeypatch.setattr(effects.sequences, "next_value", broken)
    with pytest.raises(RuntimeError):
        staff.production.post(f"/api/v1/staff/applications/{app['id']}/produce", {})
    stored = Application.objects.get(pk=app["id"])
    assert stored.status == "approved" and stored.permit_number is None and stored.card_serial is None
    monkeypatch.undo()
    produced = staff.production.post(f"/api/v1/staff/applications/{app['id']}/produce", {}).json()
    assert produced["status"] == "in_production" and produced["permit_number"]


def test_messages_are_rendered_in_the_readers_language(world):
    api, _user, _staff = world
    api.post(URL, application_body())
    english = api.get("/api/v1/me/messages", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    chinese = api.get("/api/v1/me/messages", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"][0]
    assert english["title"].startswith("Application SZ")
    assert english["title"] != chinese["title"] and "受理" in chinese["title"]


def test_the_whole_applications_limit_is_told_to_whoever_holds_it_now(world):
    """An outsider's card waited at the point past the whole application's limit: the job said a
    step was "reminded", and then escalated, but only the supervisor heard; the clerk never did.
    Worked by hand: accepted Monday 2026-03-02, 15 working days → due Monday 03-23; the run of
    Friday 03-20 reminds of it, the run of Tuesday 03-24 escalates it."""
    _api, _user, staff = world
    app = verified(world)
    clerk = staff_apis(["clerk"])
    base = f"/api/v1/staff/applications/{app['id']}"
    assert staff.reviewer.post(f"{base}/approve", {}).status_code == 200
    for step, client in (("produce", staff.production), ("dispatch", staff.production), ("receive", clerk.clerk)):
        assert client.post(f"{base}/{step}", {}).status_code == 200, step
    assert Deadline.objects.get(application_id=app["id"], step="whole").due_on == dt.date(2026, 3, 23)
    assert "1 step(s) due 2026-03-23 reminded" in daily("2026-03-20")
    (reminder,) = Message.objects.filter(user=clerk.users["clerk"], key="deadline_due_next")
    assert app["reference"] in reminder.params["references"]
    assert not Message.objects.filter(user=staff.users["production"], key="deadline_due_next").exists()
    daily("2026-03-24")
    (overdue,) = Message.objects.filter(user=clerk.users["clerk"], key="deadline_overdue")
    assert overdue.params["references"] == app["reference"]


def test_the_refusals_limit_goes_to_the_reviewer_only_once_the_case_is_his(world):
    """An outsider's reviewer was told of an overdue refusal step of a case still waiting for the
    departments, on which he could do nothing. Worked by hand: accepted Monday 2026-03-02, the
    refusal's 7 working days end Wednesday 03-11, the departments' 3 on Thursday 03-05."""
    api, _user, staff = world
    app = api.post(URL, application_body()).json()
    assert Deadline.objects.get(application_id=app["id"], step="refusal").due_on == dt.date(2026, 3, 11)
    daily("2026-03-12")
    assert not Message.objects.filter(user=staff.users["reviewer"], key="deadline_overdue").exists()
    for key in ("police", "insurance"):
        (own,) = Message.objects.filter(user=staff.users[key], key="deadline_overdue")
        assert own.params["references"] == app["reference"]
