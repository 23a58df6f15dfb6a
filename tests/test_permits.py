"""Permits: the rules of RULES §9 with dates on both sides of each boundary (worked out by hand
from the rule's own example), and endorsement, revocation and the public check through the API."""

import datetime as dt
import io

import pypdf
import pytest
import time_machine
from django.test import TestCase
from django.utils import translation

from residence.applications.models import Application, Deadline, Payment
from residence.audit.models import AuditEvent
from residence.notifications import sms
from residence.notifications.catalogue import render_message
from residence.notifications.models import Message, SmsMessage
from residence.permits import rules, sweeps
from residence.permits.models import Endorsement, Permit, PermitEvent
from residence.permits.services import endorsement_checks_escalate
from residence.records.services import records_import_rows

from .applications import (
    application_body,
    citizen_api,
    eligible_records,
    signed_in_again,
    staff_apis,
    staff_member,
)
from .conftest import Api, CommittingClient, committed, error_code, make_user, words
from .idnumbers import WANG_FANG, ZHANG_WEI
from .test_web import web_login

D = dt.date

# --- rules -------------------------------------------------------------------------------


def test_the_window_of_the_rules_own_example():
    # RULES §9: issued 2020-01-01 → window 2020-11-02 to 2020-12-31 (60 days: 29 in November, 31 in December).
    assert rules.first_anniversary(D(2020, 1, 1)) == D(2021, 1, 1)
    assert rules.endorsement_window(D(2021, 1, 1)) == (D(2020, 11, 2), D(2020, 12, 31))


@pytest.mark.parametrize(
    ("today", "kind"),
    [
        (D(2020, 11, 1), ""),  # the day before the window opens
        (D(2020, 11, 2), "in_window"),  # it opens
        (D(2020, 12, 31), "in_window"),  # the last day
        (D(2021, 1, 1), "late"),  # the anniversary: lapsed (suspended from this day)
        (D(2022, 12, 31), "late"),  # the last day before cancellation
        (D(2023, 1, 1), ""),  # two years after: cancelled
    ],
)
def test_when_an_active_permit_may_be_endorsed(today, kind):
    assert rules.endorsement_kind(status="active", endorsed_until=D(2021, 1, 1), suspended_on=None, today=today) == kind


def test_a_suspended_permit_is_endorsable_until_the_day_before_its_cancellation():
    suspended = {"status": "suspended", "endorsed_until": D(2021, 1, 1), "suspended_on": D(2021, 1, 1)}
    assert rules.endorsement_kind(**suspended, today=D(2022, 12, 31)) == "late"
    assert rules.endorsement_kind(**suspended, today=D(2023, 1, 1)) == ""
    assert rules.cancellation_day(D(2024, 2, 29)) == D(2026, 2, 28)
    assert (
        rules.endorsement_kind(
            status="cancelled", endorsed_until=D(2021, 1, 1), suspended_on=None, today=D(2020, 12, 1)
        )
        == ""
    )


def test_endorsements_keep_the_anniversary_even_from_29_february():
    base, until = D(2024, 2, 29), D(2025, 2, 28)
    steps = []
    for _ in range(4):
        until = rules.after_endorsement(kind="in_window", anniversary_base=base, endorsed_until=until, today=until)[
            "endorsed_until"
        ]
        steps.append(until)
    assert steps == [D(2026, 2, 28), D(2027, 2, 28), D(2028, 2, 29), D(2029, 2, 28)]


@pytest.mark.parametrize(
    ("issued_on", "endorsed_until", "base"),
    [
        # Worked by hand: 2027-02-28 is the 2027 anniversary of a 29 February issue, so the base
        # is the day of issue and 2028's anniversary is 29 February again.
        (D(2024, 2, 29), D(2027, 2, 28), D(2024, 2, 29)),
        (D(2019, 3, 2), D(2027, 3, 2), D(2019, 3, 2)),
        # Not an anniversary of the issue (a late endorsement moved it): a year before the date.
        (D(2021, 2, 28), D(2024, 2, 29), D(2023, 2, 28)),
        (D(2020, 1, 1), D(2025, 6, 15), D(2024, 6, 15)),
    ],
)
def test_the_anniversary_base_of_an_imported_permit(issued_on, endorsed_until, base):
    assert rules.imported_anniversary_base(issued_on, endorsed_until) == base


@pytest.mark.django_db
def test_an_imported_29_february_permit_is_endorsed_to_29_february_in_a_leap_year(holder, settings):
    api, _user = holder
    row = {"id_number": ZHANG_WEI, "issued_on": "2024-02-29", "endorsed_until": "2027-02-28", "status": "active"}
    assert records_import_rows("permits", [{**row, "number": "SZ2024000229"}]).applied
    settings.FROZEN_TODAY = "2026-12-30"  # the window opens 60 days before 2027-02-28
    assert endorse(api, "SZ2024000229").json()["endorsed_until"] == "2028-02-29"


def test_a_late_endorsement_restarts_the_anniversary_and_the_continuous_residence():
    changes = rules.after_endorsement(
        kind="late", anniversary_base=D(2020, 1, 1), endorsed_until=D(2021, 1, 1), today=D(2021, 6, 15)
    )
    assert changes == {
        "anniversary_base": D(2021, 6, 15),
        "endorsed_until": D(2022, 6, 15),
        "continuous_since": D(2021, 6, 15),
    }


# --- endorsement through the API ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "suspended_on", "today", "shown"),
    [
        ("active", None, D(2027, 2, 27), "active"),  # the day before the anniversary
        ("active", None, D(2027, 2, 28), "suspended"),  # not endorsed by it: suspended from it
        ("active", None, D(2029, 2, 27), "suspended"),
        ("active", None, D(2029, 2, 28), "cancelled"),  # 2 years later, the sweep not run all along
        ("suspended", D(2024, 2, 29), D(2026, 2, 27), "suspended"),
        ("suspended", D(2024, 2, 29), D(2026, 2, 28), "cancelled"),  # 29 February + 2 years
        ("cancelled", None, D(2020, 1, 1), "cancelled"),
    ],
)
def test_the_status_a_permit_has_on_a_day_whether_or_not_the_sweep_has_run(status, suspended_on, today, shown):
    permit = {"status": status, "endorsed_until": D(2027, 2, 28), "suspended_on": suspended_on}
    assert rules.status_on(**permit, today=today) == shown


def permit_for(user, *, issued=D(2026, 3, 2), status="active", suspended_on=None, number="4403202600000777"):
    return Permit.objects.create(
        number=number,
        id_number=user.person.id_number,
        name=user.person.name,
        issued_on=issued,
        anniversary_base=issued,
        endorsed_until=rules.first_anniversary(issued),
        continuous_since=issued,
        status=status,
        suspended_on=suspended_on,
        created_at="2026-03-02T10:00:00+08:00",
    )


@pytest.fixture
def holder(settings):
    settings.FROZEN_TODAY = "2027-01-15"  # inside the window of a permit issued 2026-03-02 (2027-01-01 … 2027-03-01)
    api, user = citizen_api()
    eligible_records()
    return api, user


def endorse(api, number="4403202600000777"):
    return api.post(f"/api/v1/permits/{number}/endorsements")


@pytest.mark.django_db
def test_the_holder_endorses_by_the_number_in_lower_case_too(holder):
    api, user = holder
    permit_for(user, number="SZ2026000777")
    assert endorse(api, "sz2026000777").status_code == 201


@pytest.mark.django_db
def test_endorsing_in_the_window_grants_another_year_and_a_second_time_is_409(holder):
    api, user = holder
    permit_for(user)
    response = endorse(api)
    assert response.status_code == 201, response.content
    assert response.json()["outcome"] == "granted" and response.json()["endorsed_until"] == "2028-03-02"
    permit = Permit.objects.get()
    assert permit.status == "active" and permit.anniversary_base == D(2026, 3, 2)
    assert list(permit.events.values_list("kind", flat=True)) == ["endorsed"]
    assert AuditEvent.objects.filter(type="permit_changed").count() == 1
    # Endorsed until the anniversary 2028-03-02, so valid through the day before, as the pages say.
    message = Message.objects.get(user=user, key="permit_endorsed")
    with translation.override("zh-hans"):
        assert message.body == f"您的居住证 {permit.number} 已签注，有效期至 2028-03-01。"
    with translation.override("en"):
        assert message.body == f"Your residence permit {permit.number} is endorsed: valid through 2028-03-01."
    again = endorse(api)
    assert again.status_code == 409 and again.json()["error"]["window"] == {
        "opens": "2028-01-02",
        "closes": "2028-03-01",
    }
    # Said as what happened (another tab, the counter), not only as a window not yet open.
    assert again.json()["error"]["message"].startswith(
        "This permit was endorsed on 2027-01-15 and is valid through 2028-03-01."  # endorsed until 2028-03-02
    )
    listed = api.get("/api/v1/permits").json()[0]
    assert listed["endorsed_until"] == "2028-03-02" and listed["endorsement_window"]["opens"] == "2028-01-02"


@pytest.mark.django_db
def test_before_the_window_is_409_with_its_dates_and_nothing_changes(holder, settings):
    api, user = holder
    settings.FROZEN_TODAY = "2026-12-31"
    api.login("citizen1", phone="13812345678", remember=True)
    permit_for(user)
    response = endorse(api)
    assert response.status_code == 409 and error_code(response) == "conflict"
    assert "2027-01-01" in response.json()["error"]["message"]
    assert Permit.objects.get().endorsed_until == D(2027, 3, 2) and not Endorsement.objects.exists()


