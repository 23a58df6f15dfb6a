"""The application object of API.md, kept as a document on the row.

Every change to an application rebuilds its document in the transaction that makes the
change (the workflow, written replies, deadline recomputation, a point renamed), so reading an application is
one indexed query and no serializer work (docs/performance.md). The self-check is the one part
rendered when read, in the reader's language; everything else in the document is data
(slugs, dates, numbers, names as recorded)."""

import json

from django.db.models import Prefetch, Value
from django.db.models.functions import Replace
from django.utils import timezone

from residence.core.validators import mask_id_number

from .models import Application, Deadline, FamilyMember, StatusChange, Verification


def build(application: Application, *, verifications, history, deadlines, family, payments=()) -> dict:
    point = application.acceptance_point
    reply_due = next((d.due_on for d in deadlines if d.step == "written_reply"), None)
    decision = None
    if application.decision_outcome:
        decision = {
            "outcome": application.decision_outcome,
            "reasons": list(application.decision_reasons),
            "decided_on": _day(application.decided_on),
        }
    return {
        "id": application.pk,
        "reference": application.reference,
        "kind": application.kind,
        "route": application.route,
        "status": application.status,
        "acceptance_point": {"code": point.code, "name": point.name},
        "delivery": {
            "method": application.delivery_method,
            "address": "" if application.undelivered_address else application.delivery_address,
        },
        "fee": {"amount": f"{application.fee_amount:.2f}", "currency": "CNY"},
        "payment_status": application.payment_status,
        "payment_due_on": _day(application.payment_due_on),
        # A fee given back (the application ended with no card made): `payment_status` stays
        # "paid", API.md having no other value, and this says when it was refunded.
        "refunded_on": next(
            (_day(timezone.localdate(p.refunded_at)) for p in payments if p.refunded_at is not None), None
        ),
        "accepted_on": _day(application.accepted_on),
        "due_date": _day(application.due_date),
        "due_date_provisional": application.due_date_provisional,
        "verifications": [
            {"department": v.department, "status": v.status, "due_date": _day(v.due_on)} for v in verifications
        ],
        "history": [{"status": h.status, "at": timezone.localtime(h.at).isoformat(), "note": h.note} for h in history],
        "decision": decision,
        "permit_number": application.permit_number,
        "channel": application.channel,
        "applicant": {
            "name": application.person.name,
            "id_number_masked": mask_id_number(application.person.id_number),
        },
        "family_members": [
            {"name": m.name, "id_number_masked": mask_id_number(m.id_number), "relation": m.relation} for m in family
        ],
        "deadlines": [
            {"step": d.step, "due_on": _day(d.due_on), "provisional": d.provisional, "done_on": _day(d.done_on)}
            for d in sorted(deadlines, key=lambda d: (d.due_on, d.pk or 0))
        ],
        "written_reply": (
            {
                "requested_on": _day(application.reply_requested_on),
                "due_date": _day(reply_due),
                "text": application.reply_text or None,
            }
            if application.reply_requested_on
            else None
        ),
    }


def _day(value):
    return value.isoformat() if value else None


def dumps(document: dict) -> str:
    """The stored form: compact UTF-8 JSON, as the API's other answers are written."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _point_fragment(code: str, name: str) -> str:
    return '"acceptance_point":' + dumps({"code": code, "name": name})


def point_renamed(*, code: str, before: str, after: str) -> int:
    """Every application of a point renamed takes its new name (an outsider's API answers kept the
    old one). One UPDATE: a document is dumps()'s compact JSON, in which the point's object is this
    exact text; returns the documents changed."""
    return Application.objects.filter(acceptance_point_id=code).update(
        document=Replace("document", Value(_point_fragment(code, before)), Value(_point_fragment(code, after)))
    )


def refresh(application: Application) -> dict:
    """Rebuild and store the document of an application after a change (in the change's transaction)."""
    document = build(
        application,
        verifications=list(application.verifications.order_by("id")),
        history=list(application.history.order_by("at", "id")),
        deadlines=list(Deadline.objects.filter(application=application)),
        family=list(application.family_members.order_by("id")),
        payments=list(application.payments.all()),
    )
    application.document = dumps(document)
    Application.objects.filter(pk=application.pk).update(document=application.document)
    return document


def refresh_many(application_ids) -> None:
    """Rebuild the documents of many applications: six queries and one UPDATE per batch,
    whatever their number (a supervisor's move of a busy point rebuilt them one by one, four
    queries each, and timed out: an outsider)."""
    ids = sorted(set(application_ids))
    for start in range(0, len(ids), REFRESH_BATCH):
        applications = list(
            Application.objects.filter(pk__in=ids[start : start + REFRESH_BATCH])
            .select_related("acceptance_point", "person")
            .prefetch_related(
                Prefetch("verifications", queryset=Verification.objects.order_by("id")),
                Prefetch("history", queryset=StatusChange.objects.order_by("at", "id")),
                Prefetch("deadlines", queryset=Deadline.objects.all()),
                Prefetch("family_members", queryset=FamilyMember.objects.order_by("id")),
                "payments",
            )
        )
        for application in applications:
            application.document = dumps(
                build(
                    application,
                    verifications=application.verifications.all(),
                    history=application.history.all(),
                    deadlines=list(application.deadlines.all()),
                    family=application.family_members.all(),
                    payments=application.payments.all(),
                )
            )
        Application.objects.bulk_update(applications, ["document"], batch_size=REFRESH_BATCH)


REFRESH_BATCH = 500
