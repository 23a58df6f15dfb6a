import datetime as dt

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock

from . import rules
from .models import Permit


def permit_issue(*, application, today: dt.date) -> Permit:
    """The permit of a completed application, active from the day it is handed over (RULES §6);
    the anniversary of that day is the endorsement date (RULES §9). Runs in the workflow's
    transaction."""
    permit = Permit.objects.create(
        number=application.permit_number,
        id_number=application.person.id_number,
        name=application.person.name,
        application=application,
        issued_on=today,
        anniversary_base=today,
        endorsed_until=rules.first_anniversary(today),
        continuous_since=today,
        status=Permit.Status.ACTIVE,
        created_at=clock.now(),
    )
    audit_record(
        type=AuditEventType.PERMIT_ISSUED,
        person=permit.id_number,
        permit=permit.number,
        application=application.reference,
    )
    return permit
