"""Every write to permits: issue (a completed application), the import of permits from before
the platform, endorsements (online, at the counter, and a department's answer to a pending
one) and cancellation for the other reasons of RULES §10. Status moves go through
`workflow.permit_transition`."""

import datetime as dt
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from residence.accounts.models import Kind as AccountKind
from residence.accounts.models import Role, User
from residence.applications.models import CARD_KINDS, CLOSED_STATUSES, Application
from residence.applications.models import Kind as ApplicationKind
from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock, locks, workdays
from residence.core.errors import Conflict, Forbidden, Invalid, NotFound
from residence.core.validators import hidden_text_problem, told_text_problem
from residence.eligibility import rules as eligibility_rules
from residence.eligibility.reasons import render
from residence.eligibility.selectors import person_records
from residence.notifications.catalogue import reasons_text
from residence.notifications.services import listed
from residence.records.models import Identity

from . import notices, rules, selectors, sweeps, workflow
from .models import Endorsement, Permit, PermitEvent

ROUTES = ("residence_employment", "talent", "education")
# The lock a permits import holds (records.importing: "records:<kind>"); numbering a new card and
# issuing a permit take it too, so that an import and either never interleave their checks.
PERMITS_LOCK = "records:permits"
# The kinds of application whose hand-over issues a new permit (the others renew a card).
ISSUING_KINDS = [kind for kind in ApplicationKind.values if kind not in CARD_KINDS]
CHECK_DAYS = 3


def permit_issue(*, application, actor, today: dt.date) -> Permit:
    """The permit of a completed application, active from the day it is handed over (RULES §6);
    the anniversary of that day is the endorsement date (RULES §9). Runs in the workflow's
    transaction."""
    locks.for_transaction(PERMITS_LOCK)
    live = Permit.objects.filter(
        id_number=application.person.id_number, status__in=[Permit.Status.ACTIVE, Permit.Status.SUSPENDED]
    )
    if live.exists():  # one permit per person: an import may have brought one meanwhile
        raise Conflict(
            _("The applicant already holds permit %(number)s; one permit per person.")
            % {"number": live.values_list("number", flat=True).first()}
        )
    now = clock.now()
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
        created_at=now,
        updated_at=now,
    )
    PermitEvent.objects.create(permit=permit, kind=PermitEvent.Kind.ISSUED, on=today, at=now)
    audit_record(
        type=AuditEventType.PERMIT_ISSUED,
        actor=actor,  # the clerk or courier whose hand-over issued it
        person=permit.id_number,
        permit=permit.number,
        application=application.reference,
    )
    return permit


def live_permit_number(id_number: str) -> str:
    """The number of the person's active permit (an exchange or a replacement renews its card)."""
    number = (
        Permit.objects.filter(id_number=id_number, status=Permit.Status.ACTIVE).values_list("number", flat=True).first()
    )
    if number is None:
        raise Conflict(_("The applicant holds no active permit whose card could be renewed."))
    return number


def card_renew(*, application, actor, today: dt.date, old_card_collected: bool | None) -> Permit:
    """A new card handed over for an exchange or a replacement: the same permit, its anniversary
    kept; an exchange records that the old card was taken back (RULES §6, §9)."""
    action = "exchange" if application.kind == "exchange" else "replace"
    return workflow.permit_transition(
        number=application.permit_number,
        action=action,
        actor=actor,
        today=today,
        card_serial=application.card_serial or "",
        application=application.reference,
        old_card_collected={True: "yes", False: "no", None: "not stated"}[old_card_collected],
    )


