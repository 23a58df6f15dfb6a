import hashlib
import hmac

from django.conf import settings

from residence.core import clock, context

from .models import AuditEvent, AuditEventType


def access_refused(request) -> None:
    """A staff account refused a page or an API call (403): a security event, recorded with what
    was asked for. An outsider's clerk probed other points' applications by id and left no trace."""
    user = getattr(request, "user", None)
    if getattr(user, "kind", None) == "staff":
        audit_record(type=AuditEventType.ACCESS_REFUSED, actor=user, method=request.method, path=request.path[:200])


def person_index(id_number: str) -> str:
    """The blind index of a (normalised) ID number: the same number always gives the same
    index, and the index does not give the number back without ID_INDEX_KEY."""
    return hmac.new(settings.ID_INDEX_KEY.encode(), id_number.encode(), hashlib.sha256).hexdigest()


def audit_record(
    *,
    type: AuditEventType,
    actor=None,
    actor_key=None,
    subject=None,
    person: str = "",
    address: str = "",
    **data,
) -> AuditEvent:
    """Write one audit event; call it inside the transaction that makes the change.

    `person` is the ID number of the person the event concerns; only its blind index is kept.
    `address`, when not given, is the current request's client address (none in a job).
    """
    return AuditEvent.objects.create(
        type=type,
        at=clock.now(),
        actor=actor,
        actor_key=actor_key,
        subject=subject,
        person_index=person_index(person) if person else "",
        address=address or context.client_address.get(),
        data=data,
    )


def personal_data_viewed(*, actor, what: str, person: str = "", subject=None, address: str = "", **data) -> None:
    """A staff member's look at a person's data (or a search for it, found or not), on record
    (DESIGN §How 3): `what` names the page or answer, `person` the ID number looked at."""
    audit_record(
        type=AuditEventType.PERSONAL_DATA_VIEWED,
        actor=actor,
        subject=subject,
        person=person,
        address=address,
        what=what,
        **data,
    )


def audit_records(*, type: AuditEventType, actor=None, events: list[tuple[str, dict]], address: str = "") -> None:
    """Many events of one kind by one actor in one INSERT (a bulk file): (ID number, details) each."""
    at = clock.now()
    address = address or context.client_address.get()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                type=type,
                at=at,
                actor=actor,
                person_index=person_index(number) if number else "",
                address=address,
                data=data,
            )
            for number, data in events
        ],
        batch_size=2000,
    )
