import datetime as dt
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Min, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import translation
from django.utils.translation import gettext as _

from residence.accounts.models import Department, Role
from residence.accounts.selectors import Also
from residence.core import clock, limits
from residence.core.errors import Forbidden, NotFound
from residence.core.validators import birth_date_of, mask_id_number, sex_of
from residence.eligibility import rules as eligibility
from residence.eligibility.selectors import person_records
from residence.permits.models import Permit
from residence.permits.selectors import as_of_today, current_registration, issuing_authority
from residence.places.models import AcceptancePoint
from residence.records.models import Enrolment, Identity, InsuranceMonth, Registration, TalentCertificate

from . import rules
from .models import (
    CARD_KINDS,
    CLOSED_STATUSES,
    MOVABLE_STATUSES,
    OPEN_STATUSES,
    Application,
    Deadline,
    Draft,
    Person,
    PhotoReceipt,
    Status,
    StatusChange,
    Step,
    Verification,
)


def _with_details(queryset):
    return queryset.select_related("acceptance_point", "person").prefetch_related(
        Prefetch("verifications", queryset=Verification.objects.order_by("id")),
        # The actor for a verifier's department, named beside the note (staff identities are not shown).
        Prefetch("history", queryset=StatusChange.objects.select_related("actor").order_by("at", "id")),
        Prefetch("deadlines", queryset=Deadline.objects.order_by("due_on", "id")),
        "family_members",
    )


def application_list_for_person(*, id_number: str):
    return _with_details(Application.objects.filter(person__id_number=id_number).order_by("-created_at", "-id"))


def application_for_user(*, user, application_id: int) -> Application | None:
    """The application if it is the user's own (by verified identity), else None."""
    if user.person_id is None:
        return None
    return _with_details(Application.objects.filter(pk=application_id, person__id_number=user.person.id_number)).first()


_document_also: dict[str, Also] = {}


def document_also(connection) -> Also:
    """The document of one of the signed-in person's applications, read with the token lookup
    (accounts.selectors.Also): one query for a GET; the application's id is the joins' one
    parameter, and only an application of the account's verified identity is found."""
    if connection.alias not in _document_also:
        qn = connection.ops.quote_name
        application, person = Application._meta.db_table, Person._meta.db_table
        _document_also[connection.alias] = Also(
            joins=(
                f"LEFT JOIN {qn(person)} ap ON ap.{qn('id_number')} = p.{qn('id_number')} "
                f"LEFT JOIN {qn(application)} a ON a.{qn('person_id')} = ap.{qn('id')} AND a.{qn('id')} = %s"
            ),
            columns=(f"a.{qn('document')}", f"CAST(a.{qn('self_check')} AS TEXT)"),
        )
    return _document_also[connection.alias]


def application_id_in_range(connection, application_id: int) -> bool:
    low, high = connection.ops.integer_field_range(Application._meta.pk.get_internal_type())
    return low <= application_id <= high  # SQLite's driver cannot even bind a number past them


def application_documents_for_person(*, id_number: str):
    return (
        Application.objects.filter(person__id_number=id_number)
        .order_by("-created_at", "-id")
        .values_list("document", "self_check")
    )


def application_detail(*, application_id: int) -> Application | None:
    return _with_details(Application.objects.filter(pk=application_id)).first()


# The statuses of an application once it has reached the production centre.
PRODUCED_STATUSES = ("approved", "in_production", "dispatched", "ready_for_pickup", "out_for_delivery", "completed")


def _clerks(user, application: Application) -> bool:
    """A clerk's application: at the clerk's point; or, on the day it was taken in, the one the
    clerk took in at this counter for another point (the applicant collects the card elsewhere),
    so that its receipt is printed where it was signed. Not once the clerk works at another
    point, nor once a supervisor has moved it (an outsider's intake clerk kept reading such a
    case, full ID number and hukou address included, after both)."""
    if application.acceptance_point_id == user.point_id:
        return True
    return (
        application.submitted_by_id == user.pk
        and application.intake_point_id == user.point_id
        and application.created_at >= clock.start_of_today()
        and not any(h.action == "move" for h in application.history.all())
    )