def permits_import_problems(records: list[dict], lines: list[int]) -> list[tuple[int, str]]:
    """The rows of a permits import the platform's permits refuse, as (line, reason): the import
    brings permits issued before the platform, so a row may not touch a permit the platform
    issued, hand a known permit to another person, or leave a person with two live permits."""
    known = {p.number: p for p in Permit.objects.filter(number__in=[r["number"] for r in records])}
    people = {r["id_number"] for r in records}
    live = {Permit.Status.ACTIVE, Permit.Status.SUSPENDED}
    # Each person's live permits once the file is applied: those it does not touch, and its live rows.
    after: dict[str, dict[str, int | None]] = {}
    for number, id_number in Permit.objects.filter(id_number__in=people, status__in=live).values_list(
        "number", "id_number"
    ):
        after.setdefault(id_number, {})[number] = None
    for record in records:
        after.setdefault(record["id_number"], {}).pop(record["number"], None)
    for record, line in zip(records, lines, strict=True):
        if record["status"] in live:
            after[record["id_number"]][record["number"]] = line
    # A number production gave a card not yet handed over, and the people whose open application
    # will issue them a permit: an import may take neither.
    reserved = set(
        Application.objects.filter(permit_number__in=[r["number"] for r in records])
        .exclude(permit_number__in=known)
        .values_list("permit_number", flat=True)
    )
    issuing = set(
        Application.objects.filter(person__id_number__in=people, kind__in=ISSUING_KINDS)
        .exclude(status__in=CLOSED_STATUSES)
        .values_list("person__id_number", flat=True)
    )
    # An endorsement gives a year from the next anniversary, in its window at the earliest: a row
    # endorsed years ahead kept a permit from being suspended for years (an outsider's 2031).
    latest = rules.latest_endorsed_until(clock.today())
    problems = []
    for record, line in zip(records, lines, strict=True):
        permit = known.get(record["number"])
        if record["endorsed_until"] > latest:
            problems.append(
                (
                    line,
                    _(
                        "endorsed_until %(day)s is too far ahead: the next anniversary of a permit is at the latest "
                        "%(latest)s (a year after an endorsement, made at most 60 days before an anniversary)."
                    )
                    % {"day": record["endorsed_until"].isoformat(), "latest": latest.isoformat()},
                )
            )
        elif record["number"] in reserved:
            problems.append((line, _("Permit number %(number)s is on a card the platform has made.") % record))
        elif record["status"] in live and record["id_number"] in issuing:
            problems.append((line, _("This person has an application in progress that will issue a permit.")))
        elif permit is not None and permit.source == Permit.Source.PLATFORM:
            problems.append((line, _("Permit %(number)s was issued by this platform: it is not imported.") % record))
        elif permit is not None and permit.id_number != record["id_number"]:
            problems.append(
                (line, _("Permit %(number)s belongs to another person: an import cannot change its holder.") % record)
            )
        elif record["status"] in live and len(after[record["id_number"]]) > 1:
            others = sorted(n for n in after[record["id_number"]] if n != record["number"])
            problems.append(
                (
                    line,
                    _("This person would hold another live permit too (%(others)s): one permit per person.")
                    % {"others": ", ".join(others)},
                )
            )
    return problems


