"""The lifecycle of an application: the one transition table and the one function that moves
an application along it (DESIGN.md §How 2). Nothing else writes `Application.status`.

`application_transition` checks who may take the action at all (403), locks the row, checks
that the actor may act on this one (403, or 404 for another citizen's application), checks
the table (409), applies the action's effect, writes the status, a history row and the audit
event in one transaction, keeps the deadlines, and queues the applicant's notice for after
the commit.
"""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residence.accounts.models import Kind as AccountKind
from residence.accounts.models import Role
from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock
from residence.core.errors import Conflict, Forbidden, NotFound

from . import deadlines, documents, effects, notices, selectors
from .models import OPEN_STATUSES, Application, Deadline, FamilyMember, Status

CITIZEN = "citizen"
SYSTEM = "system"
S = Status


@dataclass(frozen=True)
class Move:
    to: str | Callable[[Application], str]
    roles: frozenset[str]


def _after_verification(application: Application) -> str:
    return effects.status_after_verification(application)


def _after_approval(application: Application) -> str:
    return S.AWAITING_PAYMENT if application.fee_amount else S.APPROVED


def _after_dispatch(application: Application) -> str:
    return S.DISPATCHED if application.delivery_method == "pickup" else S.OUT_FOR_DELIVERY


def _moves(froms, action, to, *roles):
    return {(f, action): Move(to, frozenset(roles)) for f in froms}


TRANSITIONS: dict[tuple[str, str], Move] = {
    **_moves([S.ACCEPTED, S.VERIFYING], "verify", _after_verification, Role.VERIFIER),
    **_moves([S.REVIEWING], "approve", _after_approval, Role.REVIEWER),
    **_moves([S.REVIEWING], "reject", S.REJECTED, Role.REVIEWER),
    # Online by the applicant, or at the counter of the chosen point (a counter applicant may
    # have no account to pay with: an outsider's was asked to pay and had no way to).
    **_moves([S.AWAITING_PAYMENT], "pay", S.APPROVED, CITIZEN, Role.CLERK),
    **_moves([S.AWAITING_PAYMENT], "terminate", S.TERMINATED, SYSTEM),
    **_moves([S.APPROVED], "produce", S.IN_PRODUCTION, Role.PRODUCTION),
    **_moves([S.IN_PRODUCTION], "dispatch", _after_dispatch, Role.PRODUCTION),
    **_moves([S.DISPATCHED], "receive", S.READY_FOR_PICKUP, Role.CLERK),
    **_moves([S.READY_FOR_PICKUP], "hand_over", S.COMPLETED, Role.CLERK),
    **_moves([S.OUT_FOR_DELIVERY], "deliver", S.COMPLETED, Role.COURIER),
    # The courier could not deliver: the card goes to the acceptance point, collected there.
    **_moves([S.OUT_FOR_DELIVERY], "return", S.DISPATCHED, Role.COURIER),
    # By the applicant online, or at the counter of the chosen point on the applicant's request in
    # person (a counter applicant may have no account: an outsider's had no way to withdraw).
    **_moves([S.ACCEPTED, S.VERIFYING, S.REVIEWING], "withdraw", S.WITHDRAWN, CITIZEN, Role.CLERK),
    # The permit an exchange or a replacement renews was cancelled (RULES §9): no card can be made
    # of it, and the open application blocked the re-application for good (an outsider's, paid,
    # waited in "approved" for ever). The daily job ends it; a fee paid is given back.
    **_moves(OPEN_STATUSES, "end_with_permit", S.TERMINATED, SYSTEM),
}
ACTIONS = frozenset(action for _, action in TRANSITIONS)
ROLES_BY_ACTION = {action: move.roles for (_, action), move in TRANSITIONS.items()}


def staff_roles_of(action: str) -> tuple[str, ...]:
    """The staff roles that may take `action` (the API's endpoints refuse the others first)."""
    return tuple(sorted(ROLES_BY_ACTION[action] - {CITIZEN, SYSTEM}))


def role_may(actor, action: str) -> str:
    """The actor's role, if the table lets it take `action` at all; 403 otherwise, before any
    application is looked up, so the answer is the same for every id."""
    role = actor_role(actor)
    if role not in ROLES_BY_ACTION.get(action, ()):
        raise Forbidden()
    return role


def actor_role(actor) -> str:
    if actor is None:
        return SYSTEM
    if actor.kind == AccountKind.STAFF:
        return actor.role
    return CITIZEN if actor.kind == AccountKind.INDIVIDUAL else ""


def check_scope(application: Application, actor, role: str, data: dict) -> None:
    """Whether this actor may act on this application at all: a citizen only on their own
    (404 otherwise, as for any object of another person), a clerk only at the chosen point,
    a verifier only for a department the application needs and the verifier belongs to."""
    if role == CITIZEN:
        if actor.person_id is None or actor.person.id_number != application.person.id_number:
            raise NotFound()
    elif role == Role.CLERK:
        if actor.point_id != application.acceptance_point_id:
            raise Forbidden(_("This application is handled by another acceptance point."))
    elif role == Role.VERIFIER:
        if data.get("department") != actor.department:
            raise Forbidden(_("You can answer only for your own department."))
        if not application.verifications.filter(department=actor.department).exists():
            raise Forbidden(_("This application needs no check by your department."))


