"""The permits' daily sweeps (permits.sweeps, RULES §9): suspension on the anniversary,
cancellation two years later, the reminders; once each, whatever the reruns and crashes."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from residence.accounts.models import User
from residence.audit.models import AuditEvent
from residence.audit.services import person_index
from residence.core import clock
from residence.core.jobs import daily_jobs_run
from residence.notifications import sms
from residence.notifications.models import Message, SmsMessage
from residence.permits import sweeps, workflow
from residence.permits.models import Endorsement, Permit, PermitEvent, SweepRun
from residence.permits.rules import add_years, cancellation_day
from residence.permits.selectors import permit_card
from residence.records.models import Identity
from residence.records.services import records_import_rows

from .conftest import committed, make_user
from .idnumbers import with_check
from .test_account_changes import identity

ROOT = Path(__file__).resolve().parent.parent
D = dt.date


def body_for(i: int) -> str:
    """17 digits with a real birth date: 1980-01-01 plus i // 1000 days, sequence i % 1000."""
    return f"440304{D(1980, 1, 1) + dt.timedelta(days=i // 1000):%Y%m%d}{i % 1000:03d}"


def id_for(i: int) -> str:
    return with_check(body_for(i))


def permit(i: int, endorsed_until: dt.date, *, status="active", suspended_on=None) -> Permit:
    return Permit.objects.create(
        number=f"44030020200{i:05d}",
        id_number=id_for(i),
        name="测试",
        issued_on=add_years(endorsed_until, -1),
        anniversary_base=add_years(endorsed_until, -1),
        endorsed_until=endorsed_until,
        continuous_since=add_years(endorsed_until, -1),
        status=status,
        suspended_on=suspended_on,
        created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    )


def holder(i: int, phone: str) -> User:
    """An account verified as the holder of permit i."""
    number = identity(body_for(i), name=f"持证人{chr(0x4E00 + i)}")
    user = make_user(f"holder{i}", phone)
    User.objects.filter(pk=user.pk).update(person=Identity.objects.get(id_number=number))
    return user


def pending_check(p: Permit, requested_on: dt.date, due_on: dt.date, kind: str = "in_window") -> Endorsement:
    """An endorsement of permit p asked for on `requested_on`, waiting for the police until `due_on`."""
    return Endorsement.objects.create(
        permit=p,
        requested_on=requested_on,
        channel="online",
        kind=kind,
        outcome="pending",
        department="police",
        due_on=due_on,
        created_at=dt.datetime.combine(requested_on, dt.time(), tzinfo=dt.UTC),
    )


def run(day: dt.date) -> dict:
    """The daily jobs as the command runs them: what they queue for after a commit (the SMS) happens."""
    return committed(lambda: daily_jobs_run(day))


def events(p: Permit, kind: str):
    return list(PermitEvent.objects.filter(permit=p, kind=kind))


def audits(p: Permit):
    return list(AuditEvent.objects.filter(type="permit_changed", data__permit=p.number))


def state():
    """Everything a sweep writes, to compare before and after a rerun."""
    return (
        list(
            Permit.objects.order_by("pk").values_list("pk", "status", "suspended_on", "cancelled_on", "cancel_reason")
        ),
        PermitEvent.objects.count(),
        AuditEvent.objects.filter(type="permit_changed").count(),
        Message.objects.filter(key__startswith="permit_").count(),
        SmsMessage.objects.filter(purpose="permit").count(),
    )


pytestmark = pytest.mark.django_db


# --- suspension -------------------------------------------------------------------------


def test_the_anniversary_itself_suspends_and_the_day_before_does_not():
    p = permit(1, D(2026, 3, 10))
    assert run(D(2026, 3, 9))["suspended"] == 0
    p.refresh_from_db()
    assert p.status == "active" and p.suspended_on is None
    assert run(D(2026, 3, 10))["suspended"] == 1
    p.refresh_from_db()
    assert (p.status, p.suspended_on) == ("suspended", D(2026, 3, 10))
    [event] = events(p, "suspended")
    assert (event.on, event.data, event.actor) == (D(2026, 3, 10), {"suspended_on": "2026-03-10"}, None)
    [audit] = audits(p)
    assert audit.person_index == person_index(p.id_number)
    assert audit.data == {
        "permit": p.number,
        "action": "suspend",
        "status_from": "active",
        "status_to": "suspended",
        "suspended_on": "2026-03-10",
    }