def staff_may_view(user, application: Application) -> bool:
    """Staff see their own point's or department's work only, and only what their role needs
    (DESIGN §Roles): a clerk the applications of the point, a verifier those whose check by the
    department is still to be answered (once answered, or once the application is withdrawn,
    the verifier needs the person's data no more), the production centre those that reached it,
    a courier the courier deliveries on their way, and those done by that courier (not every
    courier's: an outsider's read another's); the police reviewer and the supervisors every
    application."""
    role = user.role
    if role == "clerk":
        return _clerks(user, application)
    if role == "verifier":
        return application.status in VERIFYING_STATUSES and any(
            v.department == user.department and v.status == "pending" for v in application.verifications.all()
        )
    if role == "production":
        return application.status in PRODUCED_STATUSES
    if role == "courier":
        if application.delivery_method != "courier":
            return False
        if application.status == "completed":
            return any(h.action == "deliver" and h.actor_id == user.pk for h in application.history.all())
        return application.status == "out_for_delivery"
    return role in ("reviewer", "supervisor")


def not_in_your_work(user, application: Application) -> str:
    """Why a staff member may not read this application (staff_may_view said no)."""
    if user.role == "verifier" and any(v.department == user.department for v in application.verifications.all()):
        # Its department's work once: an outsider's police verifier, after social insurance had not
        # confirmed, was told the application had never been the department's.
        return _(
            "Your department's check of this application is over (status: %(status)s): verifiers see an "
            "application only while their department's answer is awaited."
        ) % {"status": application.get_status_display()}
    return _("This application is not in your point's or department's work.")


def application_for_staff(*, user, application_id: int) -> Application:
    """An application as a staff member may read it: NotFound, or Forbidden outside their work."""
    application = application_detail(application_id=application_id)
    if application is None:
        raise NotFound()
    if not staff_may_view(user, application):
        raise Forbidden(not_in_your_work(user, application))
    return application


def application_for_clerk(*, user, application_id: int) -> Application:
    """An application for the clerk of its chosen point (receipts, the printed form): Forbidden
    for anyone but a clerk whatever the id, then NotFound, or Forbidden for a clerk of another
    point."""
    if user.kind != "staff" or user.role != "clerk":
        raise Forbidden()
    application = application_detail(application_id=application_id)
    if application is None:
        raise NotFound()
    if not _clerks(user, application):
        raise Forbidden(_("This application is handled by another acceptance point."))
    return application


def photo_receipt_taken(receipt: str) -> bool:
    """Whether an application has used this photo receipt number (API.md: one application only)."""
    return PhotoReceipt.objects.filter(number=receipt).exists()


def receipt_check(*, reference: str, address: str) -> dict:
    """The receipt QR code's public check (API.md): whether the reference is an application's, its
    kind and its status as it stands today; no personal data. Rate-limited per client address, as
    the public permit check is (an outsider read 70 statuses in a row)."""
    limits.hit("receipt_check", address, limit=settings.LIMIT_RECEIPT_CHECKS_PER_HOUR, window=3600)
    application = (
        Application.objects.filter(reference=reference[:20].upper())
        .only("kind", "status", "payment_status", "payment_due_on")
        .first()
    )
    if application is None:
        return {"valid": False, "kind": None, "status": None}
    status, _paid = rules.status_as_of(
        application.status, application.payment_status, application.payment_due_on, clock.today()
    )
    return {"valid": True, "kind": application.kind, "status": status}


def open_applications_for_person(*, id_number: str):
    return Application.objects.filter(person__id_number=id_number).exclude(status__in=CLOSED_STATUSES)


def movable_applications_at(*, point_code: str):
    """The applications of a point that a supervisor may still move."""
    return Application.objects.filter(acceptance_point_id=point_code, status__in=MOVABLE_STATUSES).order_by("id")