# What is said instead, one sentence per role for whatever the state: each names the role's own
# step (an outsider's courier, sent a card still in production, read that someone had acted first).
NOT_YOURS_NOW = {
    Role.COURIER: gettext_lazy(
        "This card is not out for delivery with you: it may not have been sent out yet, or it was delivered "
        "or returned already."
    ),
    Role.VERIFIER: gettext_lazy(
        "This application is not waiting for your department's check: it may have been answered already, "
        "or withdrawn by the applicant."
    ),
    Role.PRODUCTION: gettext_lazy(
        "This application is not waiting for the card production centre: it may not have reached it yet, "
        "or it was sent out or ended already."
    ),
    "": gettext_lazy("This application cannot be changed that way now. Someone may have acted on it first."),
}


@transaction.atomic
def application_transition(*, application_id: int, action: str, actor, note: str = "", **data) -> Application:
    role = role_may(actor, action)
    try:
        application = (
            Application.objects.select_for_update(of=("self",))
            # Not the acceptance point: a row locked after another transaction moved it to another
            # point would fail its re-checked join and be "not found" (PostgreSQL's EvalPlanQual).
            .select_related("person")
            .get(pk=application_id)
        )
    except Application.DoesNotExist:
        raise NotFound() from None
    check_scope(application, actor, role, data)
    move = TRANSITIONS.get((application.status, action))
    if move is None:
        if role not in (CITIZEN, SYSTEM) and not selectors.staff_may_view(actor, application):
            # Its status is not told to staff who may not read the application: a courier or the
            # production centre polled any application's progress by its 409 (an outsider). Still a
            # 409, not a 403: the loser of a race (a courier's delivery against his own return of
            # the card, which makes it the point's) is answered as every loser is.
            raise Conflict(NOT_YOURS_NOW.get(role, NOT_YOURS_NOW[""]))
        raise Conflict(
            _('This application\'s status is "%(status)s": it cannot be changed that way now.')
            % {"status": application.get_status_display()},
            extra={"status": application.status},
        )
    today = clock.today()
    before = application.status
    effects.apply(action, application, actor=actor, today=today, note=note, **data)
    application.status = move.to(application) if callable(move.to) else move.to
    application.updated_at = clock.now()
    application.save()
    application.history.create(
        status=application.status, action=action, at=application.updated_at, actor=actor, note=note
    )
    deadlines.on_transition(application, action=action, before=before, today=today)
    audit_record(
        type=AuditEventType.APPLICATION_CHANGED,
        actor=actor,
        person=application.person.id_number,
        application=application.reference,
        action=action,
        status_from=before,
        status_to=application.status,
        # Who said what: a confirmation and a "not confirmed" moved an application alike, and
        # a supervisor could not tell them apart (an outsider).
        **{key: data[key] for key in ("department", "outcome") if key in data},
        **({"reasons": len(data["reasons"])} if "reasons" in data else {}),
    )
    documents.refresh(application)
    notices.on_transition(application, action=action, before=before, note=note, role=role)
    return application


def terminate_unpaid(application_id: int) -> None:
    """Terminate an application whose time to pay has ended (the caller has seen it has), now
    rather than at the daily job's next run; nothing if the job or a parallel request did first
    (or the fee was paid in between)."""
    with contextlib.suppress(Conflict):
        application_transition(application_id=application_id, action="terminate", actor=None)


def application_start(application: Application, *, actor, family_members: list[dict]) -> Application:
    """The one entry into the table (`– → accepted`): store a new application as accepted, with
    its department checks, deadlines, history, audit event, document and the applicant's notice.
    Runs in the submitting service's transaction; the database refuses a second open application."""
    today = clock.today()
    application.status = S.ACCEPTED
    application.accepted_on = today
    application.created_at = application.updated_at = clock.now()
    new_deadlines = deadlines.for_new(application, today)
    application.save(force_insert=True)
    for deadline in new_deadlines:
        deadline.application = application
    Deadline.objects.bulk_create(new_deadlines)
    family = FamilyMember.objects.bulk_create(
        [FamilyMember(application=application, **member) for member in family_members]
    )
    verification_due = next(d.due_on for d in new_deadlines if d.step == "verification")
    verifications = effects.verifications_create(application, due_on=verification_due)
    history = application.history.create(status=S.ACCEPTED, action="submit", at=application.created_at, actor=actor)
    audit_record(
        type=AuditEventType.APPLICATION_CHANGED,
        actor=actor,
        person=application.person.id_number,
        application=application.reference,
        action="submit",
        status_from="",
        status_to=S.ACCEPTED,
        channel=application.channel,
    )
    application.document = documents.dumps(
        documents.build(
            application, verifications=verifications, history=[history], deadlines=new_deadlines, family=family
        )
    )
    Application.objects.filter(pk=application.pk).update(document=application.document)
    notices.on_transition(application, action="submit", before="")
    return application
