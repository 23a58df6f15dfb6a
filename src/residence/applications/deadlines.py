"""The statutory clock of an application (RULES §4): which step's deadline starts or ends with
each action, kept as `Deadline` rows; the dates come from `rules.due` and the calendar."""

import datetime as dt

from django.db import transaction
from django.db.models import OuterRef, Subquery

from residence.core import workdays

from . import documents, notices, rules
from .models import CLOSED_STATUSES, Application, Deadline, Status, Step, Verification


def _deadline(application, step: str, start: dt.date, calendar, version: str, days_key: str = "") -> Deadline:
    """An unsaved deadline of `step` counted from `start` (RULES §4)."""
    working_days = rules.STEP_DAYS[days_key or step]
    due = rules.due(calendar, start, working_days)
    return Deadline(
        application=application,
        step=step,
        start_on=start,
        working_days=working_days,
        due_on=due.date,
        provisional=due.provisional,
        calendar_version=version,
    )


def for_new(application: Application, today: dt.date) -> list[Deadline]:
    """The deadlines a new application starts with, unsaved, one calendar read for all; the
    whole deadline's date is set on the application (fee-bearing kinds start it at payment)."""
    version, calendar = workdays.get_versioned_calendar()
    steps = [Step.VERIFICATION, Step.REFUSAL] + ([] if application.fee_amount else [Step.WHOLE])
    deadlines = [_deadline(application, step, today, calendar, version) for step in steps]
    for deadline in deadlines:
        if deadline.step == Step.WHOLE:
            application.due_date, application.due_date_provisional = deadline.due_on, deadline.provisional
    return deadlines


def _start(application: Application, step: str, start: dt.date, days_key: str = "") -> None:
    version, calendar = workdays.get_versioned_calendar()
    deadline = _deadline(application, step, start, calendar, version, days_key)
    Deadline.objects.update_or_create(
        application=application,
        step=step,
        defaults={
            "start_on": start,
            "working_days": deadline.working_days,
            "due_on": deadline.due_on,
            "provisional": deadline.provisional,
            "calendar_version": version,
            "done_on": None,
        },
    )
    if step == Step.WHOLE:
        application.due_date, application.due_date_provisional = deadline.due_on, deadline.provisional
        Application.objects.filter(pk=application.pk).update(
            due_date=deadline.due_on, due_date_provisional=deadline.provisional
        )


def _no_later_than(application: Application, step: str, bound: str) -> None:
    """Step `step` counted as `bound` (its start and working days) when `bound` falls due first,
    so that a recomputation keeps the two together."""
    rows = {
        row.step: row
        for row in Deadline.objects.filter(application=application, step__in=(step, bound), done_on__isnull=True)
    }
    if bound in rows and step in rows and rows[bound].due_on < rows[step].due_on:
        first = rows[bound]
        Deadline.objects.filter(pk=rows[step].pk).update(
            start_on=first.start_on,
            working_days=first.working_days,
            due_on=first.due_on,
            provisional=first.provisional,
            calendar_version=first.calendar_version,
        )


def _done(application: Application, today: dt.date, *steps: str, moot: bool = False) -> None:
    """Close open steps (all, or `steps`): done today, or `moot` when they will never take place."""
    open_deadlines = Deadline.objects.filter(application=application, done_on__isnull=True)
    if steps:
        open_deadlines = open_deadlines.filter(step__in=steps)
    open_deadlines.update(done_on=today, moot=moot)