@pytest.mark.django_db
def test_a_late_endorsement_restores_a_suspended_permit_from_that_day(holder, settings):
    api, user = holder
    settings.FROZEN_TODAY = "2027-06-15"
    api.login("citizen1", phone="13812345678", remember=True)
    permit = permit_for(user, status="suspended", suspended_on=D(2027, 3, 2))
    assert endorse(api).json()["endorsed_until"] == "2028-06-15"
    permit.refresh_from_db()
    assert (permit.status, permit.suspended_on, permit.continuous_since) == ("active", None, D(2027, 6, 15))
    assert list(permit.events.values_list("kind", flat=True)) == ["restored"]


@pytest.mark.django_db
@pytest.mark.parametrize("swept", [True, False])
def test_a_late_endorsement_reads_suspended_then_restored_whether_or_not_the_sweep_ran(holder, settings, swept):
    """Worked by hand: issued 2026-03-02, endorsed until 2027-03-02, so lapsed from 2027-03-02;
    endorsed late that day, before the day's sweep or after it (outsider S saw two histories)."""
    from residence.permits import sweeps

    api, user = holder
    settings.FROZEN_TODAY = "2027-03-02"
    api.login("citizen1", phone="13812345678", remember=True)
    permit = permit_for(user)
    if swept:
        assert sweeps.permits_suspend(D(2027, 3, 2)) == 1
    sent_before = Message.objects.filter(user=user, key="permit_suspended").count()
    assert endorse(api).json()["endorsed_until"] == "2028-03-02"
    events = list(permit.events.order_by("at", "id").values_list("kind", "on", "data"))
    assert [(kind, on) for kind, on, _data in events] == [("suspended", D(2027, 3, 2)), ("restored", D(2027, 3, 2))]
    assert events[0][2] == {"suspended_on": "2027-03-02"}
    actions = list(AuditEvent.objects.filter(data__permit=permit.number).values_list("data__action", flat=True))
    assert actions.count("suspend") == 1 and actions.count("endorse") == 1
    # Mending it unswept tells no lapse: no "suspended" notice beyond what the sweep sent.
    assert Message.objects.filter(user=user, key="permit_suspended").count() == sent_before


@pytest.mark.django_db
def test_a_cancelled_permit_cannot_be_endorsed(holder):
    api, user = holder
    permit_for(user, status="cancelled")
    response = endorse(api)
    assert response.status_code == 409 and response.json()["error"]["window"] is None


@pytest.mark.django_db
def test_after_a_cancellation_the_person_applies_again_as_a_re_application_for_20_yuan(holder):
    api, user = holder
    # Never held a permit: a re-application has nothing to re-apply for.
    assert api.post("/api/v1/applications", application_body(kind="reapply")).status_code == 409
    permit_for(user, status="cancelled")
    # RULES §5: a re-application costs 20 yuan; a "first" application would skip the fee.
    first = api.post("/api/v1/applications", application_body(kind="first"), HTTP_ACCEPT_LANGUAGE="en")
    assert first.status_code == 409 and "re-application" in first.json()["error"]["message"]
    conversion = api.post("/api/v1/applications", application_body(kind="conversion"))
    assert conversion.status_code == 409  # free too: not a way round the fee
    again = api.post("/api/v1/applications", application_body(kind="reapply"))
    assert again.status_code == 201 and again.json()["fee"] == {"amount": "20.00", "currency": "CNY"}


def short_of_insurance():
    """Registered, but only 3 months of social insurance: not met, and not for want of any record."""
    assert records_import_rows(
        "registrations",
        [
            {
                "id_number": ZHANG_WEI,
                "street_code": "440304004",
                "address": "福田路 1 号",
                "registered_on": "2025-01-10",
                "ended_on": "",
            }
        ],
    ).applied
    assert records_import_rows(
        "social_insurance",
        [
            {"id_number": ZHANG_WEI, "month": m, "employer_credit_code": "91440300MA5D4X7K8N"}
            for m in ("2026-10", "2026-11", "2026-12")
        ],
    ).applied


@pytest.mark.django_db
def test_conditions_not_met_are_refused_at_once_with_reasons(settings):
    settings.FROZEN_TODAY = "2027-01-15"
    api, user = citizen_api()
    short_of_insurance()
    permit_for(user)
    response = endorse(api)
    body = response.json()
    assert response.status_code == 201 and body["outcome"] == "refused"
    assert any("Social insurance" in reason for reason in body["reasons"])
    assert Permit.objects.get().endorsed_until == D(2027, 3, 2)
    assert Message.objects.filter(user=user, key="endorsement_refused").exists()
    # Asked again the same day with the same records (a retry after a time-out): the same answer,
    # not a second refusal and message (an outsider's twelve retries made twelve).
    again = endorse(api)
    assert again.status_code == 201 and again.json() == body
    assert Endorsement.objects.count() == 1
    assert Message.objects.filter(user=user, key="endorsement_refused").count() == 1
    # A record that changed the answer's reasons is a new answer.
    assert records_import_rows(
        "social_insurance", [{"id_number": ZHANG_WEI, "month": "2026-09", "employer_credit_code": "91440300MA5D4X7K8N"}]
    ).applied
    assert endorse(api).json()["id"] != body["id"] and Endorsement.objects.count() == 2


def registered_without_insurance():
    """Registered in 福田 since 2025-01-10 and no social insurance record at all: the endorsement's
    insurance condition waits for the department's check."""
    assert records_import_rows(
        "registrations",
        [
            {
                "id_number": ZHANG_WEI,
                "street_code": "440304004",
                "address": "福田路 1 号",
                "registered_on": "2025-01-10",
                "ended_on": "",
            }
        ],
    ).applied


@pytest.mark.django_db
def test_a_department_check_due_in_a_published_year_is_firm(settings):
    """Worked out by hand: asked on Monday 2026-12-28 (2026 is published), the check is due on the
    third working day, Thursday 2026-12-31: no day of 2027 is counted, so the date is firm."""
    settings.FROZEN_TODAY = "2026-12-28"
    api, user = citizen_api()
    registered_without_insurance()
    permit_for(user, issued=D(2026, 1, 2))  # window 2026-11-03 … 2027-01-01
    check = endorse(api).json()["check"]
    assert check == {"department": "social_insurance", "due_date": "2026-12-31", "due_date_provisional": False}


@pytest.mark.django_db
def test_a_missing_record_makes_a_department_check_and_its_answer_decides(settings):
    settings.FROZEN_TODAY = "2027-01-15"  # a Friday
    api, user = citizen_api()
    registered_without_insurance()
    permit_for(user)
    response = endorse(api)
    # API.md's outcomes are granted or refused: not granted yet, and the check named.
    assert response.status_code == 201 and response.json()["outcome"] == "refused"
    # Mon 18–Wed 20, in 2027, whose schedule is not published yet: provisional (RULES §8).
    assert response.json()["check"] == {
        "department": "social_insurance",
        "due_date": "2027-01-20",
        "due_date_provisional": True,
    }
    assert "2027-01-20" in response.json()["reasons"][-1]
    assert endorse(api).status_code == 409  # one check at a time
    pending = Endorsement.objects.get(outcome="pending")
    assert pending.department == "social_insurance"
    staff = staff_apis(["police", "insurance", "supervisor"])
    # Not answered by its due date: the supervisors hear of it once.
    assert endorsement_checks_escalate(D(2027, 1, 20)) == 0
    assert endorsement_checks_escalate(D(2027, 1, 21)) == 1
    assert endorsement_checks_escalate(D(2027, 1, 22)) == 0
    assert Message.objects.filter(user=staff.users["supervisor"], key="deadline_overdue").count() == 1
    url = f"/api/v1/staff/endorsements/{pending.pk}/answer"
    # The department's queue lists the check, with what it checks and where it answers.
    [item] = staff.insurance.get("/api/v1/staff/queue").json()["endorsement_checks"]
    assert item["endorsement"] == pending.pk and item["answer"] == url and item["due_on"] == "2027-01-20"
    assert item["permit_number"] == Permit.objects.get().number and len(item["to_check"]) == 1
    assert staff.police.get("/api/v1/staff/queue").json()["endorsement_checks"] == []
    assert staff.police.post(url, {"confirmed": True}).status_code == 403
    assert staff.insurance.post(url, {"confirmed": False}).status_code == 400  # a refusal says why
    answered = staff.insurance.post(url, {"confirmed": True, "note": "paid through a former employer"})
    assert answered.status_code == 200 and answered.json()["outcome"] == "granted"
    assert Permit.objects.get().endorsed_until == D(2028, 3, 2)
    assert staff.insurance.post(url, {"confirmed": True}).status_code == 409


@pytest.mark.django_db
def test_a_calendar_change_re_dates_the_departments_endorsement_checks(settings, django_capture_on_commit_callbacks):
    """An outsider's checks stayed on the old calendar when a day off was declared, and were escalated
    as overdue on the day they were due. Counted by hand: asked on Fri 2027-01-15, due Wed 01-20;
    with Mon 01-18 off, Tue 19, Wed 20, Thu 21. The police answer on 01-15 gives social insurance
    its turn from that day: due Thu 01-21 too, Fri 01-22 once Tue 01-19 is off as well."""
    from residence.core.services import calendar_day_set

    settings.FROZEN_TODAY = "2027-01-15"
    api, user = citizen_api()  # no registration and no insurance on record: police, then insurance
    permit_for(user)
    endorse(api)
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(date=D(2027, 1, 18), working=False, name="typhoon")
    check = Endorsement.objects.get(outcome="pending")
    assert check.due_on == D(2027, 1, 21)
    staff = staff_apis(["police", "insurance"])
    [item] = staff.police.get("/api/v1/staff/queue").json()["endorsement_checks"]
    assert item["due_on"] == "2027-01-21"
    # Flagged as the applications' items are: 2027's schedule is not published, and not due yet.
    assert (item["provisional"], item["due"]) == (True, "")
    url = f"/api/v1/staff/endorsements/{check.pk}/answer"
    assert staff.police.post(url, {"confirmed": True}).json()["check"]["due_date"] == "2027-01-21"
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(date=D(2027, 1, 19), working=False, name="typhoon")
    [item] = staff.insurance.get("/api/v1/staff/queue").json()["endorsement_checks"]
    assert item["due_on"] == "2027-01-22"
    settings.FROZEN_TODAY = "2027-01-22"
    signed_in_again(staff, "insurance")
    assert staff.insurance.get("/api/v1/staff/queue").json()["endorsement_checks"][0]["due"] == "today"
    assert endorsement_checks_escalate(D(2027, 1, 22)) == 0 and endorsement_checks_escalate(D(2027, 1, 23)) == 1


