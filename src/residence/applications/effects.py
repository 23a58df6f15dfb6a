"""What each action does to an application besides moving its status, run by the workflow
under the application's row lock before the new status is decided."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock, locks, sequences
from residence.core.errors import Conflict, Invalid
from residence.permits.models import Permit
from residence.permits.services import PERMITS_LOCK, card_renew, live_permit_number, permit_issue
from residence.records.models import Identity

from . import rules, selectors
from .models import CARD_KINDS, Application, Delivery, PaymentStatus, Verification
from .providers import REFUNDS


def verifications_create(application: Application, *, due_on: dt.date) -> list[Verification]:
    return Verification.objects.bulk_create(
        [
            Verification(application=application, department=department, due_on=due_on)
            for department in rules.departments_for(application.route)
        ]
    )


def status_after_verification(application: Application) -> str:
    return rules.after_verification(list(application.verifications.values_list("status", flat=True)))


def _verify(application, *, actor, today, department: str, outcome: str, note: str = "", **_data):
    check = application.verifications.select_for_update().get(department=department)
    if check.status != Verification.Outcome.PENDING:
        # Said with the answer given and that this one was not sent (an outsider's verifier, on a
        # stale page, was told only that the department had answered).
        raise Conflict(
            _(
                "Your department has already answered for this application (%(answer)s, on %(day)s): "
                "your answer and note were not sent."
            )
            % {"answer": check.get_status_display(), "day": timezone.localdate(check.answered_at).isoformat()}
            if check.answered_at
            else _("Your department has already answered for this application.")
        )
    if outcome == "confirmed" and not note.strip() and selectors.unmet_for(application, department):
        # An outsider's verifiers ticked "confirmed" with no word under records that showed no such
        # person, and a card was made: a confirmation the records do not bear out says what it rests on.
        raise Invalid(
            fields={
                "note": [
                    _(
                        "The records shown do not bear out this claim: say in the note what you confirmed it "
                        "by (a document seen, a record of your department's not yet sent), or answer not confirmed."
                    )
                ]
            }
        )
    check.status, check.note, check.answered_by = outcome, note, actor
    check.answered_at = clock.now()
    check.save()


def _renewed_permit_suspended(application, today: dt.date, message: str, **params) -> None:
    """An exchange or a replacement renews the card of a live permit, and a suspended one must be
    endorsed first (RULES §9), also when it lapsed after the application was made (an outsider
    paid and got a new card of a permit suspended meanwhile): checked at approval, payment and
    production, as it stands today whether or not the day's sweep has run."""
    suspended = selectors.suspended_permit_to_renew(application, today)
    if suspended is not None:
        raise Conflict(
            message % {"day": suspended.suspended_on.isoformat(), **params}, extra={"permit": suspended.number}
        )


SUSPENDED_BEFORE_APPROVAL = gettext_lazy(
    "The applicant's permit has been suspended since %(day)s: it must be endorsed before its card is "
    "renewed. Approve once it is endorsed, or refuse with that reason."
)


def _approve(application, *, today, **_data):
    _renewed_permit_suspended(application, today, str(SUSPENDED_BEFORE_APPROVAL))
    # Submission refuses hukou holders (RULES §2); one who took hukou after applying went through
    # approval to an active card (an outsider). The records decide, as they did at the door.
    if Identity.objects.filter(id_number=application.person.id_number, shenzhen_hukou=True).exists():
        raise Conflict(
            _(
                "The population records now show Shenzhen hukou for the applicant, who needs no residence "
                "permit: refuse the application with that reason."
            )
        )
    unconfirmed = application.verifications.exclude(status=Verification.Outcome.CONFIRMED).exists()
    if unconfirmed:
        raise Conflict(_("Every department must confirm before approval; reject with the reasons instead."))
    application.decision_outcome, application.decided_on = "approved", today
    if application.fee_amount:
        application.payment_status = PaymentStatus.AWAITING
        application.payment_due_on = rules.payment_due(today)


def _reject(application, *, today, reasons: list[str], **_data):
    application.decision_outcome, application.decision_reasons, application.decided_on = "rejected", reasons, today
    _no_payment_due(application)


def _no_payment_due(application, **_data):
    """A fee-bearing application closed before it was paid owes nothing: an outsider saw a refused
    and a withdrawn one still shown as awaiting payment, whose pay page said there was nothing to pay."""
    if application.payment_status == PaymentStatus.AWAITING:
        application.payment_status = PaymentStatus.NOT_REQUIRED


class PaymentTimeOver(Conflict):
    """A payment after the application's last day to pay: it is terminated (RULES §5)."""


