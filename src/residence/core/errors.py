"""Domain errors raised by services; `core.api_errors` turns them into API.md's error body."""

import math

from django.utils.translation import gettext_lazy, ngettext

from .validators import sentences


class DomainError(Exception):
    status = 400
    code = "invalid"
    default_message = gettext_lazy("The request is not valid.")

    def __init__(self, message=None, *, fields=None, retry_after=None, extra=None):
        self.message = str(message or self.default_message)
        self.fields = fields or {}
        self.retry_after = retry_after
        self.extra = extra or {}
        super().__init__(self.message)

    def in_one_line(self) -> str:
        """The message and every field's problem on one line, as an operator's command says it."""
        details = "; ".join(f"{name}: {' '.join(problems)}" for name, problems in self.fields.items())
        if len(self.fields) == 1 and [str(self.message)] == [str(p) for p in next(iter(self.fields.values()))]:
            return details  # "该用户名已被使用。 username: 该用户名已被使用。" said it twice (an outsider)
        return f"{self.message} {details}".strip()


class Invalid(DomainError):
    default_message = gettext_lazy("Some fields are not valid.")


class InvalidCode(DomainError):
    code = "invalid_code"
    default_message = gettext_lazy("The verification code is wrong.")


class ChallengeExpired(DomainError):
    code = "challenge_expired"
    default_message = gettext_lazy("This verification has expired. Please start again.")


class NameMismatch(DomainError):
    code = "name_mismatch"
    default_message = gettext_lazy("The name and ID number do not match our records.")


class InvalidCredentials(DomainError):
    status = 401
    code = "invalid_credentials"
    default_message = gettext_lazy("The username or password is wrong.")


class Forbidden(DomainError):
    status = 403
    code = "permission_denied"
    default_message = gettext_lazy("You do not have permission to do this.")


class AccountDisabled(Forbidden):
    """The right password for an account that may no longer sign in: saying so tells nothing to
    someone without the password (an outsider's ended sub-account was told its password was wrong)."""

    default_message = gettext_lazy(
        "This account has been disabled. A sub-account is disabled by its organisation's administrator."
    )


ACCOUNT_DISABLED = gettext_lazy("This account has been disabled. Please contact a counter.")


STAFF_ACCOUNT_DISABLED = gettext_lazy("This staff account has been disabled. Ask your supervisor if this is wrong.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = gettext_lazy("Not found.")


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    default_message = gettext_lazy("The request body is too large.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = gettext_lazy("This change is not allowed in the current state.")


class DuplicateUsername(Conflict):
    code = "duplicate_username"
    default_message = gettext_lazy("This username is already taken.")


class DuplicatePhone(Conflict):
    code = "duplicate_phone"
    # With a way on for the number's owner (an outsider was told only this much).
    default_message = gettext_lazy(
        "This mobile number is already bound to another account. If that account is yours, sign in with it; "
        "a forgotten username can be sent to the number from the sign-in page."
    )


class IdentityTaken(Conflict):
    code = "identity_taken"
    # With a way forward (an outsider was told only this much): it may be the person's own older
    # account, or someone using their ID card, which a counter puts right.
    default_message = gettext_lazy(
        "This identity is already verified by another account. If you opened an account before, sign in with "
        "it (forgot the password? reset it). If not, bring your ID card to an acceptance point."
    )


class AlreadyVerified(Conflict):
    code = "already_verified"
    default_message = gettext_lazy("This account has already passed real-name verification.")


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    default_message = gettext_lazy("Too many requests. Please try again later.")
    # A daily limit's message says "tomorrow" itself: a page adds no "try again in 17 hours" to it.
    says_when = False


TOO_MANY = gettext_lazy("Too many requests.")


class AccountLocked(RateLimited):
    code = "account_locked"
    default_message = gettext_lazy("Too many wrong passwords. This account is locked for a while.")


def page_message(exc: DomainError) -> str:
    """The message as a page shows it: a limit also says how long to wait (an outsider was told
    only "try again later"; the API's answer carries Retry-After, a page reader has no headers)."""
    if not exc.retry_after or exc.retry_after <= 0 or getattr(exc, "says_when", False):
        return exc.message
    # The default says "later", which the wait below makes exact (an outsider read both).
    message = str(TOO_MANY) if exc.message == str(RateLimited.default_message) else exc.message
    if exc.retry_after < 60:
        seconds = math.ceil(exc.retry_after)
        wait = ngettext("Try again in %(n)d second.", "Try again in %(n)d seconds.", seconds) % {"n": seconds}
        return sentences((message, wait))
    minutes = math.ceil(exc.retry_after / 60)
    if minutes <= 90:
        wait = ngettext("Try again in %(n)d minute.", "Try again in %(n)d minutes.", minutes) % {"n": minutes}
    else:
        hours = math.ceil(minutes / 60)
        wait = ngettext("Try again in %(n)d hour.", "Try again in %(n)d hours.", hours) % {"n": hours}
    return sentences((message, wait))


def error_body(code, message, fields=None, **extra):
    body = {"code": code, "message": str(message), "fields": fields or {}}
    body.update(extra)
    return {"error": body}


def flatten_fields(detail, prefix=""):
    """DRF's nested error detail as API.md's dotted paths: {"a.0.b": ["..."]}."""
    out = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            # A nested object's own error (it is no object) belongs to its field: "delivery".
            name = (prefix if key == "non_field_errors" else f"{prefix}.{key}") if prefix else str(key)
            out.update(flatten_fields(value, name))
    elif isinstance(detail, list) and detail and all(isinstance(d, (dict, list)) for d in detail):
        for index, value in enumerate(detail):
            out.update(flatten_fields(value, f"{prefix}.{index}" if prefix else str(index)))
    elif isinstance(detail, list):
        out[prefix or "non_field_errors"] = [str(d) for d in detail]
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return {k: v for k, v in out.items() if v}
