"""Every write of residence registration: houses, declarations (declarant, tenant self-report,
counter), their confirmation, sub-accounts and bulk declarations. A recorded move-in writes the
registration eligibility reads (records.Registration, as an import does)."""

import csv
import datetime as dt
import io
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residence.accounts.models import Kind, LoginSession, Role, Status, User
from residence.accounts.selectors import user_by_username
from residence.accounts.services.common import password_problems, raise_duplicate, refuse_taken, save_unique, taken
from residence.accounts.services.sessions import sessions_end_all
from residence.audit.models import AuditEventType
from residence.audit.services import audit_record, audit_records
from residence.core import clock, limits, locks
from residence.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NameMismatch,
    NotFound,
    PayloadTooLarge,
    RateLimited,
)
from residence.core.validators import (
    FORBIDDEN_CHARACTERS_RE,
    birth_date_of,
    mask_id_number,
    normalize_building_code,
    normalize_id_number,
    normalize_name,
    normalize_phone,
    normalize_room,
    parse_date,
    person_name_problem,
    plain_text_problem,
    sentences,
    text_problem,
    validate_username,
)
from residence.notifications.services import Notice, message_send, notices_send
from residence.places.models import Street
from residence.records.importing import REGISTRATIONS_LOCK
from residence.records.models import Identity, Registration
from residence.records.services import registrations_write

from . import notices, rules, selectors
from .models import BulkUpload, DeclarantType, Declaration, House, HousingType, Occupancy

BULK_HEADER = ["house", "kind", "name", "id_number", "phone", "declarant_type", "occupation", "reason", "date"]
BULK_MAX_ROWS = 10_000
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class TooManyRows(PayloadTooLarge):
    default_message = gettext_lazy("A bulk file has at most 10,000 rows.")


# --- who may declare ----------------------------------------------------------------------


def organisation_of(actor) -> User | None:
    """The organisation account an organisation administrator or sub-account acts for."""
    if actor.kind == Kind.ORGANISATION:
        return actor
    if actor.kind == Kind.SUB_ACCOUNT:
        return actor.parent
    return None


def declarant_required(actor) -> None:
    """Declarants (API.md): a verified individual, an active organisation (administrator or
    sub-account), a clerk of a registration point at the counter."""
    organisation = organisation_of(actor)
    if organisation is not None:
        if organisation.status != Status.ACTIVE or actor.status != Status.ACTIVE:
            raise Forbidden(
                _("The organisation account is not active yet: a clerk activates it at a registration point.")
            )
        return
    if actor.kind == Kind.INDIVIDUAL:
        if actor.person_id is None:
            raise Forbidden(_("Pass real-name verification before declaring."))
        return
    if actor.kind == Kind.STAFF and actor.role == Role.CLERK:
        return
    raise Forbidden()


def clerks_district(actor) -> str | None:
    """The district whose houses a clerk confirms and takes declarations for: their point's."""
    point = actor.point
    return point.street.district_id if point is not None else None


def in_clerks_district(actor, house: House) -> House:
    """A clerk acts for the houses of their point's district only (an outsider confirmed a house
    across the city, and declared for it, from another district's point)."""
    if house.street.district_id != clerks_district(actor):
        raise Forbidden(
            _("This house is in another district: a registration point of %(district)s handles it.")
            % {"district": house.street.district.shown_name}
        )
    return house


def _house_for(actor, house_id) -> House:
    """A house the actor may declare for: 404 for another account's, 403 for a sub-account's house
    not given to it (API.md)."""
    house = House.objects.select_related("street__district", "owner").filter(pk=house_id).first() if house_id else None
    if house is None:
        raise NotFound()
    if actor.kind == Kind.STAFF:
        return in_clerks_district(actor, house)
    holder = organisation_of(actor) or actor
    if house.owner_id != holder.pk:
        raise NotFound()
    if actor.kind == Kind.SUB_ACCOUNT and not house.sub_accounts.filter(pk=actor.pk).exists():
        raise Forbidden(_("This house has not been given to your sub-account."))
    return house


class TooManyNames(RateLimited):
    default_message = gettext_lazy(
        "Too many names that differ from the population records, or dates that conflict with a person's "
        "registration, today: declarations that name a person are refused until tomorrow. Check the names "
        "against the ID cards and the dates of the moves."
    )
    says_when = True


class UnconfirmedHouse(Conflict):
    default_message = gettext_lazy(
        "This house is waiting for a clerk to confirm it: declarations can be made for it once it is "
        "confirmed. Bring the proof of housing (title deed or lease) to a registration point, such as "
        "your street office's acceptance point."
    )


def declarable_at_counter(house: House, clerk) -> House:
    """The house, if a clerk may take a declaration for it now (confirmed); else the refusal."""
    return _declarable(house, clerk)


def _declarable(house: House, actor=None) -> House:
    """Declarations change where people are registered, which eligibility reads: only for a house
    a clerk has confirmed (its proof of housing seen), so an account cannot move a stranger's
    registration by registering a house it does not hold. A clerk is told to confirm it, not to
    bring the proof to a registration point (an outsider's clerk, at one, was)."""
    if not house.confirmed:
        if actor is not None and actor.kind == Kind.STAFF:
            raise UnconfirmedHouse(
                _("This house is waiting for confirmation: check its proof of housing and confirm it first.")
            )
        raise UnconfirmedHouse()
    return house


def _people_quota(actor) -> limits.Quota:
    """The declarant's day of answers about a person that tell what the records hold: a name that
    differs from them, a move-in dated against a registration another declarant recorded."""
    declarant = organisation_of(actor) or actor
    allowed = (
        settings.LIMIT_REAL_NAME_FAILURES_PER_DAY
        if declarant.kind == Kind.INDIVIDUAL
        else settings.LIMIT_DECLARATION_NAME_FAILURES_PER_DAY
    )
    return limits.Quota("declaration_names", str(declarant.pk), allowed, error=TooManyNames)


def _names_refused(actor, rows: list[tuple], field: str | None = None, *, counted: bool = True) -> dict:
    """Move-ins `(key, id_number, name)` whose person is in the population records under another
    name: their refusals by key, each naming `field` (or, without it, the key as the field). A
    person of the records is declared under the recorded name.

    The declarant's day counts wrong names (LIMIT_DECLARATION_NAME_FAILURES_PER_DAY; an
    organisation's with its sub-accounts'): a declarant cannot try names on a stranger's number.
    A private person's day allows no more than their real-name verification does
    (LIMIT_REAL_NAME_FAILURES_PER_DAY): a landlord's few tenants need no more, and an outsider's
    landlord tried four times as many names on a stranger's number here as real-name allows.
    Once the day is used up, every row from there on is refused alike, a recorded person's or not,
    right name or not, so nothing is learnt (an outsider's file, refused only for the recorded people, told
    which numbers the records hold). One query for the names; the count is touched once to see
    the day is not used up (taken back at once) and once per wrong name. Not `counted`: the
    names compared again, for a report in another language, counting nothing."""
    if not rows:
        return {}
    quota = _people_quota(actor)
    refused = {}
    try:
        if counted:
            quota.probe()
    except TooManyNames as exc:
        return {key: exc for key, _number, _name in rows}
    recorded = dict(
        Identity.objects.filter(id_number__in={number for _k, number, _n in rows}).values_list("id_number", "name")
    )
    for index, (key, number, name) in enumerate(rows):
        if number in recorded and normalize_name(recorded[number]) != normalize_name(name):
            try:
                if counted:
                    quota.count()
            except TooManyNames as exc:
                # The rows before keep their own answers, counted already (an outsider's file with
                # 22 wrong names read "too many" on the 14 still inside the day's limit too).
                return {**refused, **{later: exc for later, _number, _name in rows[index:]}}
            refused[key] = NameMismatch(fields={field or key: [_("The name differs from the population records.")]})
    return refused


# --- houses -------------------------------------------------------------------------------


def _text(data: dict, field: str, errors: dict, length: int, message) -> str:
    value = data.get(field)
    value = value.strip() if isinstance(value, str) else ""
    if problem := text_problem(value, length, message):
        errors[field] = [str(problem)]
    elif field != "room" and plain_text_problem(value):  # a room is checked once normalised
        errors[field] = [str(plain_text_problem(value))]
    return value


