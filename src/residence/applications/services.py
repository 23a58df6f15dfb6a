"""Every write to applications. Submission and counter intake build a new application and hand
it to `workflow.application_start`; every other change is one call of
`workflow.application_transition`; these functions only check their inputs."""

import re
import secrets
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residence.accounts.models import Kind as AccountKind
from residence.accounts.models import Role
from residence.audit.models import AuditEventType
from residence.audit.services import audit_record, audit_records, personal_data_viewed
from residence.core import clock, locks
from residence.core.errors import Conflict, DomainError, Forbidden, Invalid, NameMismatch, NotFound
from residence.core.validators import (
    HALF_WIDTH_ONLY,
    full_width,
    has_forbidden_characters,
    hidden_text_problem,
    normalize_id_number,
    normalize_name,
    normalize_phone,
    one_line,
    person_name_problem,
    plain_text_problem,
    told_text_problem,
)
from residence.eligibility import rules as eligibility_rules
from residence.eligibility.reasons import render as reason_text
from residence.eligibility.selectors import person_records
from residence.eligibility.services import answer_record, answer_shown
from residence.notifications.catalogue import CLOSING_PUNCTUATION, reasons_text
from residence.permits.models import Endorsement, Permit
from residence.permits.selectors import as_of_today as permit_as_of_today
from residence.places.models import AcceptancePoint
from residence.places.selectors import COURIER_CITY_ONLY, in_city
from residence.records.models import Identity, Registration

from . import deadlines, documents, notices, rules, selectors, workflow
from .models import (
    CARD_KINDS,
    CLOSED_STATUSES,
    MOVABLE_STATUSES,
    Application,
    Channel,
    Delivery,
    Draft,
    FamilyMember,
    Kind,
    PaymentStatus,
    Person,
    PhotoReceipt,
    Route,
    Status,
    StatusChange,
)

PHOTO_RECEIPT_RE = re.compile(r"[A-Z0-9]{8,20}")
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_FAMILY_MEMBERS = 10
NAME_LENGTH = FamilyMember._meta.get_field("name").max_length


def photo_receipt_problem(receipt: str):
    if full_width(receipt):
        return HALF_WIDTH_ONLY
    return _("Use 8 to 20 letters and digits, as printed on the photo receipt.")


class OpenApplication(Conflict):
    code = "open_application"
    default_message = gettext_lazy("This person already has an application in progress.")


@dataclass(frozen=True)
class Applicant:
    id_number: str
    name: str
    phone: str


def _new_reference(today) -> str:
    return "SZ" + today.strftime("%y%m%d") + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def default_point(id_number: str) -> AcceptancePoint | None:
    """The street-office point of the street of the person's current registration (RULES §3)."""
    street = Registration.objects.filter(id_number=id_number, ended_on__isnull=True).order_by("-registered_on")
    return (
        AcceptancePoint.objects.filter(street_id=Subquery(street.values("street_id")[:1]), active=True)
        .order_by("-kind", "code")  # street_office sorts after police_station: the street's own office first
        .first()
    )


def _clean_family(members, applicant_id: str, errors: dict) -> list[dict]:
    cleaned, seen, spouses = [], set(), 0
    if len(members) > MAX_FAMILY_MEMBERS:
        errors["family_members"] = [_("List at most %(n)d family members.") % {"n": MAX_FAMILY_MEMBERS}]
        return []
    for index, member in enumerate(members):
        prefix = f"family_members.{index}"
        name = (member.get("name") or "").strip()
        if not name:
            errors[f"{prefix}.name"] = [_("Enter the family member's name.")]
        elif len(name) > NAME_LENGTH:
            errors[f"{prefix}.name"] = [_("A name has at most %(n)d characters.") % {"n": NAME_LENGTH}]
        elif person_name_problem(name):
            errors[f"{prefix}.name"] = [str(person_name_problem(name))]
        if member.get("relation") not in FamilyMember.Relation.values:
            errors[f"{prefix}.relation"] = [_("Choose spouse, child, parent, sibling or other.")]
        try:
            id_number = normalize_id_number(member.get("id_number") or "")
        except ValidationError as e:
            errors[f"{prefix}.id_number"] = e.messages
            continue
        if id_number == applicant_id:  # the web form's words (an outsider's API client was told "already listed")
            errors[f"{prefix}.id_number"] = [_("A family member's ID number cannot be the applicant's own.")]
        elif id_number in seen:
            errors[f"{prefix}.id_number"] = [_("This person is already listed.")]
        seen.add(id_number)
        if member.get("relation") == FamilyMember.Relation.SPOUSE:
            problem = rules.spouse_problem(id_number=id_number, another_spouse=spouses > 0, today=clock.today())
            if problem:
                errors[f"{prefix}.relation"] = [problem]
            spouses += 1
        cleaned.append({"name": normalize_name(name), "id_number": id_number, "relation": member.get("relation")})
    return cleaned


def receipt_typed(value: str | None) -> str:
    """A photo receipt number as stored: spaces dropped, as the web step and the API alike drop them
    (a number copied in groups: an outsider's was accepted on the page and refused by the API and at
    the counter), upper case."""
    return "".join((value or "").split()).upper()


