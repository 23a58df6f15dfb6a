"""Organisation accounts: activated, or declined, by a clerk at a registration point."""

from django.db import transaction
from django.utils.translation import gettext as _

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock
from residence.core.errors import Conflict, Forbidden, Invalid
from residence.core.validators import hidden_text_problem, plain_text_problem, told_text_problem
from residence.notifications.services import Notice, message_send, notices_send

from ..models import Kind, LoginSession, Organisation, Role, Status, User
from ..selectors import organisation_get
from .sessions import sessions_end_all


def _pending(account_id: int) -> tuple[Organisation, User]:
    """The organisation and its account, locked, if it waits for activation (else 409): of an
    activation and a decline at once, the second finds it no longer pending."""
    organisation = organisation_get(account_id=account_id)
    user = User.objects.select_for_update().get(pk=organisation.user_id)
    if user.status != Status.PENDING:
        raise Conflict(_("This organisation account is not waiting for activation."))
    organisation.user = user
    return organisation, user


@transaction.atomic
def organisation_activate(
    *,
    actor: User,
    account_id: int,
    credit_code_checked: bool,
    letter_checked: bool,
    housing_checked: bool,
    note: str = "",
) -> Organisation:
    """A clerk activates a pending organisation account after checking its three materials.

    403 for anyone but a clerk, 404 for no such organisation account, 409 for one that is not
    pending; of two clerks at once, one activates and the other gets the 409."""
    if not (actor.kind == Kind.STAFF and actor.role == Role.CLERK):
        raise Forbidden(_("Only counter clerks may activate organisation accounts."))
    if not (credit_code_checked is True and letter_checked is True and housing_checked is True):
        raise Invalid(
            _("Check the credit code, the authorisation letter and the proof of housing first."),
            fields={
                field: [_("This material must be checked.")]
                for field, checked in (
                    ("credit_code_checked", credit_code_checked),
                    ("letter_checked", letter_checked),
                    ("housing_checked", housing_checked),
                )
                if checked is not True
            },
        )
    if hidden_text_problem(note, lines=True):
        raise Invalid(fields={"note": [str(hidden_text_problem(note, lines=True))]})
    organisation, user = _pending(account_id)
    user.status = Status.ACTIVE
    user.save(update_fields=["status"])
    organisation.activated_by = actor
    organisation.activated_at = clock.now()
    organisation.activation_note = note
    organisation.save(update_fields=["activated_by", "activated_at", "activation_note"])
    audit_record(
        type=AuditEventType.ACCOUNT_ACTIVATED,
        actor=actor,
        subject=user,
        point=getattr(actor.point, "code", ""),
        credit_code_checked=True,
        letter_checked=True,
        housing_checked=True,
        note=note,
    )
    message_send(user=user, key="organisation_activated", point=actor.point.name if actor.point else "")
    return organisation


@transaction.atomic
def organisation_decline(*, actor: User, account_id: int, reason: str) -> Organisation:
    """A clerk declines a pending organisation account whose materials do not check out: most of
    all a sign-up with another organisation's credit code, which would otherwise hold the code
    for good (RULES §1: the code is checked at the registration point). The account is disabled
    and signed out, and its credit code and mobile number are free for the real organisation.

    403 for anyone but a clerk, 404 for no such organisation account, 409 for one that is not
    pending (an activation and a decline at once: one wins)."""
    if not (actor.kind == Kind.STAFF and actor.role == Role.CLERK):
        raise Forbidden(_("Only counter clerks may decline organisation accounts."))
    reason = (reason or "").strip()
    if not reason or len(reason) > 200 or plain_text_problem(reason):
        raise Invalid(fields={"reason": [_("Say why the account is declined, in one line of at most 200 characters.")]})
    if told_text_problem(reason):
        raise Invalid(fields={"reason": [str(told_text_problem(reason))]})
    organisation, user = _pending(account_id)
    # Told by SMS, to the number it gave, before the number is freed: it can no longer sign in
    # to read a message (an outsider's declined account was never told, nor why).
    # In the account's language: it has no in-app message to set it (an outsider's English
    # account was told in Chinese).
    notices_send(
        [
            Notice(
                users=(),
                phone=user.phone or "",
                key="organisation_declined",
                params={"username": user.username, "reason": reason},
                language=user.language,
            )
        ],
        purpose="account",
    )
    user.status, user.is_active, user.phone = Status.DISABLED, False, None
    user.save(update_fields=["status", "is_active", "phone"])
    sessions_end_all(user=user, reason=LoginSession.EndReason.DISABLED)
    organisation.declined_by = actor
    organisation.declined_at = clock.now()
    organisation.decline_reason = reason
    organisation.save(update_fields=["declined_by", "declined_at", "decline_reason"])
    audit_record(
        type=AuditEventType.ACCOUNT_DISABLED,
        actor=actor,
        subject=user,
        point=getattr(actor.point, "code", ""),
        kind=Kind.ORGANISATION,
        credit_code=organisation.credit_code,
        reason=reason,
    )
    return organisation