def permits_from_records(records: list[dict]) -> list[tuple[int, str]]:
    """Imported permits (`import_records permits`) become platform permits, the same rows the
    rules apply to; runs in the import's transaction. A permit already known takes the
    imported status and dates, unless the row says what the permit already says (a file sent
    again changes nothing) or the platform has acted on the permit since its import (an
    endorsement, a suspension, a new card: the platform's state stands, and the department's
    row is kept as its record only). Returns (index, note) for each row kept as a record only,
    so the department is told (an outsider's row was answered "updated" and changed nothing)."""
    now = clock.now()
    names = dict(
        Identity.objects.filter(id_number__in={r["id_number"] for r in records}).values_list("id_number", "name")
    )
    numbers = [r["number"] for r in records]
    existing = {p.number: p for p in Permit.objects.filter(number__in=numbers)}
    acted = set(
        PermitEvent.objects.filter(permit__number__in=numbers)
        .exclude(kind=PermitEvent.Kind.IMPORTED)
        .values_list("permit__number", flat=True)
    )
    # An endorsement asked for is the platform acting too, answered or still waiting for a check
    # (an outsider's corrected dates let a waiting request, made before its window, be granted).
    acted |= set(Endorsement.objects.filter(permit__number__in=numbers).values_list("permit__number", flat=True))
    events, notes, arrived, today = [], [], [], clock.today()
    for index, record in enumerate(records):
        permit = existing.get(record["number"])
        if permit is not None and (permit.issued_on, permit.endorsed_until, permit.status) == (
            record["issued_on"],
            record["endorsed_until"],
            record["status"],
        ):
            continue
        if permit is not None and permit.number in acted:
            notes.append(
                (
                    index,
                    _(
                        "Permit %(number)s is kept as your record only: the platform has acted on it since it "
                        "was imported, and its state (%(status)s, endorsed until %(until)s) stands."
                    )
                    % {
                        "number": permit.number,
                        "status": permit.get_status_display(),
                        "until": permit.endorsed_until.isoformat(),
                    },
                )
            )
            continue
        endorsed_until = record["endorsed_until"]
        if record["status"] == Permit.Status.ACTIVE and endorsed_until <= clock.today():
            # The department's "active" is past its anniversary: the platform shows it suspended
            # from that day (RULES §9), and the day's sweep records it; said (an outsider's file
            # was answered "created" and the permit then read suspended).
            notes.append(
                (
                    index,
                    _(
                        "Permit %(number)s is active in your file, but was not endorsed by %(until)s: it is "
                        "suspended from that day, as the daily run records."
                    )
                    % {"number": record["number"], "until": endorsed_until.isoformat()},
                )
            )
        values = {
            "id_number": record["id_number"],
            "name": names.get(record["id_number"], ""),
            "issued_on": record["issued_on"],
            "anniversary_base": rules.imported_anniversary_base(record["issued_on"], endorsed_until),
            "endorsed_until": endorsed_until,
            "status": record["status"],
            "suspended_on": endorsed_until if record["status"] != Permit.Status.ACTIVE else None,
            # Not acted on here since its import: its continuous residence is its (corrected) issue
            # date's (an outsider's correction left the first import's date).
            "continuous_since": record["issued_on"],
        }
        # Stamped when what its holder is told of changes (anniversary, status): a day's reminders
        # run again tell the permits stamped since (sweeps.permits_remind); a corrected issue date
        # made an outsider's holders be told twice.
        if permit is None or (permit.endorsed_until, permit.status) != (endorsed_until, record["status"]):
            values["updated_at"] = now
            if record["status"] == Permit.Status.ACTIVE and sweeps.past_last_reminder(endorsed_until, today):
                arrived.append((record["id_number"], record["number"], endorsed_until))
        if permit is None:
            permit = Permit.objects.create(
                number=record["number"],
                source=Permit.Source.IMPORT,
                created_at=now,
                **values,
            )
        else:
            Permit.objects.filter(pk=permit.pk).update(**values)
        events.append(PermitEvent(permit=permit, kind=PermitEvent.Kind.IMPORTED, on=clock.today(), at=now, data={}))
    PermitEvent.objects.bulk_create(events)
    sweeps.remind_imported(arrived, today)
    return notes


def _holder_permit(actor, number: str, channel: str) -> Permit:
    if actor.kind == AccountKind.STAFF:
        # A clerk endorses only at the counter, where the holder's identity document is checked
        # (an outsider's clerk endorsed a stranger's permit through the holder's own endpoint).
        if actor.role != Role.CLERK or channel != "counter":
            raise Forbidden(_("Endorsements are made online by the holder or at a counter by a clerk."))
    elif actor.kind != AccountKind.INDIVIDUAL:
        raise Forbidden()
    elif actor.person_id is None:
        raise Forbidden(_("Pass real-name verification before endorsing."))
    # One spelling of a number (upper case), as the public check and the imports read it.
    permit = Permit.objects.filter(number=number.strip().upper()).first()
    if permit is None or (actor.kind != AccountKind.STAFF and permit.id_number != actor.person.id_number):
        raise NotFound()
    return permit


def _reasons(conditions) -> list[dict]:
    return [{"key": c.reason.key, "params": c.reason.params} for c in conditions if not c.met]