def house_create(*, actor, data: dict) -> House:
    declarant_required(actor)
    if actor.kind in (Kind.SUB_ACCOUNT, Kind.STAFF):
        raise Forbidden(_("Houses are registered by the account that holds them."))
    errors = {}
    street = Street.objects.filter(code=data.get("street") or "").select_related("district").first()
    if street is None:
        errors["street"] = [_("Choose a Shenzhen street (its 9-digit code).")]
    try:
        code = normalize_building_code(data.get("building_code"))
    except ValidationError as error:
        errors["building_code"] = error.messages
    name = _text(data, "building_name", errors, 100, _("Enter the building's name."))
    room = _text(data, "room", errors, 30, _("Enter the room."))
    if "room" not in errors:
        room = normalize_room(room)
        # NFKC may lengthen it (㍿ → 株式会社); invisible characters alone leave nothing.
        if problem := text_problem(room, 30, _("Enter the room.")):
            errors["room"] = [str(problem)]
        elif plain_text_problem(room):  # after NFKC: ＝1+1 is =1+1 (an outsider stored it)
            errors["room"] = [str(plain_text_problem(room))]
    address = _text(data, "address", errors, 200, _("Enter the address."))
    if data.get("housing_type") not in HousingType.values:
        errors["housing_type"] = [_("Choose rented, owned, managed, dormitory, hotel or other.")]
    elif data["housing_type"] == HousingType.HOTEL and actor.kind == Kind.INDIVIDUAL:
        # A person declares as landlord or owner (API.md); a hotel's guests are its operator's to
        # declare, at once (RULES §1).
        errors["housing_type"] = [
            _("A hotel is registered, and its guests declared, by its operator's organisation account.")
        ]
    if errors:
        raise Invalid(fields=errors)
    try:
        with transaction.atomic():
            house = House.objects.create(
                owner=actor,
                street=street,
                building_code=code,
                building_name=name,
                room=room,
                address=address,
                housing_type=data["housing_type"],
                created_at=clock.now(),
            )
            # A house is what lets an account declare people in and out: who registered which room
            # is on record, like its confirmation (an outsider found no event for it).
            audit_record(
                type=AuditEventType.HOUSE_REGISTERED,
                actor=actor,
                subject=actor,
                house=house.pk,
                street=street.code,
                building_code=code,
                room=room,
            )
            return house
    except IntegrityError:
        raise Conflict(_("You have already registered this room of this building.")) from None


@transaction.atomic
def house_confirm(*, actor, house_id: int) -> House:
    if actor.kind != Kind.STAFF or actor.role != Role.CLERK:
        raise Forbidden()
    house = (
        House.objects.select_for_update(of=("self",))
        .select_related("street__district", "owner")
        .filter(pk=house_id)
        .first()
    )
    if house is None:
        raise NotFound()
    in_clerks_district(actor, house)
    if house.confirmed:
        return house
    house.confirmed, house.confirmed_by, house.confirmed_at = True, actor, clock.now()
    house.save(update_fields=["confirmed", "confirmed_by", "confirmed_at"])
    # The confirmation is what lets an account declare people in and out: who vouched, where.
    audit_record(
        type=AuditEventType.HOUSE_CONFIRMED,
        actor=actor,
        subject=house.owner,
        house=house.pk,
        street=house.street_id,
        building_code=house.building_code,
        room=house.room,
        point=actor.point_id,
    )
    message_send(user=house.owner, key="house_confirmed", house=house.full_address)
    return house


# --- declarations -------------------------------------------------------------------------


def _code(value, allowed: range, field: str, errors: dict, message):
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 3:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        errors[field] = [message]
        return None
    return value


def _date(value, errors: dict, today: dt.date):
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = parse_date(value if isinstance(value, str) else "")
        except ValidationError as e:
            errors["date"] = e.messages
            return None
    if day > today:
        errors["date"] = [_("The date cannot be in the future.")]
        return None
    return day


def _name(value, field: str, errors: dict, message) -> str:
    """A name as on the ID card: 1 to 100 characters of a person's name
    (`core.validators.person_name_problem`), the problem into `errors`; kept in the form names
    compare in (an outsider's full-width "测试Ｋ" matched the records' "测试K" but was stored as typed)."""
    name = value.strip() if isinstance(value, str) else ""
    if problem := text_problem(name, 100, message):
        errors[field] = [str(problem)]
    elif person_name_problem(name):
        errors[field] = [str(person_name_problem(name))]
    return normalize_name(name)


def clean_declaration(data: dict, *, today: dt.date, account_kind: str) -> dict:
    """The declaration's own fields, every problem at once; `account_kind` is the declaring
    account's, which limits the declarant types it may give."""
    errors = {}
    kind = data.get("kind")
    if kind not in Declaration.Kind.values:
        errors["kind"] = [_("Choose move_in or move_out.")]
    person = data.get("person") if isinstance(data.get("person"), dict) else {}
    cleaned = {"kind": kind, "date": _date(data.get("date"), errors, today)}
    try:
        cleaned["id_number"] = normalize_id_number(person.get("id_number") or "")
    except ValidationError as e:
        errors["person.id_number"] = e.messages
    else:
        # A move before the person was born would backdate the residence clock (RULES §1, §2).
        if cleaned["date"] is not None and cleaned["date"] < birth_date_of(cleaned["id_number"]):
            errors["date"] = [_("The date lies before the person's birth (by the ID number).")]
    if kind == Declaration.Kind.MOVE_IN:
        name = _name(person.get("name"), "person.name", errors, _("Enter the person's name as on the ID card."))
        try:
            cleaned["phone"] = normalize_phone(person.get("phone") or "")
        except ValidationError as e:
            errors["person.phone"] = e.messages
        if data.get("declarant_type") not in DeclarantType.values:
            errors["declarant_type"] = [_("Choose landlord, owner, manager, employer, school, hotel or tenant.")]
        elif problem := rules.declarant_type_problem(account_kind=account_kind, declarant_type=data["declarant_type"]):
            errors["declarant_type"] = [problem]
        cleaned.update(
            name=name,
            declarant_type=data.get("declarant_type"),
            occupation=_code(
                data.get("occupation"),
                rules.OCCUPATIONS,
                "occupation",
                errors,
                _("Give an occupation code from 1 to 13."),
            ),
            reason=_code(
                data.get("reason"), rules.REASONS, "reason", errors, _("Give a reason-for-coming code from 1 to 14.")
            ),
        )
    if errors:
        raise Invalid(fields=errors)
    return cleaned


def clean_declarant(declarant) -> dict:
    """A walk-in declarant at the counter: name, ID number and phone, as a person's are checked."""
    declarant = declarant if isinstance(declarant, dict) else {}
    errors = {}
    cleaned = {
        "name": _name(
            declarant.get("name"), "declarant.name", errors, _("Enter the declarant's name as on the ID card.")
        )
    }
    for field, normalize in (("id_number", normalize_id_number), ("phone", normalize_phone)):
        try:
            cleaned[field] = normalize(declarant.get(field))
        except ValidationError as e:
            errors[f"declarant.{field}"] = e.messages
    if errors:
        raise Invalid(fields=errors)
    return cleaned


def _reference(today: dt.date) -> str:
    return "DJ" + today.strftime("%y%m%d") + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def _unique_references(declarations: list[Declaration], today: dt.date) -> None:
    """New references for those that another declaration holds, or that repeat among these: a day
    has about a billion, and an outsider's second 10,000-row file of a day met one of the first's
    (a 13 % chance, growing with each file) and was refused with a 500."""
    while True:
        refs = [d.reference for d in declarations]
        taken = set()
        for start in range(0, len(refs), 2000):
            chunk = refs[start : start + 2000]
            taken.update(Declaration.objects.filter(reference__in=chunk).values_list("reference", flat=True))
        seen, clashing = set(), []
        for declaration in declarations:
            if declaration.reference in taken or declaration.reference in seen:
                clashing.append(declaration)
            seen.add(declaration.reference)
        if not clashing:
            return
        for declaration in clashing:
            declaration.reference = _reference(today)


def _store_with_unique_references(declarations: list[Declaration], today: dt.date) -> list[Declaration]:
    """Stored under references no other declaration holds. Another file's references, confirmed
    at the same moment, are seen only once its transaction ends, when this INSERT, which waited
    on them, fails (two outsiders' files drew one in common: a 500); it is tried again with new
    references for those now taken."""
    for _attempt in range(3):
        _unique_references(declarations, today)
        try:
            with transaction.atomic():
                return Declaration.objects.bulk_create(declarations, batch_size=2000)
        except IntegrityError:
            continue
    raise Conflict(_("Someone declared one of these people meanwhile; nothing was applied."))


