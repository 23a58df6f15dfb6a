from django.db.models import Prefetch

from residence.core import clock
from residence.core.validators import mask_id_number

from .models import CLOSED_STATUSES, Application, Deadline, StatusChange, Verification


def _with_details(queryset):
    return queryset.select_related("acceptance_point", "person").prefetch_related(
        Prefetch("verifications", queryset=Verification.objects.order_by("id")),
        Prefetch("history", queryset=StatusChange.objects.order_by("at", "id")),
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


def application_detail(*, application_id: int) -> Application | None:
    return _with_details(Application.objects.filter(pk=application_id)).first()


def application_by_reference(*, reference: str) -> Application | None:
    return Application.objects.filter(reference=reference).only("kind", "status", "reference").first()


def open_applications_for_person(*, id_number: str):
    return Application.objects.filter(person__id_number=id_number).exclude(status__in=CLOSED_STATUSES)


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
        rows = rows.order_by("due_on", "application_id").values_list(
            "due_on",
            "application_id",
            "application__reference",
            "application__status",
            "application__kind",
            "application__route",
            "application__person__name",
            "application__person__id_number",
        )[:limit]
        items += [_item(row, step) for row in rows]
    items.sort(key=lambda item: (item["due_on"], item["application"]))
    return items[:limit]


def verifier_queue_rows(*, user, after: tuple | None, limit: int):
    """A verifier's page: pending checks of the department by (due_on, application), read in
    the order of the partial index `verification_queue`, joined to the page's applications only."""
    rows = Verification.objects.filter(department=user.department, status="pending")
    if after:
        rows = rows.filter(due_on__gte=after[0]).exclude(due_on=after[0], application_id__lte=after[1])
    return rows.order_by("due_on", "application_id").values_list(
        "due_on",
        "application_id",
        "application__reference",
        "application__status",
        "application__kind",
        "application__route",
        "application__person__name",
        "application__person__id_number",
    )[:limit]


def _item(row, step: str) -> dict:
    due_on, application_id, reference, status, kind, route, name, id_number = row
    return {
        "application": application_id,
        "reference": reference,
        "status": status,
        "kind": kind,
        "route": route,
        "step": step,
        "due_on": due_on,
        "due": due_badge(due_on),
        "name": name,
        "id_number_masked": mask_id_number(id_number),
    }
