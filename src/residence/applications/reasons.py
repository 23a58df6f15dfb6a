"""The reasons a reviewer gives most often for a refusal, offered as boxes to tick on the desk.

A ticked reason is recorded in the platform's language (LANGUAGE_CODE), whatever the language of
the reviewer's page: the record, the API's `decision.reasons` and the history are one language
(an outsider's Chinese applicant read English reasons a reviewer had ticked on an English page).
Pages and messages show a common reason in their reader's language; a reason written in is
shown as written."""

import functools

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

COMMON_REASONS = [
    _("The residence registration does not cover the required period."),
    _("The social insurance contributions do not cover the required months."),
    _("The full-time enrolment could not be confirmed."),
    _("The talent certificate could not be confirmed."),
    _("The name or ID number does not match the population records."),
    _("The photo receipt number is not valid."),
]


def recorded(number: int) -> str:
    """Common reason `number` as the record keeps it."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(COMMON_REASONS[number])


@functools.cache
def _numbers() -> dict[str, int]:
    """Each common reason's text in every language of the platform, to its place in the list
    (reasons recorded before they were kept in one language are in the reviewer's)."""
    numbers = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            numbers.update({str(text): i for i, text in enumerate(COMMON_REASONS)})
    return numbers


def shown(reason: str) -> str:
    """A reason in the reader's language when it is a common one; else as written."""
    number = _numbers().get(reason)
    return reason if number is None else str(COMMON_REASONS[number])
