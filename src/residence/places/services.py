"""Changes to the places (districts, streets, acceptance points), which only the system
administrator makes, in the Django admin: each saved with its audit event."""

from django.db import transaction

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record

from .models import AcceptancePoint


def _shown(value) -> str | bool:
    """A field's value as the trail keeps it: a related place by its code, a yes/no as one (an
    outsider's English trail read "Active: True → False")."""
    if isinstance(value, bool):
        return value
    return "" if value is None else str(getattr(value, "pk", value))


def _audit(place, *, actor, address: str, **data) -> None:
    audit_record(
        type=AuditEventType.PLACE_CHANGED,
        actor=actor,
        address=address,
        place=place._meta.model_name,
        code=place.pk,
        **data,
    )


@transaction.atomic
def place_save(*, place, changes: dict, created: bool, actor, address: str = "") -> None:
    """Save a place and record who changed what, from what to what (`changes`: field → (before,
    after)). An outsider found place changes only in Django's own history, which no audit page
    shows."""
    place.save()
    if isinstance(place, AcceptancePoint) and not created and "name" in changes:
        # Applications read the name they were written with; this one module knows their form.
        from residence.applications.documents import point_renamed

        point_renamed(code=place.pk, before=changes["name"][0], after=changes["name"][1])
    changes = {field: [_shown(before), _shown(after)] for field, (before, after) in changes.items()}
    _audit(place, actor=actor, address=address, created=created, changes=changes)


@transaction.atomic
def place_delete(*, place, actor, address: str = "") -> None:
    """Delete a place nothing refers to (the database refuses the others), audited as its changes are."""
    _audit(place, actor=actor, address=address, deleted=True, changes={})
    place.delete()