def clean_application(*, applicant_id: str, data: dict) -> dict:
    """The application's own fields, checked all at once (RULES §4: every problem listed together).
    Returns the cleaned values; raises Invalid naming each bad field."""
    errors = {}
    kind, route = data.get("kind"), data.get("route")
    if kind not in Kind.values:
        errors["kind"] = [_("Choose first, conversion, exchange, replacement or reapply.")]
    if route not in Route.values:
        errors["route"] = [_("Choose residence_employment, talent or education.")]
    receipt = receipt_typed(data.get("photo_receipt"))
    if not PHOTO_RECEIPT_RE.fullmatch(receipt):
        errors["photo_receipt"] = [str(photo_receipt_problem(receipt))]
    point_code = data.get("acceptance_point") or ""
    point = None
    if point_code:
        # A NUL byte no code holds, which PostgreSQL refuses to compare (an outsider's 500).
        known = isinstance(point_code, str) and not has_forbidden_characters(point_code)
        point = AcceptancePoint.objects.filter(code=point_code).first() if known else None
        if point is not None and not point.active:
            point = None
            errors["acceptance_point"] = [_("This acceptance point is closed now: choose another one.")]
        elif point is None:
            errors["acceptance_point"] = [_("Unknown acceptance point.")]
    else:
        point = default_point(applicant_id)
        if point is None and Registration.objects.filter(id_number=applicant_id, ended_on__isnull=True).exists():
            # Registered, but the street's points are closed (an outsider was told "no registration").
            errors["acceptance_point"] = [
                _("No acceptance point of the street where you are registered is open now: choose another one.")
            ]
        elif point is None:
            errors["acceptance_point"] = [_("You have no current residence registration: choose an acceptance point.")]
    delivery = data.get("delivery") or {}
    method = delivery.get("method")
    address = one_line(delivery.get("address") or "") if isinstance(delivery.get("address"), str) else ""
    if method not in Delivery.values:
        errors["delivery.method"] = [_("Choose pickup or courier.")]
    elif method == Delivery.COURIER:
        if not settings.COURIER_DELIVERY_ALLOWED:
            errors["delivery.method"] = [_("Courier delivery is not offered; choose pickup.")]
        elif not address:
            errors["delivery.address"] = [_("Enter the address the courier should deliver to.")]
        elif plain_text_problem(address):
            errors["delivery.address"] = [str(plain_text_problem(address))]
        elif not in_city(address):
            errors["delivery.address"] = [str(COURIER_CITY_ONLY)]
    family = _clean_family(data.get("family_members") or [], applicant_id, errors)
    reason = (data.get("reason") or "").strip()
    if hidden_text_problem(reason, lines=True):
        errors["reason"] = [str(hidden_text_problem(reason, lines=True))]
    if errors:
        _refuse(errors, applicant_id=applicant_id, receipt=receipt)
    return {
        "kind": kind,
        "route": route,
        "photo_receipt": receipt,
        "acceptance_point": point,
        "delivery_method": method,
        "delivery_address": address if method == Delivery.COURIER else "",
        "family_members": family,
        "reason": reason if kind in CARD_KINDS else "",  # what happened to a card: only a card's kinds ask
    }


def _refuse(errors: dict, *, applicant_id: str, receipt: str):
    """Raise the fields' problems with what storing would refuse too (RULES §4: all at once): a used
    photo receipt, and the person's open application, which then answers (409 `open_application`)."""
    if "photo_receipt" not in errors and receipt and selectors.photo_receipt_taken(receipt):
        errors["photo_receipt"] = [str(RECEIPT_USED)]
    if applicant_id:
        open_one = Application.objects.filter(person__id_number=applicant_id).exclude(status__in=CLOSED_STATUSES)
        if person_id := open_one.values_list("person_id", flat=True).first():
            raise _open_conflict(person_id, fields=errors)
    raise Invalid(_("Some fields are not valid."), fields=errors)


def fitting_kind(id_number: str) -> str:
    """The kind the application form offers first: a first application, a re-application after a
    cancellation, or none for a holder, who chooses an exchange or a replacement (an outsider's
    form offered a holder a first application)."""
    statuses = {permit_as_of_today(p).status for p in Permit.objects.filter(id_number=id_number)}
    if statuses & {Permit.Status.ACTIVE, Permit.Status.SUSPENDED}:
        return ""
    return Kind.REAPPLY if Permit.Status.CANCELLED in statuses else Kind.FIRST


