"""Helpers shared by the account services."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from residence.core.errors import Conflict, DuplicatePhone, DuplicateUsername, Invalid

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


def raise_duplicate(*, username: str = "", phone: str = "", credit_code: str = "") -> None:
    """Raise the 409 for the first of these that another account already holds."""
    if username and user_by_username(username) is not None:
        raise DuplicateUsername()
    if phone and User.objects.filter(phone=phone).exists():
        raise DuplicatePhone()
    if credit_code and Organisation.objects.filter(credit_code=credit_code).exists():
        raise Conflict(
            _("An account for this organisation already exists."), fields={"credit_code": [_("Already registered.")]}
        )


def save_unique(save, **identifiers) -> None:
    """Run `save` in a savepoint; a unique constraint a parallel request won the race for
    answers its 409 (raise_duplicate), never an IntegrityError."""
    try:
        with transaction.atomic():
            save()
    except IntegrityError:
        raise_duplicate(**identifiers)
        raise Conflict() from None
