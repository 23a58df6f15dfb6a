import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Q

from .models import AuditEvent
from .services import person_index

AUDIT_PAGE = 200


def audit_events_about_person(*, id_number: str):
    """Every event concerning a person, newest first: "who looked at person X"."""
    return AuditEvent.objects.filter(person_index=person_index(id_number)).select_related("actor", "actor_key")


def audit_events(
    *,
    type: str = "",
    username: str = "",
    id_number: str = "",
    since: dt.date | None = None,
    until=None,
    before: int | None = None,
):
    """The newest events matching every filter given (a supervisor's search), a page and one more
    (so that the page knows there are older ones), older than the event `before` if given.
    `username` matches the actor or the subject account, and the events about the account's person
    (an application's, which name the person, not the account: an outsider's search by account
    missed them); `id_number` the person the event is about, by its blind index (the log never
    holds the number itself)."""
    events = AuditEvent.objects.select_related("actor", "actor_key", "subject")
    if type:
        events = events.filter(type=type)
    if username:
        about = Q(actor__username__iexact=username) | Q(subject__username__iexact=username)
        if number := account_person_number(username):
            about |= Q(person_index=person_index(number))
        events = events.filter(about)
    if id_number:
        events = events.filter(person_index=person_index(id_number))
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    if before is not None and (pivot := AuditEvent.objects.filter(pk=before).values_list("at", flat=True).first()):
        events = events.filter(Q(at__lt=pivot) | Q(at=pivot, id__lt=before))
    return events.order_by("-at", "-id")[: AUDIT_PAGE + 1]


def account_person_number(username: str) -> str:
    """The ID number of the person an account is real-name verified as, or ""."""
    return (
        get_user_model()
        .objects.filter(username__iexact=username, person__isnull=False)
        .values_list("person__id_number", flat=True)
        .first()
        or ""
    )
