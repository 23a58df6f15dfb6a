"""Every notification the platform sends, by key: the texts live here, the parameters with
each message, and a message is rendered in the language of whoever reads it (an
organisation reads its activation notice in its own language, not the clerk's). SMS texts
are rendered in Chinese, the language of the city's SMS gateway.
"""

from django.utils.translation import gettext_lazy as _

# key: (title, body); both take the message's params with %(name)s.
MESSAGES = {
    # A text written by a person (and messages kept from before the catalogue): shown as written.
    "text": ("%(title)s", "%(body)s"),
    "account_created": (
        _("Welcome to the residence permit service platform"),
        _("Your account %(username)s has been created."),
    ),
    "organisation_created": (
        _("Welcome to the residence permit service platform"),
        _(
            "Your account %(username)s has been created. An organisation account is activated by a clerk at a "
            "registration point after checking the credit code, the authorisation letter and the proof of housing."
        ),
    ),
    "organisation_activated": (
        _("Organisation account activated"),
        _("Your organisation account has been activated at %(point)s."),
    ),
    "password_reset": (
        _("Password reset"),
        _("Your password was reset with a code sent to your mobile. If this was not you, contact a counter at once."),
    ),
    "password_changed": (
        _("Password changed"),
        _("The password of your account was changed. If this was not you, reset it at once."),
    ),
    "phone_changed": (
        _("Mobile number changed"),
        _("Your bound mobile number is now %(phone)s."),
    ),
    "real_name_verified": (
        _("Real-name verification passed"),
        _("Your account is now verified as %(name)s."),
    ),
}

SMS_SIGNATURE = "【居住证服务平台】"
SMS = {
    "login": _("Your sign-in code is %(code)s, valid for %(minutes)d minutes. Never share it."),
    "password_reset": _("Your password reset code is %(code)s, valid for %(minutes)d minutes."),
    "phone_change": _("Your code to bind this mobile is %(code)s, valid for %(minutes)d minutes."),
}


def render_message(key: str, params: dict) -> tuple[str, str]:
    """(title, body) in the active language."""
    title, body = MESSAGES[key]
    return str(title) % params, str(body) % params