def open_applications_at(*, point):
    return Application.objects.filter(acceptance_point=point).exclude(status__in=CLOSED_STATUSES)


def due_badge(due_on) -> str:
    """'overdue', 'today' or '' for a due date, as of today."""
    if due_on is None:
        return ""
    today = clock.today()
    return "overdue" if due_on < today else ("today" if due_on == today else "")


# Which open deadlines make the work of each role, and in which application statuses.
QUEUE_STEPS = {
    "reviewer": [("review", ("reviewing",)), ("written_reply", ("rejected",))],
    "production": [("production", ("approved",)), ("delivery", ("in_production",))],
    "clerk": [("delivery", ("dispatched",)), ("whole", ("ready_for_pickup",))],
    "courier": [("delivery", ("out_for_delivery",))],
}
QUEUE_PAGE = 50
VERIFYING_STATUSES = ("accepted", "verifying")
QUEUE_COLUMNS = (
    "provisional",
    "due_on",
    "application_id",
    "application__reference",
    "application__status",
    "application__kind",
    "application__route",
    "application__person__name",
    "application__person__id_number",
)


def staff_queue(*, user, after: tuple | None = None, limit: int = QUEUE_PAGE) -> list[dict]:
    """The work items the staff member may act on, soonest due first; `after` = (due_on, id) of
    the last item of the previous page (keyset paging: a page is an index range, never a count)."""
    if user.role == "verifier":
        rows = verifier_queue_rows(user=user, after=after, limit=limit)
        return [_item(row, "verification") for row in rows]
    items = []
    for step, statuses in QUEUE_STEPS.get(user.role, []):
        rows = Deadline.objects.filter(step=step, done_on__isnull=True, application__status__in=statuses)
        if user.role == "clerk":
            rows = rows.filter(application__acceptance_point_id=user.point_id)
        if after:
            rows = rows.filter(due_on__gte=after[0]).exclude(due_on=after[0], application_id__lte=after[1])
        rows = rows.order_by("due_on", "application_id").values_list(*QUEUE_COLUMNS)[:limit]
        items += [_item(row, step) for row in rows]
    items.sort(key=lambda item: (item["due_on"], item["application"]))
    return items[:limit]


def verifier_queue_rows(*, user, after: tuple | None, limit: int):
    """A verifier's page: pending checks of the department by (due_on, application), read in
    the order of the partial index `verification_queue`, joined to the page's applications only."""
    # A check still pending when the application moved on (one department said not confirmed)
    # can no longer be answered: it leaves the queue.
    rows = Verification.objects.filter(
        department=user.department, status="pending", application__status__in=VERIFYING_STATUSES
    ).annotate(
        # A check's due date is its application's verification deadline: provisional with it
        # (read per row of the page through the (application, step) unique index).
        provisional=Subquery(
            Deadline.objects.filter(application=OuterRef("application"), step="verification").values("provisional")[:1]
        )
    )
    if after:
        rows = rows.filter(due_on__gte=after[0]).exclude(due_on=after[0], application_id__lte=after[1])
    return rows.order_by("due_on", "application_id").values_list(*QUEUE_COLUMNS)[:limit]


def _item(row, step: str) -> dict:
    provisional, due_on, application_id, reference, status, kind, route, name, id_number = row
    hold = renewal_hold(id_number=id_number, kind=kind, status=status, today=clock.today())
    return {
        "application": application_id,
        "reference": reference,
        "status": status,
        "kind": kind,
        "route": route,
        "step": step,
        "due_on": due_on,
        "provisional": provisional,
        "due": due_badge(due_on),
        "name": name,
        "id_number_masked": mask_id_number(id_number),
        "on_hold": hold and {key: hold[key] for key in ("reason", "permit_number", "since")},
    }


# The supervisor's dashboard ----------------------------------------------------------------

DASHBOARD_DAYS = 30