def permits_named(records: list[dict]) -> None:
    """Imported identities name the permits imported before them, which had no name to carry: one
    UPDATE per 5,000 identities (an import may bring a million)."""
    numbers = [record["id_number"] for record in records]
    name = Identity.objects.filter(id_number=OuterRef("id_number")).values("name")[:1]
    for start in range(0, len(numbers), 5000):
        Permit.objects.filter(id_number__in=numbers[start : start + 5000], name="").update(name=Subquery(name))


def hukou_holders_with_live_permits(records: list[dict]) -> list[tuple[int, str]]:
    """A person the registry now shows with Shenzhen hukou who holds a live permit: a ground to
    cancel it (RULES §10), which a police reviewer decides on the desk's list; the operator is told
    (an outsider's import said only "updated 1", and the permit read active)."""
    hukou = {r["id_number"]: i for i, r in enumerate(records) if r["shenzhen_hukou"]}
    live = Permit.objects.filter(
        id_number__in=list(hukou), status__in=(Permit.Status.ACTIVE, Permit.Status.SUSPENDED)
    ).values_list("id_number", "number")
    return [
        (
            hukou[id_number],
            _(
                "Shenzhen hukou, and residence permit %(number)s still valid: a ground to cancel it (RULES §10), "
                "for a police reviewer to decide (desk: Cancel a permit)."
            )
            % {"number": number},
        )
        for id_number, number in live
    ]


# The records that show a person holds to a route: judged on it when a permit has no route.
OWN_RECORDS = {
    "residence_employment": lambda person: bool(person.insurance_months),
    "talent": lambda person: bool(person.talents),
    "education": lambda person: bool(person.enrolments),
}


def _answer(permit: Permit, today: dt.date) -> tuple[str, list, list[str]]:
    """('granted', [], []) when the conditions of some route are met today. Otherwise judged on
    the permit's own route: its application's; for a permit from before the platform, the route
    whose records the holder has, with the fewest conditions unmet (an outsider's student was
    refused for social insurance, and sent to that department, as if employed). Then
    ('pending', reasons, departments) when the only gaps are records missing, the departments
    that hold them in the order of the conditions, else ('refused', reasons, [])."""
    primary = permit.application.route if permit.application_id else None
    # A permit imported before its holder's identity record has no name: the records' name stands
    # (an outsider's imported permits were all refused, "the name does not match").
    name = permit.name or Identity.objects.filter(id_number=permit.id_number).values_list("name", flat=True).first()
    judged = []
    for route in sorted(ROUTES, key=lambda r: r != primary):
        person, _inputs = person_records(id_number=permit.id_number, name=name or "", route=route)
        answer = eligibility_rules.check(person, route, today)
        if answer.eligible:
            return "granted", [], []
        unmet = sum(not condition.met for condition in answer.conditions)
        judged.append(((route != primary, not OWN_RECORDS[route](person), unmet, ROUTES.index(route)), answer))
    first = min(judged, key=lambda pair: pair[0])[1]
    reasons = _reasons(first.conditions)
    departments = [rules.department_of(r) for r in reasons]
    if all(departments):
        return "pending", reasons, list(dict.fromkeys(departments))
    return "refused", reasons, []


def shown_reasons(reasons: list[dict]) -> list[str]:
    """The reasons in the reader's language; a department's note as written."""
    return [
        r["params"]["note"]
        if r["key"] == "department_note"
        else render(eligibility_rules.Reason(r["key"], r["params"]))
        for r in reasons
    ]


def reasons_to_check(endorsement: Endorsement) -> list[str]:
    """What the department whose turn it is checks (the others' gaps wait for their turn)."""
    return shown_reasons([r for r in endorsement.reasons if rules.department_of(r) == endorsement.department])