class Standing:
    """Where a person stands now: the occupancy of the house they live in by a declaration, the
    start of their open registration and the last day of their latest ended one (declared or
    imported alike)."""

    __slots__ = ("occupancy", "since", "until", "until_since")

    def __init__(self):
        self.occupancy, self.since, self.until, self.until_since = None, None, None, None

    def problem(self, *, kind: str, house_id: int, holder_id: int, date: dt.date):
        """`holder_id`: the account holding the house declared for. The dates a move-in must follow
        are told only to the holder of the house the person lives in now, who declared them."""
        occupancy = self.occupancy
        lives_in = None if occupancy is None else (occupancy.house_id, occupancy.since)
        own = occupancy is not None and occupancy.house.owner_id == holder_id and occupancy.since == self.since
        return rules.move_problem(
            kind=kind,
            house_id=house_id,
            date=date,
            lives_in=lives_in,
            since=self.since,
            until=self.until,
            until_since=self.until_since,
            dates_shown=own,
        )


def _standings(id_numbers, *, lock: bool) -> dict[str, Standing]:
    """Each person's Standing; with `lock`, their occupancies are locked (in one order, so that
    two files moving the same people wait for each other instead of deadlocking), and the
    registrations too against an import of them, before they are read (an outsider's import
    and declarations, each blind to the other's rows, left people with two open registrations
    and rewrote an accepted move-out's date). Declarations share that lock among themselves."""
    if lock:
        locks.for_transaction(
            REGISTRATIONS_LOCK,
            shared=True,
            wait=settings.DECLARATION_WAIT_SECONDS,
            busy=_("The residence registration records are being updated just now. Send this again in a minute."),
        )
    standings = {number: Standing() for number in id_numbers}
    occupancies = Occupancy.objects.filter(id_number__in=list(standings)).select_related("house").order_by("id")
    if lock:
        occupancies = occupancies.select_for_update()
    for occupancy in occupancies:
        standings[occupancy.id_number].occupancy = occupancy
    # A person's registrations do not overlap: the latest ended one also started last of those ended.
    for number, since, until, until_since in (
        Registration.objects.filter(id_number__in=list(standings))
        .values_list("id_number")
        .annotate(
            since=Max("registered_on", filter=Q(ended_on__isnull=True)),
            until=Max("ended_on"),
            until_since=Max("registered_on", filter=Q(ended_on__isnull=False)),
        )
    ):
        standing = standings[number]
        standing.since, standing.until, standing.until_since = since, until, until_since
    return standings


def _move_in(declaration: Declaration) -> None:
    """Record a move-in: the person lives here from its date; the registration eligibility reads
    starts that day, and the current one elsewhere ends the day before (API.md). A person lives in
    one place at a time: moving in here ends the occupancy of the house they lived in."""
    house = declaration.house
    standing = _standings([declaration.id_number], lock=True)[declaration.id_number]
    problem = standing.problem(
        kind=Declaration.Kind.MOVE_IN, house_id=house.pk, holder_id=house.owner_id, date=declaration.date
    )
    if problem is not None:
        raise problem
    previous = standing.occupancy.declaration_id if standing.occupancy is not None else None
    if standing.occupancy is not None:
        standing.occupancy.delete()
    try:
        with transaction.atomic():
            Occupancy.objects.create(
                house=house, id_number=declaration.id_number, since=declaration.date, declaration=declaration
            )
    except IntegrityError:
        raise Conflict(_("Another declaration for this person was recorded meanwhile; try again.")) from None
    records = [
        _registration(current, ended_on=declaration.date - dt.timedelta(days=1))
        for current in Registration.objects.filter(id_number=declaration.id_number, ended_on__isnull=True)
    ]
    records += _ended_on_the_day({declaration.id_number: declaration.date})
    address = house.full_address
    new = {
        "id_number": declaration.id_number,
        "street_id": house.street_id,
        "address": address,
        "registered_on": declaration.date,
        "ended_on": None,
    }
    registrations_write([*records, new])
    declaration.registration = Registration.objects.get(id_number=declaration.id_number, registered_on=declaration.date)
    notices.tell(
        [
            notices.Ended(
                id_number=declaration.id_number,
                address=record["address"],
                ended_on=record["ended_on"],
                previous=previous,
                moved_to=address,
                date=declaration.date,
            )
            for record in records
        ],
        declarant=declaration.declared_by,
    )
    if not records:
        notices.tell_started(
            [notices.Started(id_number=declaration.id_number, address=address, date=declaration.date)],
            declarant=declaration.declared_by,
        )
    _reports_superseded([declaration])


def _reports_superseded(moved_in: list[Declaration]) -> None:
    """Tenants' waiting reports that these recorded move-ins leave impossible to confirm (of the
    same person, dated on or before the move-in, or into the same house): closed, their tenants
    told. An outsider's stayed pending for good, each confirmation refused. One a holder is
    confirming just now is left to that confirmation."""
    if not moved_in:
        return
    by_person: dict[str, list[Declaration]] = {}
    for declaration in moved_in:
        by_person.setdefault(declaration.id_number, []).append(declaration)
    # The people's waiting reports, few, then the stale ones among them here: one OR-ed condition a
    # move-in made a 10,000-row file's query take seconds to plan (an outsider's file timed out).
    waiting = (
        Declaration.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(id_number__in=list(by_person), status=Declaration.Status.PENDING, kind=Declaration.Kind.MOVE_IN)
        .exclude(pk__in=[d.pk for d in moved_in])
        .select_related("house", "declared_by")
    )
    stale = [
        report
        for report in waiting
        if any(report.date <= d.date or report.house_id == d.house_id for d in by_person[report.id_number])
    ]
    if not stale:
        return
    superseded = Declaration.Status.SUPERSEDED
    Declaration.objects.filter(pk__in=[r.pk for r in stale]).update(status=superseded)
    audit_records(
        type=AuditEventType.DECLARATION_RECORDED,
        events=[
            (r.id_number, {"declaration": r.reference, "kind": r.kind, "status": superseded, "house": r.house_id})
            for r in stale
        ],
    )
    notices_send(
        [
            Notice(
                users=(r.declared_by,),
                phone="",
                key="registration_report_superseded",
                params={"reference": r.reference, "house": r.house.full_address},
            )
            for r in stale
        ],
        purpose="registration_report_superseded",
    )


def _ended_on_the_day(move_ins: dict[str, dt.date]) -> list[dict]:
    """The registrations that ended on the day of their person's move-in (`move_ins`: ID number →
    date): ended the day before instead, as the move-in would end one still open (move_problem
    has refused one begun that day). One query for a whole file (one a row was 10,000 queries,
    and two files confirmed at once ran past the worker's time limit: an outsider)."""
    if not move_ins:
        return []
    found = Registration.objects.filter(
        id_number__in=list(move_ins), ended_on__range=(min(move_ins.values()), max(move_ins.values()))
    )
    return [
        _registration(ended, ended_on=ended.ended_on - dt.timedelta(days=1))
        for ended in found
        if ended.ended_on == move_ins[ended.id_number] and ended.registered_on < ended.ended_on
    ]


def _move_out(declaration: Declaration) -> None:
    standing = _standings([declaration.id_number], lock=True)[declaration.id_number]
    problem = standing.problem(
        kind=Declaration.Kind.MOVE_OUT,
        house_id=declaration.house_id,
        holder_id=declaration.house.owner_id,
        date=declaration.date,
    )
    if problem is not None:
        raise problem
    occupancy = standing.occupancy
    declaration.name = declaration.name or occupancy.declaration.name
    occupancy.delete()
    registration = Registration.objects.filter(id_number=declaration.id_number, registered_on=occupancy.since).first()
    if registration is not None and registration.ended_on is None:
        registrations_write([_registration(registration, ended_on=declaration.date)])
        registration.refresh_from_db()
        declaration.registration = registration
        notices.tell(
            [
                notices.Ended(
                    id_number=declaration.id_number,
                    address=registration.address,
                    ended_on=declaration.date,
                    previous=occupancy.declaration_id,
                )
            ],
            declarant=declaration.declared_by,
        )


def occupancies_ended_by_import(records: list[dict]) -> None:
    """An imported registration that ends a declared one (the police's record of a move-in
    elsewhere, or of its end) ends the occupancy it stood for, in the import's transaction: an
    outsider's person, registered elsewhere by the police, was still listed as living in the
    house, a move-in back there was "already lives here", and a move-out ended nothing."""
    people = sorted({record["id_number"] for record in records})
    its_registration = Registration.objects.filter(id_number=OuterRef("id_number"), registered_on=OuterRef("since"))
    ended = its_registration.filter(ended_on__isnull=False)
    # A row of the same day in another street rewrote it: the police's record of where the person
    # lives is not this house (an outsider's stayed listed in the house, registered elsewhere).
    elsewhere = its_registration.exclude(street_id=OuterRef("house__street_id"))
    for start in range(0, len(people), 10_000):
        Occupancy.objects.filter(id_number__in=people[start : start + 10_000]).filter(
            Q(Exists(ended)) | Q(Exists(elsewhere))
        ).delete()