def _share(counts: dict) -> dict:
    """How many were done, how many by their due date, and the share (0–100, or None for none)."""
    share = round(100 * counts["on_time"] / counts["done"]) if counts["done"] else None
    return {"done": counts["done"], "on_time": counts["on_time"], "share": share}


# The steps the dashboard shows by step: the departments' checks are shown by department, and the
# whole application by acceptance point.
LATER_STEPS = ("review", "refusal", "production", "delivery", "written_reply")


# What the dashboard counts, one queryset each, so that its lists (`dashboard_items`) hold exactly
# the items counted.
def _pending_checks():
    return Verification.objects.filter(status=Verification.Outcome.PENDING, application__status__in=VERIFYING_STATUSES)


def _open_later_steps():
    return Deadline.objects.filter(done_on__isnull=True, moot=False, step__in=LATER_STEPS)


def _open_applications():
    return Application.objects.exclude(status__in=CLOSED_STATUSES)


def _pressing_deadlines(today: dt.date):
    """Open deadlines of open applications due today or before."""
    return Deadline.objects.filter(done_on__isnull=True, due_on__lte=today).exclude(
        application__status__in=CLOSED_STATUSES
    )


def supervisor_dashboard(*, days: int = DASHBOARD_DAYS) -> dict:
    """Per department (verification) and per acceptance point: open items, overdue items, and the
    share of deadlines finished on time (done_on <= due_on) among those finished in the last `days`.

    A department's figures: its pending checks, those past their due date, and its checks answered
    in the window (on time: answered by the check's due date; a check left unanswered because the
    application moved on is not counted). A point's: its open applications, those with an open
    deadline past due, and the deadlines of its applications done in the window (not those closed
    without taking place, such as the steps of a withdrawn application). The window is the last
    `days` days, today included."""
    today = clock.today()
    since = today - dt.timedelta(days=days - 1)
    finished = Deadline.objects.filter(done_on__gte=since, done_on__lte=today, moot=False)
    answered = (
        Verification.objects.exclude(status=Verification.Outcome.PENDING)
        .annotate(answered_on=TruncDate("answered_at"))
        .filter(answered_on__gte=since, answered_on__lte=today)
        .values("department")
        .annotate(done=Count("id"), on_time=Count("id", filter=Q(answered_on__lte=F("due_on"))))
    )
    answered_by_department = {row["department"]: row for row in answered}

    pending = (
        _pending_checks()
        .values("department")
        .annotate(
            open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)), today=Count("id", filter=Q(due_on=today))
        )
    )
    by_department = {row["department"]: row for row in pending}
    departments = []
    for code, label in Department.choices:
        row = by_department.get(code, {})
        departments.append(
            {"code": code, "name": label, "open": row.get("open", 0), "overdue": row.get("overdue", 0)}
            | {"today": row.get("today", 0)}
            | _share(answered_by_department.get(code, {"done": 0, "on_time": 0}))
        )

    # The steps after the departments' (an outsider found overdue reviews, cards and deliveries
    # only inside the points' totals, and nothing due today anywhere). Closing an application
    # closes its steps, all but a written reply, which is owed after the refusal that closed it.
    open_steps = (
        _open_later_steps()
        .values("step")
        .annotate(
            open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)), today=Count("id", filter=Q(due_on=today))
        )
    )
    open_by_step = {row["step"]: row for row in open_steps}
    done_by_step = {
        row["step"]: row
        for row in finished.filter(step__in=LATER_STEPS)
        .values("step")
        .annotate(done=Count("id"), on_time=Count("id", filter=Q(done_on__lte=F("due_on"))))
    }
    steps = []
    for code in LATER_STEPS:
        row = open_by_step.get(code, {})
        steps.append(
            {"code": code, "name": Step(code).label}
            | {key: row.get(key, 0) for key in ("open", "overdue", "today")}
            | _share(done_by_step.get(code, {"done": 0, "on_time": 0}))
        )

    open_apps = _open_applications().values("acceptance_point").annotate(open=Count("id"))
    overdue_apps = (
        _pressing_deadlines(today)
        .values("application__acceptance_point")
        .annotate(
            overdue=Count("application", distinct=True, filter=Q(due_on__lt=today)),
            today=Count("application", distinct=True, filter=Q(due_on=today)),
        )
    )
    done = finished.values("application__acceptance_point").annotate(
        done=Count("id"), on_time=Count("id", filter=Q(done_on__lte=F("due_on")))
    )
    opened = {row["acceptance_point"]: row["open"] for row in open_apps}
    late = {row["application__acceptance_point"]: row["overdue"] for row in overdue_apps}
    due_today = {row["application__acceptance_point"]: row["today"] for row in overdue_apps}
    finished_by_point = {row["application__acceptance_point"]: row for row in done}
    point_ids = set(opened) | set(late) | set(finished_by_point)
    points = []
    for point in AcceptancePoint.objects.filter(pk__in=point_ids).select_related("street").order_by("code"):
        points.append(
            {
                "code": point.code,
                "name": point.name,
                "point": point,  # named by its kind and street too, on an English page
                "open": opened.get(point.pk, 0),
                "overdue": late.get(point.pk, 0),
                "today": due_today.get(point.pk, 0),
            }
            | _share(finished_by_point.get(point.pk, {"done": 0, "on_time": 0}))
        )
    return {
        "today": today,
        "since": since,
        "days": days,
        "departments": departments,
        "steps": steps,
        "points": points,
    }