@transaction.atomic
def endorsement_request(*, actor, number: str, channel: str = "online", identity_checked: bool = False) -> Endorsement:
    """An endorsement asked for by the holder online or by a clerk at the counter (RULES §9):
    allowed in the 60-day window or while suspended for less than 2 years (409 with the dates
    otherwise); the conditions are checked at once and the answer given at once, or a
    department's check is created when a record is missing. At the counter the clerk has checked
    the holder's identity document first, as at a hand-over (an outsider's clerk endorsed with
    one click)."""
    if channel == "counter" and identity_checked is not True:
        raise Invalid(
            _("Some fields are not valid."),
            fields={"identity_checked": [_("Check the holder's identity document in person, then tick the box.")]},
        )
    permit = _holder_permit(actor, number, channel)
    permit = Permit.objects.select_for_update().get(pk=permit.pk)
    today = clock.today()
    kind = rules.endorsement_kind(
        status=permit.status, endorsed_until=permit.endorsed_until, suspended_on=permit.suspended_on, today=today
    )
    if not kind:
        window = selectors.permit_window(selectors.as_of_today(permit, today))
        extra = {"window": {"opens": window[0].isoformat(), "closes": window[1].isoformat()} if window else None}
        recent = (
            Endorsement.objects.filter(
                permit=permit,
                outcome=Endorsement.Outcome.GRANTED,
                decided_on__gte=today - dt.timedelta(days=rules.WINDOW_DAYS),
            )
            .order_by("-decided_on")
            .first()
        )
        if window and recent is not None:
            # Endorsed a moment ago (another tab, the counter): say so, not only "not now".
            message = _(
                "This permit was endorsed on %(day)s and is valid through %(until)s. The next endorsement "
                "can be made from %(opens)s to %(closes)s."
            ) % {
                "day": recent.decided_on.isoformat(),
                # The last valid day, as the pages and messages say (an outsider read the anniversary here).
                "until": rules.last_valid_day(permit.endorsed_until).isoformat(),
                "opens": window[0].isoformat(),
                "closes": window[1].isoformat(),
            }
        elif window:
            message = _("An endorsement can be made from %(opens)s to %(closes)s.") % {
                "opens": window[0].isoformat(),
                "closes": window[1].isoformat(),
            }
        elif permit.cancel_reason == "shenzhen_hukou":
            # Not "apply again": a Shenzhen hukou holder needs no residence permit (an outsider).
            message = _("This permit was cancelled because you hold Shenzhen hukou: you need no residence permit.")
        else:
            message = _("A cancelled permit cannot be endorsed; apply again (a re-application, 20 yuan).")
        raise Conflict(message, extra=extra)
    if Endorsement.objects.filter(permit=permit, outcome=Endorsement.Outcome.PENDING).exists():
        raise Conflict(_("An endorsement of this permit is already being checked by a department."))
    outcome, reasons, departments = _answer(permit, today)
    if outcome == Endorsement.Outcome.REFUSED:
        # The same refusal today, asked again (a retry after a time-out, a double tap): answered
        # with the one on record, not a new record and message each time (an outsider had 12).
        same = Endorsement.objects.filter(
            permit=permit, outcome=Endorsement.Outcome.REFUSED, decided_on=today, reasons=reasons
        ).first()
        if same is not None:
            return same
    endorsement = Endorsement(
        permit=permit,
        requested_on=today,
        channel=channel,
        kind=kind,
        outcome=outcome,
        reasons=reasons,
        actor=actor,
        created_at=clock.now(),
    )
    if outcome == Endorsement.Outcome.PENDING:
        endorsement.department, *endorsement.departments_after = departments
        _turn_begins(endorsement, today)
    else:
        endorsement.decided_on = today
    audit_record(
        type=AuditEventType.ENDORSEMENT_ASKED,
        actor=actor,
        person=permit.id_number,
        permit=permit.number,
        outcome=outcome,
        channel=channel,
    )
    if outcome == Endorsement.Outcome.GRANTED:
        permit = workflow.permit_transition(number=permit.number, action="endorse", actor=actor, today=today, kind=kind)
        endorsement.endorsed_until = permit.endorsed_until
    elif outcome == Endorsement.Outcome.REFUSED:
        notices.send(permit, "endorsement_refused", reasons=reasons_text(shown_reasons(reasons)))
    else:
        notices.send(permit, "endorsement_pending", due=endorsement.due_on.isoformat())
    try:
        with transaction.atomic():
            endorsement.save()
    except IntegrityError:
        raise Conflict(_("An endorsement of this permit is already being checked by a department.")) from None
    return endorsement


