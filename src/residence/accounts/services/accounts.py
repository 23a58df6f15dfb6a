"""Opening accounts (individual, organisation, staff) and real-name verification."""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import get_supported_language_variant, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock, limits
from residence.core.errors import (
    AlreadyVerified,
    Conflict,
    DuplicatePhone,
    Forbidden,
    IdentityTaken,
    Invalid,
    NameMismatch,
    RateLimited,
)
from residence.core.validators import (
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_name,
    normalize_phone,
    person_name_problem,
    plain_text_problem,
    validate_username,
)
from residence.notifications.services import message_send
from residence.places.models import AcceptancePoint
from residence.records.models import Identity

from ..models import Department, Kind, LoginSession, Organisation, Role, Status, User
from .challenges import challenges_void
from .common import HOUR, clean, field_error, password_problems, raise_duplicate, save_unique, taken
from .sessions import sessions_end_all

ROLES_NEEDING_POINT = {Role.CLERK}
ROLES_NEEDING_DEPARTMENT = {Role.VERIFIER}


def _checked(checks) -> tuple[dict, dict]:
    """Run every (field, check, value): (the messages of those that fail, the normal form of
    those that pass), both by field; usernames fold to their lookup key."""
    problems, normal = {}, {}
    for field, check, value in checks:
        try:
            normal[field] = check(value)
        except ValidationError as e:
            problems[field] = e.messages
    if "username" in normal:
        normal["username"] = normal["username"].lower()
    return problems, normal


def account_problems(
    *,
    kind: str,
    username: str,
    password: str,
    phone: str,
    consent: bool,
    name: str = "",
    credit_code: str = "",
    address: str = "",
) -> tuple[dict, dict, dict]:
    """A sign-up's problems by field: (the fields' own, the identifiers taken by other
    accounts, the normal form of the well-formed identifiers).

    A sign-up that gives a well-formed username, mobile or credit code counts against the
    client address's hourly limit (429) before the answer can say whether it is taken, so
    probing for existing accounts is as limited as opening them. The same identifiers sent
    again count once: a person fixing a password or ticking the box probes nothing new (an
    outsider's typos shut a shared address out for an hour)."""
    if kind not in (Kind.INDIVIDUAL, Kind.ORGANISATION):
        return {"kind": [_("Choose individual or organisation.")]}, {}, {}
    checks = [("username", validate_username, username), ("phone", normalize_phone, phone)]
    if kind == Kind.ORGANISATION:
        checks.append(("credit_code", normalize_credit_code, credit_code))
    problems, identifiers = _checked(checks)
    if kind == Kind.ORGANISATION and not (name or "").strip():
        problems["name"] = [_("Enter the organisation's name.")]
    elif plain_text_problem((name or "").strip()):
        problems["name"] = [str(plain_text_problem(name.strip()))]
    if len(name or "") > 200:
        problems["name"] = [_("At most 200 characters.")]
    if consent is not True:
        problems["consent"] = [_("You must agree to the privacy notice to open an account.")]
    # Compared with the username only when it is one, so that a bad username hides nothing else.
    weak = password_problems(password, User(username="" if "username" in problems else username, phone=phone))
    if weak:
        problems["password"] = weak
    if identifiers and address:
        _count_signup(address, identifiers)
    return problems, taken(**identifiers), identifiers


def _count_signup(address: str, identifiers: dict) -> None:
    """One count per address and set of identifiers within the hour; a refused count is taken
    back, so the same sign-up is counted when the address may sign up again."""
    digest = hashlib.sha256("|".join(f"{k}={v}" for k, v in sorted(identifiers.items())).encode()).hexdigest()
    seen = limits.hit("signup_identifiers", f"{address}|{digest}", limit=1_000_000, window=HOUR)
    if seen.count > 1:
        return
    try:
        limits.hit("signup", address, limit=settings.LIMIT_SIGNUPS_PER_ADDRESS_HOUR, window=HOUR)
    except RateLimited:
        limits.release(seen)
        raise