def _moved_in_as(id_numbers) -> dict[str, str]:
    """The declarant type of each person's standing move-in. A move-out names none (API.md), and
    its allowance is the one of the house's declarant (RULES §1: a hotel's 0 days, an owner's 15),
    not always a landlord's 7, as an outsider found."""
    types = Occupancy.objects.filter(id_number__in=list(id_numbers)).values_list(
        "id_number", "declaration__declarant_type"
    )
    # A tenant's own report is not the house's declarant: the holder moves them out as its landlord,
    # said so (an outsider's move-out answered a null type).
    return {number: DeclarantType.LANDLORD if kind == DeclarantType.TENANT else kind for number, kind in types}


def house_waited(house: House, date: dt.date) -> int:
    """The days after a move on `date` that `house` waited for its confirmation (rules.house_wait)."""
    return rules.house_wait(
        date=date,
        registered_on=timezone.localdate(house.created_at),
        confirmed_on=timezone.localdate(house.confirmed_at) if house.confirmed_at else None,
    )


def _new_declaration(*, actor, house, cleaned, status, today, now, moved_in_as, declarant=None) -> Declaration:
    declarant_type = cleaned.get("declarant_type") or moved_in_as.get(cleaned["id_number"], "")
    return Declaration(
        reference=_reference(today),
        house=house,
        kind=cleaned["kind"],
        status=status,
        id_number=cleaned["id_number"],
        name=cleaned.get("name", ""),
        phone=cleaned.get("phone", ""),
        declarant_type=declarant_type,
        occupation=cleaned.get("occupation"),
        reason=cleaned.get("reason"),
        date=cleaned["date"],
        declared_on=today,
        days_late=rules.days_late(
            declarant_type=declarant_type,
            date=cleaned["date"],
            declared_on=today,
            house_waited=house_waited(house, cleaned["date"]),
        ),
        declared_by=actor,
        declarant=declarant or {},
        created_at=now,
    )


def _record(*, actor, house: House, cleaned: dict, status: str, declarant: dict | None = None) -> Declaration:
    moving_out = cleaned["kind"] == Declaration.Kind.MOVE_OUT
    declaration = _new_declaration(
        actor=actor,
        house=house,
        cleaned=cleaned,
        status=status,
        today=clock.today(),
        now=clock.now(),
        moved_in_as=_moved_in_as([cleaned["id_number"]]) if moving_out else {},
        declarant=declarant,
    )
    _unique_references([declaration], declaration.declared_on)
    declaration.save()
    if status == Declaration.Status.RECORDED:
        if declaration.kind == Declaration.Kind.MOVE_IN:
            _move_in(declaration)
        else:
            _move_out(declaration)
        declaration.save(update_fields=["registration", "name"])
    _audit(actor, declaration)
    return declaration


def declaration_create(*, actor, data: dict, declarant: dict | None = None) -> Declaration:
    """A move-in or move-out declared by a declarant, or a tenant's self-report (pending until
    the house's holder confirms it). The checks read; the name check's count commits on its own
    (`_name_as_recorded`); the writes are one transaction."""
    declarant_required(actor)
    if actor.kind == Kind.STAFF and declarant is None:
        # A clerk declares for a walk-in, who is named on the declaration (an outsider's clerk
        # declared through the holders' endpoint and left the declarant out).
        raise Forbidden(_("A clerk declares at the counter, naming the walk-in declarant (the staff endpoint)."))
    today = clock.today()
    errors = {}  # the walk-in declarant's, the declaration's and the house's, all at once
    if declarant is not None:
        try:
            declarant = clean_declarant(declarant)
        except Invalid as exc:
            errors.update(exc.fields)
    try:
        cleaned = clean_declaration(data, today=today, account_kind=actor.kind)
    except Invalid as exc:
        errors.update(exc.fields)
    house_id = data.get("house")
    tenant = data.get("declarant_type") == DeclarantType.TENANT
    if not tenant and (isinstance(house_id, bool) or not isinstance(house_id, int)):
        errors["house"] = [_("Give the id of the house.")]
    if errors:
        raise Invalid(fields=errors)
    if tenant:
        with transaction.atomic():
            return _tenant_report(actor=actor, data=data, cleaned=cleaned)
    house = _declarable(_house_for(actor, house_id), actor)
    if problem := _declarant_misfit(cleaned, housing_type=house.housing_type, account_kind=actor.kind):
        raise problem
    # The person of a move-in and a walk-in declarant at the counter are both checked against the
    # records (an outsider declared at the counter under a wrong declarant name). Outside the
    # write's transaction: a wrong name's count commits before it is refused.
    names = [("declarant.name", declarant["id_number"], declarant["name"])] if declarant is not None else []
    if cleaned["kind"] == Declaration.Kind.MOVE_IN:
        names.append(("person.name", cleaned["id_number"], cleaned["name"]))
    refused = list(_names_refused(actor, names).values())
    if any(isinstance(exc, TooManyNames) for exc in refused):
        raise refused[0]
    if refused:
        raise NameMismatch(fields={f: m for exc in refused for f, m in exc.fields.items()})
    try:
        return _declaration_recorded(actor=actor, house=house, cleaned=cleaned, declarant=declarant)
    except rules.OthersRecord:
        # Counted once the refusal has rolled the write back (an outsider dated move-ins against a
        # stranger's registration until they learnt when it began).
        _people_quota(actor).count()
        raise


@transaction.atomic
def _declaration_recorded(*, actor, house: House, cleaned: dict, declarant: dict | None) -> Declaration:
    declaration = _record(
        actor=actor, house=house, cleaned=cleaned, status=Declaration.Status.RECORDED, declarant=declarant
    )
    if declarant is not None and cleaned["kind"] == Declaration.Kind.MOVE_IN:
        message_send(
            user=house.owner,
            key="registration_counter_move_in",
            house=house.full_address,
            name=declaration.name,
            id_number=mask_id_number(declaration.id_number),
            date=cleaned["date"].isoformat(),
            declarant=declarant["name"],
        )
    return declaration


# Said alike of a house nobody registered and of one a clerk has not confirmed yet (so the answer
# tells a stranger nothing), and what to do in either case (an outsider's tenant read "no such
# house" of the house their landlord had just registered).
NO_SUCH_HOUSE = gettext_lazy(
    "No confirmed house has this street, building code and room. Check them against the door plate; "
    "a house newly registered can be reported into once a clerk has confirmed it."
)


def _tenant_report(*, actor, data: dict, cleaned: dict) -> Declaration:
    if actor.kind != Kind.INDIVIDUAL or actor.person.id_number != cleaned["id_number"]:
        raise Forbidden(_("A tenant reports only their own move-in."))
    if cleaned["kind"] != Declaration.Kind.MOVE_IN:
        raise Invalid(fields={"kind": [_("A tenant reports a move-in.")]})
    # The tenant's own name, as verified: an outsider's report kept "x", shown so to the holder.
    if normalize_name(cleaned["name"]) != normalize_name(actor.person.name):
        raise NameMismatch(
            fields={"person.name": [_("Give your name as verified: %(name)s.") % {"name": actor.person.name}]}
        )
    plate = data.get("house") if isinstance(data.get("house"), dict) else {}
    try:
        code = normalize_building_code(plate.get("building_code"))
    except ValidationError as error:
        raise Invalid(fields={"house.building_code": error.messages}) from None
    house = selectors.confirmed_house_by_plate(
        street=str(plate.get("street") or ""), building_code=code, room=str(plate.get("room") or "")
    )
    if house is None:
        raise Invalid(fields={"house": [NO_SUCH_HOUSE]})
    if house.housing_type == rules.HOTEL_HOUSING:
        # A hotel declares its guests itself, at once: a tenant's 3 days got round that (an outsider).
        raise Invalid(fields={"declarant_type": [str(HOTEL_GUESTS)]})
    # One report waiting per person and house: parallel reports queue on the house's row.
    House.objects.select_for_update().filter(pk=house.pk).first()
    if Declaration.objects.filter(
        house=house, id_number=cleaned["id_number"], status=Declaration.Status.PENDING
    ).exists():
        raise Conflict(_("You have already reported this move-in: it waits for the house's holder to confirm it."))
    standing = _standings([cleaned["id_number"]], lock=False)[cleaned["id_number"]]
    problem = standing.problem(
        kind=Declaration.Kind.MOVE_IN, house_id=house.pk, holder_id=house.owner_id, date=cleaned["date"]
    )
    if problem is not None:
        raise problem
    declaration = _record(actor=actor, house=house, cleaned=cleaned, status=Declaration.Status.PENDING)
    for holder in selectors.holders_of_room(house):
        message_send(
            user=holder,
            key="registration_report_waiting",
            reference=declaration.reference,
            name=declaration.name,
            house=house.full_address,
        )
    return declaration