SUSPENDED_BEFORE_PAYMENT = gettext_lazy(
    "Your permit has been suspended since %(day)s: endorse it first, then pay by %(pay_by)s."
)


def _pay(application, *, today, **_data):
    # Past its day the application is terminated (RULES §5), even before the daily job has run.
    if rules.payment_time_over(application.payment_due_on, today):
        raise PaymentTimeOver(
            _("The time to pay ended on %(day)s: the application is terminated.")
            % {"day": application.payment_due_on.isoformat()}
        )
    _renewed_permit_suspended(
        application, today, str(SUSPENDED_BEFORE_PAYMENT), pay_by=application.payment_due_on.isoformat()
    )
    application.payment_status = PaymentStatus.PAID


def _terminate(application, **_data):
    application.payment_status = PaymentStatus.EXPIRED


def _end_with_permit(application, *, actor, **_data):
    """Nothing is owed for an application that ends with no card made: a fee paid is given back
    through the provider that took it, and one not yet asked for is no longer asked."""
    payment = application.payments.select_for_update().first()
    if payment is None:
        if application.payment_status == PaymentStatus.AWAITING:
            application.payment_status = PaymentStatus.NOT_REQUIRED
        return
    payment.refund_transaction_id = REFUNDS[payment.provider](amount=payment.amount, reference=application.reference)
    payment.refunded_at = clock.now()
    payment.save(update_fields=["refund_transaction_id", "refunded_at"])
    payment_audit(AuditEventType.PAYMENT_REFUNDED, actor, application, payment.amount, payment.refund_transaction_id)


def payment_audit(event_type: str, actor, application, amount, transaction: str) -> None:
    """A fee taken or given back, on record with its provider's transaction."""
    audit_record(
        type=event_type,
        actor=actor,
        person=application.person.id_number,
        application=application.reference,
        amount=str(amount),
        transaction=transaction,
    )


def new_permit_number(today: dt.date) -> str:
    """The next number of the platform's series, passing over any an import already holds
    (under the permits import's lock, so that an import cannot take it meanwhile)."""
    locks.for_transaction(PERMITS_LOCK)
    while True:
        number = f"4403{today.year}{sequences.next_value('permit_number'):08d}"
        if not Permit.objects.filter(number=number).exists():
            return number


def _produce(application, *, today, **_data):
    """The card is made: a new permit number, or for an exchange or a replacement the number of
    the permit whose card it replaces (RULES §9: the anniversary does not move)."""
    _renewed_permit_suspended(
        application,
        today,
        _("The holder's permit has been suspended since %(day)s: its card is made once the holder has endorsed it."),
    )
    if application.kind in CARD_KINDS:
        application.permit_number = live_permit_number(application.person.id_number)
    else:
        application.permit_number = new_permit_number(today)
    application.card_serial = f"C{sequences.next_value('card_serial'):011d}"


def _issue(application, *, actor, today, old_card_collected: bool | None = None, **_data):
    if cancelled := selectors.cancelled_permit_to_renew(application, today):
        # Said so, not "this permit is Suspended" (an outsider's courier on the day of cancellation).
        raise Conflict(
            _(
                "The holder's permit is cancelled from %(day)s: no card of it is handed over, and the application "
                "ends with today's daily run."
            )
            % {"day": cancelled.cancelled_on.isoformat()}
        )
    if application.kind in CARD_KINDS:
        # As it stands today, swept or not (an outsider's hand-over went through on a permit that
        # had lapsed that morning, before the day's run).
        _renewed_permit_suspended(
            application,
            today,
            _("The holder's permit has been suspended since %(day)s: the new card is handed over once it is endorsed."),
        )
        card_renew(application=application, actor=actor, today=today, old_card_collected=old_card_collected)
    else:
        permit_issue(application=application, actor=actor, today=today)


def _return(application, **_data):
    """A card the courier could not deliver is collected at the acceptance point from now on; the
    address it could not be delivered to stays on record (`Application.undelivered_address`)."""
    application.delivery_method = Delivery.PICKUP


EFFECTS = {
    "verify": _verify,
    "approve": _approve,
    "reject": _reject,
    "pay": _pay,
    "terminate": _terminate,
    "end_with_permit": _end_with_permit,
    "withdraw": _no_payment_due,
    "produce": _produce,
    "hand_over": _issue,
    "deliver": _issue,
    "return": _return,
}


def apply(action: str, application: Application, *, actor, today: dt.date, **data) -> None:
    effect = EFFECTS.get(action)
    if effect is not None:
        effect(application, actor=actor, today=today, **data)