DASHBOARD_GROUPS = ("departments", "steps", "points")
DASHBOARD_DUE = ("open", "today", "overdue")
DASHBOARD_ITEMS_SHOWN = 500


def dashboard_items(*, group: str, code: str, due: str) -> dict:
    """The items behind one figure of the supervisor's dashboard (a department's, a later step's or
    an acceptance point's open, due-today or overdue count), most pressing first: each application's
    reference, status, the step and its due date. Up to DASHBOARD_ITEMS_SHOWN rows, with the total.
    NotFound for a group, code or figure the dashboard does not show."""
    today = clock.today()
    if group not in DASHBOARD_GROUPS or due not in DASHBOARD_DUE:
        raise NotFound(_("The dashboard shows no such figure."))
    by_due = {"open": Q(), "today": Q(due_on=today), "overdue": Q(due_on__lt=today)}[due]
    of_application = {
        "app": F("application_id"),
        "ref": F("application__reference"),
        "state": F("application__status"),
    }
    if group == "departments":
        if code not in Department.values:
            raise NotFound(_("The dashboard shows no such figure."))
        name, step = Department(code).label, Step.VERIFICATION.label
        rows = _pending_checks().filter(by_due, department=code).values("due_on", **of_application)
    elif group == "steps":
        if code not in LATER_STEPS:
            raise NotFound(_("The dashboard shows no such figure."))
        name = step = Step(code).label
        rows = _open_later_steps().filter(by_due, step=code).values("due_on", **of_application)
    else:
        point = AcceptancePoint.objects.filter(code=code).first()
        if point is None:
            raise NotFound(_("The dashboard shows no such figure."))
        name, step = point.name, None
        if due == "open":
            # Each open application of the point, by its next open deadline (if any).
            next_due = Deadline.objects.filter(application=OuterRef("pk"), done_on__isnull=True, moot=False)
            rows = (
                _open_applications()
                .filter(acceptance_point=point)
                .values(app=F("pk"), ref=F("reference"), state=F("status"))
                .annotate(due_on=Subquery(next_due.order_by("due_on").values("due_on")[:1]))
            )
        else:
            # An application once, by its most pressing deadline, as the dashboard counts it.
            rows = (
                _pressing_deadlines(today)
                .filter(by_due, application__acceptance_point=point)
                .values(**of_application)
                .annotate(due_on=Min("due_on"))
            )
    total = rows.count()
    shown = [
        {
            "id": row["app"],
            "reference": row["ref"],
            "status": Status(row["state"]).label,
            "due_on": row["due_on"],
            "overdue": row["due_on"] is not None and row["due_on"] < today,
        }
        for row in rows.order_by(F("due_on").asc(nulls_last=True), "app")[:DASHBOARD_ITEMS_SHOWN]
    ]
    return {"name": name, "step": step, "group": group, "due": due, "today": today, "total": total, "rows": shown}