def _audit(actor, declaration: Declaration, status: str = "") -> None:
    audit_record(
        type=AuditEventType.DECLARATION_RECORDED,
        actor=actor,
        person=declaration.id_number,
        declaration=declaration.reference,
        kind=declaration.kind,
        status=status or declaration.status,
        house=declaration.house_id,
    )


def _report_for_holder(actor, declaration_id: int) -> Declaration:
    """A tenant's self-report for one of the actor's houses, locked, still waiting: 404 for
    another's, 409 once it has been answered."""
    if actor.kind == Kind.STAFF:
        # The account holding the house answers its tenant (API.md); a clerk, who holds none, does
        # not (an outsider's clerk confirmed and declined reports for a district's houses).
        raise Forbidden(_("The account that holds the house answers its tenant's report."))
    # The report alone is locked, its house read after: locked joined to its house, a report that
    # another holder of the room had just answered (its house changed) no longer met the join once
    # PostgreSQL re-read it after the wait, and was answered 404 (an outsider, and the race tests).
    declaration = Declaration.objects.select_for_update().filter(pk=declaration_id).first()
    if declaration is None:
        raise NotFound()
    # Filed under another account's house of a room the actor also holds: the actor's answer
    # decides, and a confirmation records the move into the actor's house.
    shared = selectors.shared_room_house(actor=actor, declaration=declaration)
    # Another account's: 404; a sub-account's house not given to it: 403, as for declaring.
    _house_for(actor, shared.pk if shared else declaration.house_id)
    declarant_required(actor)
    if declaration.status != Declaration.Status.PENDING:
        raise Conflict(_("This report has already been answered or withdrawn."))
    if shared is not None:
        declaration.house = shared
    return declaration


@transaction.atomic
def declaration_decline(*, actor, declaration_id: int) -> Declaration:
    """The holder says the tenant does not live there: the report ends, nothing is recorded, the
    tenant is told (and may report again). An outsider found a wrong report waited for ever."""
    declaration = _report_for_holder(actor, declaration_id)
    declaration.status = Declaration.Status.DECLINED
    # A holder of a shared room answers for its own house, and keeps seeing its answer there.
    declaration.save(update_fields=["status", "house"])
    _audit(actor, declaration)
    message_send(
        user=declaration.declared_by,
        key="registration_report_declined",
        reference=declaration.reference,
        house=declaration.house.full_address,
    )
    return declaration


@transaction.atomic
def declaration_withdraw(*, actor, declaration_id: int) -> Declaration:
    """The tenant takes back their own waiting report."""
    declaration = (
        Declaration.objects.select_for_update()
        .filter(pk=declaration_id, declared_by=actor, declarant_type=DeclarantType.TENANT)
        .first()
    )
    if declaration is None:
        raise NotFound()
    if declaration.status != Declaration.Status.PENDING:
        raise Conflict(_("This report has already been answered or withdrawn."))
    declaration.status = Declaration.Status.WITHDRAWN
    declaration.save(update_fields=["status"])
    _audit(actor, declaration)
    return declaration


def declaration_confirm(*, actor, declaration_id: int) -> Declaration:
    """The holder of the house confirms a tenant's self-report: only then is it recorded. One that
    another move-in of the person, recorded meanwhile, leaves impossible is closed as superseded,
    as it would have been had that move-in come first, and the holder told so: two holders
    confirming one person's two reports at once left the second pending, and "try again" refused
    for ever (an outsider)."""
    try:
        return _declaration_confirm(actor=actor, declaration_id=declaration_id)
    except Conflict:
        if not _overtaken(declaration_id):
            raise
    # Not "elsewhere": the move-in recorded may be into this very house (an outsider's was).
    raise Conflict(_("Another move-in of this person was recorded meanwhile: this report is closed as superseded."))


@transaction.atomic
def _overtaken(declaration_id: int) -> bool:
    """Whether the report is, or is now closed as, superseded by the person's recorded move-in."""
    report = Declaration.objects.filter(pk=declaration_id).first()
    if report is None or report.status not in (Declaration.Status.PENDING, Declaration.Status.SUPERSEDED):
        return False
    occupancy = Occupancy.objects.filter(id_number=report.id_number).select_related("declaration").first()
    if report.status == Declaration.Status.PENDING and occupancy is not None and occupancy.declaration_id != report.pk:
        _reports_superseded([occupancy.declaration])
    return Declaration.objects.filter(pk=declaration_id, status=Declaration.Status.SUPERSEDED).exists()


@transaction.atomic
def _declaration_confirm(*, actor, declaration_id: int) -> Declaration:
    declaration = _report_for_holder(actor, declaration_id)
    _declarable(declaration.house)
    declaration.status = Declaration.Status.RECORDED
    declaration.save(update_fields=["status", "house"])
    _move_in(declaration)
    declaration.save(update_fields=["registration"])
    _audit(actor, declaration, status="confirmed")
    # The tenant's residence clock starts now (an outsider's tenant heard nothing of it).
    message_send(
        user=declaration.declared_by,
        key="registration_report_confirmed",
        reference=declaration.reference,
        house=declaration.house.full_address,
        date=declaration.date.isoformat(),
    )
    return declaration


# --- sub-accounts -------------------------------------------------------------------------


def administrator_required(actor) -> None:
    if actor.kind != Kind.ORGANISATION:
        raise Forbidden(_("Only an organisation's administrator manages sub-accounts."))


def _own_houses(actor, houses: list) -> list[House]:
    """The organisation's houses of these ids; Invalid naming what is wrong with the list (an
    outsider's list with an id twice, or one as text, was told the houses were not the
    organisation's)."""
    ids = [h for h in houses if isinstance(h, int) and not isinstance(h, bool)]
    if len(ids) != len(houses):
        problem = _("Give each house by its id, a number (as the list of houses gives it).")
    elif len(set(ids)) != len(ids):
        problem = _("Give each house once.")
    else:
        given = list(House.objects.filter(owner=actor, pk__in=ids))
        if len(given) == len(ids):
            return given
        problem = _("Give the ids of houses your organisation holds.")
    raise Invalid(fields={"houses": [problem]})


def sub_account_create(*, actor, username: str, password: str, phone: str, houses: list) -> User:
    administrator_required(actor)
    declarant_required(actor)
    errors = {}
    try:
        username = validate_username(username)
    except ValidationError as e:
        errors["username"] = e.messages
    try:
        phone = normalize_phone(phone)
    except ValidationError as e:
        errors["phone"] = e.messages
    given = []
    try:
        given = _own_houses(actor, houses)
    except Invalid as exc:
        errors.update(exc.fields)
    user = User(username=username, phone=phone, kind=Kind.SUB_ACCOUNT, parent=actor, status=Status.ACTIVE)
    weak = password_problems(password, user)
    if weak:
        errors["password"] = weak
    if errors:
        raise Invalid(fields=errors)
    found = taken(username=username.lower(), phone=phone)
    if found and _held_by_own_sub_accounts(actor, username=username.lower(), phone=phone, found=found):
        # Its own sub-account's: a retry or a double tap tells nothing of anyone else, and is not
        # counted (an outsider's twenty at once locked the organisation out until midnight).
        raise_duplicate(found)
    # Counted outside the transaction of the writes: a 409 must not take its own count back.
    refuse_taken(actor, found)
    user.set_password(password)
    with transaction.atomic():
        save_unique(user.save, username=username.lower(), phone=phone)
        user.assigned_houses.set(given)
        audit_record(type=AuditEventType.ACCOUNT_CREATED, actor=actor, subject=user, kind=Kind.SUB_ACCOUNT)
    return user