def on_transition(application: Application, *, action: str, before: str, today: dt.date) -> None:
    status = application.status
    if action == "verify" and status == "reviewing":
        _done(application, today, Step.VERIFICATION)
        _start(application, Step.REVIEW, today)
        if application.verifications.filter(status=Verification.Outcome.NOT_CONFIRMED).exists():
            # A check not confirmed points to a refusal, whose reasons are due 7 working days from
            # acceptance (RULES §4): a review begun after that date is overdue from its start.
            _no_later_than(application, Step.REVIEW, Step.REFUSAL)
    elif action == "approve":
        _done(application, today, Step.REVIEW)
        _done(application, today, Step.REFUSAL, moot=True)
        if status == "approved":
            _start(application, Step.PRODUCTION, today)
    elif action == "pay":
        _start(application, Step.WHOLE, today, "whole_after_payment")
        _start(application, Step.PRODUCTION, today)
    elif action == "produce":
        _done(application, today, Step.PRODUCTION)
        _start(application, Step.DELIVERY, today)
    elif action in ("receive", "deliver"):
        _done(application, today, Step.DELIVERY)
    if status in CLOSED_STATUSES:
        # A refusal's reasons are given with it, and a refusal or a hand-over decides the whole;
        # a withdrawn or terminated application's open steps never take place.
        _done(application, today, moot=status in (Status.WITHDRAWN, Status.TERMINATED))


def written_reply_requested(application: Application, today: dt.date) -> dt.date:
    _start(application, Step.WRITTEN_REPLY, today)
    return Deadline.objects.get(application=application, step=Step.WRITTEN_REPLY).due_on


def written_reply_recorded(application: Application, today: dt.date) -> None:
    _done(application, today, Step.WRITTEN_REPLY)


def recompute(today: dt.date, chunk_size: int = 500) -> int:
    """Every open deadline computed with another calendar version, again with the current one;
    the dates copied from them (verification due dates, applications' due dates) and the
    documents rebuilt. Returns how many deadlines were recomputed.

    A chunk of applications at a time, each in its own transaction that locks the applications
    first, in order, as every step locks its application before its deadlines: a recompute racing
    staff actions waits for them instead of deadlocking (an outsider's saved the calendar, then
    died of a deadlock with every deadline left on the old one, and a staff action got a 500).
    What a recompute cut short leaves is still stale, and the next call finishes it. The calendar
    is read again for each chunk, so that two changes in a row end on the last. Passed deadlines
    and those a change would make late after the fact: `workdays.due_after_change`."""
    changed = 0
    while True:
        version, calendar = workdays.get_versioned_calendar()
        stale = Deadline.objects.filter(done_on__isnull=True).exclude(calendar_version=version)
        ids = list(stale.order_by("application_id").values_list("application_id", flat=True).distinct()[:chunk_size])
        if not ids:
            return changed
        with transaction.atomic():
            list(Application.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
            chunk = list(stale.filter(application_id__in=ids))
            for deadline in chunk:
                deadline.calendar_version = version
                due = rules.due(calendar, deadline.start_on, deadline.working_days)
                new = workdays.due_after_change(deadline.due_on, due.date, today)
                if deadline.due_on < today and new == deadline.due_on:
                    continue  # passed, and passed still: as it was
                if new != deadline.due_on:
                    # Reminded of and escalated for another day: told again of the new one.
                    deadline.reminded_on = deadline.escalated_on = None
                deadline.due_on, deadline.provisional = new, due.provisional
            Deadline.objects.bulk_update(
                chunk, ["due_on", "provisional", "calendar_version", "reminded_on", "escalated_on"]
            )
            verification_due = Deadline.objects.filter(application=OuterRef("application"), step=Step.VERIFICATION)
            Verification.objects.filter(application_id__in=ids, status=Verification.Outcome.PENDING).update(
                due_on=Subquery(verification_due.values("due_on")[:1])
            )
            whole = Deadline.objects.filter(application=OuterRef("pk"), step=Step.WHOLE, done_on__isnull=True)
            dated = Application.objects.filter(pk__in=ids, due_date__isnull=False).exclude(status__in=CLOSED_STATUSES)
            told = dict(dated.values_list("pk", "due_date"))
            dated.update(
                due_date=Subquery(whole.values("due_on")[:1]),
                due_date_provisional=Subquery(whole.values("provisional")[:1]),
            )
            documents.refresh_many(ids)
            # The date the applicant was given (a receipt, a message) moved: told so, with the new one
            # (an outsider's counter applicant, without an account, had only the receipt's old date).
            moved = [a for a in dated.select_related("person", "acceptance_point") if a.due_date != told.get(a.pk)]
            if moved:
                notices.send_many(moved, "application_due_changed")
        changed += len(chunk)