def account_create(
    *, kind: str, username: str, password: str, name: str = "", address: str = "", language: str = "", **fields
) -> User:
    """Register an individual or organisation account (organisations start `pending`), its SMS in
    `language`, the one its sign-up was sent in (ADR 0003).

    400 with every field's problem, or 409 when the only problems are taken identifiers
    (the first of username, mobile, credit code gives the code; all are in `fields`)."""
    problems, found, identifiers = account_problems(
        kind=kind, username=username, password=password, name=name, address=address, **fields
    )
    if problems:
        raise Invalid(_("Some fields are not valid."), fields={**problems, **found})
    raise_duplicate(found)
    phone, credit_code = identifiers["phone"], identifiers.get("credit_code", "")
    with transaction.atomic():
        user = User(
            username=username,
            phone=phone,
            kind=kind,
            status=Status.PENDING if kind == Kind.ORGANISATION else Status.ACTIVE,
            consent_version=settings.PRIVACY_NOTICE_VERSION,
            consent_at=clock.now(),
            language=language if language in dict(settings.LANGUAGES) else "",
        )
        user.set_password(password)

        def save():
            user.save()
            if kind == Kind.ORGANISATION:
                Organisation.objects.create(user=user, name=name.strip(), credit_code=credit_code)

        save_unique(save, **identifiers)
        audit_record(
            type=AuditEventType.ACCOUNT_CREATED,
            actor=user,
            subject=user,
            address=address,
            kind=kind,
            consent_version=user.consent_version,
        )
        message_send(
            user=user,
            key="organisation_created" if kind == Kind.ORGANISATION else "account_created",
            username=user.username,
        )
    return user


@transaction.atomic
def staff_create(
    *, username: str, password: str, phone: str, role: str, point=None, department: str = "", actor=None
) -> User:
    username = clean("username", validate_username, username)
    phone = clean("phone", normalize_phone, phone)
    if role not in Role.values:
        raise field_error("role", _("Unknown role."))
    if role in ROLES_NEEDING_POINT and point is None:
        raise field_error("point", _("This role needs an acceptance point."))
    if role in ROLES_NEEDING_DEPARTMENT and department not in Department.values:
        raise field_error("department", _("This role needs a department."))
    if department and department not in Department.values:
        raise field_error("department", _("Unknown department."))
    # A point or department the role does not use would be stored as if it meant something.
    if point is not None and role not in ROLES_NEEDING_POINT:
        raise field_error("point", _("Only a counter clerk works at an acceptance point."))
    if department and role not in ROLES_NEEDING_DEPARTMENT and (role, department) != (Role.REVIEWER, "police"):
        raise field_error("department", _("Only a department verifier has a department (a reviewer is police)."))
    raise_duplicate(taken(username=username.lower(), phone=phone))
    user = User(
        username=username,
        phone=phone,
        kind=Kind.STAFF,
        role=role,
        point=point,
        department=department,
        status=Status.ACTIVE,
    )
    weak = password_problems(password, user)
    if weak:
        raise Invalid(_("Some fields are not valid."), fields={"password": weak})
    user.set_password(password)
    save_unique(user.save, username=username.lower(), phone=phone)
    audit_record(
        type=AuditEventType.STAFF_CREATED,
        actor=actor,
        subject=user,
        role=role,
        point=getattr(point, "code", ""),
        department=department,
    )
    return user


def stated_language(accept_language: str) -> str | None:
    """The platform's language an `Accept-Language` header asks for, if it asks for one of them:
    a client naming none of them (fr, or no header) states nothing to remember (an outsider's
    "fr" turned an English account's SMS Chinese)."""
    for code, _quality in parse_accept_lang_header(accept_language[:200]):
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def account_language_remember(*, user: User, language: str) -> None:
    """The language an account's SMS are written in: the one it last sent a form in. A
    preference, not a change to the person's data: not audited."""
    if language in dict(settings.LANGUAGES) and user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


# --- real name -------------------------------------------------------------------------


