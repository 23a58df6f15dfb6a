"""The statutory clock of an application (RULES §4): which step's deadline starts or ends with
each action, kept as `Deadline` rows; the dates come from `rules.due` and the calendar."""

import datetime as dt

from django.db.models import OuterRef, Subquery

from residence.core import workdays

from . import rules
from .models import CLOSED_STATUSES, Application, Deadline, Step, Verification


def compute(start: dt.date, working_days: int) -> workdays.Deadline:
    return rules.due(workdays.get_calendar(), start, working_days)


def _start(application: Application, step: str, start: dt.date, days_key: str | None = None) -> None:
    working_days = rules.STEP_DAYS[days_key or step]
    due = compute(start, working_days)
    Deadline.objects.update_or_create(
        application=application,
        step=step,
        defaults={
            "start_on": start,
            "working_days": working_days,
            "due_on": due.date,
            "provisional": due.provisional,
            "calendar_version": workdays.current_version(),
            "done_on": None,
        },
    )
    if step == Step.WHOLE:
        application.due_date, application.due_date_provisional = due.date, due.provisional
        Application.objects.filter(pk=application.pk).update(due_date=due.date, due_date_provisional=due.provisional)


def _done(application: Application, today: dt.date, *steps: str) -> None:
    open_deadlines = Deadline.objects.filter(application=application, done_on__isnull=True)
    if steps:
        open_deadlines = open_deadlines.filter(step__in=steps)
    open_deadlines.update(done_on=today)


def on_transition(application: Application, *, action: str, before: str, today: dt.date) -> None:
    status = application.status
    if action == "submit":
        if not application.fee_amount:
            _start(application, Step.WHOLE, today)
        _start(application, Step.VERIFICATION, today)
        _start(application, Step.REFUSAL, today)
    elif action == "verify" and status == "reviewing":
        _done(application, today, Step.VERIFICATION)
        _start(application, Step.REVIEW, today)
    elif action == "approve":
        _done(application, today, Step.REVIEW, Step.REFUSAL)
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
        # A refusal's reasons are given with it; everything else open ends with the application.
        _done(application, today)


def written_reply_requested(application: Application, today: dt.date) -> dt.date:
    _start(application, Step.WRITTEN_REPLY, today)
    return Deadline.objects.get(application=application, step=Step.WRITTEN_REPLY).due_on


def written_reply_recorded(application: Application, today: dt.date) -> None:
    _done(application, today, Step.WRITTEN_REPLY)


def recompute(chunk_size: int = 2000) -> int:
    """Every open deadline computed with another calendar version, again with this one; then
    the dates copied from them (verification due dates, applications' due dates) in one
    UPDATE each. Returns how many deadlines were recomputed."""
    calendar = workdays.get_calendar()
    version = workdays.current_version()
    stale = Deadline.objects.filter(done_on__isnull=True).exclude(calendar_version=version)
    changed = 0
    while True:
        chunk = list(stale.order_by("pk")[:chunk_size])
        if not chunk:
            break
        for deadline in chunk:
            due = rules.due(calendar, deadline.start_on, deadline.working_days)
            deadline.due_on, deadline.provisional, deadline.calendar_version = due.date, due.provisional, version
        Deadline.objects.bulk_update(chunk, ["due_on", "provisional", "calendar_version"])
        changed += len(chunk)
    verification_due = Deadline.objects.filter(application=OuterRef("application"), step=Step.VERIFICATION)
    Verification.objects.filter(status=Verification.Outcome.PENDING).update(
        due_on=Subquery(verification_due.values("due_on")[:1])
    )
    whole = Deadline.objects.filter(application=OuterRef("pk"), step=Step.WHOLE, done_on__isnull=True)
    Application.objects.exclude(status__in=CLOSED_STATUSES).filter(due_date__isnull=False).update(
        due_date=Subquery(whole.values("due_on")[:1]), due_date_provisional=Subquery(whole.values("provisional")[:1])
    )
    return changed
