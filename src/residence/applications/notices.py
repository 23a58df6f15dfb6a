"""What the applicant is told at each step (in-app message and SMS, after the commit)."""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _

from residence.accounts.models import Role
from residence.notifications.catalogue import CLOSING_PUNCTUATION, reasons_text
from residence.notifications.services import Notice, account_language, notice_send, notices_send
from residence.permits.models import Permit
from residence.places.selectors import street_shown

from .models import CARD_KINDS, Application, Kind, PaymentStatus, Status


def hold_text(permit: Permit) -> str:
    """Why an exchange or a replacement waits, and what the holder does: its permit, suspended or
    cancelled (applications.selectors.permit_holding_renewal). On the progress page and in the API's
    `on_hold` (an outsider's holder read "approved" with its deadlines past and no word of why)."""
    if permit.status == Permit.Status.SUSPENDED:
        # The steps ahead refuse until then, the hand-over too (an outsider's page said "nothing
        # to do for now"; another's, "collect your card", of a card the clerk could not hand over).
        return _(
            "Your permit has been suspended since %(day)s: endorse it (My residence permit) so that this "
            "application can go on."
        ) % {"day": permit.suspended_on.isoformat()}
    # Before the day's run ends it: not "collect your card" (an outsider's page said so).
    return _(
        "Your permit is cancelled from %(day)s: no card of it is handed over, and this application ends; a fee "
        "paid for it is given back. To hold a residence permit again, apply for a re-application."
    ) % {"day": permit.cancelled_on.isoformat()}


def _key(application: Application, action: str) -> str | None:
    status = application.status
    if action == "submit":
        if not application.due_date:
            return "application_accepted_fee"
        return "application_accepted_provisional" if application.due_date_provisional else "application_accepted"
    if action == "return":
        return "application_delivery_failed"
    if action == "end_with_permit":
        refunded = application.payment_status == PaymentStatus.PAID
        return "application_ended_refunded" if refunded else "application_ended_permit_cancelled"
    if action == "verify" and status == Status.REVIEWING:
        if application.verifications.filter(status="not_confirmed").exists():
            return "application_verification_problem"
        return None
    return {
        Status.AWAITING_PAYMENT: "application_payment_requested",
        Status.APPROVED: "application_approved",
        Status.REJECTED: "application_rejected",
        Status.READY_FOR_PICKUP: "application_ready_for_pickup",
        Status.OUT_FOR_DELIVERY: "application_out_for_delivery",
        Status.COMPLETED: "application_completed",
        Status.WITHDRAWN: "application_withdrawn",
        Status.TERMINATED: "application_terminated",
    }.get(status)


def _point_in_english(point) -> str:
    """The point as an English page names it (kind and street, then its Chinese name), for an
    English reader's messages and SMS (an outsider's read only the Chinese name)."""
    with translation.override("en"):
        street = street_shown(point)
    return f"{street} · {point.name}" if street else ""


def _params(application: Application) -> dict:
    point = application.acceptance_point
    return {
        "reference": application.reference,
        "point": point.name,
        "point_en": _point_in_english(point),
        "address": point.address,
        "hours": "",  # filled in when read or sent, in the reader's language (catalogue.with_hours)
        "reasons": reasons_text(application.decision_reasons),
        "reason_list": list(application.decision_reasons),  # shown in the reader's language
        "amount": str(application.fee_amount),
        "pay_by": application.payment_due_on.isoformat() if application.payment_due_on else "",
        "permit_number": application.permit_number or "",
        "due_date": application.due_date.isoformat() if application.due_date else "",
    }


def applicant_accounts(application: Application):
    return get_user_model().objects.filter(person__id_number=application.person.id_number, is_active=True)


def send_many(applications: list[Application], key: str, **extra) -> None:
    """One notice to each applicant of many applications: one query for their accounts, one
    INSERT for the messages and one for the SMS."""
    numbers = {a.person.id_number for a in applications}
    accounts = defaultdict(list)
    for user in get_user_model().objects.filter(person__id_number__in=numbers, is_active=True).select_related("person"):
        accounts[user.person.id_number].append(user)
    notices_send(
        [
            Notice(
                users=tuple(accounts[a.person.id_number]),
                phone=a.person.phone,
                key=key,
                params={**_params(a), **extra},
                language=account_language(accounts[a.person.id_number]),
            )
            for a in applications
        ],
        purpose="application",
    )


def send(application: Application, key: str, **extra) -> None:
    notice_send(
        users=applicant_accounts(application),
        phone=application.person.phone,
        key=key,
        purpose="application",
        **_params(application),
        **extra,
    )


def on_transition(application: Application, *, action: str, before: str, note: str = "", role: str = "") -> None:
    key = _key(application, action)
    if key == "application_withdrawn" and role == Role.CLERK:
        key = "application_withdrawn_at_counter"  # not "you withdrew": the applicant asked the clerk
    if key == "application_approved" and action == "pay":
        key = "application_paid"
    if key == "application_completed" and application.kind in CARD_KINDS:
        key = "application_card_renewed"
    if key in ("application_ready_for_pickup", "application_out_for_delivery") and application.kind == Kind.EXCHANGE:
        key += "_exchange"  # the old card is collected at hand-over (RULES §6): said before the trip
    if key == "application_delivery_failed":
        send(application, key, reason=note.rstrip(CLOSING_PUNCTUATION))
    elif key is not None:
        send(application, key)