# Why a kind does not fit the person's permits, said to the applicant online or to the clerk at
# the counter (an outsider's clerk read "your permit" of the applicant's).
KIND_REFUSALS = {
    "live": (
        gettext_lazy("You already hold a residence permit: apply for an exchange or a replacement instead."),
        gettext_lazy("The applicant already holds a residence permit: take an exchange or a replacement instead."),
    ),
    # A holder whose permit is suspended is sent to endorse it, not to an exchange the next answer
    # refuses for that (an outsider followed the advice and was refused).
    "live_suspended": (
        gettext_lazy(
            "You already hold a residence permit, suspended: endorse it first; an exchange or a replacement "
            "is then possible."
        ),
        gettext_lazy(
            "The applicant already holds a residence permit, suspended: it must be endorsed first; an exchange "
            "or a replacement is then possible."
        ),
    ),
    "suspended": (
        gettext_lazy("Your permit is suspended: endorse it first."),
        gettext_lazy("The applicant's permit is suspended: it must be endorsed first."),
    ),
    # Not "endorse it", which is refused while a department checks the endorsement asked for (an outsider).
    "suspended_checked": (
        gettext_lazy(
            "Your permit is suspended while a department checks the endorsement you asked for: once it is "
            "endorsed, an exchange or a replacement is possible. You need not ask again."
        ),
        gettext_lazy(
            "The applicant's permit is suspended while a department checks the endorsement asked for: once "
            "it is endorsed, an exchange or a replacement is possible."
        ),
    ),
    "cancelled": (
        gettext_lazy("Your permit was cancelled: apply for a re-application (20 yuan) instead."),
        gettext_lazy("The applicant's permit was cancelled: take a re-application (20 yuan) instead."),
    ),
    "none": (
        gettext_lazy("You hold no residence permit to exchange or replace."),
        gettext_lazy("The applicant holds no residence permit to exchange or replace."),
    ),
    "earlier_cancelled": (
        gettext_lazy("Your earlier permit was cancelled: apply for a re-application (20 yuan) instead."),
        gettext_lazy("The applicant's earlier permit was cancelled: take a re-application (20 yuan) instead."),
    ),
}


def check_kind(kind: str, id_number: str, *, at_counter: bool = False) -> None:
    """The kind must fit the person's permits (RULES §9, §10)."""
    permits = {p.status: p.number for p in map(permit_as_of_today, Permit.objects.filter(id_number=id_number))}
    statuses = set(permits)
    live = statuses & {Permit.Status.ACTIVE, Permit.Status.SUSPENDED}

    def refused(why: str, **extra) -> Conflict:
        return Conflict(str(KIND_REFUSALS[why][at_counter]), extra=extra)

    def suspended(why: str) -> Conflict:
        number = permits[Permit.Status.SUSPENDED]
        checked = Endorsement.objects.filter(permit__number=number, outcome=Endorsement.Outcome.PENDING).exists()
        return refused("suspended_checked" if checked else why, permit=number)

    if kind in (Kind.FIRST, Kind.CONVERSION) and live:
        if Permit.Status.SUSPENDED in live:
            raise suspended("live_suspended")
        raise refused("live")
    if kind in (Kind.EXCHANGE, Kind.REPLACEMENT):
        if Permit.Status.SUSPENDED in live:
            raise suspended("suspended")
        if not live and Permit.Status.CANCELLED in statuses:
            raise refused("cancelled", permit=permits[Permit.Status.CANCELLED])
        if not live:
            raise refused("none")
    if kind in (Kind.FIRST, Kind.CONVERSION) and not live and Permit.Status.CANCELLED in statuses:
        raise refused("earlier_cancelled")
    if kind == Kind.REAPPLY and (live or Permit.Status.CANCELLED not in statuses):
        raise Conflict(_("A re-application is for a permit that has been cancelled."))


def _self_check(id_number: str, name: str, route: str, today) -> dict:
    person, _inputs = person_records(id_number=id_number, name=name, route=route)
    return answer_record(eligibility_rules.check(person, route, today))


def self_check_preview(*, identity, route: str) -> dict | None:
    """The self-check a submission would make today, shown before sending (nothing is stored)."""
    if route not in eligibility_rules.ROUTES:
        return None
    return answer_shown(_self_check(identity.id_number, identity.name, route, clock.today()))


def _person(applicant: Applicant) -> Person:
    person, created = Person.objects.get_or_create(
        id_number=applicant.id_number,
        defaults={"name": applicant.name, "phone": applicant.phone, "created_at": clock.now()},
    )
    if not created and (person.name, person.phone) != (applicant.name, applicant.phone):
        person.name, person.phone = applicant.name, applicant.phone or person.phone
        person.save(update_fields=["name", "phone"])
    return person


def _open_conflict(person_id, *, fields: dict | None = None) -> DomainError:
    """The person's open application, with the problems of the fields found with it, so that all
    are said at once (RULES §4; an outsider's clerk learnt of a used photo receipt, and another of
    the open application, only on a later try)."""
    open_one = (
        Application.objects.filter(person_id=person_id)
        .exclude(status__in=CLOSED_STATUSES)
        .values_list("reference", flat=True)
        .first()
    )
    return OpenApplication(
        _("This person already has an application in progress: %(reference)s.") % {"reference": open_one},
        extra={"reference": open_one},
        fields=fields,
    )


def _locked(application_id: int) -> Application:
    try:
        return (
            Application.objects.select_for_update(of=("self",))
            # Not the acceptance point: a row locked after another transaction moved it to another
            # point would fail its re-checked join and be "not found" (PostgreSQL's EvalPlanQual).
            .select_related("person")
            .get(pk=application_id)
        )
    except Application.DoesNotExist:
        raise NotFound() from None


RECEIPT_USED = gettext_lazy("Already used for another application.")


def _receipt_used() -> Conflict:
    return Conflict(
        _("This photo receipt number has been used for another application."),
        fields={"photo_receipt": [str(RECEIPT_USED)]},
    )