def _held_by_own_sub_accounts(actor, *, username: str, phone: str, found: dict) -> bool:
    """Whether each identifier in `found` is held by one of the organisation's own sub-accounts."""
    holders = []
    if "username" in found:
        holders.append(user_by_username(username))
    if "phone" in found:
        holders.append(User.objects.filter(phone=phone).first())
    return bool(holders) and all(
        holder is not None and holder.kind == Kind.SUB_ACCOUNT and holder.parent_id == actor.pk for holder in holders
    )


def _sub_account_locked(actor, account_id) -> User:
    """One of the administrator's sub-accounts, locked; another organisation's: 404."""
    administrator_required(actor)
    user = (
        User.objects.select_for_update()
        .filter(pk=account_id if isinstance(account_id, int) else None, parent=actor, kind=Kind.SUB_ACCOUNT)
        .first()
    )
    if user is None:
        raise NotFound()
    return user


@transaction.atomic
def sub_account_houses_set(*, actor, account_id: int, houses: list) -> User:
    """The organisation changes the houses a sub-account declares for (a new dormitory for the
    clerk who has the others: an outsider's HR office could only end the account and open
    another). Another organisation's: 404; a deactivated one: 409."""
    user = _sub_account_locked(actor, account_id)
    if user.status == Status.DISABLED:
        raise Conflict(_("This sub-account is deactivated: it declares for no house."))
    given = _own_houses(actor, houses)
    before = sorted(user.assigned_houses.values_list("pk", flat=True))
    after = sorted(house.pk for house in given)
    if before != after:
        user.assigned_houses.set(given)
        audit_record(type=AuditEventType.SUB_ACCOUNT_HOUSES, actor=actor, subject=user, before=before, after=after)
    return user


@transaction.atomic
def sub_account_deactivate(*, actor, account_id: int) -> User:
    """The organisation ends a sub-account (someone who left): it can no longer sign in, its live
    logins end now, its mobile number is freed, and its declarations stay as they are. Another
    organisation's: 404."""
    user = _sub_account_locked(actor, account_id)
    if user.status == Status.DISABLED:
        return user
    # The number is freed: a mobile binds one account, and the same person may get a new
    # sub-account later (an outsider found the number taken for good).
    user.status, user.is_active, user.phone = Status.DISABLED, False, None
    user.save(update_fields=["status", "is_active", "phone"])
    sessions_end_all(user=user, reason=LoginSession.EndReason.DISABLED)
    audit_record(type=AuditEventType.ACCOUNT_DISABLED, actor=actor, subject=user, kind=Kind.SUB_ACCOUNT)
    return user


# --- bulk declarations --------------------------------------------------------------------


def _bulk_rows(text: str):
    reader = csv.reader(io.StringIO(text, newline=""))  # any line ending: \r\n, \n or a lone \r
    try:
        header = _without_trailing_blanks([h.strip().lstrip("\ufeff") for h in next(reader)])
    except (StopIteration, csv.Error):
        raise Invalid(fields={"file": [_("The file is empty.")]}) from None
    if header != BULK_HEADER:
        raise Invalid(fields={"file": [_("The header must be: %(header)s") % {"header": ",".join(BULK_HEADER)}]})
    line = 1
    while True:
        line += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                message = _("Line %(line)d has a field longer than %(n)d characters.") % {
                    "line": line,
                    "n": csv.field_size_limit(),
                }
            else:
                message = _("Line %(line)d is not valid CSV.") % {"line": line}
            raise Invalid(fields={"file": [message]}) from None
        if any(cell.strip() for cell in row):  # a blank line (or one of commas only) is no row
            yield line, row


def _without_trailing_blanks(row: list[str]) -> list[str]:
    """A row less the empty cells after the last column: Excel and WPS end a row with a comma
    when a cell beyond the table was ever touched."""
    while len(row) > len(BULK_HEADER) and not row[-1].strip():
        row.pop()
    return row


# How a spreadsheet saved in Chinese settings writes a date: 2026/11/27, 2026/1/5, 2026-1-5 (year
# first only: 5/1/2026 could be either day first or month first).
SPREADSHEET_DATE_RE = re.compile(r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})", re.ASCII)


def _spreadsheet_date(text: str) -> str:
    """A year-first date with slashes or dots as ISO 8601; anything else as it is, for the check."""
    found = SPREADSHEET_DATE_RE.fullmatch(text)
    return f"{found[1]}-{int(found[3]):02d}-{int(found[4]):02d}" if found else text


def _code_word(text: str) -> str:
    """A code word in lower case; only an ASCII one (the Kelvin sign's lower case is a plain k)."""
    text = text.strip()
    return text.lower() if text.isascii() else text


def _row_body(row: list[str]) -> dict:
    """A file's row as the API's body. The words of a code column in any case, and dates as a
    spreadsheet re-saves them (an outsider's HR office had every row refused for `Employer` and
    `2026/11/27`)."""
    values = dict(zip(BULK_HEADER, row, strict=False))
    house = values.get("house", "").strip()
    return {
        "house": int(house) if house.isascii() and house.isdigit() and len(house) < 12 else None,
        "kind": _code_word(values.get("kind", "")),
        "person": {
            "name": values.get("name", ""),
            "id_number": values.get("id_number", ""),
            "phone": values.get("phone", ""),
        },
        "declarant_type": _code_word(values.get("declarant_type", "")),
        "occupation": values.get("occupation", "").strip(),
        "reason": values.get("reason", "").strip(),
        "date": _spreadsheet_date(values.get("date", "").strip()),
    }


def _row_problem(exc: DomainError) -> str:
    """The problems of a row, each named by its column in the file (`person.id_number` → `id_number`)."""
    parts = [
        # A problem of the whole row ("row") names no column (an outsider read "row 列：…").
        sentences(messages)
        if field == "row"
        else _("%(column)s: %(problem)s") % {"column": field.removeprefix("person."), "problem": sentences(messages)}
        for field, messages in exc.fields.items()
    ]
    return sentences(parts) or exc.message


def bulk_check(*, actor, text: str) -> BulkUpload:
    """Check every row of a bulk file (API.md): nothing is applied until the uploader confirms.
    Checked as a declaration would be, the house included; the report names each bad row, in
    every language of the platform (`BulkUpload.problems`)."""
    declarant_required(actor)
    if actor.kind not in (Kind.ORGANISATION, Kind.SUB_ACCOUNT, Kind.INDIVIDUAL):
        raise Forbidden()
    forbidden = FORBIDDEN_CHARACTERS_RE.search(text)
    if forbidden:
        line = len(text[: forbidden.start()].splitlines()) or 1
        if text[: forbidden.start()].endswith(("\n", "\r")):
            line += 1
        raise Invalid(fields={"file": [_("Line %(line)d contains characters that are not allowed.") % {"line": line}]})
    rows = []
    for numbered in _bulk_rows(text):
        if len(rows) >= BULK_MAX_ROWS:
            raise TooManyRows()
        rows.append(numbered)
    if not rows:  # a header alone: an outsider's empty export was taken as an upload of nothing
        raise Invalid(fields={"file": [_("The file has no rows under its header.")]})
    today = clock.today()
    valid, invalid = _rows_checked(actor, rows, today=today)
    if invalid:
        invalid = _in_every_language(actor, rows, invalid, today=today)
    with transaction.atomic():
        upload = BulkUpload.objects.create(
            uploader=actor, rows=len(rows), valid=valid, invalid=invalid, created_at=clock.now()
        )
        # A dry run compares names and dates with the population records and applies nothing: on
        # record all the same, so that files probing the records can be seen (an outsider's 40).
        audit_record(
            type=AuditEventType.BULK_CHECKED,
            actor=actor,
            subject=organisation_of(actor) or actor,
            upload=upload.pk,
            rows=len(rows),
            valid=len(valid),
            invalid=len(invalid),
        )
    return upload


def _in_every_language(actor, rows: list, invalid: list[dict], *, today) -> list[dict]:
    """The invalid rows with their reasons in each language of the platform: those rows checked
    again in the others, counting nothing (an outsider's English page listed them in the Chinese
    they were checked in). The rows of the same ID numbers are checked with them: "the same person
    twice" needs the first (an outsider's second line read another reason in Chinese than in
    English)."""
    lines = {row["line"] for row in invalid}

    def person(row) -> str:
        return str(_row_body(row)["person"]["id_number"]).strip().upper()

    people = {person(row) for line, row in rows if line in lines} - {""}
    again = [(line, row) for line, row in rows if line in lines or person(row) in people]
    checked_in = translation.get_language() or settings.LANGUAGE_CODE
    reasons = {row["line"]: {checked_in: row["reason"]} for row in invalid}
    for language, _name in settings.LANGUAGES:
        if language == checked_in:
            continue
        with translation.override(language):
            _valid, twin = _rows_checked(actor, again, today=today, counted=False)
        for row in twin:
            if row["line"] in reasons:
                reasons[row["line"]][language] = row["reason"]
    return [{**row, "reasons": reasons[row["line"]]} for row in invalid]


