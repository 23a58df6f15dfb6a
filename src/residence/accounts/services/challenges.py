"""SMS challenges: a 6-digit code sent to a mobile, stored only as a keyed hash.

A challenge has 5 tries and 5 minutes; a resend (no sooner than 60 s after the last code)
sends a new code and gives it 5 minutes, but the tries belong to the challenge, not to
the code. A challenge without an account (an unknown username's password reset) does the
same work and answers the same way, and no code can ever be right for it.
"""

import datetime as dt
import hashlib
import hmac
import math
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock
from residence.core.errors import ChallengeExpired, Conflict, InvalidCode, RateLimited
from residence.core.validators import mask_phone, normalize_phone
from residence.notifications.services import sms_refusals_on_record, sms_send

from ..models import Channel, SmsChallenge, User


def _code_hash(public_id: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{public_id}:{code}".encode(), hashlib.sha256).hexdigest()


def unknown_key(username_key: str) -> str:
    """A stable stand-in for an unknown username's mobile number: what its limits count by."""
    return hmac.new(settings.SECRET_KEY.encode(), username_key.encode(), hashlib.sha256).hexdigest()[:24]


def _mobile_prefixes() -> tuple[str, ...]:
    """The three-digit prefixes of mainland mobile numbers, as the phone check knows them."""
    return tuple(
        prefix
        for prefix in map(str, range(130, 200))
        if any(_is_mobile(f"{prefix}{block}") for block in ("00000000", "12345678", "56781234", "99999999"))
    )


def _is_mobile(number: str) -> bool:
    try:
        normalize_phone(number)
    except ValidationError:
        return False
    return True


MOBILE_PREFIXES = _mobile_prefixes()


def dummy_phone_mask(username_key: str) -> str:
    """A stable, plausible mask for an unknown username, so the answer does not tell: a prefix
    any mobile may have and four even digits (an outsider told real accounts from unknown ones by
    masks that all began 13, mostly 131 and 132)."""
    value = int(unknown_key(username_key), 16)
    prefix = MOBILE_PREFIXES[value % len(MOBILE_PREFIXES)]
    return mask_phone(f"{prefix}0000{value // len(MOBILE_PREFIXES) % 10_000:04d}")


def _own_day(purpose: str) -> tuple[str, int] | None:
    """The smaller day per number of the codes someone other than the number's owner can have sent
    to it: a reset (anyone who knows a username) and a change to a new number (any account, to
    any number not yet bound). Ten of either used up the number's day, and its owner could not
    sign in."""
    if purpose == SmsChallenge.Purpose.PASSWORD_RESET:
        return ("sms_reset_phone", settings.LIMIT_RESET_SMS_PER_PHONE_DAY)
    if purpose in (SmsChallenge.Purpose.PHONE_CHANGE, SmsChallenge.Purpose.COUNTER_PHONE):
        return ("sms_change_phone", settings.LIMIT_CHANGE_SMS_PER_PHONE_DAY)
    return None


def _send_code(challenge: SmsChallenge, *, address: str, limit_key: str = "") -> None:
    """A new code for the challenge, sent once the transaction commits.

    A password-reset code is sent silently: over a limit, or for an unknown username,
    nothing is sent and nothing is said, so the answer is the same for every username."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge.code_hash = _code_hash(challenge.public_id, code) if challenge.user_id else ""
    reset = challenge.purpose == SmsChallenge.Purpose.PASSWORD_RESET
    # The page (or Accept-Language) that asked for it; but anyone may ask for a reset, and its code
    # goes to the holder, in the account's own language when it has one (an outsider's English
    # holder got a Chinese code because a Chinese page asked).
    language = translation.get_language() or ""
    if reset and challenge.user is not None and challenge.user.language:
        language = challenge.user.language
    sms_send(
        to=challenge.phone,
        key=challenge.purpose,
        purpose=challenge.purpose,
        address=address,
        secret=code,
        subject=challenge.user,
        silent=reset,
        limit_key=limit_key,
        own_day=_own_day(challenge.purpose),
        language=language,
        code=code,
        minutes=settings.SMS_CODE_TTL_SECONDS // 60,
    )


def challenges_void(user: User) -> None:
    """End every code of the account still open: after its mobile or its password changes, a code
    asked before (from a lost phone, by whoever held the account) must not finish the job (an
    outsider's thief took an account back with one)."""
    SmsChallenge.objects.filter(user=user, consumed_at__isnull=True).update(consumed_at=clock.now())


@sms_refusals_on_record()
@transaction.atomic
def challenge_create(
    *,
    user: User | None,
    purpose: str,
    phone: str,
    channel: str = Channel.API,
    remember: bool = False,
    address: str = "",
    limit_key: str = "",
) -> SmsChallenge:
    """A new challenge and its code. `user=None` (with `limit_key`) is an unknown username's."""
    if user is not None and not phone:
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
        stand_in=limit_key if user is None else "",
    )
    _send_code(challenge, address=address, limit_key=limit_key)
    challenge.save()
    return challenge


def _lock_account_of(public_id: str) -> None:
    """The account's row locked before its challenge's, by every step that locks a challenge: what
    a right code does (bind a mobile, set a password) locks the account and ends its other codes;
    two codes of one account answered at once deadlocked, and so did a resend and an answer of one
    code, whose write of the challenge waits for the account's key (outsiders' 500s)."""
    user_id = SmsChallenge.objects.filter(public_id=str(public_id or "")).values_list("user_id", flat=True).first()
    if user_id is not None:
        User.objects.select_for_update().filter(pk=user_id).first()


def _live_challenge(public_id: str) -> SmsChallenge:
    challenge = (
        SmsChallenge.objects.select_related("user")
        .select_for_update(of=("self",))
        .filter(public_id=str(public_id or ""))
        .first()
    )
    if (
        challenge is None
        or challenge.consumed_at is not None
        or challenge.tries >= settings.SMS_CODE_MAX_TRIES
        or clock.now() >= challenge.expires_at
    ):
        raise ChallengeExpired()
    return challenge


def challenge_answer(*, challenge: str, code: str, purposes, address: str, on_right):
    """Answer a challenge with a code; returns `on_right(challenge)`.

    A right code consumes the challenge in the transaction of `on_right`, so if that refuses
    (a DomainError) the code stays usable for another try. A wrong code uses up a try,
    committed before InvalidCode is raised with the tries left."""
    with transaction.atomic():
        _lock_account_of(challenge)
        found = _live_challenge(challenge)
        if found.purpose not in purposes:
            raise ChallengeExpired()
        if found.user_id and hmac.compare_digest(found.code_hash, _code_hash(found.public_id, str(code))):
            result = on_right(found)
            found.consumed_at = clock.now()
            found.save(update_fields=["consumed_at"])
            audit_record(
                type=AuditEventType.SMS_VERIFIED,
                actor=found.user,
                subject=found.user,
                address=address,
                purpose=found.purpose,
            )
            return result
        found.tries += 1
        found.save(update_fields=["tries"])
        audit_record(
            type=AuditEventType.SMS_FAILED,
            subject=found.user,
            address=address,
            purpose=found.purpose,
            tries=found.tries,
        )
        tries_left = settings.SMS_CODE_MAX_TRIES - found.tries
    if tries_left:
        wrong = ngettext(
            "The verification code is wrong. %(n)d try left.",
            "The verification code is wrong. %(n)d tries left.",
            tries_left,
        ) % {"n": tries_left}
    else:
        wrong = _("The verification code is wrong, and it was the last try: ask for a new code.")
    # The same words at the field: the web form shows the field's error, and the tries left matter there.
    raise InvalidCode(wrong, fields={"code": [wrong]}, extra={"tries_left": tries_left})


@sms_refusals_on_record()
@transaction.atomic
def challenge_resend(*, challenge: str, address: str = "") -> SmsChallenge:
    """A new code for a live challenge, at most once every SMS_RESEND_SECONDS; the tries
    already used stay used."""
    _lock_account_of(challenge)
    found = _live_challenge(challenge)
    wait = settings.SMS_RESEND_SECONDS - (clock.now() - found.sent_at).total_seconds()
    if wait > 0:
        # How long is said once: by Retry-After on the API, by the page's "try again in" on a page
        # (an outsider read "wait 57 seconds … try again in 1 minute").
        raise RateLimited(
            ngettext(
                "A new code can be sent once every %(n)d second.",
                "A new code can be sent once every %(n)d seconds.",
                settings.SMS_RESEND_SECONDS,
            )
            % {"n": settings.SMS_RESEND_SECONDS},
            retry_after=math.ceil(wait),
        )
    now = clock.now()
    found.sent_at = now
    found.expires_at = now + dt.timedelta(seconds=settings.SMS_CODE_TTL_SECONDS)
    _send_code(found, address=address, limit_key=found.stand_in)
    found.save(update_fields=["code_hash", "sent_at", "expires_at"])
    return found
