"""Reads of permits that pages and the API share: a holder's permits as the card shows them
(RULES §11), the public validity check, the clerk's look-up and a department's pending checks."""

import copy
import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residence.core import clock, limits
from residence.core.errors import Invalid, NotFound
from residence.core.validators import mask_id_number, normalize_name, normalize_permit_number, searched
from residence.records.models import Identity, Registration

from . import rules
from .models import Endorsement, Permit

# The public check answers the validity only, never the permit's own status words.
CHECK_STATUS = {"active": "valid", "suspended": "suspended", "cancelled": "cancelled"}
ID_NUMBER_RE = re.compile(r"\d{17}[\dXx]")
# The issuing authority printed on the card (RULES §11); a setting may name it otherwise.
ISSUING_AUTHORITY = gettext_lazy("Shenzhen Municipal Public Security Bureau")


def as_of_today(permit: Permit, today: dt.date | None = None) -> Permit:
    """The permit as it stands today by the rules, whether or not the day's sweep has run yet: it
    runs at 00:15 and takes minutes at city scale, or may not have run at all (an outsider saw a
    lapsed permit listed active and replaced, and on its cancellation day every way out refused).
    A copy for reading, never saved: the sweep writes the change with its history and notice. A
    permit whose endorsement, asked for in time, waits for a department is left as it is, as the
    sweep leaves it; one asked for late does not hold off the suspension (an outsider's lapsed
    permit read valid while its late request waited for the police)."""
    today = today or clock.today()
    status = rules.status_on(
        status=permit.status, endorsed_until=permit.endorsed_until, suspended_on=permit.suspended_on, today=today
    )
    if status == permit.status or (
        permit.status == Permit.Status.ACTIVE
        and permit.endorsements.filter(
            outcome=Endorsement.Outcome.PENDING, due_on__gte=today, requested_on__lt=permit.endorsed_until
        ).exists()
    ):
        return permit
    shown = copy.copy(permit)
    shown.status = status
    if permit.status == Permit.Status.ACTIVE:
        shown.suspended_on = permit.endorsed_until
    if status == Permit.Status.CANCELLED:
        shown.cancelled_on = rules.cancellation_day(shown.suspended_on)
    return shown


def permit_window(permit: Permit) -> tuple | None:
    """The endorsement window open to the holder, if any. None for a permit suspended while an
    endorsement asked for in time is checked: the answer decides, and a confirmation keeps the
    dates (an outsider was shown, and the API gave, the late window that asking again refuses)."""
    checked_in_time = permit.endorsements.filter(
        outcome=Endorsement.Outcome.PENDING, requested_on__lt=permit.endorsed_until
    )
    if permit.status == Permit.Status.SUSPENDED and checked_in_time.exists():
        return None
    return rules.window_for(
        status=permit.status, endorsed_until=permit.endorsed_until, suspended_on=permit.suspended_on
    )


def issuing_authority() -> str:
    """The authority printed on the card (RULES §11)."""
    return str(getattr(settings, "PERMIT_AUTHORITY", "") or ISSUING_AUTHORITY)


def current_registration(id_number: str) -> Registration | None:
    """The registration in force: not ended, the latest; else the latest one."""
    registrations = Registration.objects.filter(id_number=id_number).select_related("street__district")
    return (
        registrations.filter(ended_on__isnull=True).order_by("-registered_on").first()
        or registrations.order_by("-registered_on").first()
    )


def _with_valid_through(event):
    """A permit event, with the last valid day of the endorsement it records, if it records one
    (the history said "endorsed until" the anniversary where the page above says the day before)."""
    endorsed_until = (event.data or {}).get("endorsed_until")
    event.valid_through = rules.last_valid_day(dt.date.fromisoformat(endorsed_until)) if endorsed_until else None
    return event


def permits_of_hukou_holders():
    """Live permits whose holder the population records now show with Shenzhen hukou: a ground to
    cancel (RULES §10) that only a police reviewer decides. An outsider's stayed "valid" for good."""
    holders = Identity.objects.filter(shenzhen_hukou=True).values("id_number")
    return Permit.objects.filter(
        status__in=[Permit.Status.ACTIVE, Permit.Status.SUSPENDED], id_number__in=holders
    ).order_by("number")