def _create(*, actor, applicant: Applicant, cleaned: dict, channel: str, **counter) -> Application:
    """Store a new application. The database's constraints decide whether the person already has
    an open application or the photo receipt was used (also between parallel requests); the
    answer then says which. An open application whose time to pay has ended is terminated then,
    and the new one stored: it no longer stands in the way (an outsider was refused for one that
    his pages said was terminated, on the days before the daily job ran)."""
    today = clock.today()
    check_kind(cleaned["kind"], applicant.id_number, at_counter=channel == Channel.COUNTER)
    family = cleaned.pop("family_members")
    for last_try in (False, True):
        try:
            with transaction.atomic():
                person = _person(applicant)
                # One application per receipt (API.md), the applicant's own earlier ones included: a
                # completed application's photo is on a card already. Parallel claims meet at the
                # unique number; the loser is answered below.
                PhotoReceipt.objects.create(number=cleaned["photo_receipt"], person=person, first_used_at=clock.now())
                fee = rules.fee_for(cleaned["kind"])
                application = Application(
                    reference=_new_reference(today),
                    person=person,
                    submitted_by=actor,
                    channel=channel,
                    fee_amount=fee,
                    payment_status=PaymentStatus.AWAITING if fee else PaymentStatus.NOT_REQUIRED,
                    self_check=_self_check(applicant.id_number, applicant.name, cleaned["route"], today),
                    **cleaned,
                    **counter,
                )
                return workflow.application_start(application, actor=actor, family_members=family)
        except IntegrityError:
            person = Person.objects.filter(id_number=applicant.id_number).first()
            if person and not last_try and _unpaid_terminated(person.pk, today):
                continue
            if person and Application.objects.filter(person=person).exclude(status__in=CLOSED_STATUSES).exists():
                taken = selectors.photo_receipt_taken(cleaned["photo_receipt"])
                fields = {"photo_receipt": [str(RECEIPT_USED)]} if taken else None
                raise _open_conflict(person.pk, fields=fields) from None
            if selectors.photo_receipt_taken(cleaned["photo_receipt"]):
                raise _receipt_used() from None
            raise Conflict(_("The application could not be stored. Please submit it again.")) from None


def _unpaid_terminated(person_id: int, today) -> bool:
    """Terminate the person's applications whose time to pay has ended (RULES §5); whether any were."""
    waiting = Application.objects.filter(person_id=person_id, status=Status.AWAITING_PAYMENT)
    lapsed = [pk for pk, due in waiting.values_list("pk", "payment_due_on") if rules.payment_time_over(due, today)]
    for pk in lapsed:
        workflow.terminate_unpaid(pk)
    return bool(lapsed)


def application_viewed(
    *, actor, application: Application, what: str = "application", address: str = "", family: bool = False
) -> None:
    """A staff member's look at an application's personal data, on record (DESIGN §How 3); with
    `family`, where the family members' full ID numbers are shown too, under each of them, so
    that "who looked at person X" finds it (an outsider's search by a family member's number
    found nothing)."""
    personal_data_viewed(
        actor=actor,
        person=application.person.id_number,
        address=address,
        what=what,
        application=application.reference,
    )
    if family:
        audit_records(
            type=AuditEventType.PERSONAL_DATA_VIEWED,
            actor=actor,
            events=[
                (number, {"what": what, "application": application.reference, "as": "family member"})
                for number in application.family_members.values_list("id_number", flat=True)
            ],
            address=address,
        )


def applicant_required(actor) -> None:
    """Who may apply online (API.md: not real-name verified, 403), said before any problem of the
    body: an outsider's unverified account was told to fix its fields first."""
    if actor.kind != AccountKind.INDIVIDUAL:
        raise Forbidden(_("Only a personal account can apply for a residence permit."))
    if actor.person_id is None:
        raise Forbidden(_("Pass real-name verification before applying."))
    identity = actor.person
    if excluded := eligibility_rules.excluded(identity.id_number, shenzhen_hukou=identity.shenzhen_hukou):
        raise Forbidden(reason_text(excluded))


def application_submit(*, actor, data: dict) -> Application:
    """A citizen's online application: the person is the account's verified identity."""
    applicant_required(actor)
    identity = actor.person
    cleaned = clean_application(applicant_id=identity.id_number, data=data)
    applicant = Applicant(id_number=identity.id_number, name=identity.name, phone=actor.phone or "")
    return _create(actor=actor, applicant=applicant, cleaned=cleaned, channel="online")


def draft_lock(*, user) -> None:
    """The account's draft, held until this transaction ends: each step reads and writes the
    whole draft, so steps sent at once take turns, each on what the one before saved."""
    locks.for_transaction(f"application-draft:{user.pk}")


def draft_save(*, user, data: dict) -> None:
    """Keep the web form's answers so far for the account (one draft per account)."""
    Draft.objects.update_or_create(user=user, defaults={"data": data, "updated_at": clock.now()})


def draft_discard(*, user) -> None:
    Draft.objects.filter(user=user).delete()


def counter_clerk_required(actor) -> None:
    if actor.kind != AccountKind.STAFF or actor.role != Role.CLERK:
        raise Forbidden(_("Only a counter clerk can take an application at the counter."))