HOTEL_GUESTS = gettext_lazy(
    "This house is registered as a hotel: its guests are declared by the hotel, at once, as hotel."
)


def _declarant_misfit(cleaned: dict, *, housing_type: str, account_kind: str) -> Invalid | None:
    """A move-in whose declarant type does not fit the house (rules.declarant_fits), said; None otherwise."""
    declarant_type = cleaned.get("declarant_type")
    if cleaned.get("kind") != Declaration.Kind.MOVE_IN or rules.declarant_fits(
        declarant_type=declarant_type, housing_type=housing_type, account_kind=account_kind
    ):
        return None
    if housing_type == rules.HOTEL_HOUSING:
        problem = str(HOTEL_GUESTS)
    elif account_kind == "organisation":
        problem = _("An organisation is not a resident: declare as landlord, manager, employer, school or hotel.")
    else:
        problem = _(
            "Owner living there is for a house registered as owned; this one is registered as %(housing)s: "
            "declare as its landlord or manager."
        ) % {"housing": HousingType(housing_type).label}
    return Invalid(fields={"declarant_type": [problem]})


def _house_problem(actor, house_id: int | None) -> DomainError | None:
    """Why a bulk row's house cannot be declared for, or None: not a house id at all (an outsider's
    "abc" was told it was not his), not one the caller may declare for, or not yet confirmed."""
    if house_id is None:
        return Invalid(fields={"house": [_("Give the house's id, a number, as your list of houses shows it.")]})
    try:
        _declarable(_house_for(actor, house_id))
    except Conflict as exc:  # the caller's own house, not yet confirmed
        return exc
    except DomainError:
        return Invalid(fields={"house": [_("Not a house you may declare for.")]})
    return None


def _moving_on(first: tuple, second: tuple) -> tuple[tuple, tuple] | None:
    """(move-out, move-in) when two rows of one person are a move out of one house and a move into
    another that ends the stay there by itself (the day before it): the move-out is not needed.
    None for any other pair."""
    rows = {row[2]["kind"]: row for row in (first, second)}
    out, into = rows.get(Declaration.Kind.MOVE_OUT), rows.get(Declaration.Kind.MOVE_IN)
    if out is None or into is None or out[1]["house"] == into[1]["house"]:
        return None
    # The same day or the next: a move-in ends the stay elsewhere the day before, as the move-out
    # would. Days apart, or a move-in before the move-out, are two moves (an outsider's move-in ten
    # days earlier cut the declared stay short).
    if not out[2]["date"] <= into[2]["date"] <= out[2]["date"] + dt.timedelta(days=1):
        return None
    return out, into


def _rows_checked(actor, rows: list, *, today, counted: bool = True) -> tuple[list[dict], list[dict]]:
    """(valid, invalid) of numbered rows, the reasons in the active language; `counted`: wrong
    names count toward the declarant's day (`_names_refused`)."""
    valid, invalid, checked = [], [], []
    houses: dict[int, DomainError | None] = {}
    housing: dict[int, str] = {}  # each house's housing type, read once
    seen: dict[str, tuple] = {}  # ID number → the row that declares the person
    not_needed: dict[int, tuple] = {}  # line → (its move-out, the line of the move-in that makes it needless)
    for line, row in rows:
        row = _without_trailing_blanks(row)
        body = _row_body(row)
        try:
            if len(row) != len(BULK_HEADER):
                raise Invalid(
                    fields={
                        "row": [
                            _("This row has %(found)d fields, not %(expected)d (%(header)s).")
                            % {"found": len(row), "expected": len(BULK_HEADER), "header": ",".join(BULK_HEADER)}
                        ]
                    }
                )
            if body["house"] not in houses:
                houses[body["house"]] = _house_problem(actor, body["house"])
            house_problem = houses[body["house"]]
            try:
                cleaned = clean_declaration(body, today=today, account_kind=actor.kind)
            except Invalid as exc:
                # The house's problem with the others of the row (an outsider's was left out).
                if isinstance(house_problem, Invalid):
                    raise Invalid(fields={**house_problem.fields, **exc.fields}) from None
                raise
            if cleaned.get("declarant_type") == DeclarantType.TENANT:
                raise Invalid(fields={"declarant_type": [_("Tenants report themselves, not in a bulk file.")]})
            if house_problem is not None:
                raise house_problem
            if body["house"] not in housing:
                housing[body["house"]] = House.objects.filter(pk=body["house"]).values_list("housing_type", flat=True)[
                    0
                ]
            if misfit := _declarant_misfit(cleaned, housing_type=housing[body["house"]], account_kind=actor.kind):
                raise misfit
            if cleaned["id_number"] in seen:
                first = seen[cleaned["id_number"]]
                if moved_on := _moving_on(first, (line, body, cleaned)):
                    # Kept alone, the move-out ended the person's registration and broke their
                    # residence clock (an outsider's agency filed a move between two rooms so).
                    out, kept = moved_on
                    problem = _("Not needed: the move-in on line %(line)d ends this stay on %(day)s by itself.") % {
                        "line": kept[0],
                        "day": (kept[2]["date"] - dt.timedelta(days=1)).isoformat(),
                    }
                    invalid.append({"line": out[0], "reason": problem})
                    not_needed[out[0]] = (out, kept[0])
                    if out is first:
                        checked.remove(first)
                        checked.append(kept)
                    seen[cleaned["id_number"]] = kept
                    continue
                # Naming the line kept (an outsider could not tell which of two rows was applied).
                raise Invalid(
                    fields={
                        "row": [
                            _("The same person as line %(line)d: declare one move at a time; line %(line)d is kept.")
                            % {"line": first[0]}
                        ]
                    }
                )
            seen[cleaned["id_number"]] = (line, body, cleaned)
        except DomainError as exc:
            invalid.append({"line": line, "reason": _row_problem(exc)})
            continue
        checked.append((line, body, cleaned))
    move_ins = [
        (line, c["id_number"], c["name"]) for line, _body, c in checked if c["kind"] == Declaration.Kind.MOVE_IN
    ]
    refused = _names_refused(actor, move_ins, "name", counted=counted)
    invalid += [{"line": line, "reason": _row_problem(exc)} for line, exc in refused.items()]
    checked = [row for row in checked if row[0] not in refused]
    for line, (out, kept_line) in list(not_needed.items()):
        if kept_line in refused:  # the move-in refused, its move-out stands on its own
            del not_needed[line]
            invalid = [row for row in invalid if row["line"] != line]
            checked.append(out)
    standings = _standings([cleaned["id_number"] for _line, _body, cleaned in checked], lock=False)
    holder_id = (organisation_of(actor) or actor).pk  # every house of the file is the caller's
    problems = {
        line: standings[cleaned["id_number"]].problem(
            kind=cleaned["kind"], house_id=body["house"], holder_id=holder_id, date=cleaned["date"]
        )
        for line, body, cleaned in checked + [out for out, _kept in not_needed.values()]
    }
    if counted and (others := sum(isinstance(problem, rules.OthersRecord) for problem in problems.values())):
        # Each refusal telling of another declarant's record counts as a wrong name does; once the
        # day is used up, every move-in is refused alike, as `_names_refused` refuses them (an
        # outsider's dry runs, free of any limit, found when a stranger's registration began).
        try:
            for _each in range(others):
                _people_quota(actor).count()
        except TooManyNames as exc:
            naming = {line for line, _number, _name in move_ins}
            valid = [row for row in valid if row["line"] not in naming]
            invalid = [row for row in invalid if row["line"] not in naming]
            invalid += [{"line": line, "reason": _row_problem(exc)} for line in naming]
            problems.update(dict.fromkeys(naming, exc))
            checked = [row for row in checked if row[0] not in naming]
    for line, body, cleaned in checked + [out for out, _kept in not_needed.values()]:
        problem = problems[line]
        if line in not_needed:
            # Needless only if it would do: one of a house the person does not live in says so.
            if problem is not None:
                (row,) = [row for row in invalid if row["line"] == line]
                row["reason"] = _row_problem(problem)
        elif problem is not None:
            invalid.append({"line": line, "reason": _row_problem(problem)})
        else:
            valid.append({"line": line, "body": {**body, "date": cleaned["date"].isoformat()}})
    invalid.sort(key=lambda row: row["line"])
    return valid, invalid


