"""Validators shared by forms, serializers and imports (RULES §12, API.md §Identity numbers)."""

import datetime as dt
import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from . import clock

ID_NUMBER_RE = re.compile(r"^\d{17}[\dXx]$")
HONG_KONG_MACAO_TAIWAN = ("810000", "820000", "830000")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{4,30}$")
MIDDLE_DOTS = "·•‧∙⋅・･.．"


def normalize_id_number(value: str) -> str:
    """Return the ID number upper-cased, or raise ValidationError.

    The check character is computed by python-stdnum; the address code is deliberately
    not checked against a list (ric.validate would refuse codes that changed).
    """
    value = (value or "").strip().upper()
    if not ID_NUMBER_RE.match(value):
        raise ValidationError(_("An ID number has 17 digits and a check character (a digit or X)."), code="format")
    if ric.calc_check_digit(value[:17]) != value[17]:
        raise ValidationError(_("The check character of this ID number is wrong."), code="checksum")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date in this ID number does not exist."), code="birth_date") from None
    if birth > clock.today():
        raise ValidationError(_("The birth date in this ID number lies in the future."), code="birth_date")
    return value


def is_hong_kong_macao_taiwan(id_number: str) -> bool:
    return id_number[:6] in HONG_KONG_MACAO_TAIWAN


def normalize_phone(value: str) -> str:
    """A mainland mobile number as 11 digits, or ValidationError."""
    raw = (value or "").strip().replace(" ", "").replace("-", "")
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a mainland China mobile number."), code="phone") from None
    if (
        number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise ValidationError(_("Enter a mainland China mobile number."), code="phone")
    return str(number.national_number)


def normalize_credit_code(value: str) -> str:
    try:
        return uscc.validate(value or "")
    except StdnumError:
        raise ValidationError(
            _("This is not a valid unified social credit code (18 characters with a check character)."),
            code="credit_code",
        ) from None


def validate_username(value: str) -> str:
    if not USERNAME_RE.match(value or ""):
        raise ValidationError(_("A username has 4–30 letters, digits or underscores."), code="username")
    return value


def normalize_name(value: str) -> str:
    """Names compare after NFKC, trimming and one kind of middle dot."""
    value = unicodedata.normalize("NFKC", value or "").strip()
    for dot in MIDDLE_DOTS:
        value = value.replace(dot, "·")
    return re.sub(r"\s+", " ", value)


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if phone else ""


def mask_id_number(id_number: str) -> str:
    return f"{id_number[:6]}{'*' * 8}{id_number[-4:]}" if id_number else ""