def _bind_identity(*, user: User, name: str, id_number: str, address: str):
    """Bind the account (`user`: its row, locked and not yet verified) to the identity; returns the
    error to answer, or None when bound."""

    def failed(reason: str, error):
        audit_record(
            type=AuditEventType.REAL_NAME_FAILED,
            actor=user,
            subject=user,
            person=id_number,
            address=address,
            reason=reason,
        )
        return error

    identity = Identity.objects.filter(id_number=id_number).first()
    if identity is None or normalize_name(identity.name) != normalize_name(name):
        return failed("mismatch", NameMismatch())
    if User.objects.filter(person=identity).exclude(pk=user.pk).exists():
        return failed("taken", IdentityTaken())
    user.person = identity
    user.real_name_verified_at = clock.now()
    try:
        save_unique(lambda: user.save(update_fields=["person", "real_name_verified_at"]))
    except Conflict:  # the one-account-per-person link, taken by a parallel verification
        return IdentityTaken()
    audit_record(type=AuditEventType.REAL_NAME_VERIFIED, actor=user, subject=user, person=id_number, address=address)
    message_send(user=user, key="real_name_verified", name=identity.name)
    return None


def _mismatch_with_tries(left: int) -> NameMismatch:
    """The mismatch, saying how many attempts the day still allows (`tries_left` in the body)."""
    if left <= 0:
        message = _("The name and ID number do not match our records. No tries are left today: try again tomorrow.")
    else:
        message = ngettext(
            "The name and ID number do not match our records. %(n)d try is left today.",
            "The name and ID number do not match our records. %(n)d tries are left today.",
            left,
        ) % {"n": left}
    return NameMismatch(message, extra={"tries_left": max(left, 0)})


def real_name_allowed(user: User) -> None:
    if user.kind != Kind.INDIVIDUAL:
        raise Forbidden(_("Only an individual's own account can pass real-name verification."))


class RealNameTriesUsed(RateLimited):
    """The day's failed attempts used up: said as such, not "too many requests" (an outsider)."""

    default_message = gettext_lazy("Today's real-name verification attempts are used up: try again tomorrow.")
    says_when = True


def real_name_verify(*, user: User, name: str, id_number: str, address: str = "") -> User:
    """Bind the account to an identity in the population records (API.md's order of checks).

    An account's attempts run one at a time (its row locked first): each counts against the day's
    failures before the records are read, and is taken back when it succeeds (an account already
    verified is told so before it counts), so parallel attempts can neither exceed the limit nor,
    holding places at once, be refused as used up when none failed (an outsider's ten right ones
    got five 429s). An identity held by another account is a failure too: uncounted, it told
    anyone holding a list of names and ID numbers, without limit, who has an account. Only a
    person's own account is verified: an organisation or staff account never holds an
    identity (403)."""
    real_name_allowed(user)
    if user.person_id:
        raise AlreadyVerified()
    id_number = clean("id_number", normalize_id_number, id_number)
    if not (name or "").strip():
        raise field_error("name", _("Enter your name as on your ID card."))
    if problem := person_name_problem(name):
        # No record holds such a name: a slip of the keyboard, not a try of an identity.
        raise field_error("name", problem)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.person_id:
            raise AlreadyVerified()
        attempt = limits.hit(
            "real_name_failures",
            str(user.pk),
            limit=settings.LIMIT_REAL_NAME_FAILURES_PER_DAY,
            window=limits.DAILY,
            error=RealNameTriesUsed,
        )
        error = _bind_identity(user=locked, name=name, id_number=id_number, address=address)
        if error is None:
            limits.release(attempt)
    if isinstance(error, NameMismatch):
        raise _mismatch_with_tries(settings.LIMIT_REAL_NAME_FAILURES_PER_DAY - attempt.count)
    if error is not None:
        raise error
    user.refresh_from_db()
    return user


@transaction.atomic
def staff_disable(*, username: str, reason: str) -> User:
    """An operator ends a staff account (someone who left or moved): it can no longer sign in, its
    live logins end now, its mobile number is freed, and what it did stays on record. Audited with
    the reason. A supervisor found no way to do this but an unrecorded database edit."""
    reason = (reason or "").strip()
    if not reason or plain_text_problem(reason):
        raise field_error("reason", _("Say why the account is disabled, in one line."))
    user = User.objects.select_for_update().filter(username__iexact=username, kind=Kind.STAFF).first()
    if user is None:
        raise field_error("username", _("No staff account has this username."))
    if user.status == Status.DISABLED:
        return user
    _closed_point_keeps_a_clerk(user)
    if user.is_superuser and not User.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).exists():
        # The admin would be locked out for good: no command enables an account again (an outsider).
        raise field_error(
            "username", _("This is the last system administrator: create another one before disabling it.")
        )
    user.status, user.is_active, user.phone = Status.DISABLED, False, None
    user.save(update_fields=["status", "is_active", "phone"])
    sessions_end_all(user=user, reason=LoginSession.EndReason.DISABLED)
    audit_record(type=AuditEventType.ACCOUNT_DISABLED, actor=None, subject=user, kind=Kind.STAFF, reason=reason)
    return user


