"""Fees through a payment provider (RULES §5, `providers`): online, or on the card terminal of
the chosen point's clerk."""

import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from residence.accounts.models import Role
from residence.audit.models import AuditEventType
from residence.core import clock
from residence.core.errors import Conflict, Invalid

from . import workflow
from .effects import PaymentTimeOver, payment_audit
from .models import Application, Payment
from .providers import AT_COUNTER, ONLINE

KEY_LENGTH = 80


def application_pay(*, actor, application_id: int, provider: str, idempotency_key: str = "") -> Payment:
    """Pay the fee of an application awaiting payment. The same idempotency key again answers
    the payment it made; any second payment of one application is refused by the database
    (one payment per application), so a double press or a repeated confirmation charges once."""
    providers = AT_COUNTER if workflow.role_may(actor, "pay") == Role.CLERK else ONLINE
    if provider not in providers:
        raise Invalid(fields={"provider": [_("Unknown payment provider.")]})
    key = (idempotency_key or "").strip()
    if len(key) > KEY_LENGTH or not (key.isascii() and key.isprintable()):
        # Refused, not cut short: two long keys alike in their first 80 characters were one. A
        # header is ASCII: a Chinese key arrived as its UTF-8 bytes, three "characters" each.
        raise Invalid(
            fields={
                "Idempotency-Key": [
                    _("An Idempotency-Key is at most %(count)d visible ASCII characters.") % {"count": KEY_LENGTH}
                ]
            }
        )
    done = _paid_with(actor, application_id, key)
    if done is not None:
        return done
    if _key_used_elsewhere(actor, application_id, key):
        raise Conflict(
            _("This Idempotency-Key was used for the payment of another application: use a new key for each payment.")
        )
    try:
        with transaction.atomic():
            application = workflow.application_transition(application_id=application_id, action="pay", actor=actor)
            payment = Payment.objects.create(
                application=application,
                provider=provider,
                amount=application.fee_amount,
                idempotency_key=key or secrets.token_hex(20),
                transaction_id=providers[provider](amount=application.fee_amount, reference=application.reference),
                paid_at=clock.now(),
            )
            payment_audit(AuditEventType.PAYMENT_RECEIVED, actor, application, payment.amount, payment.transaction_id)
            return payment
    except PaymentTimeOver:
        # Terminated now rather than at the daily job's next run, so that the application says
        # what this answer says (an outsider's still read "awaiting payment" after being told).
        workflow.terminate_unpaid(application_id)
        raise
    except (IntegrityError, Conflict) as exc:
        # A parallel request with the same key paid first (it held the row): its payment is the
        # answer to this one too.
        done = _paid_with(actor, application_id, key)
        if done is not None:
            return done
        # Said so, for a client retrying after a lost answer (an outsider's 19 parallel presses
        # were told only the application's status).
        if not isinstance(exc, Conflict) or Payment.objects.filter(application_id=application_id).exists():
            raise Conflict(_("This application has already been paid.")) from None
        # Its owner's (the workflow checked the scope before the status): a free one was told its status.
        if Application.objects.filter(pk=application_id, fee_amount=0).exists():
            raise Conflict(_("This application is free of charge: there is nothing to pay.")) from None
        if Application.objects.filter(pk=application_id, status__in=UNDER_REVIEW).exists():
            raise Conflict(
                # To the clerk at the counter, of the applicant (an outsider's clerk read "you are told").
                _("The fee is asked for once the application passes review: the applicant is told by SMS when to pay.")
                if providers is AT_COUNTER
                else _("The fee is asked for once the application passes review: you are told by SMS when to pay.")
            ) from None
        raise


def application_counter_pay(*, actor, application_id: int) -> Application:
    """The fee taken at the counter of the chosen point by its clerk, for the applicant."""
    return application_pay(actor=actor, application_id=application_id, provider="counter").application


# Before the payment request (RULES §5: review, then the request): an outsider paying then was told the status.
UNDER_REVIEW = ("accepted", "verifying", "reviewing")


def _paid_with(actor, application_id: int, key: str) -> Payment | None:
    """The payment this key already made for this application of the actor's, if any: only the
    applicant's own payment is answered again, so a key is no way into another's."""
    if not key or actor.person_id is None:
        return None
    return Payment.objects.filter(
        idempotency_key=key, application_id=application_id, application__person__id_number=actor.person.id_number
    ).first()


def _key_used_elsewhere(actor, application_id: int, key: str) -> bool:
    """Whether the actor's key already paid another of their applications: a client's retry sent
    to the wrong application would otherwise be a second charge under one key (an outsider)."""
    if not key or actor.person_id is None:
        return False
    return (
        Payment.objects.filter(idempotency_key=key, application__person__id_number=actor.person.id_number)
        .exclude(application_id=application_id)
        .exists()
    )