def counter_open_required(actor) -> None:
    """A closed point's counter takes no new application, for any point: its clerks finish its open
    ones (an outsider's closed counter took in applications for other points)."""
    if actor.point is not None and not actor.point.active:
        raise Conflict(_("Your acceptance point is closed to new applications: its clerks finish the open ones only."))


PHONE_OF_ANOTHER = gettext_lazy(
    "This mobile number belongs to the account of another person: the applicant's messages, the reasons of a "
    "refusal included, go to that person. Ask for the applicant's own number."
)


def counter_records_check(
    *, actor, id_number: str, name: str, route: str, kind: str, phone: str = "", address: str = ""
) -> tuple[dict, list[str], list[str]]:
    """What the records say of an applicant at the counter before the clerk accepts (an outsider's
    clerk learnt it only once the application was recorded): the self-check an intake would make,
    shown and not stored, and what would refuse the intake itself (an application in progress, a
    kind that does not fit the person's permits), and a mobile number verified as another person's
    (the applicant's messages, refusal reasons included, would go to that person: an outsider's
    clerk typed one unwarned). The look is on record, as any staff look at a person's data."""
    if workflow.actor_role(actor) != Role.CLERK:
        raise Forbidden()
    counter_open_required(actor)
    try:
        id_number = normalize_id_number(id_number)
    except ValidationError as error:
        raise Invalid(fields={"id_number": error.messages}) from None
    personal_data_viewed(actor=actor, person=id_number, what="intake_records_check", address=address)
    blockers = []
    person = Person.objects.filter(id_number=id_number).first()
    if person is not None and Application.objects.filter(person=person).exclude(status__in=CLOSED_STATUSES).exists():
        blockers.append(_open_conflict(person.pk).message)
    try:
        check_kind(kind, id_number, at_counter=True)
    except Conflict as exc:
        blockers.append(exc.message)
    cautions = []
    try:
        phone = normalize_phone(phone) if phone else ""
    except ValidationError:
        phone = ""  # the intake itself says what is wrong with it
    if phone and selectors.phone_of_another_person(phone, id_number):
        cautions.append(str(PHONE_OF_ANOTHER))
    return answer_shown(_self_check(id_number, name, route, clock.today())), blockers, cautions


def counter_intake_check(
    *, actor, data: dict, applicant: dict, portrait_captured: bool, materials_checked: bool = True
) -> tuple[Applicant, dict]:
    """Every problem of a counter intake at once (RULES §4), read-only: the applicant and the
    application's cleaned values, or Invalid naming each bad field. The desk also asks it when
    its own form has problems, so that the clerk sees them all in one go."""
    counter_clerk_required(actor)
    counter_open_required(actor)
    errors = {}
    try:
        id_number = normalize_id_number(applicant.get("id_number") or "")
    except ValidationError as e:
        errors["applicant.id_number"] = e.messages
        id_number = ""
    identity = None
    if id_number:
        identity = Identity.objects.filter(id_number=id_number).only("name", "shenzhen_hukou").first()
        # Decided by the number and the population records, not by the departments (an outsider's
        # Hong Kong resident, foreigner and hukou holder were taken in and approved).
        hukou = identity is not None and identity.shenzhen_hukou
        if excluded := eligibility_rules.excluded(id_number, shenzhen_hukou=hukou):
            errors["applicant.id_number"] = [reason_text(excluded)]
    name = (applicant.get("name") or "").strip()
    if not name:
        errors["applicant.name"] = [_("Enter the applicant's name as on the ID card.")]
    elif person_name_problem(name):
        errors["applicant.name"] = [str(person_name_problem(name))]
    phone = ""
    try:
        phone = normalize_phone(applicant.get("phone") or "")
    except ValidationError as e:
        errors["applicant.phone"] = e.messages
    if materials_checked is not True:
        errors["materials_checked"] = [_("Check the materials and return them before accepting.")]
    if portrait_captured is not True:
        errors["portrait_captured"] = [_("Capture the applicant's portrait before accepting.")]
    mismatch = None
    # With the other problems, not after them (an outsider's clerk fixed two fields and was then
    # told the third).
    named = identity is not None and "applicant.name" not in errors
    if named and normalize_name(identity.name) != normalize_name(name):
        mismatch = [_("The name differs from the population records.")]
    data = {**data, "acceptance_point": data.get("acceptance_point") or actor.point_id}
    try:
        cleaned = clean_application(applicant_id=id_number, data=data)
    except (Invalid, OpenApplication) as e:
        errors = {**e.fields, **errors}
    if errors and mismatch:
        errors["applicant.name"] = mismatch
    if errors:
        _refuse(errors, applicant_id=id_number, receipt=receipt_typed(data.get("photo_receipt")))
    if mismatch:
        raise NameMismatch(fields={"applicant.name": mismatch})
    return Applicant(id_number=id_number, name=normalize_name(name), phone=phone), cleaned


def application_counter_intake(
    *, actor, data: dict, applicant: dict, portrait_captured: bool, materials_checked: bool = True
) -> Application:
    """A clerk records an application for a person at the counter (RULES §3)."""
    person, cleaned = counter_intake_check(
        actor=actor,
        data=data,
        applicant=applicant,
        portrait_captured=portrait_captured,
        materials_checked=materials_checked,
    )
    return _create(
        actor=actor,
        applicant=person,
        cleaned=cleaned,
        channel="counter",
        portrait_captured=True,
        materials_checked=True,
        intake_point_id=actor.point_id,
    )


