"""Every write to accounts: creation, login, SMS codes, sessions, password, phone, real name.

Failures that must be counted (wrong passwords, wrong codes, failed real-name checks) are
committed in their own short transaction before the error is raised, so the error
response rolls nothing of the count back.
"""

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock, throttle
from residence.core.errors import (
    AccountLocked,
    AlreadyVerified,
    ChallengeExpired,
    Conflict,
    DuplicatePhone,
    DuplicateUsername,
    Forbidden,
    IdentityTaken,
    Invalid,
    InvalidCode,
    InvalidCredentials,
    NameMismatch,
    RateLimited,
)
from residence.core.validators import (
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_name,
    normalize_phone,
    validate_username,
)
from residence.notifications.services import message_create, sms_send
from residence.records.models import Identity

from .models import Channel, Department, Kind, LoginSession, Organisation, Role, SmsChallenge, Status, User

ROLES_NEEDING_POINT = {Role.CLERK}
ROLES_NEEDING_DEPARTMENT = {Role.VERIFIER}
_DUMMY_PASSWORD_HASH = make_password("timing-equaliser-not-a-password")


# --- helpers ---------------------------------------------------------------------------


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _code_hash(public_id: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{public_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _field_error(field: str, error: ValidationError | str) -> Invalid:
    messages = error.messages if isinstance(error, ValidationError) else [str(error)]
    return Invalid(_("Some fields are not valid."), fields={field: messages})


def _clean(field: str, func, value):
    try:
        return func(value)
    except ValidationError as e:
        raise _field_error(field, e) from None


def _check_password_policy(password: str, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise _field_error(field, e) from None


# --- accounts --------------------------------------------------------------------------


@transaction.atomic
def account_create(
    *,
    kind: str,
    username: str,
    password: str,
    phone: str,
    consent: bool,
    name: str = "",
    credit_code: str = "",
    address: str = "",
) -> User:
    """Register an individual or organisation account (organisations start `pending`)."""
    if kind not in (Kind.INDIVIDUAL, Kind.ORGANISATION):
        raise _field_error("kind", _("Choose individual or organisation."))
    throttle.ensure_below("signup", address, settings.LIMIT_SIGNUPS_PER_ADDRESS_HOUR, dt.timedelta(hours=1))
    errors = {}
    for field, func, value in (("username", validate_username, username), ("phone", normalize_phone, phone)):
        try:
            func(value)
        except ValidationError as e:
            errors[field] = e.messages
    if kind == Kind.ORGANISATION:
        if not (name or "").strip():
            errors["name"] = [_("Enter the organisation's name.")]
        try:
            credit_code = normalize_credit_code(credit_code)
        except ValidationError as e:
            errors["credit_code"] = e.messages
    if consent is not True:
        errors["consent"] = [_("You must agree to the privacy notice to open an account.")]
    if errors:
        raise Invalid(_("Some fields are not valid."), fields=errors)
    phone = normalize_phone(phone)
    user = User(
        username=username, phone=phone, kind=kind, status=Status.PENDING if kind == Kind.ORGANISATION else Status.ACTIVE
    )
    _check_password_policy(password, user)
    if User.objects.filter(username__iexact=username).exists():
        raise DuplicateUsername()
    if User.objects.filter(phone=phone).exists():
        raise DuplicatePhone()
    if kind == Kind.ORGANISATION and Organisation.objects.filter(credit_code=credit_code).exists():
        raise Conflict(
            _("An account for this organisation already exists."), fields={"credit_code": [_("Already registered.")]}
        )
    user.set_password(password)
    user.consent_version = settings.PRIVACY_NOTICE_VERSION
    user.consent_at = clock.now()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # A concurrent registration took the username or phone between the checks and here.
        if User.objects.filter(username__iexact=username).exists():
            raise DuplicateUsername() from None
        raise DuplicatePhone() from None
    if kind == Kind.ORGANISATION:
        Organisation.objects.create(user=user, name=name.strip(), credit_code=credit_code)
    throttle.record("signup", address)
    audit_record(
        type=AuditEventType.ACCOUNT_CREATED,
        actor=user,
        subject=user,
        address=address,
        kind=kind,
        consent_version=user.consent_version,
    )
    message_create(
        user=user,
        title=_("Welcome to the residence permit service platform"),
        body=_("Your account %(username)s has been created.") % {"username": user.username}
        + (
            " "
            + _(
                "An organisation account is activated by a clerk at a registration point after "
                "checking the credit code, the authorisation letter and the proof of housing."
            )
            if kind == Kind.ORGANISATION
            else ""
        ),
    )
    return user


@transaction.atomic
def staff_create(
    *, username: str, password: str, phone: str, role: str, point=None, department: str = "", actor=None
) -> User:
    validate_username(username)
    phone = normalize_phone(phone)
    if role not in Role.values:
        raise _field_error("role", _("Unknown role."))
    if role in ROLES_NEEDING_POINT and point is None:
        raise _field_error("point", _("This role needs an acceptance point."))
    if role in ROLES_NEEDING_DEPARTMENT and department not in Department.values:
        raise _field_error("department", _("This role needs a department."))
    if department and department not in Department.values:
        raise _field_error("department", _("Unknown department."))
    if User.objects.filter(username__iexact=username).exists():
        raise DuplicateUsername()
    if User.objects.filter(phone=phone).exists():
        raise DuplicatePhone()
    user = User(
        username=username,
        phone=phone,
        kind=Kind.STAFF,
        role=role,
        point=point,
        department=department,
        status=Status.ACTIVE,
    )
    _check_password_policy(password, user)
    user.set_password(password)
    user.save()
    audit_record(
        type=AuditEventType.STAFF_CREATED,
        actor=actor,
        subject=user,
        role=role,
        point=getattr(point, "code", ""),
        department=department,
    )
    return user


@transaction.atomic
def organisation_activate(
    *,
    actor: User,
    organisation: Organisation,
    credit_code_checked: bool,
    authorisation_checked: bool,
    housing_checked: bool,
    note: str = "",
) -> Organisation:
    if not (actor.kind == Kind.STAFF and actor.role == Role.CLERK):
        raise Forbidden()
    if not (credit_code_checked and authorisation_checked and housing_checked):
        raise Invalid(
            _("Check the credit code, the authorisation letter and the proof of housing first."),
            fields={"checks": [_("All three materials must be checked.")]},
        )
    user = User.objects.select_for_update().get(pk=organisation.user_id)
    if user.status != Status.PENDING:
        raise Conflict(_("This organisation account is not waiting for activation."))
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
        authorisation_checked=True,
        housing_checked=True,
        note=note,
    )
    message_create(
        user=user,
        title=_("Organisation account activated"),
        body=_("Your organisation account has been activated at %(point)s.")
        % {"point": actor.point.name if actor.point else ""},
    )
    return organisation


# --- sessions --------------------------------------------------------------------------


@dataclass
class LoginResult:
    """Either a token (login complete) or a challenge (an SMS code is needed)."""

    user: User
    token: str = ""
    session: LoginSession | None = None
    challenge: SmsChallenge | None = None


@transaction.atomic
def session_start(*, user: User, channel: str, remember: bool, address: str = "", user_agent: str = "") -> tuple:
    """Complete a login: end every older login of the account, start this one.

    The account row is locked, so of racing logins the last to get here is the live one.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()
    now = clock.now()
    older = list(LoginSession.objects.filter(user=user, ended_at__isnull=True).values_list("pk", flat=True))
    if older:
        LoginSession.objects.filter(pk__in=older).update(ended_at=now, end_reason=LoginSession.EndReason.REPLACED)
        for pk in older:
            audit_record(type=AuditEventType.SESSION_REPLACED, actor=user, subject=user, address=address, session=pk)
    token = secrets.token_urlsafe(32)
    session = LoginSession.objects.create(
        user=user,
        channel=channel,
        token_hash=hash_token(token),
        remember=remember,
        created_at=now,
        last_seen_at=now,
        address=address,
        user_agent=(user_agent or "")[:300],
    )
    User.objects.filter(pk=user.pk).update(last_login=now)
    audit_record(
        type=AuditEventType.LOGIN, actor=user, subject=user, address=address, channel=channel, session=session.pk
    )
    return session, token


def session_expiry(session: LoginSession) -> dt.datetime:
    if session.remember:
        return session.created_at + dt.timedelta(seconds=settings.REMEMBER_SECONDS)
    return session.last_seen_at + dt.timedelta(seconds=settings.IDLE_TIMEOUT_SECONDS)


def session_touch(session: LoginSession) -> str:
    """Check a live session on use; returns "" when live, else why it is not.

    last_seen is written at most once a minute, so a busy client costs no write per request.
    """
    if session.ended_at is not None:
        return session.end_reason
    now = clock.now()
    if now >= session_expiry(session):
        LoginSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
            ended_at=now, end_reason=LoginSession.EndReason.EXPIRED
        )
        return LoginSession.EndReason.EXPIRED
    if (now - session.last_seen_at).total_seconds() > 60:
        LoginSession.objects.filter(pk=session.pk).update(last_seen_at=now)
    return ""


@transaction.atomic
def session_end(*, session: LoginSession, address: str = "") -> None:
    ended = LoginSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
        ended_at=clock.now(), end_reason=LoginSession.EndReason.LOGOUT
    )
    if ended:
        audit_record(
            type=AuditEventType.LOGOUT, actor=session.user, subject=session.user, address=address, session=session.pk
        )


def _end_all_sessions(user: User, reason: str) -> None:
    LoginSession.objects.filter(user=user, ended_at__isnull=True).update(ended_at=clock.now(), end_reason=reason)


# --- login -----------------------------------------------------------------------------

_LOGIN_WINDOW = dt.timedelta(minutes=15)


def _lock_remaining(username_key: str) -> int:
    lock_since = clock.now() - dt.timedelta(seconds=settings.LOGIN_LOCK_SECONDS)
    if throttle.count("login_lock", username_key, lock_since):
        return throttle.seconds_until_free(
            "login_lock", username_key, dt.timedelta(seconds=settings.LOGIN_LOCK_SECONDS)
        )
    return 0


@transaction.atomic
def _login_failed(*, username_key: str, user: User | None, address: str) -> bool:
    """Count a wrong password; returns True when this failure locked the username."""
    throttle.record("login_fail_user", username_key)
    throttle.record("login_fail_addr", address)
    audit_record(type=AuditEventType.LOGIN_FAILED, subject=user, address=address, username=username_key)
    if (
        throttle.count("login_fail_user", username_key, clock.now() - _LOGIN_WINDOW)
        >= settings.LIMIT_LOGIN_FAILURES_PER_USERNAME
    ):
        throttle.clear("login_fail_user", username_key)
        throttle.record("login_lock", username_key)
        audit_record(type=AuditEventType.ACCOUNT_LOCKED, subject=user, address=address, username=username_key)
        return True
    return False


def auth_login(
    *,
    username: str,
    password: str,
    remember: bool = False,
    channel: str = Channel.API,
    address: str = "",
    user_agent: str = "",
) -> LoginResult:
    """Check the password under the lockout rules; then either start the session or send a code."""
    username_key = (username or "").lower()
    if (
        throttle.count("login_fail_addr", address, clock.now() - _LOGIN_WINDOW)
        >= settings.LIMIT_LOGIN_FAILURES_PER_ADDRESS
    ):
        raise RateLimited(retry_after=throttle.seconds_until_free("login_fail_addr", address, _LOGIN_WINDOW))
    remaining = _lock_remaining(username_key)
    if remaining:
        raise AccountLocked(retry_after=remaining)
    user = User.objects.filter(username__iexact=username).select_related("person").first()
    if user is None:
        check_password(password, _DUMMY_PASSWORD_HASH)
        ok = False
    else:
        ok = user.check_password(password) and user.is_active and user.status != Status.DISABLED
    if not ok:
        if _login_failed(username_key=username_key, user=user, address=address):
            raise AccountLocked(retry_after=settings.LOGIN_LOCK_SECONDS)
        raise InvalidCredentials()
    throttle.clear("login_fail_user", username_key)
    if user.sms_required or user.kind == Kind.STAFF:
        challenge = challenge_create(
            user=user,
            purpose=SmsChallenge.Purpose.LOGIN,
            phone=user.phone or "",
            channel=channel,
            remember=remember,
            address=address,
        )
        return LoginResult(user=user, challenge=challenge)
    session, token = session_start(
        user=user, channel=channel, remember=remember, address=address, user_agent=user_agent
    )
    return LoginResult(user=user, token=token, session=session)


# --- SMS challenges --------------------------------------------------------------------


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _sms_text(purpose: str, code: str) -> str:
    minutes = settings.SMS_CODE_TTL_SECONDS // 60
    texts = {
        SmsChallenge.Purpose.LOGIN: _("Your sign-in code is %(code)s, valid for %(m)d minutes. Never share it."),
        SmsChallenge.Purpose.PASSWORD_RESET: _("Your password reset code is %(code)s, valid for %(m)d minutes."),
        SmsChallenge.Purpose.PHONE_CHANGE: _("Your code to bind this mobile is %(code)s, valid for %(m)d minutes."),
    }
    return "【居住证服务平台】" + texts[purpose] % {"code": code, "m": minutes}


@transaction.atomic
def challenge_create(
    *,
    user: User | None,
    purpose: str,
    phone: str,
    channel: str = Channel.API,
    remember: bool = False,
    address: str = "",
) -> SmsChallenge:
    """A new challenge; sends its code when there is a user and a phone (else a dummy)."""
    if not phone and user is not None:
        raise Conflict(_("This account has no bound mobile number. Please visit a counter."))
    now = clock.now()
    challenge = SmsChallenge(
        public_id=secrets.token_urlsafe(24),
        purpose=purpose,
        user=user,
        phone=phone,
        created_at=now,
        sent_at=now,
        expires_at=now + dt.timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
        channel=channel,
        remember=remember,
    )
    code = _new_code()
    challenge.code_hash = _code_hash(challenge.public_id, code) if user else ""
    challenge.save()
    if user is not None:
        sms_send(to=phone, text=_sms_text(purpose, code), purpose=purpose, address=address, secret=code, subject=user)
    return challenge


def _live_challenge(public_id: str, *, lock: bool = True) -> SmsChallenge:
    qs = SmsChallenge.objects.select_related("user")
    if lock:
        qs = qs.select_for_update(of=("self",))
    challenge = qs.filter(public_id=str(public_id or "")).first()
    if (
        challenge is None
        or challenge.consumed_at is not None
        or challenge.tries >= settings.SMS_CODE_MAX_TRIES
        or clock.now() >= challenge.expires_at
    ):
        raise ChallengeExpired()
    return challenge


@transaction.atomic
def _challenge_try(public_id: str, code: str, purposes, address: str) -> tuple[SmsChallenge | None, int]:
    """Check a code, committing the try; returns (challenge, 0) when right, (None, tries left) when wrong."""
    challenge = _live_challenge(public_id)
    if challenge.purpose not in purposes:
        raise ChallengeExpired()
    if challenge.user_id and hmac.compare_digest(challenge.code_hash, _code_hash(challenge.public_id, str(code))):
        challenge.consumed_at = clock.now()
        challenge.save(update_fields=["consumed_at"])
        audit_record(
            type=AuditEventType.SMS_VERIFIED,
            actor=challenge.user,
            subject=challenge.user,
            address=address,
            purpose=challenge.purpose,
        )
        return challenge, 0
    challenge.tries += 1
    challenge.save(update_fields=["tries"])
    if challenge.user_id:
        audit_record(
            type=AuditEventType.SMS_FAILED,
            subject=challenge.user,
            address=address,
            purpose=challenge.purpose,
            tries=challenge.tries,
        )
    return None, settings.SMS_CODE_MAX_TRIES - challenge.tries


def _challenge_verify(public_id: str, code: str, purposes, address: str) -> SmsChallenge:
    challenge, tries_left = _challenge_try(public_id, code, purposes, address)
    if challenge is None:
        raise InvalidCode(
            _("The verification code is wrong. %(n)d tries left.") % {"n": tries_left},
            fields={"code": [_("Wrong code.")]},
            extra={"tries_left": tries_left},
        )
    return challenge


@dataclass
class VerifyResult:
    purpose: str
    user: User
    token: str = ""
    session: LoginSession | None = None


def auth_sms_verify(*, challenge: str, code: str, address: str = "", user_agent: str = "") -> VerifyResult:
    """Answer a login or phone-change challenge."""
    found = _challenge_verify(challenge, code, (SmsChallenge.Purpose.LOGIN, SmsChallenge.Purpose.PHONE_CHANGE), address)
    user = found.user
    if found.purpose == SmsChallenge.Purpose.PHONE_CHANGE:
        phone_apply(user=user, phone=found.phone, actor=user, address=address)
        return VerifyResult(purpose=found.purpose, user=user)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(sms_required=False)
        session, token = session_start(
            user=user, channel=found.channel, remember=found.remember, address=address, user_agent=user_agent
        )
    return VerifyResult(purpose=found.purpose, user=user, token=token, session=session)


@transaction.atomic
def auth_sms_resend(*, challenge: str, address: str = "") -> SmsChallenge:
    found = _live_challenge(challenge)
    wait = settings.SMS_RESEND_SECONDS - (clock.now() - found.sent_at).total_seconds()
    if wait > 0:
        raise RateLimited(
            _("Please wait %(s)d seconds before asking for another code.") % {"s": math.ceil(wait)},
            retry_after=math.ceil(wait),
        )
    if found.user is None:
        return found
    code = _new_code()
    now = clock.now()
    found.code_hash = _code_hash(found.public_id, code)
    found.sent_at = now
    found.tries = 0
    found.expires_at = now + dt.timedelta(seconds=settings.SMS_CODE_TTL_SECONDS)
    found.save(update_fields=["code_hash", "sent_at", "tries", "expires_at"])
    sms_send(
        to=found.phone,
        text=_sms_text(found.purpose, code),
        purpose=found.purpose,
        address=address,
        secret=code,
        subject=found.user,
    )
    return found


def dummy_phone_mask(username: str) -> str:
    """A stable, plausible mask for an unknown username, so the answer does not tell."""
    digest = hmac.new(settings.SECRET_KEY.encode(), username.lower().encode(), hashlib.sha256).hexdigest()
    digits = str(int(digest[:12], 16))
    return mask_phone("13" + digits[:9])


# --- password --------------------------------------------------------------------------


def password_reset_start(*, username: str, address: str = "") -> tuple[SmsChallenge, str]:
    """Send a reset code to the bound mobile; an unknown username gets a dummy challenge."""
    user = User.objects.filter(username__iexact=username or "").first()
    if user is None or not user.phone:
        challenge = challenge_create(user=None, purpose=SmsChallenge.Purpose.PASSWORD_RESET, phone="", address=address)
        return challenge, dummy_phone_mask(username or "")
    challenge = challenge_create(
        user=user, purpose=SmsChallenge.Purpose.PASSWORD_RESET, phone=user.phone, address=address
    )
    return challenge, mask_phone(user.phone)


def password_reset_confirm(*, challenge: str, code: str, new_password: str, address: str = "") -> None:
    peek = SmsChallenge.objects.select_related("user").filter(public_id=str(challenge or "")).first()
    _check_password_policy(new_password, peek.user if peek else None, "new_password")
    found = _challenge_verify(challenge, code, (SmsChallenge.Purpose.PASSWORD_RESET,), address)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=found.user_id)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _end_all_sessions(user, LoginSession.EndReason.PASSWORD)
        throttle.clear("login_lock", user.username.lower())
        audit_record(type=AuditEventType.PASSWORD_RESET, actor=user, subject=user, address=address)
        message_create(
            user=user,
            title=_("Password reset"),
            body=_(
                "Your password was reset with a code sent to your mobile. If this was not you, "
                "contact a counter at once."
            ),
        )


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str, address: str = "") -> None:
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(old_password):
        raise _field_error("old_password", _("The current password is wrong."))
    _check_password_policy(new_password, user, "new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(type=AuditEventType.PASSWORD_CHANGED, actor=user, subject=user, address=address)
    message_create(
        user=user,
        title=_("Password changed"),
        body=_("The password of your account was changed. If this was not you, reset it at once."),
    )


# --- phone -----------------------------------------------------------------------------


def phone_change_start(*, user: User, phone: str, password: str, address: str = "") -> SmsChallenge:
    if not user.check_password(password):
        raise _field_error("password", _("The password is wrong."))
    phone = _clean("phone", normalize_phone, phone)
    if phone == user.phone:
        raise _field_error("phone", _("This is already your bound mobile number."))
    if User.objects.filter(phone=phone).exclude(pk=user.pk).exists():
        raise DuplicatePhone()
    return challenge_create(user=user, purpose=SmsChallenge.Purpose.PHONE_CHANGE, phone=phone, address=address)


@transaction.atomic
def phone_apply(*, user: User, phone: str, actor: User, address: str = "", note: str = "") -> User:
    """Bind a new mobile; the next login needs an SMS code to it."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if User.objects.filter(phone=phone).exclude(pk=user.pk).exists():
        raise DuplicatePhone()
    old = user.phone or ""
    user.phone = phone
    user.sms_required = True
    try:
        with transaction.atomic():
            user.save(update_fields=["phone", "sms_required"])
    except IntegrityError:
        raise DuplicatePhone() from None
    audit_record(
        type=AuditEventType.PHONE_CHANGED,
        actor=actor,
        subject=user,
        address=address,
        old=mask_phone(old),
        new=mask_phone(phone),
        at_counter=actor.pk != user.pk,
        note=note,
    )
    message_create(
        user=user,
        title=_("Mobile number changed"),
        body=_("Your bound mobile number is now %(phone)s.") % {"phone": mask_phone(phone)},
    )
    return user


def phone_change_at_counter(
    *, actor: User, user: User, phone: str, identity_checked: bool, note: str = "", address: str = ""
) -> User:
    """A clerk binds a new mobile for a citizen who lost the old one, after checking identity."""
    if not (actor.kind == Kind.STAFF and actor.role == Role.CLERK):
        raise Forbidden()
    if not identity_checked:
        raise _field_error("identity_checked", _("Check the applicant's identity document first."))
    phone = _clean("phone", normalize_phone, phone)
    return phone_apply(
        user=user, phone=phone, actor=actor, address=address, note=note or f"counter {getattr(actor.point, 'code', '')}"
    )


# --- real name -------------------------------------------------------------------------


@transaction.atomic
def _real_name_failed(user: User, address: str, reason: str) -> None:
    throttle.record("real_name_fail", str(user.pk))
    audit_record(type=AuditEventType.REAL_NAME_FAILED, actor=user, subject=user, address=address, reason=reason)


def real_name_verify(*, user: User, name: str, id_number: str, address: str = "") -> User:
    """Bind the account to an identity in the population records (API.md's order of checks)."""
    if user.person_id:
        raise AlreadyVerified()
    id_number = _clean("id_number", normalize_id_number, id_number)
    if not (name or "").strip():
        raise _field_error("name", _("Enter your name as on your ID card."))
    throttle.ensure_below("real_name_fail", str(user.pk), settings.LIMIT_REAL_NAME_FAILURES_PER_DAY, None)
    identity = Identity.objects.filter(id_number=id_number).first()
    if identity is None or normalize_name(identity.name) != normalize_name(name):
        _real_name_failed(user, address, "mismatch")
        raise NameMismatch()
    if User.objects.filter(person=identity).exclude(pk=user.pk).exists():
        raise IdentityTaken()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.person_id:
            raise AlreadyVerified()
        locked.person = identity
        locked.real_name_verified_at = clock.now()
        try:
            with transaction.atomic():
                locked.save(update_fields=["person", "real_name_verified_at"])
        except IntegrityError:
            raise IdentityTaken() from None
        audit_record(type=AuditEventType.REAL_NAME_VERIFIED, actor=locked, subject=locked, address=address)
        message_create(
            user=locked,
            title=_("Real-name verification passed"),
            body=_("Your account is now verified as %(name)s.") % {"name": identity.name},
        )
    return locked
