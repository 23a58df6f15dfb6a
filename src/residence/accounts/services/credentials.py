"""Everything that checks a password or a code: sign-in, SMS verification, password reset
and change, mobile change.

Every password check — sign-in, change of password, change of mobile — goes through
`_password_attempt`. The username's limit row is locked for the whole comparison, so the
attempts on one username take turns and each sees every failure before it: of twenty
parallel guesses exactly five wrong ones are compared, the fifth locks the username, and
the rest get 429 without a comparison; racing right passwords all get in. Failures stay
counted for their 15 minutes (API.md's rule), a right password counts as none. The client
address's limit is a reservation made and committed before the comparison (so that the
logins of one address never wait for each other), taken back when the password is right.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record, personal_data_viewed
from residence.core import clock, limits
from residence.core.errors import (
    ACCOUNT_DISABLED,
    STAFF_ACCOUNT_DISABLED,
    AccountDisabled,
    AccountLocked,
    Conflict,
    DuplicatePhone,
    Forbidden,
    Invalid,
    InvalidCredentials,
    RateLimited,
)
from residence.core.validators import (
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
    username_key,
)
from residence.notifications.services import Notice, message_send, notices_send, sms_send

from ..models import Channel, Kind, LoginSession, Organisation, Role, SmsChallenge, User
from ..selectors import user_by_username
from .challenges import (
    challenge_answer,
    challenge_create,
    challenge_resend,
    challenges_void,
    dummy_phone_mask,
    unknown_key,
)
from .common import check_password_policy, clean, password_problems, refuse_taken, save_unique
from .sessions import session_start, sessions_end_all, usable

LOGIN_WINDOW = 15 * 60
_DUMMY_PASSWORD_HASH = make_password("timing-equaliser-not-a-password")


def _password_attempt(*, key: str, user: User | None, password: str, address: str, where: str, previous=None) -> bool:
    """Compare a password under the lockout rules; True when it is right.

    Raises RateLimited (the address) or AccountLocked (the username) without comparing when a
    limit is reached, and AccountLocked when this wrong password is the one that locks it. With
    `previous` (a function giving the hash a change replaced a moment ago, read once this password
    is found wrong, so that a change committed meanwhile is seen), that password is no wrong one:
    Conflict, uncounted (an outsider's ten raced changes locked the account they had just changed).
    """
    address_hit = (
        limits.hit("login_address", address, limit=settings.LIMIT_LOGIN_FAILURES_PER_ADDRESS, window=LOGIN_WINDOW)
        if address
        else None
    )
    try:
        with transaction.atomic():
            username_hit = limits.hit(
                "login_username",
                key,
                limit=settings.LIMIT_LOGIN_FAILURES_PER_USERNAME,
                window=LOGIN_WINDOW,
                error=AccountLocked,
            )
            if user is None:
                check_password(password, _DUMMY_PASSWORD_HASH)  # an unknown username costs the same time
                right = False
            else:
                right = user.check_password(password)
            if not right and previous is not None and (stale := previous()) and check_password(password, stale):
                limits.release(username_hit)
                if address_hit is not None:
                    limits.release(address_hit)
                raise Conflict(_("Your password has just been changed: sign in with the new one."))
            if right:
                limits.release(username_hit)
                if address_hit is not None:
                    limits.release(address_hit)
            else:
                audit_record(type=AuditEventType.LOGIN_FAILED, subject=user, address=address, username=key, where=where)
                blocked, newly = limits.block_when_full(
                    "login_username",
                    key,
                    limit=settings.LIMIT_LOGIN_FAILURES_PER_USERNAME,
                    window=LOGIN_WINDOW,
                    seconds=settings.LOGIN_LOCK_SECONDS,
                )
                if newly:
                    audit_record(type=AuditEventType.ACCOUNT_LOCKED, subject=user, address=address, username=key)
    except AccountLocked:
        # Refused without a comparison (the username is locked): the attempt tells nothing, so
        # it does not count against the address either.
        if address_hit is not None:
            limits.release(address_hit)
        raise
    if not right and blocked:
        raise AccountLocked(retry_after=settings.LOGIN_LOCK_SECONDS)
    return right


# --- sign-in ---------------------------------------------------------------------------


@dataclass
class LoginResult:
    """Either a token (login complete) or a challenge (an SMS code is needed)."""

    user: User
    token: str = ""
    session: LoginSession | None = None
    challenge: SmsChallenge | None = None


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
    key = clean("username", username_key, username)
    user = user_by_username(key)
    if not _password_attempt(key=key, user=user, password=password, address=address, where="login"):
        raise InvalidCredentials()
    if not usable(user):
        raise disabled_refusal(user)
    if user.sms_required or user.password_change_due or user.kind == Kind.STAFF:
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


@dataclass
class VerifyResult:
    purpose: str
    user: User
    token: str = ""
    session: LoginSession | None = None


def auth_sms_verify(*, challenge: str, code: str, address: str = "", user_agent: str = "") -> VerifyResult:
    """Answer a login or mobile-change challenge: the login starts, or the new mobile is bound."""

    def complete(found: SmsChallenge) -> VerifyResult:
        user = found.user
        if not usable(user):  # disabled after the password was right (a sub-account's organisation ended it)
            raise disabled_refusal(user)
        if found.purpose == SmsChallenge.Purpose.PHONE_CHANGE:
            changed = phone_apply(user=user, phone=found.phone, actor=user, address=address)
            return VerifyResult(purpose=found.purpose, user=changed)
        User.objects.filter(pk=user.pk).update(sms_required=False)
        session, token = session_start(
            user=user, channel=found.channel, remember=found.remember, address=address, user_agent=user_agent
        )
        return VerifyResult(purpose=found.purpose, user=user, token=token, session=session)

    return challenge_answer(
        challenge=challenge,
        code=code,
        purposes=(SmsChallenge.Purpose.LOGIN, SmsChallenge.Purpose.PHONE_CHANGE),
        address=address,
        on_right=complete,
    )


def auth_sms_resend(*, challenge: str, address: str = "") -> SmsChallenge:
    return challenge_resend(challenge=challenge, address=address)


# --- username ---------------------------------------------------------------------------


def username_reminder(*, phone: str, address: str = "") -> None:
    """Send the username of the account bound to a mobile number to that number (an outsider who
    forgot it found no way back). The same answer and the same work whether or not the number is
    bound, as a password reset's: limits counted for the number, the SMS logged and not sent."""
    phone = clean("phone", normalize_phone, phone)
    user = User.objects.filter(phone=phone).exclude(kind=Kind.STAFF).first()
    if user is not None and not usable(user):
        user = None
    with transaction.atomic():
        sms_send(
            to=phone if user else "",
            key="username_reminder",
            purpose="username_reminder",
            address=address,
            subject=user,
            silent=True,
            limit_key=phone,
            own_day=("sms_reminder_phone", settings.LIMIT_REMINDER_SMS_PER_PHONE_DAY),
            language=translation.get_language() or "",
            username=user.username if user else "",
        )


# --- password --------------------------------------------------------------------------


def password_reset_start(*, username: str, address: str = "") -> tuple[SmsChallenge, str]:
    """Send a reset code to the bound mobile.

    An unknown username gets a challenge too, and the same work and answer: limits counted
    (by a stand-in for its number), the SMS logged as not sent, a plausible mask."""
    key = clean("username", username_key, username)
    user = user_by_username(key)
    if user is not None and not usable(user):
        user = None  # a disabled account is answered as an unknown username: no code is sent
    phone = (user.phone or "") if user else ""
    with transaction.atomic():
        challenge = challenge_create(
            user=user if phone else None,
            purpose=SmsChallenge.Purpose.PASSWORD_RESET,
            phone=phone,
            address=address,
            limit_key=unknown_key(key),
        )
        audit_record(type=AuditEventType.PASSWORD_RESET_REQUESTED, subject=user, address=address, username=key)
    return challenge, mask_phone(phone) if phone else dummy_phone_mask(key)


def password_reset_confirm(*, challenge: str, code: str, new_password: str, address: str = "") -> None:
    """Set a new password with the code. The policy is checked in two steps so that the
    answer tells nothing about the account before the code is right: first its general
    rules (the same for every username), then, once the code is right, the likeness to this
    account's username (the code then stays usable for another password)."""
    check_password_policy(new_password, None, "new_password")

    def apply(found: SmsChallenge) -> None:
        user = User.objects.select_for_update().get(pk=found.user_id)
        if not usable(user):  # disabled after the code was sent: an ended account is not changed (an outsider's was)
            raise disabled_refusal(user)
        check_password_policy(new_password, user, "new_password")
        user.set_password(new_password)
        user.password_change_due = False
        user.save(update_fields=["password", "password_change_due"])
        sessions_end_all(user=user, reason=LoginSession.EndReason.PASSWORD)
        challenges_void(user)  # a change of mobile asked by whoever held the account ends too
        limits.reset("login_username", username_key(user.username))
        audit_record(type=AuditEventType.PASSWORD_RESET, actor=user, subject=user, address=address)
        message_send(user=user, key="password_reset")

    challenge_answer(
        challenge=challenge,
        code=code,
        purposes=(SmsChallenge.Purpose.PASSWORD_RESET,),
        address=address,
        on_right=apply,
    )


def _require_password(
    *, user: User, password: str, field: str, address: str, where: str, problems: dict, previous=None
) -> None:
    """Compare the account's password (counted like a sign-in); every problem found so far
    and a wrong password are raised together."""
    if not _password_attempt(
        key=username_key(user.username), user=user, password=password, address=address, where=where, previous=previous
    ):
        problems[field] = [_("The password is wrong.")]
    if problems:
        raise Invalid(_("Some fields are not valid."), fields=problems)


PREVIOUS_PASSWORD_KEPT = dt.timedelta(minutes=5)


def _previous_password(user_id: int) -> str:
    """The hash the account's last password change replaced, if that was a moment ago."""
    user = User.objects.only("previous_password", "password_changed_at").get(pk=user_id)
    changed = user.password_changed_at
    return user.previous_password if changed and clock.now() - changed < PREVIOUS_PASSWORD_KEPT else ""


def previous_passwords_forget() -> int:
    """Clear the replaced hashes kept longer than they serve (a daily job)."""
    stale = User.objects.filter(password_changed_at__lt=clock.now() - PREVIOUS_PASSWORD_KEPT).exclude(
        previous_password=""
    )
    return stale.update(previous_password="")


def password_change(
    *, user: User, old_password: str, new_password: str, address: str = "", found: dict | None = None
) -> None:
    """`found`: problems the caller found in fields this service does not see (the web form's new
    password typed again); raised with the service's own, the password's among them, and nothing
    changes."""
    problems = dict(found or {})
    if weak := password_problems(new_password, user):
        problems["new_password"] = weak
    elif new_password == old_password:
        # Not a change (an outsider's was answered 204, and a change that was due stayed undone in all but name).
        problems["new_password"] = [_("Choose a new password other than your current one.")]
    # The password the request knew may have been changed a moment ago: by this change sent again
    # (a double tap, a retry after a time-out) or by another racing it. Then it is said so, not
    # "the password is wrong", and not counted (an outsider's retry; a race's losers).
    _require_password(
        user=user,
        password=old_password,
        field="old_password",
        address=address,
        where="password_change",
        problems=problems,
        previous=lambda: _previous_password(user.pk),
    )
    verified = user.password  # the hash the old password was compared with
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.password != verified:
            # Changed meanwhile by a parallel request (an outsider's two changes were both told 204,
            # and one of the two new passwords did not work).
            raise Conflict(_("Your password has just been changed: sign in with the new one."))
        user.previous_password, user.password_changed_at = user.password, clock.now()
        user.set_password(new_password)
        user.password_change_due = False
        user.save(update_fields=["password", "previous_password", "password_changed_at", "password_change_due"])
        audit_record(type=AuditEventType.PASSWORD_CHANGED, actor=user, subject=user, address=address)
        message_send(user=user, key="password_changed")


# --- mobile ----------------------------------------------------------------------------


class TooManyTakenNumbers(RateLimited):
    default_message = gettext_lazy(
        "Too many of the numbers given today are bound to other accounts: try again tomorrow, or change "
        "your mobile number at a counter."
    )
    says_when = True


def phone_change_start(*, user: User, phone: str, password: str, address: str = "") -> SmsChallenge:
    problems = {}
    try:
        phone = normalize_phone(phone)
    except ValidationError as e:
        problems["phone"] = e.messages
    else:
        if phone == user.phone:
            problems["phone"] = [_("This is already your bound mobile number.")]
    _require_password(
        user=user, password=password, field="password", address=address, where="phone_change", problems=problems
    )
    bound = User.objects.filter(phone=phone).exclude(pk=user.pk).exists()
    refuse_taken(user, {"phone": [str(DuplicatePhone.default_message)]} if bound else {}, TooManyTakenNumbers)
    with transaction.atomic():
        # One change of mobile at a time: the newest asked for is the one a code can confirm (an
        # outsider confirmed two, both told 200, and the account kept one of them).
        User.objects.select_for_update().filter(pk=user.pk).first()
        SmsChallenge.objects.filter(
            user=user, purpose=SmsChallenge.Purpose.PHONE_CHANGE, consumed_at__isnull=True
        ).update(consumed_at=clock.now())
        return challenge_create(user=user, purpose=SmsChallenge.Purpose.PHONE_CHANGE, phone=phone, address=address)


@transaction.atomic
def phone_apply(*, user: User, phone: str, actor: User, address: str = "", note: str = "") -> User:
    """Bind a new mobile; the next login needs an SMS code to it."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if User.objects.filter(phone=phone).exclude(pk=user.pk).exists():
        raise DuplicatePhone(fields={"phone": [str(DuplicatePhone.default_message)]})
    old = user.phone or ""
    user.phone = phone
    user.sms_required = True
    save_unique(lambda: user.save(update_fields=["phone", "sms_required"]), phone=phone)
    challenges_void(user)  # every code still open went to a number the account no longer has
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
    message_send(user=user, key="phone_changed", phone=mask_phone(phone))
    if old and actor.pk == user.pk:
        # The old number hears of it too: a stolen password alone moved an outsider's account to
        # another phone unknown to its owner (the counter's change tells it in its own words).
        notices_send(
            [
                Notice(
                    users=(),
                    phone=old,
                    key="phone_changed",
                    params={"phone": mask_phone(phone)},
                    language=user.language,
                )
            ],
            purpose="account",
        )
    return user


def _document_problem(user: User, document_number: str) -> str | None:
    """Why the number on the document shown at the counter does not prove the account is the
    holder's: an individual's verified ID number, an organisation's credit code. An outsider's
    clerk moved any account to any number with a tick in a box, and took it over by a reset."""
    # Typed as on the document, in groups or not; a number in another form is said so, not "does
    # not match" (an outsider's full-width digits were told they were another person's).
    typed = "".join(str(document_number or "").split())
    if user.kind == Kind.INDIVIDUAL:
        if user.person_id is None:
            return _(
                "This account has not passed real-name verification: there is no identity to check the ID card "
                "against. The holder can sign up again with the new number."
            )
        try:
            matches = normalize_id_number(typed) == user.person.id_number
        except ValidationError as e:
            return e.messages[0]
        return None if matches else _("The ID number does not match the identity this account verified.")
    if user.kind == Kind.ORGANISATION:
        try:
            matches = normalize_credit_code(typed) == user.organisation.credit_code
        except ValidationError as e:
            return e.messages[0]
        except Organisation.DoesNotExist:
            matches = False
        return None if matches else _("The credit code does not match this organisation's.")
    return _("A sub-account's mobile is changed by its organisation's administrator.")


class TooManyCounterMismatches(RateLimited):
    default_message = gettext_lazy(
        "Too many usernames, document numbers or mobile numbers that did not fit today at this desk: "
        "changes of mobile are refused here until tomorrow. Ask a supervisor."
    )
    says_when = True


def phone_change_at_counter(
    *,
    actor: User,
    username: str,
    phone: str,
    identity_checked: bool,
    document_number: str = "",
    address: str = "",
) -> SmsChallenge:
    """A clerk starts binding a new mobile for a holder who lost the old one, after checking the
    identity document against the account: a code goes to the new number, which the holder tells
    the clerk (`phone_change_at_counter_confirm`), so that a number typed wrong binds nobody's
    account to a stranger's phone (an outsider's clerk bound one at once).

    Each attempt is on record, and the attempts that did not fit (no such account, a document of
    another, a number taken) count toward the clerk's day: the desk is no way to try ID numbers on
    an account or numbers for accounts (an outsider's clerk tried 50 of each, unrecorded)."""
    _clerk_required(actor)

    quota = limits.Quota(
        "counter_mismatches", str(actor.pk), settings.LIMIT_COUNTER_MISMATCHES_PER_DAY, error=TooManyCounterMismatches
    )
    quota.probe()
    try:
        key = username_key(username) if isinstance(username, str) and username.strip() else ""
    except ValidationError as e:
        # No account can have it: a typing slip, not a try on an account, so not counted.
        raise Invalid(_("Some fields are not valid."), fields={"username": e.messages}) from None
    user = user_by_username(key) if key else None
    if user is not None and user.kind == Kind.STAFF:
        user = None
    problems = {}
    if not identity_checked:
        problems["identity_checked"] = [_("Check the applicant's identity document first.")]
    if user is None:
        problems["username"] = [_("No citizen or organisation account has this username.")]
    elif problem := _document_problem(user, document_number):
        problems["document_number"] = [str(problem)]
    try:
        phone = normalize_phone(phone)
    except ValidationError as e:
        problems["phone"] = e.messages
    else:
        if user is not None and phone == user.phone:
            problems["phone"] = [_("This is already the account's bound mobile number.")]
        elif User.objects.filter(phone=phone).exclude(pk=getattr(user, "pk", None)).exists():
            problems["phone"] = [_("This number is bound to another account: the holder gives a number of their own.")]
    personal_data_viewed(
        actor=actor,
        what="counter_phone",
        subject=user,
        person=user.person.id_number if user is not None and user.person_id else "",
        address=address,
        refused=sorted(problems),
    )
    if problems:
        if {"username", "document_number", "phone"} & problems.keys():
            quota.count()
        raise Invalid(_("Some fields are not valid."), fields=problems)
    return challenge_create(user=user, purpose=SmsChallenge.Purpose.COUNTER_PHONE, phone=phone, address=address)


def phone_change_at_counter_confirm(
    *, actor: User, challenge: str, code: str, note: str = "", address: str = ""
) -> User:
    """The code the holder read from the new phone: the number is bound. Every login of the
    account ends (the lost phone's too), and the old number is told, in case the holder did not ask."""
    _clerk_required(actor)

    def complete(found: SmsChallenge) -> User:
        user = found.user
        if not usable(user):
            raise disabled_refusal(user)
        old = user.phone or ""
        user = phone_apply(
            user=user,
            phone=found.phone,
            actor=actor,
            address=address,
            note=note or f"counter {getattr(actor.point, 'code', '')}",
        )
        User.objects.filter(pk=user.pk).update(password_change_due=True)
        sessions_end_all(user=user, reason=LoginSession.EndReason.PHONE)
        if old:
            # To the old number only, in the account's language: the account's own message says it already.
            notice = Notice(
                users=(),
                phone=old,
                key="phone_changed_at_counter",
                params={"new_phone": mask_phone(found.phone)},
                language=user.language,
            )
            notices_send([notice], purpose="account")
        return user

    return challenge_answer(
        challenge=challenge,
        code=code,
        purposes=(SmsChallenge.Purpose.COUNTER_PHONE,),
        address=address,
        on_right=complete,
    )


def _clerk_required(actor: User) -> None:
    if not (actor.kind == Kind.STAFF and actor.role == Role.CLERK):
        raise Forbidden()


def disabled_refusal(user) -> AccountDisabled:
    """The refusal of a disabled account, in words for its kind, at sign-in and to a token it held
    (a staff member was told that sub-accounts are ended by their organisation; a sub-account's
    token was told to go to a counter, its sign-in to ask its organisation: an outsider)."""
    if user.kind == Kind.STAFF:
        return AccountDisabled(STAFF_ACCOUNT_DISABLED)
    if user.kind == Kind.SUB_ACCOUNT:
        return AccountDisabled()
    if user.kind == Kind.ORGANISATION:
        declined = Organisation.objects.filter(user=user, declined_at__isnull=False)
        reason = declined.values_list("decline_reason", flat=True).first()
        if reason is not None:
            message = _("This organisation account was declined at a registration point: %(reason)s")
            return AccountDisabled(message % {"reason": reason})
    return AccountDisabled(ACCOUNT_DISABLED)
