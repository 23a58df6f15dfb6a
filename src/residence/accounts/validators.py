import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from residence.core.validators import has_forbidden_characters


class LettersAndDigitsValidator:
    """A password must hold at least one letter and one digit."""

    def validate(self, password, user=None):
        if not (re.search(r"[A-Za-z]", password) and re.search(r"[0-9]", password)):
            raise ValidationError(_("The password must contain both letters and digits."), code="letters_digits")

    def get_help_text(self):
        return _("Your password must contain both letters and digits.")


class PlainCharactersValidator:
    """No control or invalid characters: the API refuses them in any string, and a page's form
    must not store as "�" what the API refuses."""

    def validate(self, password, user=None):
        if has_forbidden_characters(password):
            raise ValidationError(_("The password cannot contain control or invalid characters."), code="characters")

    def get_help_text(self):
        return ""


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with its message in our catalogue: Django 5.2 changed the message's wording
    and its Chinese catalogue still has only the old one, so Chinese pages showed English."""

    def get_error_message(self):
        return ngettext(
            "The password is too short: it needs at least %(n)d character.",
            "The password is too short: it needs at least %(n)d characters.",
            self.min_length,
        ) % {"n": self.min_length}


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's, with its message in our catalogue (Django's Chinese puts spaces around the
    field name)."""

    def get_error_message(self):
        return _("The password is too similar to your %(verbose_name)s.")
