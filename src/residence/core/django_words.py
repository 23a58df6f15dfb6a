"""Django's own form messages whose Chinese says something else: "Null characters are not
allowed." reads "empty strings are not allowed" (with a typo), and the length message reads
like a programmer's note. Named here so that `make messages` keeps them in the platform's
catalogue, which Django reads before its own: the platform's words are the ones shown."""

from django.utils.translation import gettext_noop, ngettext_lazy

WORDED_AGAIN = (
    gettext_noop("Null characters are not allowed."),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
)
