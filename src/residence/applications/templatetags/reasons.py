"""`{{ reason|reason_shown }}`: a refusal's reason in the reader's language when it is a common one;
`{{ change|history_note }}`: a history entry's note as its reader reads it."""

from django import template

from residence.applications import reasons
from residence.notifications.catalogue import reasons_text

register = template.Library()
register.filter("reason_shown", reasons.shown)


@register.filter
def history_note(change) -> str:
    """A refusal's note, recorded in the platform's language, with its common reasons in the
    reader's (an outsider's English page listed them in Chinese); any other note as written."""
    if change.action != "reject":
        return change.note
    return reasons_text(reasons.shown(reason) for reason in change.application.decision_reasons)