def answerer_check(*, actor, endorsement_id: int) -> None:
    """Who may answer, and whether the check exists, before the body is read (role, then
    scope, then state, as for applications): Forbidden or NotFound."""
    if actor.kind != AccountKind.STAFF or actor.role != Role.VERIFIER:
        raise Forbidden(_("This check belongs to another department."))
    if not Endorsement.objects.filter(pk=endorsement_id).exists():
        raise NotFound()


@transaction.atomic
def endorsement_answer(*, actor, endorsement_id: int, confirmed: bool, note: str = "") -> Endorsement:
    """A department verifier answers a pending endorsement. Not confirmed → refused. Confirmed →
    the next department that must check a record has its turn (3 working days from today), or,
    when every one has confirmed, granted as of the day it was asked for (a late one restores the
    permit from the day of the answer)."""
    answerer_check(actor=actor, endorsement_id=endorsement_id)
    endorsement = Endorsement.objects.select_for_update().get(pk=endorsement_id)
    if endorsement.outcome != Endorsement.Outcome.PENDING:
        raise Conflict(_("This endorsement has already been decided."))
    if actor.department != endorsement.department:
        # The right department at the wrong time is 409, as for applications.
        if actor.department in endorsement.departments_after:
            raise Conflict(_("Your department checks this after the department checking it now."))
        if actor.department in {rules.department_of(r) for r in endorsement.reasons}:
            raise Conflict(_("Your department has already answered this check."))
        raise Forbidden(_("This check belongs to another department."))
    if not confirmed and not note.strip():
        raise Invalid(fields={"note": [_("Say what could not be confirmed.")]})
    # A refusal's note is the holder's reason, sent by SMS to one without an account.
    if problem := hidden_text_problem(note, lines=True) or told_text_problem(note):
        raise Invalid(fields={"note": [str(problem)]})
    today = clock.today()
    permit = endorsement.permit
    answered = f"{endorsement.department}: {note.strip()}" if note.strip() else ""
    endorsement.note = "\n".join(n for n in (endorsement.note, answered) if n)
    endorsement.answered_by = actor
    audit_record(
        type=AuditEventType.ENDORSEMENT_ANSWERED,
        actor=actor,
        person=permit.id_number,
        permit=permit.number,
        department=endorsement.department,
        confirmed=confirmed,
    )
    if confirmed and endorsement.departments_after:
        endorsement.department, *endorsement.departments_after = endorsement.departments_after
        _turn_begins(endorsement, today)
        notices.send(permit, "endorsement_pending", due=endorsement.due_on.isoformat())
    elif confirmed:
        # Asked for in time, granted as in time: the anniversary stays even if the permit lapsed meanwhile.
        permit = workflow.permit_transition(
            number=permit.number, action="endorse", actor=actor, today=today, kind=endorsement.kind
        )
        endorsement.outcome, endorsement.endorsed_until = Endorsement.Outcome.GRANTED, permit.endorsed_until
        endorsement.reasons, endorsement.decided_on = [], today  # every gap confirmed by its department
    else:
        # The gaps the departments before this one confirmed are no reason any more (an outsider
        # read "no current residence registration" after the police had confirmed it).
        confirmed_before = (
            {rules.department_of(r) for r in endorsement.reasons}
            - {endorsement.department}
            - set(endorsement.departments_after)
        )
        endorsement.outcome, endorsement.decided_on = Endorsement.Outcome.REFUSED, today
        endorsement.reasons = [
            *(r for r in endorsement.reasons if rules.department_of(r) not in confirmed_before),
            {"key": "department_note", "params": {"note": note.strip()}},
        ]
        reasons = notices.in_holders_language(permit, lambda: reasons_text(shown_reasons(endorsement.reasons)))
        notices.send(permit, "endorsement_refused", reasons=reasons)
    endorsement.save()
    return endorsement