def application_act(*, actor, application_id: int, action: str, note: str = "", **data) -> Application:
    """One staff or citizen action on an application (verify, approve, …): the workflow checks who and when."""
    return workflow.application_transition(application_id=application_id, action=action, actor=actor, note=note, **data)


def application_verify(*, actor, application_id: int, department: str, outcome: str, note: str = "") -> Application:
    if outcome not in ("confirmed", "not_confirmed"):
        raise Invalid(fields={"outcome": [_("Answer confirmed or not_confirmed.")]})
    if outcome == "not_confirmed" and not note.strip():
        raise Invalid(fields={"note": [_("Say what could not be confirmed.")]})
    if hidden_text_problem(note, lines=True):
        raise Invalid(fields={"note": [str(hidden_text_problem(note, lines=True))]})
    return application_act(
        actor=actor, application_id=application_id, action="verify", note=note, department=department, outcome=outcome
    )


MAX_REASONS, MAX_REASON_CHARS = 20, 500  # API.md's body; the desk's form is held to the same


def clean_reasons(reasons: list[str]) -> list[str]:
    """A refusal's reasons, each once, all problems at once (RULES §4: every reason is listed to
    the applicant). The desk's free text once took thirty, and a long one overflowed the SMS. A
    reason's own problem is named by its place in the list (`reasons.1`), as the API names every
    item's (an outsider read a hidden character under `reasons`, a blank one under `reasons.0`)."""
    cleaned, seen, problems = [], set(), {}
    for index, reason in enumerate(reasons):
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason:
            problems[f"reasons.{index}"] = [_("Write the reason, or leave it out.")]
            continue
        key = unicodedata.normalize("NFKC", reason).rstrip(CLOSING_PUNCTUATION + " ")
        if key in seen:  # "材料不全。" and "材料不全；" are one reason
            continue
        seen.add(key)
        cleaned.append(reason)
        # Sent by SMS to an applicant without an account.
        problem = hidden_text_problem(reason) or told_text_problem(reason)
        if problem is None and len(reason) > MAX_REASON_CHARS:
            problem = _("A reason is at most %(count)d characters long.") % {"count": MAX_REASON_CHARS}
        if problem is not None:
            problems[f"reasons.{index}"] = [str(problem)]
    if not cleaned and not problems:
        problems["reasons"] = [_("Give at least one reason for the refusal.")]
    if len(cleaned) > MAX_REASONS:
        problems["reasons"] = [_("Give at most %(count)d reasons.") % {"count": MAX_REASONS}]
    if problems:
        raise Invalid(fields=problems)
    return cleaned


def application_reject(*, actor, application_id: int, reasons: list[str]) -> Application:
    reasons = clean_reasons(reasons)
    with translation.override(settings.LANGUAGE_CODE):  # the history's note, in the record's language
        note = reasons_text(reasons)
    return application_act(actor=actor, application_id=application_id, action="reject", note=note, reasons=reasons)


def _old_card_problem(application_id: int, old_card_collected: bool | None) -> dict:
    """An exchange takes the old card back (RULES §6). API.md's hand-over and delivery bodies do
    not name it, so a client that leaves it out is not refused (recorded as not stated); one
    that says it was not collected is, and so is the desk's form, whose box is unticked."""
    kind = Application.objects.filter(pk=application_id).values_list("kind", flat=True).first()
    if kind == "exchange" and old_card_collected is False:
        return {"old_card_collected": [_("An exchange takes the old card back: collect it before handing over.")]}
    return {}


def application_hand_over(
    *, actor, application_id: int, identity_checked: bool, signed: bool, old_card_collected: bool | None = None
) -> Application:
    errors = _old_card_problem(application_id, old_card_collected)
    if identity_checked is not True:
        errors["identity_checked"] = [_("Check the applicant's identity before handing over the card.")]
    if signed is not True:
        errors["signed"] = [_("The applicant signs the printed application form before receiving the card.")]
    if errors:
        raise Invalid(fields=errors)
    return application_act(
        actor=actor, application_id=application_id, action="hand_over", old_card_collected=old_card_collected
    )


def application_deliver(
    *, actor, application_id: int, identity_checked: bool, old_card_collected: bool | None = None
) -> Application:
    errors = _old_card_problem(application_id, old_card_collected)
    if identity_checked is not True:
        errors["identity_checked"] = [_("Check the recipient's identity before handing over the card.")]
    if errors:
        raise Invalid(fields=errors)
    return application_act(
        actor=actor, application_id=application_id, action="deliver", old_card_collected=old_card_collected
    )


def _asked_in_person(identity_checked) -> None:
    if identity_checked is not True:
        raise Invalid(
            fields={"identity_checked": [_("Check the applicant's identity document: only they may ask for this.")]}
        )


def application_withdraw(*, actor, application_id: int) -> Application:
    """The applicant withdraws online (the clerk's way is `application_withdraw_at_counter`)."""
    if workflow.actor_role(actor) != workflow.CITIZEN:
        raise Forbidden()
    return application_act(actor=actor, application_id=application_id, action="withdraw")