def _closed_point_keeps_a_clerk(clerk: User) -> None:
    """Refused when `clerk` is the last of a closed point that has open applications: its cards
    would have nobody to receive and hand them over (an outsider moved, then disabled, the last
    one). The point's row is locked first, as the admin's closing locks it, so that a closing and
    a clerk leaving at once do not both go through (an outsider's race)."""
    if clerk.role != Role.CLERK or clerk.point_id is None:
        return
    from residence.applications.selectors import open_applications_at

    point = AcceptancePoint.objects.select_for_update(no_key=True).get(pk=clerk.point_id)
    if point.active:
        return
    others = User.objects.filter(point=point, role=Role.CLERK, is_active=True).exclude(pk=clerk.pk)
    waiting = open_applications_at(point=point).count()
    if waiting and not others.exists():
        raise field_error(
            "username",
            _(
                "The last clerk of closed point %(point)s, which has %(count)d open application(s): give "
                "it another clerk, or have a supervisor move them, first."
            )
            % {"point": point.pk, "count": waiting},
        )


@transaction.atomic
def staff_phone_set(*, username: str, phone: str) -> tuple[User, bool]:
    """An operator binds a staff member's new mobile; whether anything changed. Every staff sign-in
    needs a code, so a lost phone left no way in but a new account (the sign-in page sent staff to
    a counter, which changes citizens' numbers only). Codes still open die with the old number; the
    next sign-in's code goes to the new one, which proves it. Logins stay: they live on the desk's
    computer, not on the phone. Audited with both numbers masked."""
    phone = clean("phone", normalize_phone, phone)
    user = User.objects.select_for_update().filter(username__iexact=username, kind=Kind.STAFF, is_active=True).first()
    if user is None:
        raise field_error("username", _("No active staff account has this username."))
    if user.phone == phone:
        return user, False
    if User.objects.filter(phone=phone).exists():
        # In the operator's words, not the sign-up's advice to whoever holds the number (an outsider).
        held = _("Another account holds this mobile number: each account has its own.")
        raise DuplicatePhone(held, fields={"phone": [held]})
    old = user.phone or ""
    user.phone = phone
    save_unique(lambda: user.save(update_fields=["phone"]), phone=phone)
    challenges_void(user)
    audit_record(
        type=AuditEventType.PHONE_CHANGED, actor=None, subject=user, old=mask_phone(old), new=mask_phone(phone)
    )
    return user, True


@transaction.atomic
def staff_point_set(*, username: str, point_code: str) -> User:
    """An operator gives a clerk another acceptance point (the old one closes, or needs hands):
    the clerk's desk shows the new point's work at once. Audited with both points. A closed point
    may be given a clerk, to finish its open applications; its last clerk does not leave while it
    has some (an outsider moved the last one away and the cards there had nobody to hand them over)."""
    user = (
        User.objects.select_for_update()
        .filter(username__iexact=username, kind=Kind.STAFF, role=Role.CLERK, is_active=True)
        .first()
    )
    if user is None:
        raise field_error("username", _("No active clerk has this username."))
    code = (point_code or "").strip()
    # Both points locked at once, in the order of their codes: two clerks swapping points at the
    # same moment would otherwise each hold one and wait for the other.
    locked = AcceptancePoint.objects.select_for_update(no_key=True).filter(code__in=[code, user.point_id or code])
    point = next((p for p in locked.order_by("code") if p.code == code), None)
    if point is None:
        raise field_error("point", _("No acceptance point has the code %(code)s.") % {"code": point_code})
    before = user.point_id
    if before != point.code:
        _closed_point_keeps_a_clerk(user)
    if before != point.code:
        user.point = point
        user.save(update_fields=["point"])
        audit_record(
            type=AuditEventType.STAFF_POINT_CHANGED, actor=None, subject=user, point_from=before, point_to=point.code
        )
    return user