def applicant_details(*, identity) -> dict:
    """What the application form shows from the records: the verified identity and the current
    residence registration (address and street), for pre-filling the citizen's form."""
    registration = (
        Registration.objects.filter(id_number=identity.id_number, ended_on__isnull=True)
        .select_related("street")
        .order_by("-registered_on")
        .first()
    )
    return {
        "name": identity.name,
        "id_number_masked": mask_id_number(identity.id_number),
        "hukou_address": identity.hukou_address,
        # The street in the reader's language (an outsider's English page read "福田街道").
        "residence_street": registration.street.shown_name if registration else "",
        "residence_address": registration.address if registration else "",
        "registered_on": registration.registered_on if registration else None,
    }


def open_application_for_person(*, id_number: str) -> Application | None:
    return open_applications_for_person(id_number=id_number).only("id", "reference", "kind").first()


def open_application_of(user) -> Application | None:
    """The application in progress of a signed-in person, if any: the pages that lead to applying
    lead to it instead (an outsider's "Start now" ended at "you already have one")."""
    if not user.is_authenticated or user.person_id is None:
        return None
    return open_application_for_person(id_number=user.person.id_number)


def draft_of(user) -> dict | None:
    """The answers so far of the account's application form, if it has started one."""
    return Draft.objects.filter(user=user).values_list("data", flat=True).first()


# The application object of API.md: what every staff action answers, production's and the courier's too.
CONTRACT_FIELDS = (
    "id",
    "reference",
    "kind",
    "route",
    "status",
    "acceptance_point",
    "delivery",
    "fee",
    "payment_status",
    "accepted_on",
    "due_date",
    "due_date_provisional",
    "verifications",
    "history",
    "decision",
    "permit_number",
    "applicant",
)


CARD_TO_MAKE = (Status.APPROVED, Status.IN_PRODUCTION)


def shows_delivery_address(role: str, status: str) -> bool:
    """Whether this role sees where the card goes, on the desk and through the API alike: the
    courier while delivering it, production while making it, a verifier never (an outsider's
    courier and production centre still read the address of a card long delivered)."""
    if role == Role.COURIER:
        return status == Status.OUT_FOR_DELIVERY
    if role == Role.PRODUCTION:
        return status in CARD_TO_MAKE
    return role != Role.VERIFIER


def shows_photo_receipt(role: str, status: str) -> bool:
    """Whether this role sees the photo receipt number: production only while making the card."""
    if role == Role.COURIER:
        return False
    return role != Role.PRODUCTION or status in CARD_TO_MAKE


def card_data(application: Application) -> dict:
    """What the production centre prints on the card (RULES §11), from the records, while the card
    is to be made (an outsider's production desk had a masked ID number and nothing else to print).
    The photo is the studio's, by its receipt number."""
    id_number = application.person.id_number
    identity = Identity.objects.filter(id_number=id_number).first()
    registration = current_registration(id_number)
    # A person taken in at the counter whom the records do not hold: the sex and the birth date the
    # ID number carries, checked against the card in the clerk's hands (an outsider's printed blank).
    with translation.override("zh-hans"):  # as printed, whatever the reader's language (an outsider's read "Female")
        sex = identity.get_sex_display() if identity else str(Identity.Sex(sex_of(id_number)).label)
        authority = issuing_authority()
    return {
        "name": identity.name if identity else application.person.name,
        "sex": sex,
        "ethnicity": identity.ethnicity if identity else "",
        "birth_date": (identity.birth_date if identity else birth_date_of(id_number)).isoformat(),
        "id_number": id_number,
        "hukou_address": identity.hukou_address if identity else "",
        "residence_address": registration.address if registration else "",
        "issuing_authority": authority,
        "photo_receipt": application.photo_receipt,
    }