def application_withdraw_at_counter(*, actor, application_id: int, identity_checked: bool) -> Application:
    """The applicant asks the clerk of the chosen point to withdraw, in person (RULES §3: before
    approval, as online): told as an online withdrawal is."""
    if workflow.actor_role(actor) != Role.CLERK:
        raise Forbidden()
    _asked_in_person(identity_checked)
    return application_act(actor=actor, application_id=application_id, action="withdraw")


@transaction.atomic
def written_reply_request_at_counter(*, actor, application_id: int, identity_checked: bool) -> Application:
    """The applicant asks for the written reply to a refusal at the counter of the chosen point
    (RULES §4), as online: an outsider's counter applicant, with no account, had no way to. They
    are told by when it is due; the reply reaches them as online (by SMS, without an account)."""
    _asked_in_person(identity_checked)
    due = written_reply_request(actor=actor, application_id=application_id, at_counter=True)
    application = Application.objects.get(pk=application_id)
    notices.send(application, "application_reply_requested", reply_due=due.isoformat())
    return application


def application_return(*, actor, application_id: int, reason: str) -> Application:
    """The courier could not deliver the card (nobody there after the attempts, refused, a wrong
    address): it goes back to the acceptance point, whose clerk receives it and hands it over,
    and the applicant is told why and where."""
    reason, problem = _told_reason(reason, _("Say why the card could not be delivered (the applicant is told)."))
    if problem:
        raise Invalid(fields={"reason": [problem]})
    return application_act(actor=actor, application_id=application_id, action="return", note=reason)


@transaction.atomic
def written_reply_request(*, actor, application_id: int, at_counter: bool = False):
    """The applicant asks for a written reply to a refusal (RULES §4: due in 3 working days),
    online, or `at_counter` through the clerk of the chosen point."""
    role = workflow.actor_role(actor)
    if role != (Role.CLERK if at_counter else workflow.CITIZEN):
        raise Forbidden()
    application = _locked(application_id)
    workflow.check_scope(application, actor, role, {})
    if application.status != Status.REJECTED:
        raise Conflict(_("A written reply can be asked for only after a refusal."))
    if application.reply_requested_on:
        raise Conflict(_("A written reply has already been asked for."))
    today = clock.today()
    application.reply_requested_on = today
    application.save(update_fields=["reply_requested_on"])
    due = deadlines.written_reply_requested(application, today)
    documents.refresh(application)
    audit_record(
        type=AuditEventType.APPLICATION_REPLY,
        actor=actor,
        person=application.person.id_number,
        application=application.reference,
        step="requested",
    )
    return due


@transaction.atomic
def written_reply_record(*, actor, application_id: int, text: str) -> Application:
    if actor.kind != AccountKind.STAFF or actor.role != Role.REVIEWER:
        raise Forbidden()
    text = text.strip()
    if not text:
        raise Invalid(fields={"text": [_("Write the reply.")]})
    if problem := hidden_text_problem(text, lines=True) or told_text_problem(text):  # SMS'd to one without an account
        raise Invalid(fields={"text": [str(problem)]})
    application = _locked(application_id)
    if not application.reply_requested_on or application.reply_text:
        raise Conflict(_("No written reply is awaited for this application."))
    application.reply_text = text
    application.save(update_fields=["reply_text"])
    deadlines.written_reply_recorded(application, clock.today())
    documents.refresh(application)
    audit_record(
        type=AuditEventType.APPLICATION_REPLY,
        actor=actor,
        person=application.person.id_number,
        application=application.reference,
        step="recorded",
    )
    notices.send(application, "application_written_reply", reply=text)
    return application


def deadlines_recompute() -> int:
    """The calendar changed: recompute every open deadline counted with an older one (registered
    in apps.py)."""
    return deadlines.recompute(clock.today())


# Moving applications to another acceptance point (the supervisor's reassignment) -------------


def _told_reason(reason: str, missing: str) -> tuple[str, str | None]:
    """A reason the applicant is told by SMS, in one line, and what is wrong with it if anything."""
    reason = one_line(reason or "")
    if not reason:
        return reason, missing
    if len(reason) > 200 or plain_text_problem(reason):
        return reason, _(
            "Say why in one line of at most 200 characters, without hidden characters, not starting with =, +, - or @."
        )
    return reason, told_text_problem(reason)


def _move_target(*, actor, point_code: str, reason: str) -> tuple[AcceptancePoint, str]:
    """The point to move to and the reason, checked: a supervisor's, an open point, one line."""
    if actor.kind != AccountKind.STAFF or actor.role != Role.SUPERVISOR:
        raise Forbidden(_("Only a supervisor moves applications to another acceptance point."))
    # Locked: an administrator closing the point waits for the move, or the move sees it closed.
    # NO KEY UPDATE, not UPDATE: a plain FOR UPDATE also blocks the deferred foreign-key checks of
    # other moves into the point at their commit, and two moves then deadlocked (a test).
    point = (
        AcceptancePoint.objects.select_for_update(no_key=True)
        .filter(code=(point_code or "").strip(), active=True)
        .first()
    )
    errors = {}
    if point is None:
        errors["acceptance_point"] = [_("Choose an open acceptance point.")]
    reason, problem = _told_reason(reason, _("Say why the applications move (the applicants are told)."))
    if problem:
        errors["reason"] = [problem]
    if errors:
        raise Invalid(_("Some fields are not valid."), fields=errors)
    return point, reason