def test_a_day_run_again_suspends_and_cancels_what_became_due_since_and_nothing_twice():
    """An outsider imported a lapsed permit after the day's run: the day run again left it active,
    and only a date never run before suspended it. The reminders of a day are not sent again."""
    first = permit(1, D(2026, 3, 1))
    assert run(D(2026, 3, 10))["suspended"] == 1
    late = permit(2, D(2026, 3, 5))  # imported, or corrected, after the run
    gone = permit(3, D(2024, 3, 1), status="suspended", suspended_on=D(2024, 3, 1))
    again = run(D(2026, 3, 10))
    assert (again["suspended"], again["cancelled"]) == (1, 1)
    late.refresh_from_db()
    gone.refresh_from_db()
    assert (late.status, late.suspended_on, gone.status) == ("suspended", D(2026, 3, 5), "cancelled")
    assert run(D(2026, 3, 10))["suspended"] == 0  # and a third time, nothing
    for p in (first, late):
        assert len(events(p, "suspended")) == 1 and len(audits(p)) == 1


def test_a_lapse_found_late_suspends_from_the_anniversary_not_from_the_day_of_the_sweep():
    """The history dates it so too: an outsider read "2029-02-10 Suspended" under "suspended since
    2027-12-21" after the jobs had not run for a year."""
    p = permit(1, D(2026, 3, 10))
    run(D(2026, 4, 1))
    p.refresh_from_db()
    assert (p.status, p.suspended_on) == ("suspended", D(2026, 3, 10))
    assert [e.on for e in events(p, "suspended")] == [D(2026, 3, 10)]


def test_a_29_february_anniversary_suspends_on_that_day():
    p = permit(1, D(2028, 2, 29))
    run(D(2028, 2, 28))
    p.refresh_from_db()
    assert p.status == "active"
    run(D(2028, 2, 29))
    p.refresh_from_db()
    assert (p.status, p.suspended_on) == ("suspended", D(2028, 2, 29))


def test_a_permit_whose_endorsement_waits_for_a_department_is_not_suspended_meanwhile():
    waiting, lapsed = permit(1, D(2026, 3, 10)), permit(2, D(2026, 3, 10))
    check = pending_check(waiting, D(2026, 3, 9), due_on=D(2026, 3, 12))
    assert sweeps.permits_suspend(D(2026, 3, 10)) == 1
    waiting.refresh_from_db()
    assert waiting.status == "active" and Permit.objects.get(pk=lapsed.pk).status == "suspended"
    # Refused after the anniversary: the next day's sweep suspends it from its anniversary.
    Endorsement.objects.filter(pk=check.pk).update(outcome="refused", decided_on=D(2026, 3, 11))
    assert sweeps.permits_suspend(D(2026, 3, 11)) == 1
    waiting.refresh_from_db()
    assert (waiting.status, waiting.suspended_on) == ("suspended", D(2026, 3, 10))


def test_an_endorsement_asked_for_late_does_not_hold_off_the_suspension():
    """An outsider's imported permit, lapsed on 2025-08-01, read valid (and escaped the sweep)
    while an endorsement asked for after its anniversary waited for the police."""
    from residence.permits.selectors import as_of_today

    late = permit(1, D(2026, 3, 10))
    pending_check(late, D(2026, 3, 10), due_on=D(2026, 3, 13), kind="late")  # the anniversary itself is too late
    shown = as_of_today(late, D(2026, 3, 11))
    assert (shown.status, shown.suspended_on) == ("suspended", D(2026, 3, 10))
    assert sweeps.permits_suspend(D(2026, 3, 11)) == 1
    late.refresh_from_db()
    assert (late.status, late.suspended_on) == ("suspended", D(2026, 3, 10))


