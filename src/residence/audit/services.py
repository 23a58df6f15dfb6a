from residence.core import clock

from .models import AuditEvent, AuditEventType


def audit_record(*, type: AuditEventType, actor=None, subject=None, address: str = "", **data) -> AuditEvent:
    """Write one audit event; call it inside the transaction that makes the change."""
    return AuditEvent.objects.create(
        type=type, at=clock.now(), actor=actor, subject=subject, address=address or "", data=data
    )
