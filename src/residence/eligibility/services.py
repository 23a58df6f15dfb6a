import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from residence.accounts.models import Kind, Role
from residence.audit.services import personal_data_viewed
from residence.core import clock, limits
from residence.core.errors import Forbidden, Invalid
from residence.core.validators import check_date_bounds, normalize_id_number, person_name_problem

from . import rules
from .models import EligibilityCheck
from .reasons import render
from .selectors import person_records

STAFF_WITH_FULL_ANSWERS = {Role.CLERK, Role.VERIFIER, Role.REVIEWER}


def answer_payload(answer: rules.Answer, *, full: bool) -> dict:
    return {
        "eligible": answer.eligible,
        "route": answer.route,
        "date": answer.date.isoformat(),
        "conditions": [
            {"name": c.name, "met": c.met, "detail": render(c.reason) if full else ""} for c in answer.conditions
        ],
        "earliest_eligible_date": answer.earliest_eligible_date.isoformat() if answer.earliest_eligible_date else None,
    }


def limited_payload(answer: rules.Answer) -> dict:
    """The answer for an account not yet verified (API.md: every `detail` empty). Its asker may be
    anyone, so when the identity is not met (a name that differs from the records, a number not
    in them) nothing else is said either: every condition unmet and no date, the same answer
    for a wrong name as for an unknown number, so it cannot be used to learn a stranger's
    records or to guess a name."""
    payload = answer_payload(answer, full=False)
    if all(c.met for c in answer.conditions if c.name == "identity"):
        return payload
    return {
        **payload,
        "eligible": False,
        "conditions": [{**c, "met": False} for c in payload["conditions"]],
        "earliest_eligible_date": None,
    }


def answer_record(answer: rules.Answer) -> dict:
    """An answer to keep (an application's self-check): reason keys and their parameters, so it
    can be shown in the language of whoever reads it later (`answer_shown`)."""
    payload = answer_payload(answer, full=False)
    for shown, condition in zip(payload["conditions"], answer.conditions, strict=True):
        del shown["detail"]
        shown["reason"] = {"key": condition.reason.key, "params": condition.reason.params}
    return payload


def answer_shown(record: dict) -> dict:
    """A kept answer with each condition's detail in the active language."""
    if not record:
        return {}
    conditions = [
        {
            "name": c["name"],
            "met": c["met"],
            "detail": render(rules.Reason(c["reason"]["key"], c["reason"]["params"])),
        }
        for c in record.get("conditions", [])
    ]
    return {**record, "conditions": conditions}


def check_allowed(user) -> None:
    """Forbidden for an account that may not check at all (API.md): an organisation's, or staff
    other than clerks, verifiers and reviewers."""
    if user.kind == Kind.STAFF:
        if user.role not in STAFF_WITH_FULL_ANSWERS:
            raise Forbidden()
    elif user.kind != Kind.INDIVIDUAL:
        raise Forbidden(_("Organisation accounts cannot check eligibility."))


def _access(user, id_number: str) -> bool:
    """True for a full answer, False for a limited one; Forbidden for any other ask (API.md)."""
    check_allowed(user)
    if user.kind == Kind.STAFF:
        return True
    if user.person_id:
        if user.person.id_number != id_number:
            raise Forbidden(_("A verified account can check only its own identity."))
        return True
    return False


def eligibility_check(
    *, user, name: str, id_number: str, route: str, date: dt.date | None = None, address: str = ""
) -> dict:
    """Check one person on one route, in API.md's order: bad input, then access, then the daily limit.

    A limited check counts against the day's quota in the transaction that records it, under
    the counter's row lock: of parallel checks exactly the quota get an answer."""
    fields = {}
    try:
        id_number = normalize_id_number(id_number)
    except ValidationError as e:
        fields["id_number"] = e.messages
    if date is not None:
        try:
            check_date_bounds(date)
        except ValidationError as e:
            fields["date"] = e.messages
    if route not in rules.ROUTES:
        fields["route"] = [_("Choose residence_employment, talent or education.")]
    if not (name or "").strip():
        fields["name"] = [_("Enter the name as on the ID card.")]
    elif person_name_problem(name.strip()):  # clerks' checks are logged with the name asked
        fields["name"] = [str(person_name_problem(name.strip()))]
    if fields:
        raise Invalid(_("Some fields are not valid."), fields=fields)
    day = date or clock.today()
    full = _access(user, id_number)
    with transaction.atomic():
        if not full:
            limits.hit(
                "eligibility_limited", str(user.pk), limit=settings.LIMIT_LIMITED_CHECKS_PER_DAY, window=limits.DAILY
            )
        person, inputs = person_records(id_number=id_number, name=name, route=route)
        answer = rules.check(person, route, day)
        payload = answer_payload(answer, full=True) if full else limited_payload(answer)
        EligibilityCheck.objects.create(
            checked_by=user,
            id_number=id_number,
            route=route,
            date=day,
            eligible=answer.eligible,
            full=full,
            answer=answer_payload(answer, full=True),
            inputs=inputs,
            at=clock.now(),
        )
        if user.kind == Kind.STAFF:
            personal_data_viewed(
                actor=user,
                person=id_number,
                address=address,
                what="eligibility",
                route=route,
            )
    return payload