def test_the_sweep_writes_what_the_workflow_writes_for_one_permit():
    by_hand, swept = permit(1, D(2026, 3, 10)), permit(2, D(2026, 3, 10))
    workflow.permit_transition(number=by_hand.number, action="suspend", actor=None, today=D(2026, 3, 12))
    sweeps.permits_suspend(D(2026, 3, 12))
    assert (
        [e.on for e in events(by_hand, "suspended")] == [e.on for e in events(swept, "suspended")] == [D(2026, 3, 10)]
    )
    for a, b in [(events(by_hand, "suspended"), events(swept, "suspended")), (audits(by_hand), audits(swept))]:
        assert len(a) == len(b) == 1
        assert {k: v for k, v in a[0].data.items() if k != "permit"} == {
            k: v for k, v in b[0].data.items() if k != "permit"
        }


def test_the_history_reads_in_date_order_whenever_each_entry_was_written():
    """An outsider imported a lapsed permit, then ran the day of its lapse: "imported" (today) was
    listed above "suspended" (the earlier day), the history being in the order it was written."""
    p = permit(1, D(2025, 2, 28))
    PermitEvent.objects.create(permit=p, kind="imported", on=D(2026, 12, 2), at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    sweeps.permits_suspend(D(2025, 2, 28))
    card = permit_card(Permit.objects.get(pk=p.pk))
    assert [(e.on, e.kind) for e in card["events"]] == [(D(2025, 2, 28), "suspended"), (D(2026, 12, 2), "imported")]


# --- cancellation -----------------------------------------------------------------------


def test_cancelled_exactly_two_years_after_the_suspension_and_not_the_day_before():
    p = permit(1, D(2024, 3, 10), status="suspended", suspended_on=D(2024, 3, 10))
    run(D(2026, 3, 9))
    p.refresh_from_db()
    assert p.status == "suspended"
    assert run(D(2026, 3, 10))["cancelled"] == 1
    p.refresh_from_db()
    assert (p.status, p.cancelled_on, p.cancel_reason) == ("cancelled", D(2026, 3, 10), "suspended_two_years")
    [event] = events(p, "cancelled")
    assert (event.on, event.data) == (D(2026, 3, 10), {"reason": "suspended_two_years"})
    [audit] = audits(p)
    assert audit.person_index == person_index(p.id_number)
    assert audit.data == {
        "permit": p.number,
        "action": "cancel",
        "status_from": "suspended",
        "status_to": "cancelled",
        "reason": "suspended_two_years",
    }


def test_suspended_on_29_february_is_cancelled_on_28_february_two_years_later():
    p = permit(1, D(2024, 2, 29), status="suspended", suspended_on=D(2024, 2, 29))
    run(D(2026, 2, 27))
    p.refresh_from_db()
    assert p.status == "suspended"
    run(D(2026, 2, 28))
    p.refresh_from_db()
    assert (p.status, p.cancelled_on) == ("cancelled", D(2026, 2, 28))


def test_a_late_run_dates_each_cancellation_two_years_after_its_suspension():
    # The daily jobs did not run for months: each permit is cancelled as of its own date,
    # 29 February to 28 February (worked out by hand).
    dates = {1: D(2024, 2, 29), 2: D(2024, 3, 1), 3: D(2024, 6, 30)}
    permits = {n: permit(n, d, status="suspended", suspended_on=d) for n, d in dates.items()}
    assert run(D(2026, 9, 1))["cancelled"] == 3
    cancelled = {n: Permit.objects.get(pk=p.pk).cancelled_on for n, p in permits.items()}
    assert cancelled == {1: D(2026, 2, 28), 2: D(2026, 3, 1), 3: D(2026, 6, 30)}
    assert {n: [e.on for e in events(p, "cancelled")] for n, p in permits.items()} == {
        1: [D(2026, 2, 28)],
        2: [D(2026, 3, 1)],
        3: [D(2026, 6, 30)],
    }


def test_the_cutoff_agrees_with_the_rule_on_every_day_of_eight_years():
    day = D(2025, 1, 1)
    while day < D(2033, 1, 1):
        cutoff = sweeps.cancellation_cutoff(day)
        assert cancellation_day(cutoff) <= day < cancellation_day(cutoff + dt.timedelta(days=1)), day
        day += dt.timedelta(days=1)


def test_a_permit_lapsed_over_two_years_ago_is_suspended_then_cancelled_in_one_run():
    p = permit(1, D(2023, 5, 1))
    result = run(D(2026, 3, 10))
    assert (result["suspended"], result["cancelled"]) == (1, 1)
    p.refresh_from_db()
    # Cancelled as of two years after the lapse (API.md), though only found on 2026-03-10.
    assert (p.status, p.suspended_on, p.cancelled_on) == ("cancelled", D(2023, 5, 1), D(2025, 5, 1))
    assert [e.kind for e in PermitEvent.objects.filter(permit=p).order_by("id")] == ["suspended", "cancelled"]
    assert len(audits(p)) == 2


# --- messages and reruns ----------------------------------------------------------------


def test_the_holder_is_told_of_the_suspension_and_the_cancellation_once():
    user = holder(1, "13800000001")
    p = permit(1, D(2026, 3, 10))
    permit(2, D(2026, 3, 10))  # no account: nothing to tell, nothing fails
    run(D(2026, 3, 10))
    run(D(2026, 3, 10))
    [message] = Message.objects.filter(user=user, key="permit_suspended")
    assert message.params == {
        "number": p.number,
        "endorsed_until": "2026-03-10",
        "opens": "2026-03-10",
        "closes": "2028-03-09",
    }
    assert [m["to"] for m in sms.outbox] == ["13800000001"]
    assert p.number in sms.outbox[0]["text"] and "2028-03-09" in sms.outbox[0]["text"]
    assert SmsMessage.objects.get(purpose="permit").status == "sent"
    run(D(2028, 3, 10))
    [cancelled] = Message.objects.filter(user=user, key="permit_cancelled")
    assert cancelled.params["number"] == p.number
    assert len(sms.outbox) == 2


def test_a_holder_without_an_account_is_told_by_sms_at_the_mobile_of_the_application():
    """An outsider's counter applicant, with no account, heard nothing of endorsing until the permit
    was suspended; one with neither an account nor an application is not told (no number known)."""
    from residence.applications.models import Person

    Person.objects.create(id_number=id_for(1), name="赵强", phone="13722220002", created_at=clock.now())
    Person.objects.create(id_number=id_for(2), name="钱七", phone="", created_at=clock.now())
    day = D(2026, 3, 1)
    reached, no_number = permit(1, day + dt.timedelta(days=60)), permit(2, day + dt.timedelta(days=60))
    permit(3, day + dt.timedelta(days=60))  # no person at all
    assert run(day)["permits_reminded"] == 1
    [opening] = [m for m in sms.outbox if m["to"] == "13722220002"]
    assert reached.number in opening["text"] and "2026-04-29" in opening["text"]
    assert len(sms.outbox) == 1 and not Message.objects.filter(key__startswith="permit").exists()
    run(D(2026, 4, 30))  # the anniversary: suspended, and told so
    suspended = [m["text"] for m in sms.outbox if m["to"] == "13722220002"][-1]
    assert reached.number in suspended and "2028-04-29" in suspended
    assert no_number.number not in "".join(m["text"] for m in sms.outbox)


def test_reminders_when_the_window_opens_and_30_and_7_days_before_it_closes():
    day = D(2026, 3, 1)
    users = {days: holder(days, f"138000001{days:02d}") for days in (60, 59, 31, 8, 7)}
    permits = {days: permit(days, day + dt.timedelta(days=days)) for days in users}
    result = run(day)
    assert result["permits_reminded"] == 3
    for days in (59, 7):
        assert not Message.objects.filter(user=users[days]).exclude(key="welcome").filter(key__startswith="permit")
    [opening] = Message.objects.filter(user=users[60], key="permit_window_open")
    assert opening.params == {
        "number": permits[60].number,
        "opens": "2026-03-01",
        "closes": "2026-04-29",
        "endorsed_until": "2026-04-30",
        "days": 59,
    }
    [thirty] = Message.objects.filter(user=users[31], key="permit_window_closing")
    assert (thirty.params["closes"], thirty.params["days"]) == ("2026-03-31", 30)
    [seven] = Message.objects.filter(user=users[8], key="permit_window_closing")
    assert (seven.params["closes"], seven.params["days"]) == ("2026-03-08", 7)
    assert sorted(m["to"] for m in sms.outbox) == ["13800000108", "13800000131", "13800000160"]
    before = state()
    again = run(day)
    assert again["permits_reminded"] == 0 and state() == before and len(sms.outbox) == 3


def test_a_day_run_again_reminds_the_holders_of_permits_imported_since_and_no_one_twice():
    """An outsider imported a permit whose window closed in 7 days after the day's run: the day
    run again told nobody, and the next day is 6 days."""
    day = D(2026, 3, 1)
    first, late = holder(8, "13800000108"), holder(9, "13800000109")
    permit(8, day + dt.timedelta(days=8))
    assert run(day)["permits_reminded"] == 1
    imported = permit(9, day + dt.timedelta(days=8))
    Permit.objects.filter(pk=imported.pk).update(updated_at=clock.now())  # as an import stamps it
    assert run(day)["permits_reminded"] == 1
    for user in (first, late):
        [told] = Message.objects.filter(user=user, key="permit_window_closing")
        assert told.params["days"] == 7
    assert sorted(m["to"] for m in sms.outbox) == ["13800000108", "13800000109"]
    before = state()
    assert run(day)["permits_reminded"] == 0 and state() == before
    # A department correcting another field of a permit told already does not have it told again
    # (a second outsider's corrected issue date did).
    Permit.objects.filter(id_number=id_for(8)).update(source=Permit.Source.IMPORT)
    told = Permit.objects.get(id_number=id_for(8))
    row = {"id_number": told.id_number, "number": told.number, "issued_on": "2024-03-09", "status": "active"}
    assert records_import_rows("permits", [{**row, "endorsed_until": told.endorsed_until.isoformat()}]).applied
    assert Permit.objects.get(pk=told.pk).issued_on == D(2024, 3, 9)
    assert run(day)["permits_reminded"] == 0 and len(sms.outbox) == 2


def test_a_permit_imported_past_its_last_reminder_is_told_at_the_import_once(settings):
    """An outsider migrated permits on 2026-12-02 whose windows closed within days: the last
    reminder (7 days before the close) had passed, and the first word was the suspension. Worked
    by hand: anniversary 2026-12-05, window 2026-10-06 to 2026-12-04, its last reminder due
    2026-11-27, so told at the import, 2 days left; anniversary 2026-12-11, last reminder due
    2026-12-03, so left to that day's run."""
    settings.FROZEN_TODAY = "2026-12-02"
    soon, later = holder(11, "13800000111"), holder(12, "13800000112")
    rows = [
        {"id_number": id_for(11), "number": "SZP000000011", "issued_on": "2025-12-05", "endorsed_until": "2026-12-05"},
        {"id_number": id_for(12), "number": "SZP000000012", "issued_on": "2025-12-11", "endorsed_until": "2026-12-11"},
    ]
    assert committed(lambda: records_import_rows("permits", [{**r, "status": "active"} for r in rows])).applied
    [told] = Message.objects.filter(user=soon, key__startswith="permit_")
    assert told.key == "permit_window_closing" and (told.params["closes"], told.params["days"]) == ("2026-12-04", 2)
    assert not Message.objects.filter(user=later, key__startswith="permit_").exists()
    assert [m["to"] for m in sms.outbox] == ["13800000111"]
    # Sent again, the file changes nothing and tells no one again; the day's run neither.
    assert committed(lambda: records_import_rows("permits", [{**r, "status": "active"} for r in rows])).applied
    run(D(2026, 12, 2))
    assert Message.objects.filter(user=soon, key__startswith="permit_").count() == 1 and len(sms.outbox) == 1
    settings.FROZEN_TODAY = "2026-12-03"
    run(D(2026, 12, 3))
    assert Message.objects.get(user=later, key__startswith="permit_").params["days"] == 7


def test_reminders_of_days_the_job_did_not_run_are_sent_by_the_next_run_once():
    """An outsider skipped 2027-01-14, the day a window opened, and its holder was never told.
    By hand: endorsed until 2027-03-15 → the window opens 2027-01-14 (60 days before) and closes
    2027-03-14; the 30-day reminder is due 2027-02-12 (31 days before the anniversary)."""
    user = holder(1, "13800000001")
    p = permit(1, D(2027, 3, 15))
    run(D(2027, 1, 13))
    assert not Message.objects.filter(user=user, key="permit_window_open").exists()
    run(D(2027, 1, 15))  # 2027-01-14 skipped
    [opening] = Message.objects.filter(user=user, key="permit_window_open")
    assert (opening.params["number"], opening.params["opens"], opening.params["closes"]) == (
        p.number,
        "2027-01-14",
        "2027-03-14",
    )
    run(D(2027, 1, 14))  # the skipped day, run afterwards: already covered
    run(D(2027, 1, 15))
    assert Message.objects.filter(user=user, key="permit_window_open").count() == 1
    run(D(2027, 2, 14))  # 2027-01-16 … 2027-02-13 skipped: the 30-day reminder, 28 days left now
    [closing] = Message.objects.filter(user=user, key="permit_window_closing")
    assert (closing.params["closes"], closing.params["days"]) == ("2027-03-14", 28)
    assert "2027-03-14" in sms.outbox[-1]["text"], sms.outbox
    assert len(sms.outbox) == 2


def test_a_caught_up_run_sends_only_the_most_urgent_reminder():
    """An outsider's holder got the 30-day and the 7-day reminder together after a gap. By hand:
    endorsed until 2027-04-10, the 30-day reminder is due 2027-03-10, the 7-day one 2027-04-02."""
    user = holder(1, "13800000001")
    permit(1, D(2027, 4, 10))
    run(D(2027, 3, 8))
    run(D(2027, 4, 3))  # 2027-03-09 … 2027-04-02 skipped: both fell in the gap
    [closing] = Message.objects.filter(user=user, key="permit_window_closing")
    assert closing.params["days"] == 6 and len(sms.outbox) == 1


def test_a_reminder_on_the_windows_last_day_but_one_says_one_day():
    # An outsider's reminder read "1 days left to endorse…".
    from django.utils import translation

    from residence.notifications.catalogue import render_message
    from residence.notifications.services import sms_text

    user = holder(1, "13800000001")
    permit(1, D(2027, 4, 10))  # the window closes 2027-04-09
    run(D(2027, 3, 8))
    run(D(2027, 4, 8))  # the 7-day reminder, caught up a day before the window closes
    [closing] = Message.objects.filter(user=user, key="permit_window_closing")
    with translation.override("en"):
        assert render_message(closing.key, closing.params)[1].startswith("1 day is left to endorse")
        assert render_message(closing.key, {**closing.params, "days": 7})[1].startswith("7 days are left")
    assert "1 day left to endorse" in sms_text(closing.key, language="en", **closing.params)
    assert "还剩 1 天" in sms_text(closing.key, language="zh-hans", **closing.params)


def test_a_reminder_on_the_windows_last_day_says_today_is_the_last_day():
    """An outsider's caught-up reminder on the window's last day read "0 days left", though that
    day still counts. By hand: endorsed until 2027-04-10, the window closes 2027-04-09."""
    from residence.notifications.services import sms_text

    user = holder(1, "13800000001")
    permit(1, D(2027, 4, 10))
    run(D(2027, 3, 8))
    run(D(2027, 4, 9))
    assert not Message.objects.filter(user=user, key="permit_window_closing").exists()
    [last] = Message.objects.filter(user=user, key="permit_window_last_day")
    assert last.params["closes"] == "2027-04-09"
    assert sms.outbox[-1]["text"] == sms_text(last.key, language="zh-hans", **last.params)
    assert "今天（2027-04-09）是" in sms.outbox[-1]["text"] and "最后一天" in sms.outbox[-1]["text"]
    assert "Today, 2027-04-09, is the last day" in sms_text(last.key, language="en", **last.params)


def test_a_permit_cancelled_in_the_run_that_suspends_it_is_told_of_the_cancellation_only():
    user = holder(1, "13800000001")
    p = permit(1, D(2024, 3, 1))  # an import: lapsed 2024-03-01, so cancelled on 2026-03-01
    run(D(2026, 3, 10))
    p.refresh_from_db()
    assert p.status == "cancelled"
    keys = list(Message.objects.filter(user=user, key__startswith="permit").values_list("key", flat=True))
    assert keys == ["permit_cancelled"] and len(sms.outbox) == 1


def test_a_first_run_does_not_send_the_reminders_of_days_before_the_platform():
    user = holder(1, "13800000001")
    permit(1, D(2027, 3, 14))  # its window opened 2027-01-13
    run(D(2027, 1, 15))
    assert not Message.objects.filter(user=user, key="permit_window_open").exists()


def test_a_rerun_of_the_day_changes_nothing():
    holder(1, "13800000001")
    permit(1, D(2026, 3, 10))
    permit(2, D(2024, 3, 9), status="suspended", suspended_on=D(2024, 3, 9))
    permit(3, D(2026, 5, 9))  # window opens on 2026-03-10
    first = run(D(2026, 3, 10))
    assert (first["suspended"], first["cancelled"]) == (1, 1)
    before = state()
    second = run(D(2026, 3, 10))
    assert (second["suspended"], second["cancelled"], second["permits_reminded"]) == (0, 0, 0)
    assert state() == before
    assert all(run.finished_at for run in SweepRun.objects.filter(date=D(2026, 3, 10)))


def test_chunks_cover_every_row_once(settings):
    settings.PERMIT_SWEEP_CHUNK = 2
    made = [permit(i, D(2026, 3, 10) - dt.timedelta(days=i % 3)) for i in range(1, 8)]
    assert sweeps.permits_suspend(D(2026, 3, 10)) == 7
    run = SweepRun.objects.get(name=sweeps.SUSPEND, date=D(2026, 3, 10))
    assert run.processed == 7 and run.finished_at is not None
    for p in made:
        assert len(events(p, "suspended")) == 1 and len(audits(p)) == 1


def test_a_crash_between_chunks_loses_only_the_chunk_in_flight_and_the_rerun_resumes(settings, monkeypatch):
    settings.PERMIT_SWEEP_CHUNK = 2
    made = [permit(i, D(2026, 3, 10)) for i in range(1, 6)]
    calls = []
    real = sweeps._audit

    def crash_on_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(sweeps, "_audit", crash_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        sweeps.permits_suspend(D(2026, 3, 10))
    assert Permit.objects.filter(status="suspended").count() == 2
    assert SweepRun.objects.get(name=sweeps.SUSPEND).processed == 2
    monkeypatch.setattr(sweeps, "_audit", real)
    # The rerun's report gives its own part and the day's total (an outsider's rerun read only
    # its own part and thought three fifths of the work lost).
    lines = []
    counts = committed(lambda: daily_jobs_run(D(2026, 3, 10), report=lines.append))
    assert counts["suspended"] == 3
    assert "2026-03-10：本次运行中止到期未签注的居住证 3 张，当日合计 5 张" in lines
    for p in made:
        assert len(events(p, "suspended")) == 1 and len(audits(p)) == 1
    assert SweepRun.objects.get(name=sweeps.SUSPEND).processed == 5


def test_imported_permits_are_swept_the_same_way(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    rows = [
        {"id_number": id_for(1), "number": "440300201900001", "issued_on": "2019-03-10",
         "endorsed_until": "2026-03-10", "status": "active"},
        {"id_number": id_for(2), "number": "440300201900002", "issued_on": "2019-01-05",
         "endorsed_until": "2024-03-10", "status": "suspended"},
    ]  # fmt: skip
    assert records_import_rows("permits", rows).applied
    run(D(2026, 3, 10))
    active, suspended = Permit.objects.get(number="440300201900001"), Permit.objects.get(number="440300201900002")
    assert (active.source, active.status, active.suspended_on) == ("import", "suspended", D(2026, 3, 10))
    assert (suspended.status, suspended.cancelled_on) == ("cancelled", D(2026, 3, 10))
    assert len(events(active, "suspended")) == 1 and len(events(suspended, "cancelled")) == 1


# --- kill -9 ----------------------------------------------------------------------------


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _run_jobs(day: dt.date, chunk: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.test",
        "PERMIT_SWEEP_CHUNK": str(chunk),
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_daily_jobs", "--date", day.isoformat()],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")  # an earlier transactional test's flush emptied the calendar
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second process on the test database: PostgreSQL")
def test_a_worker_killed_mid_sweep_and_rerun_suspends_each_permit_once():
    day, n = D(2026, 3, 10), 20000
    users = [holder(i, f"139000000{i:02d}") for i in range(1, 4)]
    Permit.objects.bulk_create(
        Permit(
            number=f"4403002020{i:06d}",
            id_number=id_for(i),
            name="测试",
            issued_on=D(2025, 3, 10),
            anniversary_base=D(2025, 3, 10),
            endorsed_until=day - dt.timedelta(days=i % 5),
            continuous_since=D(2025, 3, 10),
            status="active",
            created_at=dt.datetime(2025, 3, 10, tzinfo=dt.UTC),
        )
        for i in range(1, n + 1)
    )
    worker = _run_jobs(day, chunk=50)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and worker.poll() is None:
        if SweepRun.objects.filter(name=sweeps.SUSPEND, date=day, processed__gt=0).exists():
            break
        time.sleep(0.005)
    time.sleep(0.2)  # well into the sweep, a chunk in flight
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert worker.returncode == -signal.SIGKILL, worker.stderr.read().decode()
    done_at_kill = Permit.objects.filter(status="suspended").count()
    assert 0 < done_at_kill < n, "the worker was not killed in the middle of the sweep"
    assert SweepRun.objects.get(name=sweeps.SUSPEND, date=day).finished_at is None

    rerun = _run_jobs(day, chunk=50)
    _out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()

    assert Permit.objects.filter(status="suspended").count() == n
    assert PermitEvent.objects.filter(kind="suspended").count() == n
    assert PermitEvent.objects.filter(kind="suspended").values("permit").distinct().count() == n
    suspensions = AuditEvent.objects.filter(type="permit_changed", data__action="suspend")
    assert suspensions.count() == n
    assert suspensions.values("data__permit").distinct().count() == n
    for user in users:
        assert Message.objects.filter(user=user, key="permit_suspended").count() == 1
    assert SmsMessage.objects.filter(purpose="permit").count() == len(users)
    run = SweepRun.objects.get(name=sweeps.SUSPEND, date=day)
    assert run.processed == n and run.finished_at is not None


def test_a_holder_whose_endorsement_waits_for_a_department_is_not_reminded_to_endorse():
    """An outsider endorsed on 2028-05-10, the police to check by 2028-05-15, and was told on
    2028-05-31 "today is the last day to endorse"."""
    waiting, other = holder(1, "13800000001"), holder(2, "13800000002")
    asked = permit(1, D(2028, 6, 1))
    permit(2, D(2028, 6, 1))
    pending_check(asked, D(2028, 5, 10), due_on=D(2028, 5, 15))
    run(D(2028, 5, 8))
    assert run(D(2028, 5, 31))["permits_reminded"] == 1  # the 7-day reminder, caught up on the last day
    assert Message.objects.filter(user=other, key="permit_window_last_day").exists()
    assert not Message.objects.filter(user=waiting, key__startswith="permit_window").exists()


def test_a_second_run_of_the_day_started_at_once_reminds_no_one_twice(monkeypatch):
    """An outsider's two runs of one day, started together, each made a whole pass of a reminder:
    six holders got each SMS twice. Here the other run finishes the day's reminders after this
    one has started and before it reaches them."""
    day = D(2026, 3, 1)
    user = holder(1, "13800000001")
    permit(1, day + dt.timedelta(days=60))  # its window opens on the day
    original, started = sweeps._reminder_days, []

    def the_other_run_finishes_first(name, on):
        if not started:
            started.append(name)
            run(on)
        return original(name, on)

    monkeypatch.setattr(sweeps, "_reminder_days", the_other_run_finishes_first)
    run(day)
    assert Message.objects.filter(user=user, key="permit_window_open").count() == 1
    assert [m["to"] for m in sms.outbox] == ["13800000001"]