def handling_view(application: Application, *, role: str) -> dict:
    """What production (the card: name, ID number as printed, photo) and the courier (the delivery,
    and the number to call while it is under way) see of an application: API.md's application
    object, without the case behind it (an outsider's courier read the self-check, the family and
    the departments' notes): no notes in the history, none of the fields added to the object."""
    document = json.loads(application.document)
    view = {name: document[name] for name in CONTRACT_FIELDS}
    view["history"] = [{**entry, "note": ""} for entry in document["history"]]
    if shows_photo_receipt(role, application.status):
        view["photo_receipt"] = application.photo_receipt
    if role == Role.PRODUCTION and application.status in CARD_TO_MAKE:
        view["card"] = card_data(application)
    if role == Role.COURIER and application.status == Status.OUT_FOR_DELIVERY:
        view["applicant"] = {**view["applicant"], "phone": application.person.phone}
    if not shows_delivery_address(role, application.status):
        view["delivery"] = {**view["delivery"], "address": ""}
    return view


def verifier_view(application: Application, *, department: str) -> dict:
    """The application object as `department`'s verifier reads it: only its own department's notes
    in the history, and no delivery address (a verifier answers for one department's records and
    needs neither another's findings nor where the card goes; DESIGN: staff see only what their
    role needs)."""
    document = json.loads(application.document)
    document["delivery"] = {**document["delivery"], "address": ""}
    own = [
        bool(actor_department == department)
        for actor_department in application.history.order_by("at", "id").values_list("actor__department", flat=True)
    ]
    document["history"] = [
        entry if mine else {**entry, "note": ""} for entry, mine in zip(document["history"], own, strict=False)
    ]
    return document


def point_has_clerk(point: AcceptancePoint) -> bool:
    """Whether anyone at the point could receive and hand over a card."""
    return point.staff.filter(role=Role.CLERK, is_active=True).exists()


def phone_of_another_person(phone: str, id_number: str) -> bool:
    """Whether an active account verified as someone else holds this mobile number."""
    return (
        get_user_model()
        .objects.filter(phone=phone, is_active=True, person__isnull=False)
        .exclude(person__id_number=id_number)
        .exists()
    )


def needs_full_id_number(user, application: Application) -> bool:
    """Whether a staff member checks the person against records or papers now: a verifier while
    its department's check is pending, the police reviewer while the case is under review, the
    point's clerk while the card waits to be handed over against the holder's ID card. Otherwise
    the number is masked, on the desk's pages as in the API (an outsider's reviewer read full
    numbers of long-completed applications on the page, masked ones in the API)."""
    if user.role == Role.VERIFIER:
        return application.verifications.filter(department=user.department, status="pending").exists()
    if user.role == Role.CLERK:  # of the point that hands it over, not the counter that took it in
        return application.status == Status.READY_FOR_PICKUP and user.point_id == application.acceptance_point_id
    return user.role == Role.REVIEWER and application.status == Status.REVIEWING


def with_check_notes(document: dict, application: Application, *, department: str = "") -> dict:
    """The document with each department's note beside its check, for staff (an outsider's reviewer
    read a not-confirmed reason in the history with no department named); a verifier's `department`
    sees its own note only, as in verifier_view."""
    notes = dict(application.verifications.values_list("department", "note"))
    document["verifications"] = [
        {**check, "note": notes.get(check["department"], "") if department in ("", check["department"]) else ""}
        for check in document["verifications"]
    ]
    return document


def suspended_permit_to_renew(application: Application, today: dt.date) -> Permit | None:
    """For an exchange or a replacement, the person's permit if it is suspended today, whether or
    not the day's sweep has run: it must be endorsed before its card is renewed (RULES §9)."""
    return _permit_to_renew_now(application, today, Permit.Status.SUSPENDED)