def _stale(line: int, problem: str) -> Conflict:
    return Conflict(
        _("Line %(line)d no longer applies (%(problem)s); nothing was applied.") % {"line": line, "problem": problem},
        extra={"line": line},
    )


BULK_CONFIRM_LOCK = "registrations:bulk-confirm"


@transaction.atomic
def bulk_confirm(*, actor, upload_id: int) -> BulkUpload:
    """Apply the valid rows of a checked file in one transaction and in sets (a file is up to
    10,000 rows: a few statements per kind of write, not a few per row). A row that no longer
    applies (someone moved meanwhile) undoes them all and is named in the answer. One file at a
    time across the platform (settings.BULK_CONFIRM_WAIT_SECONDS)."""
    locks.for_transaction(
        BULK_CONFIRM_LOCK,
        wait=settings.BULK_CONFIRM_WAIT_SECONDS,
        busy=_(
            "Another large file is being applied just now. Confirm this one again in a minute: nothing of it "
            "was applied."
        ),
    )
    upload = BulkUpload.objects.select_for_update().filter(pk=upload_id, uploader=actor).first()
    if upload is None:
        raise NotFound()
    if upload.applied_at is not None:
        raise Conflict(_("This file has already been applied."))
    declarant_required(actor)
    today, now = clock.today(), clock.now()
    rows = []
    for row in upload.valid:
        try:
            rows.append(
                (
                    row["line"],
                    clean_declaration(row["body"], today=today, account_kind=actor.kind),
                    row["body"]["house"],
                )
            )
        except DomainError as exc:
            raise _stale(row["line"], _row_problem(exc)) from None
    houses = {}
    for house_id in {house for _line, _cleaned, house in rows}:
        try:
            houses[house_id] = _declarable(_house_for(actor, house_id))
        except DomainError as exc:
            line = next(line for line, _cleaned, house in rows if house == house_id)
            raise _stale(line, exc.message) from None
    _bulk_apply(actor=actor, rows=rows, houses=houses, today=today, now=now)
    upload.applied_at, upload.applied = now, len(rows)
    upload.save(update_fields=["applied_at", "applied"])
    return upload


def _bulk_apply(*, actor, rows, houses: dict, today: dt.date, now) -> None:
    ins = [(line, c, houses[h]) for line, c, h in rows if c["kind"] == Declaration.Kind.MOVE_IN]
    outs = [(line, c, houses[h]) for line, c, h in rows if c["kind"] == Declaration.Kind.MOVE_OUT]
    standings = _standings([c["id_number"] for _line, c, _house_id in rows], lock=True)
    for line, cleaned, house_id in rows:
        problem = standings[cleaned["id_number"]].problem(
            kind=cleaned["kind"], house_id=house_id, holder_id=houses[house_id].owner_id, date=cleaned["date"]
        )
        if problem is not None:
            raise _stale(line, _row_problem(problem))
    moved_in_as = _moved_in_as(c["id_number"] for _line, c, _house in outs) if outs else {}
    declarations = [
        _new_declaration(
            actor=actor,
            house=house,
            cleaned=cleaned,
            status=Declaration.Status.RECORDED,
            today=today,
            now=now,
            moved_in_as=moved_in_as,
        )
        for _line, cleaned, house in ins + outs
    ]
    if outs:
        # A move-out row names nobody: the person's name is their move-in's, as for one declared
        # alone (an outsider's bulk move-outs were listed nameless).
        names = dict(
            Occupancy.objects.filter(id_number__in=[c["id_number"] for _line, c, _house in outs]).values_list(
                "id_number", "declaration__name"
            )
        )
        for declaration in declarations:
            if declaration.kind == Declaration.Kind.MOVE_OUT and not declaration.name:
                declaration.name = names.get(declaration.id_number, "")
    declarations = _store_with_unique_references(declarations, today)
    by_person = {d.id_number: d for d in declarations}
    # Movers leave the house they lived in; those moving out leave theirs.
    Occupancy.objects.filter(
        pk__in=[
            standings[c["id_number"]].occupancy.pk for _line, c, _house in rows if standings[c["id_number"]].occupancy
        ]
    ).delete()
    try:
        with transaction.atomic():
            Occupancy.objects.bulk_create(
                [
                    Occupancy(
                        house=house, id_number=c["id_number"], since=c["date"], declaration=by_person[c["id_number"]]
                    )
                    for _line, c, house in sorted(ins, key=lambda row: row[1]["id_number"])
                ],
                batch_size=2000,
            )
    except IntegrityError:
        raise Conflict(_("Someone declared one of these people meanwhile; nothing was applied.")) from None
    records, ended = _registration_changes(ins=ins, outs=outs, standings=standings)
    registrations_write(records)
    notices.tell(ended, declarant=actor)
    moved = {e.id_number for e in ended} | {r["id_number"] for r in records if r["ended_on"] is not None}
    notices.tell_started(
        [
            notices.Started(id_number=c["id_number"], address=house.full_address, date=c["date"])
            for _line, c, house in ins
            if c["id_number"] not in moved
        ],
        declarant=actor,
    )
    # Each move-in's registration is the one starting on its date: one UPDATE for them all.
    started = Registration.objects.filter(id_number=OuterRef("id_number"), registered_on=OuterRef("date"))
    Declaration.objects.filter(pk__in=[d.pk for d in declarations], kind=Declaration.Kind.MOVE_IN).update(
        registration=Subquery(started.values("pk")[:1])
    )
    # Each move-out's registration is the one it ended that day (a person has one open at a time, so
    # the latest registered of those ended on the date): one UPDATE, where one per row took 23 s
    # for an outsider's 5,000 move-outs.
    ended_then = Registration.objects.filter(id_number=OuterRef("id_number"), ended_on=OuterRef("date"))
    Declaration.objects.filter(pk__in=[d.pk for d in declarations], kind=Declaration.Kind.MOVE_OUT).update(
        registration=Subquery(ended_then.order_by("-registered_on").values("pk")[:1])
    )
    audit_records(
        type=AuditEventType.DECLARATION_RECORDED,
        actor=actor,
        events=[
            (
                d.id_number,
                {"declaration": d.reference, "kind": d.kind, "status": d.status, "house": d.house_id, "bulk": True},
            )
            for d in declarations
        ],
    )
    _reports_superseded([d for d in declarations if d.kind == Declaration.Kind.MOVE_IN])


def _registration_changes(*, ins, outs, standings: dict[str, Standing]) -> tuple[list[dict], list[notices.Ended]]:
    """The registrations a file's moves write: a move-in starts one and ends the person's current
    one the day before; a move-out ends the one its move-in started. Also the ended ones, to tell."""
    movers = {c["id_number"]: (c, house.full_address) for _line, c, house in ins}
    records, ended = [], []

    def previous(id_number):
        occupancy = standings[id_number].occupancy
        return occupancy.declaration_id if occupancy is not None else None

    for current in Registration.objects.filter(id_number__in=list(movers), ended_on__isnull=True):
        c, moved_to = movers[current.id_number]
        records.append(_registration(current, ended_on=c["date"] - dt.timedelta(days=1)))
        ended.append(
            notices.Ended(
                id_number=current.id_number,
                address=current.address,
                ended_on=c["date"] - dt.timedelta(days=1),
                previous=previous(current.id_number),
                moved_to=moved_to,
                date=c["date"],
            )
        )
    records += _ended_on_the_day({c["id_number"]: c["date"] for _line, c, _house in ins})
    for _line, c, house in ins:
        records.append(
            {
                "id_number": c["id_number"],
                "street_id": house.street_id,
                "address": house.full_address,
                "registered_on": c["date"],
                "ended_on": None,
            }
        )
    started = {(c["id_number"], standings[c["id_number"]].occupancy.since): c["date"] for _line, c, _house in outs}
    if started:
        for current in Registration.objects.filter(id_number__in=[k[0] for k in started], ended_on__isnull=True):
            ended_on = started.get((current.id_number, current.registered_on))
            if ended_on is not None:
                records.append(_registration(current, ended_on=ended_on))
                ended.append(
                    notices.Ended(
                        id_number=current.id_number,
                        address=current.address,
                        ended_on=ended_on,
                        previous=previous(current.id_number),
                    )
                )
    return records, ended


def _registration(current: Registration, *, ended_on: dt.date) -> dict:
    return {
        "id_number": current.id_number,
        "street_id": current.street_id,
        "address": current.address,
        "registered_on": current.registered_on,
        "ended_on": ended_on,
    }
