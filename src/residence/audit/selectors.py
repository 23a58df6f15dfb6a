from .models import AuditEvent
from .services import person_index


def audit_events_about_person(*, id_number: str):
    """Every event concerning a person, newest first: "who looked at person X"."""
    return AuditEvent.objects.filter(person_index=person_index(id_number)).select_related("actor", "actor_key")