def cancelled_permit_to_renew(application: Application, today: dt.date) -> Permit | None:
    """For an exchange or a replacement, the person's permit if it is cancelled as of today, before
    the day's sweep has recorded it: no card of it is made or handed over."""
    return _permit_to_renew_now(application, today, Permit.Status.CANCELLED)


def _permit_to_renew_now(application: Application, today: dt.date, status: str) -> Permit | None:
    held = permit_holding_renewal(id_number=application.person.id_number, kind=application.kind, today=today)
    return held if held is not None and held.status == status else None


def renewal_hold(*, id_number: str, kind: str, status: str, today: dt.date) -> dict | None:
    """API.md's application `on_hold` but its note: what holds up an open exchange or replacement
    as of today (permit_holding_renewal), with the permit itself under "permit". Staff read it too,
    on the case and in their queue (an outsider's clerk and production centre saw only an overdue
    step, then a 409)."""
    held = permit_holding_renewal(id_number=id_number, kind=kind, today=today) if status in OPEN_STATUSES else None
    if held is None:
        return None
    suspended = held.status == Permit.Status.SUSPENDED
    return {
        "reason": "permit_suspended" if suspended else "permit_cancelled",
        "permit_number": held.number,
        "since": held.suspended_on if suspended else held.cancelled_on,
        "permit": held,
    }


def permit_holding_renewal(*, id_number: str, kind: str, today: dt.date) -> Permit | None:
    """For an exchange or a replacement, the person's permit as of today if it holds the
    application up: suspended (endorse it first) or cancelled (no card of it is made)."""
    if kind not in CARD_KINDS:
        return None
    live = Permit.objects.filter(id_number=id_number, status__in=(Permit.Status.ACTIVE, Permit.Status.SUSPENDED))
    for permit in live:
        shown = as_of_today(permit, today)
        if shown.status != Permit.Status.ACTIVE:
            return shown
    return None


def _month_ranges(months: list[dt.date]) -> list[tuple[dt.date, dt.date, int]]:
    """Consecutive months as ranges: [(first, last, count)]."""
    ranges = []
    for month in sorted(months):
        if ranges:
            first, last, count = ranges[-1]
            following = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            if month == following:
                ranges[-1] = (first, month, count + 1)
                continue
        ranges.append((month, month, 1))
    return ranges


def unmet_for(application: Application, department: str) -> list[str]:
    """The conditions the department's records decide that they do not show met on the day the
    application was accepted (a card renewal: the identity only, the permit stands for the rest)."""
    names = rules.DEPARTMENT_CONDITIONS[department]
    if application.kind in CARD_KINDS:
        names = tuple(n for n in names if n == "identity")
    if not names:
        return []
    person, _inputs = person_records(
        id_number=application.person.id_number, name=application.person.name, route=application.route
    )
    conditions = eligibility.conditions_on(person, application.route, application.accepted_on)
    return [c.name for c in conditions if c.name in names and not c.met]


def claim_records(application: Application, department: str) -> dict:
    """The records of the person that a department checks the claim against."""
    number = application.person.id_number
    records = {"identity": Identity.objects.filter(id_number=number).first(), "department": department}
    if department == Department.POLICE:
        records["registrations"] = list(
            Registration.objects.filter(id_number=number).select_related("street").order_by("-registered_on")
        )
    elif department == Department.SOCIAL_INSURANCE:
        months = list(InsuranceMonth.objects.filter(id_number=number).values_list("month", flat=True))
        records["insurance"] = {"count": len(months), "ranges": _month_ranges(months)}
    elif department == Department.EDUCATION:
        records["enrolments"] = list(Enrolment.objects.filter(id_number=number).order_by("-start_date"))
    elif department == Department.TALENT:
        records["talents"] = list(TalentCertificate.objects.filter(id_number=number).order_by("-issued_on"))
    return records