@transaction.atomic
def application_move(
    *, actor, application_id: int, point_code: str, reason: str, address: str = "", without_clerk: bool = False
) -> Application:
    """A supervisor moves one open application to another acceptance point (a point closing, a
    counter overloaded): the applicant is told where it is now handled and why. Only before the
    card is dispatched; a move to where it already is changes nothing. To a point where no clerk
    works only when said so (`without_clerk`, as the desk asks before a move there): an outsider's
    card, dispatched there, could be received by nobody and moved nowhere."""
    point, reason = _move_target(actor=actor, point_code=point_code, reason=reason)
    application = _locked(application_id)
    if application.acceptance_point_id == point.code:
        return application
    if not without_clerk and not selectors.point_has_clerk(point):
        raise Conflict(
            _(
                "No clerk works at %(point)s: nobody there could receive and hand over the card. Give it a clerk "
                "first, or choose another point; to move it there anyway, send without_clerk: true."
            )
            % {"point": point.name}
        )
    if application.status not in MOVABLE_STATUSES:
        raise Conflict(
            _('This application\'s status is "%(status)s": only one whose card has not left production can move.')
            % {"status": application.get_status_display()},
            extra={"status": application.status},
        )
    _move_chunk(
        [application.pk], before=application.acceptance_point, point=point, reason=reason, actor=actor, address=address
    )
    application.refresh_from_db()
    return application


def applications_move_from(
    *,
    actor,
    from_code: str,
    point_code: str,
    reason: str,
    address: str = "",
    only: list[int] | None = None,
    until: float | None = None,
) -> int:
    """Every application of a point that can still move, to another point (a point closing for
    good, or for a while); with `only`, those of them the supervisor was shown, no other (one
    moved in meanwhile was moved unseen, an outsider found). Returns how many moved.

    In chunks, each its own transaction with its rows locked, written set-based: a busy point's
    1,318 moved one by one in one transaction outlasted the request and every step taken on them
    meanwhile waited for all (an outsider). A step taken on one at the same time happens before
    its chunk or waits for that chunk only; a chunk's moves are whole, and a move asked again
    moves what is left. With `until` (a time.monotonic() value), no chunk starts after it: a page
    moves the rest in its next request rather than outlast the server's timeout."""
    with transaction.atomic():  # the checks; each chunk takes the point's lock again
        point, reason = _move_target(actor=actor, point_code=point_code, reason=reason)
    if from_code == point.code:
        raise Invalid(fields={"acceptance_point": [_("Choose another point than the one they leave.")]})
    before = AcceptancePoint.objects.filter(code=from_code).first()
    if before is None:
        return 0
    movable = Application.objects.filter(acceptance_point_id=from_code, status__in=MOVABLE_STATUSES)
    if only is not None:
        movable = movable.filter(pk__in=only)
    ids = list(movable.order_by("id").values_list("pk", flat=True))
    moved = 0
    for start in range(0, len(ids), MOVE_CHUNK):
        chunk = _move_chunk(
            ids[start : start + MOVE_CHUNK], before=before, point=point, reason=reason, actor=actor, address=address
        )
        if chunk is None:
            raise Conflict(
                _(
                    "%(point)s was closed while the applications moved: %(n)d moved there, the others stayed "
                    "where they were."
                )
                % {"point": point.name, "n": moved}
            )
        moved += chunk
        if until is not None and time.monotonic() > until:
            break
    return moved


MOVE_CHUNK = 200


@transaction.atomic
def _move_chunk(
    ids: list[int], *, before: AcceptancePoint, point: AcceptancePoint, reason: str, actor, address
) -> int | None:
    """One chunk of a move: the point, a history row, an audit event, the document and the
    applicant's notice for each; None, and nothing moved, if the point it moves to has closed.
    The point is locked as _move_target locks it: an administrator closing it waits for the chunk."""
    if not AcceptancePoint.objects.select_for_update(no_key=True).filter(code=point.code, active=True).exists():
        return None
    applications = list(
        Application.objects.select_for_update(of=("self",))
        .select_related("person")
        # Re-checked under the lock: one moved, dispatched or closed meanwhile stays as it is.
        .filter(pk__in=ids, acceptance_point_id=before.code, status__in=MOVABLE_STATUSES)
        .order_by("id")
    )
    if not applications:
        return 0
    now = clock.now()
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(acceptance_point=point, updated_at=now)
    note = f"{before.name} → {point.name}：{reason}"
    StatusChange.objects.bulk_create(
        [
            StatusChange(application=a, status=a.status, action="move", at=now, actor=actor, note=note)
            for a in applications
        ]
    )
    audit_records(
        type=AuditEventType.APPLICATION_CHANGED,
        actor=actor,
        address=address,
        events=[
            (
                a.person.id_number,
                {
                    "application": a.reference,
                    "action": "move",
                    "point_from": before.code,
                    "point_to": point.code,
                    "reason": reason,
                },
            )
            for a in applications
        ],
    )
    documents.refresh_many([a.pk for a in applications])
    for application in applications:
        application.acceptance_point = point
    notices.send_many(applications, "application_moved", reason=reason)
    return len(applications)
