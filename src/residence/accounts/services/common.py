"""Helpers shared by the account services."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residence.core import limits
from residence.core.errors import Conflict, DuplicatePhone, DuplicateUsername, Invalid, RateLimited

from ..models import Organisation, User
from ..selectors import user_by_username

HOUR = 3600


def field_error(field: str, error: ValidationError | str) -> Invalid:
    messages = error.messages if isinstance(error, ValidationError) else [str(error)]
    return Invalid(_("Some fields are not valid."), fields={field: messages})


def clean(field: str, func, value):
    try:
        return func(value)
    except ValidationError as e:
        raise field_error(field, e) from None


def password_problems(password: str, user: User | None = None) -> list[str]:
    """What the password policy says of `password` (for `user`, if given); empty when fine."""
    try:
        validate_password(password, user)
    except ValidationError as e:
        return list(e.messages)
    return []


def check_password_policy(password: str, user: User | None = None, field: str = "password") -> None:
    problems = password_problems(password, user)
    if problems:
        raise Invalid(_("Some fields are not valid."), fields={field: problems})


def taken(*, username: str = "", phone: str = "", credit_code: str = "") -> dict[str, list[str]]:
    """Which of these identifiers another account already holds, as field errors."""
    found = {}
    if username and user_by_username(username) is not None:
        found["username"] = [str(DuplicateUsername.default_message)]
    if phone and User.objects.filter(phone=phone).exists():
        found["phone"] = [str(DuplicatePhone.default_message)]
    if credit_code and Organisation.objects.filter(credit_code=credit_code, declined_at__isnull=True).exists():
        # What the real organisation does when someone else signed up with its code (an outsider).
        found["credit_code"] = [
            _(
                "An account for this organisation already exists. If your organisation did not open it, bring the "
                "business licence and an authorisation letter to a registration point."
            )
        ]
    return found


def raise_duplicate(found: dict[str, list[str]]) -> None:
    """Raise the 409 of the first identifier taken, with every taken one as a field error."""
    if "username" in found:
        raise DuplicateUsername(fields=found)
    if "phone" in found:
        raise DuplicatePhone(fields=found)
    if found:
        raise Conflict(found["credit_code"][0], fields=found)


class TooManyTaken(RateLimited):
    default_message = gettext_lazy(
        "Too many of the usernames or mobile numbers given today belong to other accounts: try again tomorrow."
    )
    says_when = True


def refuse_taken(account: User, found: dict[str, list[str]], error: type[RateLimited] = TooManyTaken) -> None:
    """Raise the 409 of a username or mobile another account holds (`taken`), counted against the
    account asking: LIMIT_TAKEN_NUMBERS_PER_DAY a day, then `error` (429) for anything asked, held
    or not, so that the answers no longer tell which are (an outsider asked 201 numbers through a
    change of mobile, and 44 through new sub-accounts, whether they had an account). Called
    outside the transaction of the writes, whose rollback on the 409 would take the count back."""

    quota = limits.Quota("phone_taken", str(account.pk), settings.LIMIT_TAKEN_NUMBERS_PER_DAY, error=error)
    quota.probe()
    if found:
        quota.count()
        raise_duplicate(found)


def save_unique(save, **identifiers) -> None:
    """Run `save` in a savepoint; a unique constraint a parallel request won the race for
    answers its 409 (raise_duplicate), never an IntegrityError."""
    try:
        with transaction.atomic():
            save()
    except IntegrityError:
        raise_duplicate(taken(**identifiers))
        raise Conflict() from None