def permit_card(permit: Permit) -> dict:
    """What the permit shows (RULES §11; the photo is on the card only), with its status, the
    next endorsement window and its history, oldest first."""
    permit = as_of_today(permit)
    identity = Identity.objects.filter(id_number=permit.id_number).first()
    registration = current_registration(permit.id_number)
    window = permit_window(permit)
    today = clock.today()
    pending = permit.endorsements.filter(outcome=Endorsement.Outcome.PENDING).first()
    return {
        "permit": permit,
        "name": identity.name if identity else permit.name,
        "sex": identity.get_sex_display() if identity else "",
        "ethnicity": identity.ethnicity if identity else "",
        "birth_date": identity.birth_date if identity else None,
        "id_number_masked": mask_id_number(permit.id_number),
        "hukou_address": identity.hukou_address if identity else "",
        "residence_address": registration.address if registration else "",
        "authority": issuing_authority(),
        "window": {"opens": window[0], "closes": window[1]} if window else None,
        # The last day it is valid unendorsed: suspended from endorsed_until on (an outsider read
        # "valid until" the anniversary as one day more).
        "valid_through": rules.last_valid_day(permit.endorsed_until),
        "events": [_with_valid_through(event) for event in permit.events.order_by("on", "at", "id")],
        # Not while a check of one asked for is under way: asking again is refused (an outsider's
        # holder was offered "Endorse online" and got a 409).
        "endorsable_today": pending is None
        and bool(
            rules.endorsement_kind(
                status=permit.status,
                endorsed_until=permit.endorsed_until,
                suspended_on=permit.suspended_on,
                today=today,
            )
        ),
        "pending": pending,
        "pending_overdue": pending is not None and pending.due_on < today,
        # Asked for before the anniversary: a suspension then is the check's delay, not the holder's,
        # and a confirmation keeps the permit's dates (services.endorsement_answer).
        "pending_in_time": pending is not None and pending.requested_on < permit.endorsed_until,
    }


def permit_list_for_person(*, id_number: str):
    return Permit.objects.filter(id_number=id_number).order_by("-issued_on", "-id")


def permit_for_holder(*, user, number: str) -> Permit | None:
    """The user's own permit with that number, else None (someone else's looks like none)."""
    if user.person_id is None:
        return None
    return Permit.objects.filter(number=number[:40].upper(), id_number=user.person.id_number).first()


def endorsement_for_holder(*, user, number: str, endorsement_id: int) -> Endorsement | None:
    permit = permit_for_holder(user=user, number=number)
    if permit is None:
        return None
    return Endorsement.objects.filter(pk=endorsement_id, permit=permit).select_related("permit").first()


def permit_check(*, number: str, name: str, address: str) -> str:
    """The public check (API and page): 'valid', 'suspended' or 'cancelled' for a permit whose
    number and name match; NotFound otherwise. Rate-limited per client address."""
    number, name = (number or "").strip()[:40], (name or "").strip()[:100]
    if not number or not name:
        raise Invalid(fields={"number" if not number else "name": [_("This field is required.")]})
    try:
        number = normalize_permit_number(number)
    except ValidationError as error:  # a full-width number says so, as ID numbers and dates do
        raise Invalid(fields={"number": error.messages}) from None
    limits.hit("permit_check", address, limit=settings.LIMIT_PERMIT_CHECKS_PER_HOUR, window=3600)
    permit = Permit.objects.filter(number=number).only("status", "name", "endorsed_until", "suspended_on").first()
    if permit is None or normalize_name(permit.name) != normalize_name(name):
        raise NotFound()
    return CHECK_STATUS[as_of_today(permit).status]


def searched_id_number(text: str) -> str:
    """The ID number a clerk's look-up asks about, or ""."""
    text = searched(text)
    return text if ID_NUMBER_RE.fullmatch(text) else ""


def permit_find_by_number(number: str) -> Permit | None:
    try:
        return Permit.objects.filter(number=normalize_permit_number(number)).first()
    except ValidationError:
        return None


def permit_find(*, text: str) -> list[Permit]:
    """A clerk's look-up by permit number or ID number."""
    text = searched(text)
    if not text:
        return []
    query = Q(number=text)
    if searched_id_number(text):
        query |= Q(id_number=text)
    return list(Permit.objects.filter(query).order_by("-issued_on", "-id")[:20])


def endorsement_checks_for_department(*, department: str):
    """The endorsements waiting for a department's check, soonest due first."""
    return (
        Endorsement.objects.filter(outcome=Endorsement.Outcome.PENDING, department=department)
        .select_related("permit")
        .order_by("due_on", "id")
    )