@pytest.mark.django_db
def test_departments_answer_an_endorsement_check_in_turn_and_out_of_turn_is_409(settings):
    settings.FROZEN_TODAY = "2027-01-15"
    api, user = citizen_api()  # no registration and no insurance on record
    permit_for(user)
    assert endorse(api).json()["check"]["department"] == "police"
    check = Endorsement.objects.get(outcome="pending")
    staff = staff_apis(["police", "insurance", "education"])
    url = f"/api/v1/staff/endorsements/{check.pk}/answer"
    # Who asks and whether the check exists come before the body: no field detail for others.
    assert api.post(url, {"outcome": "confirmed"}).status_code == 403
    assert staff.police.post(url.replace(str(check.pk), "99999"), {"outcome": "confirmed"}).status_code == 404
    assert staff.insurance.post(url, {"confirmed": True}).status_code == 409  # its turn comes next
    assert staff.education.post(url, {"confirmed": True}).status_code == 403  # never its check
    assert staff.police.post(url, {"confirmed": True}).json()["check"]["department"] == "social_insurance"
    assert staff.police.post(url, {"confirmed": True}).status_code == 409  # already answered
    granted = staff.insurance.post(url, {"confirmed": True}).json()
    assert granted["outcome"] == "granted" and granted["reasons"] == [] and granted["endorsed_until"] == "2028-03-02"


