import datetime as dt

from django.db.models import Q

from .models import AuditEvent
from .services import person_index

AUDIT_PAGE = 200


def audit_events_about_person(*, id_number: str):
    """Every event concerning a person, newest first: "who looked at person X"."""
    return AuditEvent.objects.filter(person_index=person_index(id_number)).select_related("actor", "actor_key")


def audit_events(*, type: str = "", username: str = "", id_number: str = "", since: dt.date | None = None, until=None):
    """The newest events matching every filter given (a supervisor's search), at most a page.
    `username` matches the actor or the subject account; `id_number` the person the event is about,
    by its blind index (the log never holds the number itself)."""
    events = AuditEvent.objects.select_related("actor", "actor_key", "subject")
    if type:
        events = events.filter(type=type)
    if username:
        events = events.filter(Q(actor__username__iexact=username) | Q(subject__username__iexact=username))
    if id_number:
        events = events.filter(person_index=person_index(id_number))
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    return events.order_by("-at", "-id")[:AUDIT_PAGE]