def permit_revoke(*, actor, number: str, reason: str) -> Permit:
    """Cancel a permit for another reason of RULES §10 (police reviewer)."""
    from residence.applications.jobs import renewals_of_cancelled_permits_end  # applications import this module

    revoke_ground_check(number=number, reason=reason)
    permit = workflow.permit_transition(number=number, action="revoke", actor=actor, reason=reason)
    # Its open renewals end now, not at the next daily run (an outsider's holder was still told to
    # come for the card): after this commits, each in its own transaction, as the daily job ends
    # them, so that a hand-over (the application locked, then the permit) cannot deadlock with it.
    transaction.on_commit(
        partial(renewals_of_cancelled_permits_end, clock.today(), id_number=permit.id_number), robust=True
    )
    return permit


def revoke_ground_check(*, number: str, reason: str) -> None:
    """The ground must be one of RULES §10's, and Shenzhen hukou only when the records show it."""
    if reason not in workflow.REVOKE_REASONS:
        raise Invalid(fields={"reason": [_("Choose shenzhen_hukou, fraud or other_law.")]})
    if reason == "shenzhen_hukou":
        # On the record's word only (an outsider cancelled a permit whose holder the records show
        # with a hukou elsewhere, for having taken Shenzhen hukou).
        holder = Permit.objects.filter(number=number).values("id_number")
        if not Identity.objects.filter(id_number__in=holder, shenzhen_hukou=True).exists():
            raise Conflict(
                _("The population records do not show this holder with Shenzhen hukou: choose another ground.")
            )


def _check_due(calendar, start: dt.date) -> dt.date:
    return calendar.add_working_days(start, CHECK_DAYS).date


def _turn_begins(endorsement: Endorsement, today: dt.date) -> None:
    """The department now checking has its turn from today: due CHECK_DAYS working days on, not
    escalated yet."""
    endorsement.check_started_on, endorsement.escalated_on = today, None
    endorsement.due_on = _check_due(workdays.get_calendar(), today)


def endorsement_checks_recompute(chunk_size: int = 500) -> int:
    """The due dates of the departments' pending checks counted again from the day each had its
    turn, with the calendar as it is now (registered in apps.py; an outsider's stayed on the old
    calendar and were escalated as overdue on the day they were due). Passed dates and those a
    change would make late after the fact: `workdays.due_after_change`. Returns how many moved."""
    today, calendar = clock.today(), workdays.get_calendar()
    pending = Endorsement.objects.filter(outcome=Endorsement.Outcome.PENDING, check_started_on__isnull=False)
    moved, after = 0, 0
    while True:
        with transaction.atomic():
            chunk = list(pending.filter(pk__gt=after).order_by("pk").select_for_update()[:chunk_size])
            if not chunk:
                return moved
            after = chunk[-1].pk
            changed = []
            for endorsement in chunk:
                counted = _check_due(calendar, endorsement.check_started_on)
                new = workdays.due_after_change(endorsement.due_on, counted, today)
                if new != endorsement.due_on:
                    # Escalated for another day: escalated again if the new one passes.
                    endorsement.due_on, endorsement.escalated_on = new, None
                    changed.append(endorsement)
            Endorsement.objects.bulk_update(changed, ["due_on", "escalated_on"])
            moved += len(changed)


@transaction.atomic
def endorsement_checks_escalate(day: dt.date) -> int:
    """Department checks of endorsements past their due date: the supervisors are told once."""
    from residence.notifications.services import message_send

    overdue = list(
        Endorsement.objects.select_for_update()
        .filter(outcome=Endorsement.Outcome.PENDING, due_on__lt=day, escalated_on__isnull=True)
        .select_related("permit")
    )
    if not overdue:
        return 0
    numbers = listed(e.permit.number for e in overdue)
    for supervisor in User.objects.filter(kind=AccountKind.STAFF, role=Role.SUPERVISOR, status="active"):
        message_send(user=supervisor, key="deadline_overdue", count=len(overdue), references=numbers)
    Endorsement.objects.filter(pk__in=[e.pk for e in overdue]).update(escalated_on=day)
    return len(overdue)
