"""The applications' part of `run_daily_jobs`: payment time-outs, renewals of cancelled permits
ended, reminders of items due the next day and escalation of overdue ones. Each marks what it
has done, so a rerun does nothing."""

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef

from residence.accounts.models import Kind, Role, Status
from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core.errors import Conflict
from residence.notifications.services import listed, message_send
from residence.permits.models import Permit

from . import selectors, workflow
from .models import CARD_KINDS, OPEN_STATUSES, Application, Deadline, PaymentStatus, StatusChange, Verification

STEP_ROLES = {"review": Role.REVIEWER, "written_reply": Role.REVIEWER, "refusal": Role.REVIEWER}
DELIVERY_ROLES = {
    "in_production": Role.PRODUCTION,
    "out_for_delivery": Role.COURIER,
    "dispatched": Role.CLERK,
    "ready_for_pickup": Role.CLERK,
}


def payments_expire(today: dt.date) -> int:
    """Terminate every application whose 15 days to pay ended before `today` (RULES §5)."""
    expired = Application.objects.filter(
        status="awaiting_payment", payment_status=PaymentStatus.AWAITING, payment_due_on__lt=today
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(expired):
        try:
            workflow.application_transition(application_id=pk, action="terminate", actor=None)
        except Conflict:
            continue  # paid or terminated meanwhile (a second run of the jobs, or a late payment's own)
        count += 1
    return count


def renewals_of_cancelled_permits_end(today: dt.date, *, id_number: str = "") -> int:
    """End every open exchange or replacement whose holder's permit has been cancelled and who
    holds no live one: its card can no longer be made (RULES §9), and it blocked the
    re-application that is now the way back (RULES §10). With `id_number`, that person's only."""
    live = Permit.objects.filter(
        id_number=OuterRef("person__id_number"), status__in=(Permit.Status.ACTIVE, Permit.Status.SUSPENDED)
    )
    cancelled = Permit.objects.filter(
        id_number=OuterRef("person__id_number"), status=Permit.Status.CANCELLED, cancelled_on__lte=today
    )
    renewals = Application.objects.filter(kind__in=CARD_KINDS, status__in=OPEN_STATUSES)
    if id_number:
        renewals = renewals.filter(person__id_number=id_number)
    ended = renewals.filter(Exists(cancelled)).exclude(Exists(live)).values_list("pk", flat=True)
    count = 0
    for pk in list(ended):
        try:
            workflow.application_transition(application_id=pk, action="end_with_permit", actor=None)
        except Conflict:
            continue  # ended meanwhile (a second run of the jobs)
        count += 1
    return count


def production_batch(today: dt.date) -> int:
    """Applications approved by `today` and not yet in a batch go into that day's card-production
    batch: approved by the reviewer, or for a fee by its payment (a run for a past day batched
    those approved since, and those paid since: outsiders)."""
    next_midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    approved_by_then = StatusChange.objects.filter(application=OuterRef("pk"), status="approved", at__lt=next_midnight)
    return (
        Application.objects.filter(status="approved", production_batch__isnull=True)
        .filter(Exists(approved_by_then))
        .update(production_batch=today)
    )


def _staff(role: str, **scope):
    return get_user_model().objects.filter(kind=Kind.STAFF, status=Status.ACTIVE, role=role, **scope)


# The whole application's limit is the turn of whoever holds it now (an outsider's card waited at
# the point past it, and the job "reminded" nobody: the clerk was never told).
WHOLE_STEP_BY_STATUS = {
    "accepted": "verification",
    "verifying": "verification",
    "reviewing": "review",
    "approved": "production",
    "in_production": "delivery",
    "dispatched": "delivery",
    "ready_for_pickup": "delivery",
    "out_for_delivery": "delivery",
}


def _recipients(deadline: Deadline):
    application = deadline.application
    step = deadline.step
    # The refusal's limit is the reviewer's once the case is his; before, it is whoever holds it (an
    # outsider's reviewer was told of a case still waiting for the departments).
    if step == "whole" or (step == "refusal" and application.status != "reviewing"):
        step = WHOLE_STEP_BY_STATUS.get(application.status, "")
    if step == "verification":
        departments = Verification.objects.filter(application=application, status="pending").values("department")
        return _staff(Role.VERIFIER, department__in=departments)
    if step in STEP_ROLES:
        return _staff(STEP_ROLES[step])
    if step == "production":
        return _staff(Role.PRODUCTION)
    if step == "delivery":
        role = DELIVERY_ROLES.get(application.status)
        scope = {"point_id": application.acceptance_point_id} if role == Role.CLERK else {}
        return _staff(role, **scope) if role else _staff(Role.SUPERVISOR).none()
    return _staff(Role.SUPERVISOR).none()


def _tell(per_user: dict, key: str, **params) -> None:
    for user, references in per_user.items():
        message_send(user=user, key=key, count=len(references), references=listed(references), **params)


def _open_steps(today: dt.date, **due) -> list[Deadline]:
    """The open deadlines `due` selects, locked, that staff can take: not those of an exchange or a
    replacement held up by its holder's permit (selectors.renewal_hold), which no one can take until
    the holder endorses it, and which were reminded and escalated as the staff's delay (an
    outsider). Left unmarked, they are reminded or escalated once the hold ends, if still due."""
    deadlines = (
        Deadline.objects.select_for_update(of=("self",))
        .filter(done_on__isnull=True, **due)
        .select_related("application__person")
    )
    return [
        d
        for d in deadlines
        if d.application.kind not in CARD_KINDS
        or not selectors.renewal_hold(
            id_number=d.application.person.id_number,
            kind=d.application.kind,
            status=d.application.status,
            today=today,
        )
    ]


@transaction.atomic
def deadlines_remind(today: dt.date, tomorrow: dt.date) -> int:
    due = _open_steps(today, due_on=tomorrow, reminded_on__isnull=True)
    per_user = defaultdict(set)
    for deadline in due:
        for user in _recipients(deadline):
            per_user[user].add(deadline.application.reference)
    _tell(per_user, "deadline_due_next", day=tomorrow.isoformat())
    Deadline.objects.filter(pk__in=[d.pk for d in due]).update(reminded_on=today)
    return len(due)


@transaction.atomic
def deadlines_escalate(today: dt.date) -> int:
    overdue = _open_steps(today, due_on__lt=today, escalated_on__isnull=True)
    if not overdue:
        return 0
    # The message counts steps, as the job's report does (one application may have two overdue).
    references = listed(d.application.reference for d in overdue)
    for supervisor in _staff(Role.SUPERVISOR):
        message_send(user=supervisor, key="deadline_overdue", count=len(overdue), references=references)
    # And those whose step it is, of theirs: after days the job did not run they had no reminder,
    # and only the supervisor heard (an outsider's verifiers were never told).
    own = defaultdict(list)
    for deadline in overdue:
        for user in _recipients(deadline):
            if user.role != Role.SUPERVISOR:
                own[user].append(deadline.application.reference)
    for user, theirs in own.items():
        message_send(user=user, key="deadline_overdue", count=len(theirs), references=listed(theirs))
    Deadline.objects.filter(pk__in=[d.pk for d in overdue]).update(escalated_on=today)
    audit_record(
        type=AuditEventType.DEADLINE_ESCALATED,
        count=len(overdue),
        steps=sorted({f"{d.application.reference}:{d.step}" for d in overdue})[:200],
    )
    return len(overdue)
