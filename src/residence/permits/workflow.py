"""The lifecycle of a permit: the transition table and the one function that moves a permit
along it (the pattern of applications.workflow). The daily sweeps (`sweeps.py`) are the
set-based form of the system's moves (suspend, cancel) and write the same events."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from residence.accounts.models import Kind as AccountKind
from residence.accounts.models import Role
from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock
from residence.core.errors import Conflict, Forbidden, NotFound

from . import notices, rules
from .models import Permit, PermitEvent

A, S, C = Permit.Status.ACTIVE, Permit.Status.SUSPENDED, Permit.Status.CANCELLED
HOLDER, SYSTEM = "holder", "system"


@dataclass(frozen=True)
class Move:
    to: str
    roles: frozenset
    event: str


def _moves(froms, action, to, event, *roles):
    return {(f, action): Move(to, frozenset(roles), event) for f in froms}


TRANSITIONS = {
    **_moves([A], "endorse", A, PermitEvent.Kind.ENDORSED, HOLDER, Role.CLERK, Role.VERIFIER),
    **_moves([S], "endorse", A, PermitEvent.Kind.RESTORED, HOLDER, Role.CLERK, Role.VERIFIER),
    **_moves([A], "suspend", S, PermitEvent.Kind.SUSPENDED, SYSTEM),
    **_moves([S], "cancel", C, PermitEvent.Kind.CANCELLED, SYSTEM),
    # Cancelled for another reason of RULES §10 (Shenzhen hukou taken, fraud, another law).
    **_moves([A, S], "revoke", C, PermitEvent.Kind.CANCELLED, Role.REVIEWER),
    # The new card of an exchange or a replacement, handed over by the clerk or the courier.
    **_moves([A], "exchange", A, PermitEvent.Kind.EXCHANGED, Role.CLERK, Role.COURIER),
    **_moves([A], "replace", A, PermitEvent.Kind.REPLACED, Role.CLERK, Role.COURIER),
}
REVOKE_REASONS = ("shenzhen_hukou", "fraud", "other_law")


def actor_role(actor) -> str:
    if actor is None:
        return SYSTEM
    if actor.kind == AccountKind.STAFF:
        return actor.role
    return HOLDER if actor.kind == AccountKind.INDIVIDUAL else ""


def _effect(permit: Permit, action: str, today: dt.date, data: dict) -> dict:
    if action == "endorse":
        changes = rules.after_endorsement(
            kind=data["kind"],
            anniversary_base=permit.anniversary_base,
            endorsed_until=permit.endorsed_until,
            today=today,
        )
        for field, value in changes.items():
            setattr(permit, field, value)
        permit.suspended_on = None
        return {k: v.isoformat() for k, v in changes.items()}
    if action == "suspend":
        permit.suspended_on = permit.endorsed_until
        return {"suspended_on": permit.suspended_on.isoformat()}
    if action in ("cancel", "revoke"):
        # Two years of suspension cancel it on that date (API.md), whenever the job records it.
        permit.cancelled_on = rules.cancellation_day(permit.suspended_on) if action == "cancel" else today
        permit.cancel_reason = data.get("reason", "suspended_two_years")
        return {"reason": permit.cancel_reason}
    return {key: value for key, value in data.items() if isinstance(value, str)}


def _lapse(permit: Permit, today: dt.date) -> None:
    """The lapse the day's sweep has not recorded yet (it runs after midnight, or did not run),
    recorded first as the sweep records it, so that a late endorsement reads "suspended, then
    restored" whether or not the sweep ran before it (an outsider found the two histories
    differ). No notice: the holder is mending the lapse."""
    _move(permit, TRANSITIONS[(A, "suspend")], action="suspend", actor=None, today=today, data={})


def event_day(permit: Permit, action: str, today: dt.date) -> dt.date:
    """The day the history shows for a move: a lapse or a two-year cancellation recorded late (the
    sweep did not run for days) took effect on its own day (an outsider read "2029-02-10
    Suspended" under "suspended since 2027-12-21")."""
    if action == "suspend":
        return permit.suspended_on
    if action == "cancel":
        return permit.cancelled_on
    return today


def _move(permit: Permit, move: Move, *, action: str, actor, today: dt.date, data: dict) -> None:
    """Apply a move: its effect, the new status, its event and its audit event."""
    before = permit.status
    details = _effect(permit, action, today, data)
    permit.status = move.to
    permit.updated_at = clock.now()
    permit.save()
    PermitEvent.objects.create(
        permit=permit,
        kind=move.event,
        on=event_day(permit, action, today),
        at=permit.updated_at,
        actor=actor,
        data=details,
    )
    audit_record(
        type=AuditEventType.PERMIT_CHANGED,
        actor=actor,
        person=permit.id_number,
        permit=permit.number,
        action=action,
        status_from=before,
        status_to=permit.status,
        **details,
    )


@transaction.atomic
def permit_transition(*, number: str, action: str, actor, today: dt.date | None = None, **data) -> Permit:
    """Lock the permit, check who and when, apply the move, write its event and audit event in
    this transaction, and queue the holder's notice for after the commit."""
    permit = Permit.objects.select_for_update().filter(number=number).first()
    if permit is None:
        raise NotFound()
    role = actor_role(actor)
    if role == HOLDER and (actor.person_id is None or actor.person.id_number != permit.id_number):
        raise NotFound()
    today = today or clock.today()
    if action == "endorse" and data.get("kind") == "late" and permit.status == A:
        _lapse(permit, today)
    move = TRANSITIONS.get((permit.status, action))
    if move is not None and role not in move.roles:
        raise Forbidden()
    if move is None and action == "revoke":  # a second cancellation (an outsider read a stiff generic line)
        raise Conflict(_("This permit is already cancelled."), extra={"status": permit.status})
    if move is None:
        raise Conflict(
            _("This permit is %(status)s: it cannot be changed that way now.")
            % {"status": permit.get_status_display()},
            extra={"status": permit.status},
        )
    _move(permit, move, action=action, actor=actor, today=today, data=data)
    notices.on_event(permit, move.event, in_time=data.get("kind") == "in_window")
    return permit