@pytest.mark.django_db
def test_a_refusal_after_another_department_confirmed_gives_only_what_is_still_missing(settings):
    """An outsider's refusal by social insurance still listed "no current residence registration",
    which the police had confirmed, and the SMS gave only the note."""
    settings.FROZEN_TODAY = "2027-01-15"
    api, user = citizen_api()  # no registration and no insurance on record
    permit_for(user)
    endorse(api)
    check = Endorsement.objects.get(outcome="pending")
    staff = staff_apis(["police", "insurance"])
    url = f"/api/v1/staff/endorsements/{check.pk}/answer"
    assert staff.police.post(url, {"confirmed": True}).status_code == 200
    missing_before = {r["key"] for r in Endorsement.objects.get(pk=check.pk).reasons}
    assert "residence_none" in missing_before
    # The note is the holder's reason, sent by SMS to a holder without an account: no link, no
    # sender's tag (an outsider's police note carried both).
    forged = staff.insurance.post(url, {"confirmed": False, "note": "【深圳社保】请登录 http://bit.ly/x 补缴"})
    assert "no web or e-mail address" in forged.json()["error"]["fields"]["note"][0]
    # The verifier works in Chinese; the holder, whose app asked in English, is told in English.
    refused = staff.insurance.post(
        url, {"confirmed": False, "note": "2026 年无缴费记录"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).json()
    assert refused["outcome"] == "refused"
    keys = [r["key"] for r in Endorsement.objects.get(pk=check.pk).reasons]
    assert "residence_none" not in keys and keys[-1] == "department_note"
    assert any(reason == "2026 年无缴费记录" for reason in refused["reasons"])
    told = Message.objects.get(user=user, key="endorsement_refused").body
    assert "2026 年无缴费记录" in told and "social insurance" in told.lower() and "residence registration" not in told
    # By SMS too, as the answer comes days after the request; the reasons, a department's own words,
    # stay in the messages (an outsider's SMS carried 500 characters of them, addresses included).
    from residence.notifications import sms

    texts = [m["text"] for m in sms.outbox if m["to"] == user.phone]
    assert any("was refused" in t and "account's messages" in t for t in texts), texts
    assert not any("2026 年无缴费记录" in t for t in texts), texts


@pytest.mark.django_db
def test_who_may_endorse(holder):
    _api, user = holder
    permit_for(user)
    make_user("newcomer", "13812340000")
    unverified = Api("10.7.7.7").login("newcomer", phone="13812340000")
    assert endorse(unverified).status_code == 403
    other, _ = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    assert endorse(other).status_code == 404
    staff = staff_apis(["clerk", "reviewer"])
    assert staff.reviewer.post("/api/v1/staff/permits/4403202600000777/endorsements").status_code == 403
    # At the counter, the holder's identity document checked first (an outsider's clerk endorsed with one click).
    for body in ({}, {"identity_checked": False}):
        unchecked = staff.clerk.post("/api/v1/staff/permits/4403202600000777/endorsements", body)
        assert unchecked.status_code == 400 and "identity_checked" in unchecked.json()["error"]["fields"]
    # Nor through the holder's own endpoint, where no identity document is checked (an outsider's did).
    assert endorse(staff.clerk).status_code == 403
    assert not Endorsement.objects.exists()
    counter = staff.clerk.post("/api/v1/staff/permits/4403202600000777/endorsements", {"identity_checked": True})
    assert counter.status_code == 201 and Endorsement.objects.get().channel == "counter"


@pytest.mark.django_db
def test_revocation_by_the_reviewer_and_the_public_check(holder, settings):
    _api, user = holder
    permit_for(user)
    public = Api("10.9.0.1")

    def check(name, number="4403202600000777"):
        return public.post("/api/v1/permits/check", {"number": number, "name": name})

    assert check("张伟").json() == {"status": "valid"}
    assert check("李四").status_code == 404  # a wrong name tells nothing
    # One spelling: lower case is the same number; full-width digits are refused as such (400).
    assert check("张伟", " 4403202600000777 ").json() == {"status": "valid"}
    # The name is not taken from a URL, where proxies and histories would keep it.
    assert public.get("/api/v1/permits/check?number=4403202600000777&name=张伟").status_code == 405
    assert public.post("/api/v1/permits/check", ["4403202600000777", "张伟"]).status_code == 400
    full_width = check("张伟", "４４０３２０２６００００００７７７")
    assert full_width.status_code == 400 and "number" in full_width.json()["error"]["fields"]
    staff = staff_apis(["reviewer", "clerk"])
    assert staff.clerk.post("/api/v1/staff/permits/4403202600000777/revoke", {"reason": "fraud"}).status_code == 403
    assert staff.reviewer.post("/api/v1/staff/permits/4403202600000777/revoke", {"reason": "moon"}).status_code == 400
    # Shenzhen hukou only on the records' word (an outsider cancelled a permit the records contradicted).
    refused = staff.reviewer.post("/api/v1/staff/permits/4403202600000777/revoke", {"reason": "shenzhen_hukou"})
    assert refused.status_code == 409 and error_code(refused) == "conflict"
    sms.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        revoked = staff.reviewer.post("/api/v1/staff/permits/4403202600000777/revoke", {"reason": "fraud"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "cancelled"
    assert check("张伟").json() == {"status": "cancelled"}
    # Why, and what next, by SMS too (an outsider's holder without an account read only why).
    assert any("acceptance point" in m["text"] or "受理点" in m["text"] for m in sms.outbox), sms.outbox
    settings.LIMIT_PERMIT_CHECKS_PER_HOUR = 3
    assert check("张伟").status_code == 429


@pytest.mark.django_db
def test_a_permit_number_in_a_path_is_taken_in_one_spelling(holder):
    """Stored upper case, as the public check takes it: an outsider's lower-case one was 404."""
    api, user = holder
    permit_for(user, number="SZA0000777")
    assert endorse(api, number="sza0000777").status_code != 404
    revoked = staff_apis(["reviewer"]).reviewer.post("/api/v1/staff/permits/sza0000777/revoke", {"reason": "fraud"})
    assert revoked.status_code == 200 and revoked.json()["number"] == "SZA0000777"


@pytest.mark.django_db
def test_the_public_check_answers_as_of_today_before_the_days_sweep(holder, settings):
    """An outsider found a lapsed permit checked "valid" between midnight and the daily sweep (or
    any day it did not run): the check answers by the rules as of today."""
    _api, user = holder
    permit_for(user)  # endorsed until 2027-03-02
    settings.FROZEN_TODAY = "2027-03-02"
    public = Api("10.9.0.2")
    answer = public.post("/api/v1/permits/check", {"number": "4403202600000777", "name": "张伟"}).json()
    assert answer == {"status": "suspended"} and Permit.objects.get().status == "active"  # no sweep yet


@pytest.mark.django_db
def test_the_holder_sees_and_applies_by_the_status_of_today_before_the_days_sweep(holder, settings):
    """An outsider saw, between midnight and the sweep: a lapsed permit listed active and a
    replacement taken for it (API.md: "endorse it first"); and on its cancellation day every way
    out refused, endorsement, replacement and re-application alike. Dates by hand: endorsed until
    2027-03-02, so suspended from 2027-03-02 and cancelled on 2029-03-02."""
    api, user = holder
    permit_for(user)
    settings.FROZEN_TODAY = "2027-03-02"
    api.login("citizen1", phone="13812345678", remember=True)
    [listed] = api.get("/api/v1/permits").json()
    assert (listed["status"], listed["suspended_on"]) == ("suspended", "2027-03-02")
    assert listed["endorsement_window"] == {"opens": "2027-03-02", "closes": "2029-03-01"}
    replacement = api.post("/api/v1/applications", application_body(kind="replacement"), HTTP_ACCEPT_LANGUAGE="en")
    assert replacement.status_code == 409 and "endorse it first" in replacement.json()["error"]["message"]
    assert replacement.json()["error"]["permit"] == listed["number"]  # as the served Error schema says
    assert Permit.objects.get().status == "active"  # nothing written: the sweep does that

    Permit.objects.update(status="suspended", suspended_on=D(2027, 3, 2))  # the sweep of that day
    settings.FROZEN_TODAY = "2029-03-02"
    api.login("citizen1", phone="13812345678", remember=True)
    [listed] = api.get("/api/v1/permits").json()
    assert (listed["status"], listed["endorsement_window"]) == ("cancelled", None)
    assert endorse(api).status_code == 409
    # A card of a cancelled permit is refused naming it, as a suspended one's is (an outsider).
    card = api.post("/api/v1/applications", application_body(kind="replacement")).json()["error"]
    assert card["code"] == "conflict" and card["permit"] == listed["number"]
    again = api.post("/api/v1/applications", application_body(kind="reapply"))
    assert again.status_code == 201, again.content
    assert Permit.objects.get().status == "suspended"


@pytest.mark.django_db
def test_an_endorsement_waiting_in_time_keeps_the_permit_as_it_is(holder, settings):
    api, user = holder
    permit = permit_for(user)
    Endorsement.objects.create(
        permit=permit,
        requested_on=D(2027, 2, 25),
        channel="online",
        kind="in_window",
        outcome=Endorsement.Outcome.PENDING,
        department="police",
        due_on=D(2027, 3, 4),
        created_at="2027-02-25T10:00:00+08:00",
    )
    settings.FROZEN_TODAY = "2027-03-02"
    api.login("citizen1", phone="13812345678", remember=True)
    assert api.get("/api/v1/permits").json()[0]["status"] == "active"
    settings.FROZEN_TODAY = "2027-03-05"  # the department is overdue: no longer held off
    api.login("citizen1", phone="13812345678", remember=True)
    assert api.get("/api/v1/permits").json()[0]["status"] == "suspended"


@pytest.mark.django_db
def test_imported_permits_are_platform_permits(holder):
    api, _user = holder
    assert records_import_rows(
        "permits",
        [
            {
                "id_number": ZHANG_WEI,
                "number": "SZ2019000123",
                "issued_on": "2019-03-02",
                "endorsed_until": "2027-03-02",
                "status": "active",
            }
        ],
    ).applied
    permit = Permit.objects.get(number="SZ2019000123")
    assert permit.source == "import" and permit.anniversary_base == D(2019, 3, 2)
    assert list(permit.events.values_list("kind", flat=True)) == ["imported"]
    assert endorse(api, "SZ2019000123").json()["endorsed_until"] == "2028-03-02"


@pytest.mark.django_db
def test_a_row_for_a_permit_the_platform_has_acted_on_is_kept_as_a_record_and_said_so(holder, settings, tmp_path):
    """An outsider's row reviving a permit the sweeps had cancelled was answered "1 updated", and
    the permit stayed cancelled with nothing said."""
    from django.core.management import call_command

    from residence.permits import sweeps

    settings.FROZEN_TODAY = "2027-03-03"
    assert records_import_rows("permits", [permit_row(ZHANG_WEI, "SZ2019000123")]).applied
    assert sweeps.permits_suspend(D(2027, 3, 3)) == 1  # the platform acts: not endorsed in time
    revived = permit_row(ZHANG_WEI, "SZ2019000123", endorsed_until="2028-03-02")
    with translation.override("en"):
        result = records_import_rows("permits", [permit_row(WANG_FANG, "SZ2019000456"), revived])
    assert result.applied and [line for line, _note in result.notes] == [2, 3]
    # A row "active" past its anniversary is said to be suspended (an outsider's was answered "created").
    assert "SZ2019000456 is active in your file, but was not endorsed by 2027-03-02" in result.notes[0][1]
    assert Permit.objects.get(number="SZ2019000456").endorsed_until == D(2027, 3, 2)
    assert "SZ2019000123 is kept as your record only" in result.notes[1][1]
    assert "Suspended, endorsed until 2027-03-02" in result.notes[1][1]
    permit = Permit.objects.get(number="SZ2019000123")
    assert (permit.status, permit.endorsed_until) == ("suspended", D(2027, 3, 2))
    # The operator's command prints it with the line.
    path = tmp_path / "permits-kept.csv"
    path.write_text(
        f"id_number,number,issued_on,endorsed_until,status\n{ZHANG_WEI},SZ2019000123,2019-03-02,2028-03-01,active\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_records", "permits", str(path), stdout=out)
    assert "line 2: Permit SZ2019000123 is kept as your record only" in out.getvalue()


def permit_row(id_number, number, status="active", issued_on="2019-03-02", endorsed_until="2027-03-02"):
    return {
        "id_number": id_number,
        "number": number,
        "issued_on": issued_on,
        "endorsed_until": endorsed_until,
        "status": status,
    }


@pytest.mark.django_db
def test_a_permits_import_refuses_an_anniversary_further_ahead_than_an_endorsement_gives(settings):
    """An outsider's row endorsed until 2031 kept a permit from being suspended for years. On
    2026-11-30 the furthest is an anniversary 60 days away (2027-01-29) endorsed in its window:
    2028-01-29, worked out by hand."""
    settings.FROZEN_TODAY = "2026-11-30"
    result = records_import_rows(
        "permits",
        [
            permit_row(WANG_FANG, "SZ2025000301", issued_on="2025-03-01", endorsed_until="2031-03-01"),
            permit_row(ZHANG_WEI, "SZ2025000302", issued_on="2025-01-30", endorsed_until="2028-01-30"),
        ],
    )
    assert not result.applied and [line for line, _reason in result.errors] == [2, 3]
    assert "2028-01-29" in result.errors[0][1] and not Permit.objects.exists()
    # Reported with the file's other bad rows, not only once they are mended (an outsider's).
    broken = permit_row(ZHANG_WEI, "SZ2025000303", issued_on="2025-01-30", endorsed_until="2019-01-30")
    far = permit_row(WANG_FANG, "SZ2025000301", issued_on="2025-03-01", endorsed_until="2031-03-01")
    result = records_import_rows("permits", [broken, far])
    assert [line for line, _reason in result.errors] == [2, 3] and "2028-01-29" in result.errors[1][1]
    furthest = permit_row(ZHANG_WEI, "SZ2025000302", issued_on="2025-01-29", endorsed_until="2028-01-29")
    assert records_import_rows("permits", [furthest]).applied
    assert Permit.objects.get().endorsed_until == D(2028, 1, 29)


@pytest.mark.django_db
def test_a_permits_import_cannot_move_a_permit_or_give_anyone_a_second_live_one(holder):
    _api, user = holder
    platform_issued = permit_for(user, number="4403202600000777")
    # A number the platform issued is not imported, even for its own holder.
    result = records_import_rows("permits", [permit_row(ZHANG_WEI, platform_issued.number)])
    assert not result.applied and result.errors[0][0] == 2 and "issued by this platform" in result.errors[0][1]
    # A second live permit for a holder of a live one: refused, naming it.
    result = records_import_rows("permits", [permit_row(ZHANG_WEI, "SZ2019000123")])
    assert not result.applied and platform_issued.number in result.errors[0][1]
    assert records_import_rows("permits", [permit_row(WANG_FANG, "SZ2019000123")]).applied
    # Another person's permit number: refused, and nothing is written (all or nothing).
    rows = [permit_row(WANG_FANG, "SZ2018000001", status="cancelled", endorsed_until="2020-03-02")]
    theirs = permit_row(ZHANG_WEI, "SZ2019000123", status="cancelled", endorsed_until="2020-03-02")
    result = records_import_rows("permits", [*rows, theirs])
    assert not result.applied and [line for line, _reason in result.errors] == [3]
    assert "another person" in result.errors[0][1] and not Permit.objects.filter(number="SZ2018000001").exists()
    # Two live rows for one person in one file: both lines are named.
    two = [permit_row(WANG_FANG, "SZ2019000123"), permit_row(WANG_FANG, "SZ2020000456")]
    assert [line for line, _reason in records_import_rows("permits", two).errors] == [2, 3]
    # A live permit replaced in the same file (the old one cancelled) is one live permit.
    swap = [permit_row(WANG_FANG, "SZ2019000123", status="cancelled", endorsed_until="2020-03-02")]
    assert records_import_rows("permits", [*swap, permit_row(WANG_FANG, "SZ2020000456")]).applied
    # A permit endorsed until before it was issued is refused at its line.
    result = records_import_rows("permits", [permit_row(WANG_FANG, "SZ2020000456", endorsed_until="2018-01-01")])
    assert not result.applied and "after issued_on" in result.errors[0][1]
    held = dict(Permit.objects.values_list("number", "id_number"))
    assert held == {"4403202600000777": ZHANG_WEI, "SZ2019000123": WANG_FANG, "SZ2020000456": WANG_FANG}


@pytest.mark.django_db
def test_an_import_is_dated_by_shenzhens_calendar_and_refuses_a_lapse_still_to_come(settings):
    settings.FROZEN_TODAY = ""
    row = {"id_number": ZHANG_WEI, "number": "SZ2019000124", "issued_on": "2019-03-02", "status": "suspended"}
    # 04:48 in Shenzhen on 29 November is still 28 November in UTC.
    with time_machine.travel(dt.datetime(2026, 11, 28, 20, 48, tzinfo=dt.UTC), tick=False):
        refused = records_import_rows("permits", [{**row, "endorsed_until": "2027-06-01"}])
        assert not refused.applied and "endorsed_until" in refused.errors[0][1]
        assert records_import_rows("permits", [{**row, "endorsed_until": "2026-06-01"}]).applied
    assert Permit.objects.get().events.get().on == D(2026, 11, 29)


@pytest.mark.django_db
def test_sending_an_imported_permit_again_does_not_undo_what_the_platform_did(holder):
    api, _user = holder
    row = permit_row(ZHANG_WEI, "SZ2019000123")
    assert records_import_rows("permits", [row]).applied
    assert endorse(api, "SZ2019000123").json()["endorsed_until"] == "2028-03-02"
    # The department sends its file again, and once more with a change: the endorsement stands.
    assert records_import_rows("permits", [row]).applied
    assert records_import_rows("permits", [{**row, "status": "suspended", "endorsed_until": "2027-01-10"}]).applied
    permit = Permit.objects.get(number="SZ2019000123")
    assert (permit.status, permit.endorsed_until) == ("active", D(2028, 3, 2))
    assert list(permit.events.values_list("kind", flat=True)) == ["imported", "endorsed"]


@pytest.mark.django_db
def test_an_import_cannot_take_a_number_or_a_person_the_platform_is_issuing_to(holder):
    _api, _user = holder
    other, _ = citizen_api("citizen2", "13812345679", WANG_FANG[:17], "王芳")
    eligible_records(WANG_FANG)
    staff = staff_apis(["police", "insurance", "reviewer", "production", "clerk"])
    app = other.post("/api/v1/applications", application_body()).json()
    base = f"/api/v1/staff/applications/{app['id']}"
    for department, client in (("police", staff.police), ("social_insurance", staff.insurance)):
        client.post(f"{base}/verify", {"department": department, "outcome": "confirmed"})
    staff.reviewer.post(f"{base}/approve", {})
    # A permit for 王芳 while her application will issue one: refused.
    result = records_import_rows("permits", [permit_row(WANG_FANG, "SZ2019000999")])
    assert not result.applied and "application in progress" in result.errors[0][1]
    # An import already holding the next number of the series: production passes over it.
    taken = "4403202700000001"
    assert records_import_rows("permits", [permit_row(ZHANG_WEI, taken)]).applied
    number = staff.production.post(f"{base}/produce", {}).json()["permit_number"]
    assert number != taken and number.startswith("44032027")
    # The number on the card being made cannot be imported for anyone.
    result = records_import_rows(
        "permits", [permit_row(ZHANG_WEI, number, status="cancelled", endorsed_until="2020-03-02")]
    )
    assert not result.applied and "card the platform has made" in result.errors[0][1]
    staff.production.post(f"{base}/dispatch", {})
    staff.clerk.post(f"{base}/receive", {})
    done = staff.clerk.post(f"{base}/hand-over", {"identity_checked": True, "signed": True})
    assert done.status_code == 200 and Permit.objects.get(number=number).id_number == WANG_FANG


@pytest.mark.django_db
def test_a_permit_number_is_ascii_letters_and_digits_in_one_spelling(holder):
    with translation.override("en"):
        result = records_import_rows("permits", [permit_row(ZHANG_WEI, "４４０３２０２６００００００００１")])
    assert not result.applied and "half-width" in result.errors[0][1]
    assert records_import_rows("permits", [permit_row(ZHANG_WEI, "sz2019000123")]).applied
    assert Permit.objects.get().number == "SZ2019000123"


@pytest.mark.django_db
def test_an_exchange_renews_the_card_of_the_same_permit_and_takes_the_old_one_back(holder):
    api, user = holder
    permit_for(user)
    staff = staff_apis(["police", "insurance", "reviewer", "production", "clerk"])
    app = api.post("/api/v1/applications", application_body(kind="exchange")).json()
    base = f"/api/v1/staff/applications/{app['id']}"
    for department, client in (("police", staff.police), ("social_insurance", staff.insurance)):
        client.post(f"{base}/verify", {"department": department, "outcome": "confirmed"})
    assert staff.reviewer.post(f"{base}/approve", {}).json()["status"] == "awaiting_payment"
    assert api.post(f"/api/v1/applications/{app['id']}/payment", {"provider": "sandbox"}).status_code == 200
    produced = staff.production.post(f"{base}/produce", {}).json()
    assert produced["permit_number"] == "4403202600000777"  # the same permit, a new card
    staff.production.post(f"{base}/dispatch", {})
    staff.clerk.post(f"{base}/receive", {})
    # Told before the trip to bring the old card (RULES §6: an outsider's was told only at the counter).
    ready = Message.objects.get(user=user, key="application_ready_for_pickup_exchange")
    with translation.override("en"):
        assert "your old card" in render_message(ready.key, ready.params)[1]
    from residence.notifications.services import sms_text

    told = sms_text(ready.key, language="en", **ready.params)
    assert told.endswith("Bring your ID card, the acceptance receipt and your old card.")
    # And by courier, both cards (the courier checks the ID card: an outsider's SMS named the old one only).
    couriered = sms_text("application_out_for_delivery_exchange", language="en", **ready.params)
    assert "Have your ID card and your old card ready" in couriered
    from residence.applications.views import next_step

    with translation.override("en"):
        assert "your old card" in next_step(Application.objects.get(pk=app["id"]))
    body = {"identity_checked": True, "signed": True, "old_card_collected": False}
    refused = staff.clerk.post(f"{base}/hand-over", body)
    assert refused.status_code == 400 and "old_card_collected" in refused.json()["error"]["fields"]
    done = staff.clerk.post(f"{base}/hand-over", {"identity_checked": True, "signed": True, "old_card_collected": True})
    assert done.json()["status"] == "completed"
    permit = Permit.objects.get()
    assert Permit.objects.count() == 1 and permit.anniversary_base == D(2026, 3, 2)
    event = PermitEvent.objects.get(kind="exchanged")
    assert event.data["old_card_collected"] == "yes" and event.data["card_serial"].startswith("C")
    # The holder is told of a new card of the same permit, not of a permit "active from today".
    assert Message.objects.filter(user=user, key="application_card_renewed").count() == 1
    assert not Message.objects.filter(user=user, key="application_completed").exists()


def card_application_verified(kind: str):
    """A holder of the permit issued 2026-03-02 applies for a new card (`kind`), and both
    departments confirm: (citizen api, user, staff apis, application, its staff URL)."""
    api, user = citizen_api()
    eligible_records()
    permit_for(user)
    staff = staff_apis(["police", "insurance", "reviewer", "production"])
    app = api.post("/api/v1/applications", application_body(kind=kind)).json()
    base = f"/api/v1/staff/applications/{app['id']}"
    for department, client in (("police", staff.police), ("social_insurance", staff.insurance)):
        client.post(f"{base}/verify", {"department": department, "outcome": "confirmed"})
    return api, user, staff, app, base


@pytest.mark.django_db
def test_a_permit_suspended_while_its_exchange_is_open_is_endorsed_before_approval_payment_and_the_card(settings):
    """An outsider paid for an exchange of a permit that lapsed meanwhile and got a new card of a
    suspended permit. Worked by hand: issued 2026-03-02, endorsed until 2027-03-02, so suspended
    from 2027-03-02 whether or not the day's sweep has run."""
    settings.FROZEN_TODAY = "2027-02-25"
    api, user, staff, app, base = card_application_verified("exchange")
    settings.FROZEN_TODAY = "2027-03-02"
    signed_in_again(staff, "reviewer")
    refused = staff.reviewer.post(f"{base}/approve", {})
    assert error_code(refused) == "conflict" and "2027-03-02" in refused.json()["error"]["message"]
    assert Application.objects.get(pk=app["id"]).status == "reviewing"
    assert not Message.objects.filter(user=user, key="application_payment_requested").exists()
    # The applicant's page says what to do, not "nothing to do for now" (outsider V).
    web = CommittingClient()
    web.cookies["django_language"] = "en"
    assert web_login(web, "citizen1", phone="13812345678").status_code == 302
    page = web.get(f"/applications/{app['id']}/").content.decode()
    assert "Your permit has been suspended since 2027-03-02: endorse it" in page and "Nothing to do" not in page
    api.login("citizen1", phone="13812345678", remember=True)  # one live login: the page's replaced it

    settings.FROZEN_TODAY = "2027-03-01"
    signed_in_again(staff, "reviewer")
    assert staff.reviewer.post(f"{base}/approve", {}).json()["status"] == "awaiting_payment"
    settings.FROZEN_TODAY = "2027-03-02"
    unpaid = api.post(f"/api/v1/applications/{app['id']}/payment", {"provider": "sandbox"})
    assert error_code(unpaid) == "conflict" and "endorse" in unpaid.json()["error"]["message"].lower()
    assert not Payment.objects.exists() and Application.objects.get(pk=app["id"]).payment_status == "awaiting"
    # Nor do the pages offer to pay: they lead to the endorsement (an outsider's pay button and pay
    # page stood, and only the payment said to endorse first).
    web = CommittingClient()
    web.cookies["django_language"] = "en"
    assert web_login(web, "citizen1", phone="13812345678").status_code == 302
    page = web.get(f"/applications/{app['id']}/").content.decode()
    assert 'data-testid="pay"' not in page and 'href="/permits/4403202600000777/endorse/"' in page
    told = web.get(f"/applications/{app['id']}/pay/", follow=True)
    assert told.redirect_chain == [(f"/applications/{app['id']}/", 302)]
    assert "suspended since 2027-03-02: endorse it first, then pay by 2027-03-16" in told.content.decode()
    api.login("citizen1", phone="13812345678", remember=True)
    # Endorsed late (the holder meets the conditions): restored, then paid and made.
    assert endorse(api).json()["outcome"] == "granted"
    assert api.post(f"/api/v1/applications/{app['id']}/payment", {"provider": "sandbox"}).status_code == 200
    signed_in_again(staff, "production")
    assert staff.production.post(f"{base}/produce", {}).json()["permit_number"] == "4403202600000777"


@pytest.mark.django_db
def test_a_card_is_not_made_for_a_permit_suspended_after_payment(settings):
    settings.FROZEN_TODAY = "2027-03-01"
    api, user, staff, app, base = card_application_verified("replacement")
    staff.reviewer.post(f"{base}/approve", {})
    assert api.post(f"/api/v1/applications/{app['id']}/payment", {"provider": "sandbox"}).status_code == 200
    settings.FROZEN_TODAY = "2027-03-02"
    signed_in_again(staff, "production")
    refused = staff.production.post(f"{base}/produce", {})
    assert error_code(refused) == "conflict" and "endorsed" in refused.json()["error"]["message"]
    assert (
        Application.objects.get(pk=app["id"]).status == "approved"
        and not Application.objects.get(pk=app["id"]).card_serial
    )
    # The holder reads why it waits, before the day's sweep as after it (an outsider's read
    # "approved", its deadlines past, and a notice that said only to endorse).
    number = Permit.objects.get().number
    held = api.get(f"/api/v1/applications/{app['id']}").json()["on_hold"]
    assert (
        held
        == {
            "reason": "permit_suspended",
            "permit_number": number,
            "since": "2027-03-02",
            "note": held["note"],
        }
        and "2027-03-02" in held["note"]
    )
    sweeps.permits_suspend(D(2027, 3, 2))
    [told] = Message.objects.filter(user=user, key__startswith="permit_suspended")
    assert told.key == "permit_suspended_card_waits" and told.params["reference"] == app["reference"]
    [text] = SmsMessage.objects.filter(purpose="permit").values_list("text", flat=True)
    assert app["reference"] in text and number in text
    [listed] = api.get("/api/v1/applications").json()
    assert listed["on_hold"]["reason"] == "permit_suspended"
    assert endorse(api).json()["outcome"] == "granted"
    assert api.get(f"/api/v1/applications/{app['id']}").json()["on_hold"] is None


@pytest.mark.django_db
def test_staff_see_the_hold_on_the_case_and_in_their_queue(settings):
    """An outsider's clerk read `on_hold: null` on the case the holder saw held, and production
    saw an ordinary overdue step, then a 409 on producing."""
    from .applications import STAFF

    settings.FROZEN_TODAY = "2027-03-01"
    api, _user, staff, app, base = card_application_verified("replacement")
    staff.reviewer.post(f"{base}/approve", {})
    assert api.post(f"/api/v1/applications/{app['id']}/payment", {"provider": "sandbox"}).status_code == 200
    assert staff.production.get(base).json()["on_hold"] is None
    [item] = staff.production.get("/api/v1/staff/queue").json()["results"]
    assert item["on_hold"] is None
    settings.FROZEN_TODAY = "2027-03-02"  # the anniversary: suspended, swept or not
    signed_in_again(staff, "production", "reviewer")
    number = Permit.objects.get().number
    hold = {"reason": "permit_suspended", "permit_number": number, "since": "2027-03-02"}
    for client in (staff.production, staff.reviewer):
        shown = client.get(base).json()["on_hold"]
        assert {k: shown[k] for k in hold} == hold and "2027-03-02" in shown["note"]
    [item] = staff.production.get("/api/v1/staff/queue").json()["results"]
    assert (item["application"], item["on_hold"]) == (app["id"], hold)

    web = CommittingClient()
    web.cookies["django_language"] = "en"
    assert web_login(web, "staff_production", phone=STAFF["production"][1]).status_code == 302
    # Past its date while held: not flagged as the desk's delay (the deadline jobs skip it too).
    Deadline.objects.filter(application_id=app["id"], step="production").update(due_on=D(2027, 2, 26))
    queue = web.get("/staff/applications/").content.decode()
    assert 'data-testid="on-hold"' in queue and f'value="{app["id"]}"' not in queue  # shown, not tickable
    assert "due-badge" not in queue and "row-overdue" not in queue
    case = web.get(f"/staff/applications/{app['id']}/").content.decode()
    assert "On hold: the holder&#x27;s permit has been suspended since 2027-03-02" in case
    assert 'data-testid="act-produce"' not in case and 'data-testid="no-action"' in case

    assert endorse(api).json()["outcome"] == "granted"
    queue = web.get("/staff/applications/").content.decode()
    assert 'data-testid="on-hold"' not in queue and "row-overdue" in queue and "due-badge" in queue
    signed_in_again(staff, "production")  # one live login: the page's replaced the API's
    assert staff.production.get(base).json()["on_hold"] is None


@pytest.mark.django_db
def test_a_held_renewals_steps_are_not_reminded_or_escalated_as_the_staffs_delay(settings):
    """An outsider's held exchange was reminded to production and escalated to the supervisor as
    overdue, though nothing could be done until the holder endorsed. Once endorsed, a step still
    overdue is escalated as any other."""
    from residence.applications.jobs import deadlines_escalate, deadlines_remind
    from residence.applications.models import Deadline

    settings.FROZEN_TODAY = "2027-03-01"
    api, _user, staff, app, base = card_application_verified("replacement")
    staff.reviewer.post(f"{base}/approve", {})
    assert api.post(f"/api/v1/applications/{app['id']}/payment", {"provider": "sandbox"}).status_code == 200
    production = Deadline.objects.get(application_id=app["id"], step="production")
    eve, late = production.due_on - dt.timedelta(days=1), production.due_on + dt.timedelta(days=3)
    settings.FROZEN_TODAY = eve.isoformat()  # the permit lapsed on 2027-03-02: held since
    assert deadlines_remind(eve, production.due_on) == 0
    settings.FROZEN_TODAY = late.isoformat()
    assert deadlines_escalate(late) == 0
    assert not Message.objects.filter(key="deadline_overdue").exists()
    assert endorse(api).json()["outcome"] == "granted"
    assert deadlines_escalate(late) >= 1
    assert Deadline.objects.get(pk=production.pk).escalated_on == late


@pytest.mark.django_db
def test_an_unpaid_renewal_of_a_permit_cancelled_meanwhile_ends_with_no_refund_promised(settings):
    """An outsider's unpaid exchange was told that the fee it had paid would be given back."""
    from residence.core.jobs import daily_jobs_run

    settings.FROZEN_TODAY = "2027-03-01"
    _api, user, _staff, app, _base = card_application_verified("replacement")  # under review, nothing paid
    settings.FROZEN_TODAY = "2029-03-02"
    assert committed(lambda: daily_jobs_run(D(2029, 3, 2)))["renewals_ended"] == 1
    assert Application.objects.get(pk=app["id"]).payment_status != "paid"
    [message] = Message.objects.filter(user=user, key="application_ended_permit_cancelled")
    with translation.override("zh-hans"):
        _title, body = render_message(message.key, message.params)
    assert app["reference"] in body and "再次申领" in body and "退还" not in body


@pytest.mark.django_db
def test_a_paid_replacement_of_a_permit_cancelled_meanwhile_ends_refunded_and_frees_the_reapplication(settings):
    """An outsider's paid replacement waited in "approved" for ever once the permit lapsed, and
    after its cancellation blocked every re-application. Worked by hand: endorsed until
    2027-03-02, suspended from that day, cancelled two years on, 2029-03-02."""
    from residence.core.jobs import daily_jobs_run

    settings.FROZEN_TODAY = "2027-03-01"
    api, user, staff, app, base = card_application_verified("replacement")
    staff.reviewer.post(f"{base}/approve", {})
    assert api.post(f"/api/v1/applications/{app['id']}/payment", {"provider": "sandbox"}).status_code == 200
    settings.FROZEN_TODAY = "2029-03-01"
    assert committed(lambda: daily_jobs_run(D(2029, 3, 1)))["renewals_ended"] == 0
    assert Application.objects.get(pk=app["id"]).status == "approved"  # still endorsable today

    settings.FROZEN_TODAY = "2029-03-02"
    counts = committed(lambda: daily_jobs_run(D(2029, 3, 2)))
    assert counts["cancelled"] == 1 and counts["renewals_ended"] == 1
    ended = Application.objects.get(pk=app["id"])
    assert ended.status == "terminated" and ended.payment_status == "paid"
    payment = Payment.objects.get(application=ended)
    assert payment.refund_transaction_id.startswith("SANDBOX-REFUND-") and payment.refunded_at is not None
    refund = AuditEvent.objects.get(type="payment_refunded")
    assert refund.data["transaction"] == payment.refund_transaction_id and refund.data["amount"] == "20.00"
    [message] = Message.objects.filter(user=user, key="application_ended_refunded")
    with translation.override("zh-hans"):
        _title, body = render_message(message.key, message.params)
    assert app["reference"] in body and "再次申领" in body and "退还" in body
    assert committed(lambda: daily_jobs_run(D(2029, 3, 2)))["renewals_ended"] == 0
    assert AuditEvent.objects.filter(type="payment_refunded").count() == 1

    web = CommittingClient()
    web.cookies["django_language"] = "en"
    assert web_login(web, "citizen1", phone="13812345678").status_code == 302
    page = web.get(f"/applications/{app['id']}/").content.decode()
    assert "has been cancelled, so the application has ended" in page and "time to pay" not in page
    assert "Paid · refunded on 2029-03-02" in page
    api.login("citizen1", phone="13812345678", remember=True)
    shown = api.get(f"/api/v1/applications/{app['id']}").json()
    assert (shown["status"], shown["payment_status"], shown["refunded_on"]) == ("terminated", "paid", "2029-03-02")
    api.login("citizen1", phone="13812345678", remember=True)
    reapplied = api.post("/api/v1/applications", application_body(kind="reapply", photo_receipt="pz20290302a1"))
    assert reapplied.status_code == 201, reapplied.content
    assert reapplied.json()["fee"]["amount"] == "20.00"


@pytest.mark.django_db
def test_an_unpaid_exchange_of_a_permit_cancelled_meanwhile_ends_with_nothing_to_pay(settings):
    from residence.applications.jobs import renewals_of_cancelled_permits_end

    settings.FROZEN_TODAY = "2027-03-01"
    _api, _user, _staff, app, _base = card_application_verified("exchange")
    Permit.objects.update(status="cancelled", suspended_on=D(2027, 3, 2), cancelled_on=D(2029, 3, 2))
    assert renewals_of_cancelled_permits_end(D(2029, 3, 1)) == 0  # not yet cancelled on that day
    assert renewals_of_cancelled_permits_end(D(2029, 3, 2)) == 1
    ended = Application.objects.get(pk=app["id"])
    assert ended.status == "terminated" and ended.payment_status == "not_required"
    assert not Payment.objects.exists() and not AuditEvent.objects.filter(type="payment_refunded").exists()


def replacement_at_the_point():
    """A paid replacement whose card has reached the point: card_application_verified's, and the clerk."""
    api, user, staff, app, base = card_application_verified("replacement")
    staff.reviewer.post(f"{base}/approve", {})
    assert api.post(f"/api/v1/applications/{app['id']}/payment", {"provider": "sandbox"}).status_code == 200
    counter = staff_apis(["clerk"])
    for step, client in (("produce", staff.production), ("dispatch", staff.production), ("receive", counter.clerk)):
        assert client.post(f"{base}/{step}", {}).status_code == 200, step
    return api, user, staff, app, base, counter


@pytest.mark.django_db
def test_a_revoked_permits_open_replacement_ends_at_once_with_its_fee_refunded(settings):
    """An outsider's holder, whose permit the police revoked, was still told to come for the new
    card until the next daily run ended the replacement."""
    from residence.core.jobs import daily_jobs_run

    settings.FROZEN_TODAY = "2027-02-25"
    _api, user, staff, app, _base, _counter = replacement_at_the_point()
    with TestCase.captureOnCommitCallbacks(execute=True):
        revoked = staff.reviewer.post("/api/v1/staff/permits/4403202600000777/revoke", {"reason": "fraud"})
    assert revoked.json()["status"] == "cancelled"
    ended = Application.objects.get(pk=app["id"])
    assert (ended.status, ended.payment_status) == ("terminated", "paid")
    assert Payment.objects.get(application=ended).refunded_at is not None
    assert Message.objects.filter(user=user, key="application_ended_refunded").count() == 1
    # The day's job finds nothing left to end.
    assert committed(lambda: daily_jobs_run(D(2027, 2, 25)))["renewals_ended"] == 0


@pytest.mark.django_db
def test_a_new_card_is_not_handed_over_for_a_permit_that_lapsed_this_morning(settings):
    """An outsider's hand-over went through on a permit that had lapsed that day, before the
    day's sweep ran (the stored status was still active)."""
    settings.FROZEN_TODAY = "2027-02-25"
    _api, _user, _staff, app, base, counter = replacement_at_the_point()
    # Told where, in English with the point's kind and street (an outsider's read the Chinese name only).
    web = CommittingClient()
    web.cookies["django_language"] = "en"
    assert web_login(web, "citizen1", phone="13812345678").status_code == 302
    ready = web.get(f"/applications/{app['id']}/").content.decode()
    assert "Collect your card at Street office, Futian Subdistrict · 福田街道办事处居住证受理点." in ready
    settings.FROZEN_TODAY = "2027-03-02"
    signed_in_again(counter, "clerk")
    refused = counter.clerk.post(f"{base}/hand-over", {"identity_checked": True, "signed": True})
    assert error_code(refused) == "conflict" and "2027-03-02" in refused.json()["error"]["message"]
    assert Application.objects.get(pk=app["id"]).status == "ready_for_pickup"
    assert Permit.objects.get().status == "active"  # the day's sweep has not run
    # Nor is the holder asked to come for it: to endorse first.
    web = CommittingClient()
    web.cookies["django_language"] = "en"
    assert web_login(web, "citizen1", phone="13812345678").status_code == 302
    page = web.get(f"/applications/{app['id']}/").content.decode()
    assert "Your permit has been suspended since 2027-03-02: endorse it" in page
    # Past its due date, the wait is the holder's: no apology for a delay (an outsider read both).
    settings.FROZEN_TODAY = "2027-03-31"
    web = CommittingClient()
    web.cookies["django_language"] = "en"
    assert web_login(web, "citizen1", phone="13812345678").status_code == 302
    page = web.get(f"/applications/{app['id']}/").content.decode()
    assert "the rest waits until your permit is endorsed" in page and "sorry" not in page
    # On the day it is cancelled, before the day's run: said so (an outsider's courier was told
    # "this permit is Suspended").
    settings.FROZEN_TODAY = "2029-03-02"
    signed_in_again(counter, "clerk")
    refused = counter.clerk.post(f"{base}/hand-over", {"identity_checked": True, "signed": True})
    assert error_code(refused) == "conflict" and "cancelled from 2029-03-02" in refused.json()["error"]["message"]
    # Nor is the holder asked to come for it that day (an outsider's page said "collect your card").
    web = CommittingClient()
    web.cookies["django_language"] = "en"
    assert web_login(web, "citizen1", phone="13812345678").status_code == 302
    page = web.get(f"/applications/{app['id']}/").content.decode()
    assert "Your permit is cancelled from 2029-03-02: no card of it is handed over" in page
    assert "Collect your card" not in page and "sorry" not in page and "so it is not handed over" in page


@pytest.mark.django_db
def test_a_run_of_the_jobs_for_a_past_day_batches_only_what_was_approved_by_then(settings):
    from residence.applications.jobs import production_batch

    settings.FROZEN_TODAY = "2027-02-24"
    api, _user, staff, app, base = card_application_verified("exchange")
    staff.reviewer.post(f"{base}/approve", {})  # reviewed on 02-24, approved once paid, on 02-25
    settings.FROZEN_TODAY = "2027-02-25"
    api.login("citizen1", phone="13812345678", remember=True)
    assert api.post(f"/api/v1/applications/{app['id']}/payment", {"provider": "sandbox"}).status_code == 200
    assert production_batch(D(2027, 2, 24)) == 0
    assert Application.objects.get(pk=app["id"]).production_batch is None
    assert production_batch(D(2027, 2, 25)) == 1
    assert Application.objects.get(pk=app["id"]).production_batch == D(2027, 2, 25)


@pytest.mark.django_db
def test_a_fee_bearing_application_is_acknowledged_with_its_fee_not_a_blank_due_date(holder):
    api, user = holder
    permit_for(user)
    app = api.post("/api/v1/applications", application_body(kind="exchange")).json()
    assert app["due_date"] is None  # the days run from payment (RULES §5)
    [message] = Message.objects.filter(user=user, key__startswith="application_accepted")
    for language in ("en", "zh-hans"):
        with translation.override(language):
            _title, body = render_message(message.key, message.params)
        assert str(app["fee"]["amount"]) in body and app["reference"] in body, language
        assert not body.rstrip("。.").endswith((" ", "为")), body


@pytest.mark.django_db
def test_a_courier_exchange_completes_on_api_mds_body_and_records_the_old_card_as_not_stated(holder):
    api, user = holder
    permit_for(user)
    staff = staff_apis(["police", "insurance", "reviewer", "production", "courier"])
    body = application_body(kind="exchange", delivery={"method": "courier", "address": "深圳市福田区福田路 1 号"})
    app = api.post("/api/v1/applications", body).json()
    # The receipt says so from the start (an outsider's said only to show the ID card).
    receipt = api.get(f"/api/v1/applications/{app['id']}/receipt")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(receipt.content)).pages)
    assert "快递送达时请本人出示身份证签收，并交回旧证。" in text
    base = f"/api/v1/staff/applications/{app['id']}"
    for department, client in (("police", staff.police), ("social_insurance", staff.insurance)):
        client.post(f"{base}/verify", {"department": department, "outcome": "confirmed"})
    staff.reviewer.post(f"{base}/approve", {})
    assert api.post(f"/api/v1/applications/{app['id']}/payment", {"provider": "sandbox"}).status_code == 200
    staff.production.post(f"{base}/produce", {})
    assert staff.production.post(f"{base}/dispatch", {}).json()["status"] == "out_for_delivery"
    assert Message.objects.filter(user=user, key="application_out_for_delivery_exchange").count() == 1
    refused = staff.courier.post(f"{base}/deliver", {"identity_checked": True, "old_card_collected": False})
    assert refused.status_code == 400 and "old_card_collected" in refused.json()["error"]["fields"]
    done = staff.courier.post(f"{base}/deliver", {"identity_checked": True})  # API.md's body
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert PermitEvent.objects.get(kind="exchanged").data["old_card_collected"] == "not stated"


@pytest.mark.django_db
def test_a_malformed_body_on_an_endorsement_is_a_parse_error_and_endorses_nothing(holder):
    api, user = holder
    permit_for(user)
    response = api.call("POST", "/api/v1/permits/4403202600000777/endorsements", raw=b"{bad")
    assert response.status_code == 400 and error_code(response) == "parse_error"
    assert not Endorsement.objects.exists()


@pytest.mark.django_db
def test_an_overdue_department_check_no_longer_holds_off_the_suspension_and_its_grant_restores_in_time(settings):
    """An outsider left a check unanswered: the permit stayed valid for ever. Worked out by hand:
    asked on Friday 2027-02-26, the police check is due Wednesday 2027-03-03 (Mon 1, Tue 2, Wed 3);
    the anniversary is 2027-03-02."""
    from residence.permits import sweeps

    settings.FROZEN_TODAY = "2027-02-26"
    api, user = citizen_api()  # no registration and no insurance on record: police, then insurance
    permit_for(user)
    assert endorse(api).json()["check"] == {
        "department": "police",
        "due_date": "2027-03-03",
        "due_date_provisional": True,
    }
    assert sweeps.permits_suspend(D(2027, 3, 2)) == 0  # waiting, not overdue
    assert (
        Api().post("/api/v1/permits/check", {"number": "4403202600000777", "name": "张伟"}).json()["status"] == "valid"
    )
    settings.FROZEN_TODAY = "2027-03-04"
    assert (
        Api().post("/api/v1/permits/check", {"number": "4403202600000777", "name": "张伟"}).json()["status"]
        == "suspended"
    )
    assert sweeps.permits_suspend(D(2027, 3, 4)) == 1  # overdue: suspended from the anniversary
    permit = Permit.objects.get()
    assert (permit.status, permit.suspended_on) == ("suspended", D(2027, 3, 2))
    # Told that nothing is theirs to do, not "endorse it by": asking again is refused while the
    # check is under way (an outsider's holder did as told and got a 409).
    [told] = Message.objects.filter(user=user, key__startswith="permit_suspended")
    assert (told.key, told.params) == (
        "permit_suspended_check_overdue",
        {"number": "4403202600000777", "asked": "2027-02-26"},
    )
    from residence.notifications.models import SmsMessage

    text = SmsMessage.objects.filter(to=user.phone).latest("id").text
    assert "4403202600000777" in text and ("You need not ask again" in text or "无需再次申请" in text), text
    assert endorse(api).status_code == 409
    # Nor does the API offer the late window that asking again refuses (an outsider's client did).
    [listed] = api.get("/api/v1/permits").json()
    assert (listed["status"], listed["endorsement_window"]) == ("suspended", None)
    # Nor is an exchange the way (nor "endorse it first"): the check is (an outsider was sent round).
    exchange = api.post("/api/v1/applications", application_body(kind="exchange", acceptance_point="44030400401"))
    assert exchange.status_code == 409, exchange.json()
    assert "while a department checks the endorsement" in exchange.json()["error"]["message"]
    # The pages say so too, and offer no endorsement (an outsider's were "not endorsed in time",
    # "Endorse online", and a late endorsement's effect, which a confirmation does not have).
    web = CommittingClient()
    web.cookies["django_language"] = "en"
    assert web_login(web, "citizen1", phone="13812345678").status_code == 302
    mine = words(web.get("/permits/").content.decode())
    assert "Since 2027-03-02: the check of the endorsement asked for on 2027-02-26 is overdue" in mine
    # Not the late endorsement's window, which a confirmation does not open (an outsider read it).
    window = mine.split('data-testid="window">', 1)[1].split("</dd>", 1)[0]
    assert "Set once the department answers: if it confirms, the dates stay as they were." in window
    assert "the answer was due by 2027-03-03 and is late: it has been escalated. You need not ask again." in mine
    assert "not endorsed in time" not in mine and "Endorse online" not in mine and "Open now" not in mine
    assert "suspended while its endorsement is checked" in mine
    page = words(web.get("/permits/4403202600000777/endorse/").content.decode())
    assert 'data-testid="suspended-while-checked"' in page and "restores it from today" not in page
    assert "Set once the department answers" in page.split('data-testid="window">', 1)[1].split("</dd>", 1)[0]

    assert 'data-testid="endorse-now"' not in page
    # The clerk's look-up says it of the holder, not to the clerk (an outsider's clerk read "you").
    clerk = CommittingClient()
    clerk.cookies["django_language"] = "en"
    assert web_login(clerk, "desk_clerk", phone=staff_member("clerk", "desk").phone).status_code == 302
    counter = words(clerk.post("/staff/permits/", {"q": "4403202600000777"}).content.decode())
    assert "A department checks the holder's records; the answer was due by 2027-03-03 and is late" in counter
    assert "You need not ask again" not in counter

    settings.FROZEN_TODAY = "2027-03-05"
    staff = staff_apis(["police", "insurance"])
    url = f"/api/v1/staff/endorsements/{Endorsement.objects.get(outcome='pending').pk}/answer"
    assert staff.police.post(url, {"confirmed": True}).status_code == 200
    assert staff.insurance.post(url, {"confirmed": True}).json()["outcome"] == "granted"
    permit.refresh_from_db()
    # Granted as asked in time: the anniversary and the continuous residence stay.
    assert (permit.status, permit.endorsed_until, permit.continuous_since, permit.suspended_on) == (
        "active",
        D(2028, 3, 2),
        D(2026, 3, 2),
        None,
    )
    assert [e.kind for e in PermitEvent.objects.filter(permit=permit).order_by("at", "id")] == ["suspended", "restored"]
    assert Message.objects.filter(user=user, key="permit_restored_in_time").count() == 1
    assert not Message.objects.filter(user=user, key="permit_restored").exists()


@pytest.mark.django_db
def test_a_permit_from_before_the_platform_is_judged_on_the_route_its_holders_records_show(settings):
    """An outsider's imported permits (no application, no route) were judged as residence and
    employment: a full-time student was sent to the social insurance department, and a talent
    card holder whose card had lapsed was refused for social insurance, not told of the card."""
    settings.FROZEN_TODAY = "2027-01-15"
    api, user = citizen_api()  # no registration and no insurance on record
    permit_for(user)
    enrolment = {"id_number": ZHANG_WEI, "school": "深圳大学", "level": "higher", "full_time": "1"}
    assert records_import_rows("enrolments", [{**enrolment, "start_date": "2025-09-01", "end_date": ""}]).applied
    check = endorse(api).json()
    assert check["check"]["department"] == "police", check  # waiting (API.md's outcome: "refused" until then)
    staff = staff_apis(["police"])
    answered = staff.police.post(
        f"/api/v1/staff/endorsements/{Endorsement.objects.get().pk}/answer", {"confirmed": True}
    )
    assert answered.json()["outcome"] == "granted"  # the registration was all the student lacked

    other, talented = citizen_api("citizen2", "13812345679", "36010219950812234", "李娜")
    permit_for(talented, number="4403202600000778")
    registration = {"street_code": "440304004", "address": "福田路 1 号", "registered_on": "2025-01-10", "ended_on": ""}
    assert records_import_rows("registrations", [{"id_number": talented.person.id_number, **registration}]).applied
    talent = {"id_number": talented.person.id_number, "category": "talent_card", "certificate_no": "PCYC-9"}
    assert records_import_rows("talents", [{**talent, "issued_on": "2025-01-01", "valid_until": "2027-01-10"}]).applied
    refused = endorse(other, number="4403202600000778").json()
    keys = [r["key"] for r in Endorsement.objects.get(permit__number="4403202600000778").reasons]
    assert refused["outcome"] == "refused" and keys == ["talent_expired"], keys


@pytest.mark.django_db
def test_a_permit_imported_before_its_holders_identity_is_endorsed_under_the_records_name(settings):
    """An outsider's permits, imported before their holders' identity records, had no name, and
    every endorsement was refused: "the name does not match the population records"."""
    settings.FROZEN_TODAY = "2027-01-15"
    row = permit_row(ZHANG_WEI, "SZ2026000321", issued_on="2026-03-02", endorsed_until="2027-03-02")
    assert records_import_rows("permits", [row]).applied  # before the identity
    assert Permit.objects.get(number="SZ2026000321").name == ""
    api, _user = citizen_api()  # imports the identity and verifies the holder
    eligible_records()
    assert Permit.objects.get(number="SZ2026000321").name == "张伟"  # named by the identity's import
    Permit.objects.filter(number="SZ2026000321").update(name="")  # as imported before the fix
    answer = endorse(api, number="SZ2026000321").json()
    assert answer["outcome"] == "granted" and answer["endorsed_until"] == "2028-03-02", answer


@pytest.mark.django_db
def test_a_corrected_issue_date_moves_the_continuous_residence_of_a_permit_not_acted_on(holder):
    """An outsider corrected an imported permit's issue date; its continuous residence kept the
    first import's date, a year the corrected record does not support."""
    assert records_import_rows("permits", [permit_row(WANG_FANG, "SZ2023000999", issued_on="2023-12-31")]).applied
    corrected = permit_row(WANG_FANG, "SZ2023000999", issued_on="2024-12-31")
    assert records_import_rows("permits", [corrected]).applied
    permit = Permit.objects.get(number="SZ2023000999")
    assert (permit.issued_on, permit.continuous_since) == (D(2024, 12, 31), D(2024, 12, 31))


@pytest.mark.django_db
def test_a_permit_whose_endorsement_waits_for_a_check_is_not_redated_by_an_import(settings):
    """An outsider corrected an imported permit's dates while its endorsement waited for the
    police: the waiting request, made before the new window, was then granted two anniversaries
    on."""
    settings.FROZEN_TODAY = "2027-01-15"
    api, _user = citizen_api()  # no registration: the endorsement waits for the police
    row = permit_row(ZHANG_WEI, "SZ2026000654", issued_on="2026-03-02", endorsed_until="2027-03-02")
    assert records_import_rows("permits", [row]).applied
    assert endorse(api, number="SZ2026000654").json()["check"]["department"] == "police"
    moved = {**row, "issued_on": "2026-06-01", "endorsed_until": "2027-06-01"}
    result = records_import_rows("permits", [moved])
    assert result.applied and "kept as your record only" in result.notes[0][1]
    permit = Permit.objects.get(number="SZ2026000654")
    assert (permit.issued_on, permit.endorsed_until) == (D(2026, 3, 2), D(2027, 3, 2))
