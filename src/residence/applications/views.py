"""The citizen's application pages: the start page, the form one topic per page with a draft in
the session, check your answers, the confirmation, the progress page and its actions.

Every write goes through `services`, `payments` or `receipts`; the pages only keep the draft."""

import datetime as dt
import hashlib
import json
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from residence.accounts.models import Kind as AccountKind
from residence.core import clock
from residence.core.errors import Conflict, DomainError, Forbidden
from residence.core.validators import mask_id_number
from residence.eligibility.views import CONDITION_LABELS
from residence.places.models import AcceptancePoint
from residence.places.selectors import acceptance_point_list, street_shown
from residence.web.pages import changed_in_another_window, error_page, page_of
from residence.web.templatetags.labels import bare

from . import rules, selectors, services
from .effects import SUSPENDED_BEFORE_PAYMENT
from .forms import DeliveryForm, FamilyMemberForm, KindRouteForm, PaymentForm, PhotoReceiptForm, PointForm
from .models import OPEN_STATUSES, Application, Delivery, FamilyMember, Kind, PaymentStatus, Route, Status, Step
from .notices import hold_text
from .payments import application_pay
from .receipts import paid_for, payment_receipt_pdf, pdf_response, receipt_pdf

DRAFT_ERRORS = "application_draft_errors"
STEPS = ["kind", "photo", "point", "family", "delivery"]
STEP_TITLES = {
    "kind": gettext_lazy("Your application"),
    "photo": gettext_lazy("Your digital photo"),
    "point": gettext_lazy("Where to apply"),
    "family": gettext_lazy("Cohabiting family members"),
    "delivery": gettext_lazy("How to receive your card"),
}
WITHDRAWABLE = (Status.ACCEPTED, Status.VERIFYING, Status.REVIEWING)


# The draft ------------------------------------------------------------------------------------


def _draft(request) -> dict:
    """The application being filled in, kept for the account between the steps (in the
    database, so closing the browser or signing in again loses nothing). In a view that changes
    it (`atomic`), read under the account's draft lock until the view's transaction ends: two
    family members added at once from two tabs were both "saved", and one was lost (an outsider)."""
    services.draft_lock(user=request.user)
    draft = selectors.draft_of(request.user)
    return draft if isinstance(draft, dict) else {"family_members": []}


def _save(request, draft: dict) -> None:
    services.draft_save(user=request.user, data=draft)


def _errors(request) -> dict:
    errors = request.session.get(DRAFT_ERRORS)
    return errors if isinstance(errors, dict) else {}


def _clear_errors(request, prefix: str) -> None:
    errors = {k: v for k, v in _errors(request).items() if _step_field(k)[0] != prefix}
    request.session[DRAFT_ERRORS] = errors


def _step_field(name: str) -> tuple[str, str]:
    """The step and the form field of a service's (dotted) field name."""
    if name in ("kind", "route", "reason"):
        return "kind", name
    if name == "photo_receipt":
        return "photo", name
    if name == "acceptance_point":
        return "point", name
    if name.startswith("family_members"):
        return "family", name
    if name.startswith("delivery."):
        return "delivery", name.split(".", 1)[1]
    return "kind", ""


def _complete(draft: dict) -> str | None:
    """The first step still to answer, or None when the draft can be checked."""
    needs = {
        "kind": draft.get("kind") and draft.get("route"),
        "photo": draft.get("photo_receipt"),
        "point": draft.get("acceptance_point"),
        "family": draft.get("family_done"),
        "delivery": draft.get("delivery_method"),
    }
    return next((step for step in STEPS if not needs[step]), None)


def _payload(draft: dict) -> dict:
    return {
        "kind": draft.get("kind", ""),
        "route": draft.get("route", ""),
        "reason": draft.get("reason", ""),
        "photo_receipt": draft.get("photo_receipt", ""),
        "acceptance_point": draft.get("acceptance_point", ""),
        "delivery": {"method": draft.get("delivery_method", ""), "address": draft.get("delivery_address", "")},
        "family_members": [
            {"name": m["name"], "id_number": m["id_number"], "relation": m["relation"]}
            for m in draft.get("family_members", [])
        ],
    }


def _citizen_gate(request):
    """None when the user may apply online; else the page that says why not."""
    user = request.user
    if user.person_id is None and user.kind == AccountKind.INDIVIDUAL:
        return render(request, "applications/verify_first.html", status=403)
    try:
        services.applicant_required(user)  # a personal account, and a person who may apply at all
    except Forbidden as exc:
        return error_page(request, exc.message)
    # Said before the form is filled in, not only when it is sent (one open application per person).
    open_application = selectors.open_application_for_person(id_number=user.person.id_number)
    if open_application is not None:
        return render(request, "applications/already_open.html", {"open_application": open_application}, status=409)
    return None


def _back(step: str, returning: bool) -> str:
    if returning:
        return reverse("applications:check")
    index = STEPS.index(step)
    return reverse("applications:step", args=[STEPS[index - 1]]) if index else reverse("applications:start")


def _forward(request, step: str) -> str:
    if request.GET.get("return") == "check" and _complete(_draft(request)) is None:
        return reverse("applications:check")
    index = STEPS.index(step)
    if index + 1 < len(STEPS):
        return reverse("applications:step", args=[STEPS[index + 1]])
    return reverse("applications:check")


def _put_errors(form, errors: dict) -> None:
    """The service's errors on an unbound form of their step, so the page shows them at the field."""
    if not errors:
        return
    form.errors  # noqa: B018 - an unbound form's errors start empty
    if not hasattr(form, "cleaned_data"):
        form.cleaned_data = {}
    for field, texts in errors.items():
        if field in form.fields:
            for text in texts:
                form.add_error(field, text)


# Public pages ---------------------------------------------------------------------------------


def start(request):
    """The start page of the service (GOV.UK start page): public."""
    return render(
        request,
        "applications/start.html",
        {
            "fee": rules.FEE,
            "days": rules.STEP_DAYS,
            "payment_days": rules.PAYMENT_DAYS,
            "open_application": selectors.open_application_of(request.user),
        },
    )


def points(request):
    """Acceptance points, listed by district (大鹏新区's apart, `Street.area_shown_name`)."""
    areas: dict = {}
    for point in acceptance_point_list():
        street = point.street
        anchor = f"d{street.district_id}{'-new' if street.new_district else ''}"
        areas.setdefault(anchor, {"name": street.area_shown_name, "anchor": anchor, "points": []})["points"].append(
            point
        )
    return render(request, "applications/points.html", {"areas": list(areas.values())})


# The form -------------------------------------------------------------------------------------


@login_required
@transaction.atomic
def apply(request):
    """Where "Start now" leads: the first step not yet answered (or check your answers)."""
    gate = _citizen_gate(request)
    if gate:
        return gate
    draft = _draft(request)
    if request.GET.get("route") in Route.values and not draft.get("route"):
        draft["route"] = request.GET["route"]
        _save(request, draft)
    if request.GET.get("kind") in Kind.values:
        # From the permit page ("apply for a replacement"): the kind chosen, shown on its step to confirm.
        draft["kind"] = request.GET["kind"]
        _save(request, draft)
        return redirect("applications:step", "kind")
    step = _complete(draft)
    return redirect(reverse("applications:step", args=[step]) if step else reverse("applications:check"))


def _initial(draft: dict, step: str, user) -> dict:
    if step == "kind":
        kind = draft.get("kind") or services.fitting_kind(user.person.id_number)
        return {"kind": kind, "route": draft.get("route"), "reason": draft.get("reason", "")}
    if step == "photo":
        return {"photo_receipt": draft.get("photo_receipt", "")}
    if step == "point":
        default = services.default_point(user.person.id_number)
        return {"acceptance_point": draft.get("acceptance_point") or (default.code if default else "")}
    if step == "delivery":
        return {"method": draft.get("delivery_method", Delivery.PICKUP), "address": draft.get("delivery_address", "")}
    return {}


FORMS = {"kind": KindRouteForm, "photo": PhotoReceiptForm, "point": PointForm, "delivery": DeliveryForm}


@login_required
@transaction.atomic
def step(request, step: str):
    if step not in STEPS:
        raise Http404
    gate = _citizen_gate(request)
    if gate:
        return gate
    if step == "family":
        return _family(request)
    draft = _draft(request)
    form_class = FORMS[step]
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid() and step == "kind":
            # Said on this step, not at the end: the kind must fit the person's permits (RULES §5, §10).
            try:
                services.check_kind(form.cleaned_data["kind"], request.user.person.id_number)
            except Conflict as exc:
                form.add_error("kind", exc.message)
        if form.is_valid() and step == "photo":
            receipt = form.cleaned_data["photo_receipt"]
            if selectors.photo_receipt_taken(receipt):
                form.add_error("photo_receipt", _("This photo receipt number has been used for another application."))
        if form.is_valid():
            data = form.cleaned_data
            if step == "delivery":
                draft["delivery_method"], draft["delivery_address"] = data["method"], data["address"]
            else:
                draft.update(data)
            _save(request, draft)
            _clear_errors(request, step)
            return redirect(_forward(request, step))
    else:
        form = form_class(initial=_initial(draft, step, request.user))
        _put_errors(form, {_step_field(k)[1]: v for k, v in _errors(request).items() if _step_field(k)[0] == step})
    context = {
        "form": form,
        "step": step,
        "title": STEP_TITLES[step],
        "back": _back(step, request.GET.get("return") == "check"),
        "returning": request.GET.get("return") == "check",
        "number": STEPS.index(step) + 1,
        "steps": len(STEPS),
    }
    if step == "point":
        default = services.default_point(request.user.person.id_number)
        context["default_point"] = default
    return render(request, "applications/step.html", context)


def _family_errors(request) -> dict[int, dict]:
    """The service's errors on family members, by index and field."""
    found: dict[int, dict] = {}
    for key, texts in _errors(request).items():
        parts = key.split(".")
        if parts[0] == "family_members" and len(parts) == 3 and parts[1].isdigit():
            found.setdefault(int(parts[1]), {})[parts[2]] = texts
    return found


def _family_row(member: dict, index: int) -> dict:
    """A listed family member as the family page and the removal page show it."""
    return {
        **member,
        "index": index,
        "id_number_masked": mask_id_number(member["id_number"]),
        "relation_label": FamilyMember.Relation(member["relation"]).label,
        "key": _member_key(member),
    }


def _family(request):
    draft = _draft(request)
    returning = request.GET.get("return") == "check"
    if request.method == "POST":
        draft["family_done"] = True
        _save(request, draft)
        return redirect(_forward(request, "family"))
    errors = _family_errors(request)
    suffix = "?return=check" if returning else ""
    members = [
        {**_family_row(member, index), "errors": [text for texts in errors.get(index, {}).values() for text in texts]}
        for index, member in enumerate(draft.get("family_members", []))
    ]
    other = _errors(request).get("family_members", [])
    return render(
        request,
        "applications/family.html",
        {
            "members": members,
            "general_errors": other,
            "title": STEP_TITLES["family"],
            "back": _back("family", returning),
            "returning": returning,
            "number": STEPS.index("family") + 1,
            "steps": len(STEPS),
            "can_add": len(members) < services.MAX_FAMILY_MEMBERS,
            "member_errors": [
                {
                    "url": reverse("applications:family_change", args=[m["index"]]) + suffix,
                    "text": f"{m['name']}: {text}",
                }
                for m in members
                for text in m["errors"]
            ],
        },
    )


def _member_key(member: dict) -> str:
    """What a change or removal names the member by, beside its place in the list: a list changed
    in another tab meanwhile made a removal take another relative, and a change overwrite one
    (an outsider)."""
    return hashlib.sha256(json.dumps(member, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _list_changed(request, members: list, index: int):
    """None when the member at `index` is still the one the page showed; else back to the list, saying why."""
    shown = (request.POST if request.method == "POST" else request.GET).get("member")
    if index < len(members) and shown == _member_key(members[index]):
        return None
    messages.error(request, _("The list of family members was changed in another window. Check it and try again."))
    suffix = "?return=check" if request.GET.get("return") == "check" else ""
    return redirect(reverse("applications:step", args=["family"]) + suffix)


@login_required
@transaction.atomic
def family_member(request, index: int | None = None):
    """Add a family member (index None) or change the one at `index`."""
    gate = _citizen_gate(request)
    if gate:
        return gate
    draft = _draft(request)
    members = draft.setdefault("family_members", [])
    if index is not None and index >= len(members):
        raise Http404
    if index is None and len(members) >= services.MAX_FAMILY_MEMBERS:
        messages.error(request, _("List at most %(n)d family members.") % {"n": services.MAX_FAMILY_MEMBERS})
        return redirect("applications:step", "family")
    others = [m for i, m in enumerate(members) if i != index]
    kwargs = {"applicant_id": request.user.person.id_number, "others": others}
    suffix = "?return=check" if request.GET.get("return") == "check" else ""
    if request.method == "POST" and index is not None and (changed := _list_changed(request, members, index)):
        return changed
    if request.method == "POST":
        form = FamilyMemberForm(request.POST, **kwargs)
        if form.is_valid():
            member = {k: form.cleaned_data[k] for k in ("relation", "name", "id_number")}
            if index is None:
                members.append(member)
            else:
                members[index] = member
                errors = {k: v for k, v in _errors(request).items() if not k.startswith(f"family_members.{index}.")}
                request.session[DRAFT_ERRORS] = errors
            _save(request, draft)
            return redirect(reverse("applications:step", args=["family"]) + suffix)
    else:
        form = FamilyMemberForm(initial=members[index] if index is not None else {}, **kwargs)
        if index is not None:
            _put_errors(form, _family_errors(request).get(index, {}))
    return render(
        request,
        "applications/family_member.html",
        {
            "form": form,
            "index": index,
            "member_key": _member_key(members[index]) if index is not None else "",
            "back": reverse("applications:step", args=["family"]) + suffix,
            "title": _("Add a family member") if index is None else _("Change a family member"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@transaction.atomic
def family_remove(request, index: int):
    """Asks first (GET), then removes (POST): the Remove link sits beside Change on a phone."""
    gate = _citizen_gate(request)
    if gate:
        return gate
    draft = _draft(request)
    members = draft.get("family_members", [])
    if changed := _list_changed(request, members, index):
        return changed
    suffix = "?return=check" if request.GET.get("return") == "check" else ""
    if request.method == "GET":
        back = reverse("applications:step", args=["family"]) + suffix
        context = {"member": _family_row(members[index], index), "back": back}
        return render(request, "applications/family_remove.html", context)
    removed = members.pop(index)
    _save(request, draft)
    # Errors of members after the removed one move up by one place; the removed one's go.
    shifted = {}
    for key, texts in _errors(request).items():
        parts = key.split(".")
        if parts[0] == "family_members" and len(parts) == 3 and parts[1].isdigit():
            position = int(parts[1])
            if position == index:
                continue
            if position > index:
                key = f"family_members.{position - 1}.{parts[2]}"
        shifted[key] = texts
    request.session[DRAFT_ERRORS] = shifted
    messages.success(request, _("%(name)s was removed.") % {"name": removed["name"]})
    return redirect(reverse("applications:step", args=["family"]) + suffix)


def _answers(draft: dict) -> dict:
    point = AcceptancePoint.objects.filter(code=draft.get("acceptance_point", "")).first()
    return {
        "kind": Kind(draft["kind"]).label if draft.get("kind") in Kind.values else "",
        "route": Route(draft["route"]).label if draft.get("route") in Route.values else "",
        "reason": draft.get("reason", ""),
        "photo_receipt": draft.get("photo_receipt", ""),
        "point": point,
        "family": [
            {
                **m,
                "id_number_masked": mask_id_number(m["id_number"]),
                "relation_label": FamilyMember.Relation(m["relation"]).label,
            }
            for m in draft.get("family_members", [])
        ],
        "delivery": Delivery(draft["delivery_method"]).label if draft.get("delivery_method") in Delivery.values else "",
        "delivery_method": draft.get("delivery_method", ""),
        "delivery_address": draft.get("delivery_address", ""),
        "fee": rules.fee_for(draft.get("kind", "")),
    }


ERROR_ANCHORS = {
    "kind": "id_kind_0",
    "route": "id_route_0",
    "reason": "id_reason",
    "photo_receipt": "id_photo_receipt",
    "acceptance_point": "id_acceptance_point",
    "method": "id_method_0",
    "address": "id_address",
}


def _error_links(errors: dict) -> list[dict]:
    """Each service error with the page (and field) where it is put right, and the field's label
    before it as on the steps' own pages (an outsider read a bare "Already used for another
    application." when the photo receipt was taken meanwhile)."""
    links = []
    for key, texts in errors.items():
        step_name, field = _step_field(key)
        url = reverse("applications:step", args=[step_name]) + "?return=check"
        parts = key.split(".")
        label = ""
        if step_name == "family" and len(parts) == 3 and parts[1].isdigit():
            url = reverse("applications:family_change", args=[int(parts[1])]) + f"?return=check#id_{parts[2]}"
            if parts[2] in FamilyMemberForm.base_fields:
                label = FamilyMemberForm.base_fields[parts[2]].label
                label = _("Family member %(n)s: %(label)s") % {"n": int(parts[1]) + 1, "label": bare(label)}
        elif field in ERROR_ANCHORS:
            url += "#" + ERROR_ANCHORS[field]
            label = FORMS[step_name].base_fields[field].label if field in FORMS[step_name].base_fields else ""
        links += [{"url": url, "text": text, "label": label} for text in texts]
    return links


@login_required
def check(request):
    """Check your answers, then submit through `services.application_submit`."""
    gate = _citizen_gate(request)
    if gate:
        return gate
    draft = _draft(request)
    missing = _complete(draft)
    if missing:
        return redirect("applications:step", missing)
    user = request.user
    context = {
        "answers": _answers(draft),
        "applicant": selectors.applicant_details(identity=user.person),
        "back": reverse("applications:step", args=["delivery"]),
        "error_links": _error_links(_errors(request)),
        "problem": "",
        "open_application": None,
        "self_check": _labelled(services.self_check_preview(identity=user.person, route=draft.get("route", ""))),
    }
    # An outsider's courier delivery, chosen in another tab, was sent from a page that read "pickup".
    if changed_in_another_window(request, context, draft):
        context["problem_href"] = "#check-title"
        return render(request, "applications/check.html", context, status=409)
    if request.method == "POST":
        try:
            application = services.application_submit(actor=user, data=_payload(draft))
        except services.OpenApplication:
            context["open_application"] = selectors.open_application_for_person(id_number=user.person.id_number)
            context["problem"] = _(
                "You already have an application in progress. You can apply again once it is closed."
            )
        except DomainError as exc:
            if exc.fields:
                request.session[DRAFT_ERRORS] = {k: [str(t) for t in v] for k, v in exc.fields.items()}
                context["error_links"] = _error_links(request.session[DRAFT_ERRORS])
            else:
                context["problem"] = exc.message
        else:
            services.draft_discard(user=request.user)
            request.session.pop(DRAFT_ERRORS, None)
            return redirect("applications:done", application.pk)
        status = 409 if context["open_application"] else 400
        return render(request, "applications/check.html", context, status=status)
    return render(request, "applications/check.html", context)


# After submission -----------------------------------------------------------------------------


def _own(request, pk: int) -> Application:
    application = selectors.application_for_user(user=request.user, application_id=pk)
    if application is None:
        raise Http404
    return application


def _self_check(application: Application) -> dict | None:
    return _labelled(application.self_check_answer or None)


def _labelled(answer: dict | None) -> dict | None:
    """A self-check with each condition's label, for the pages."""
    if not answer:
        return None
    return {
        **answer,
        "conditions": [
            {**c, "label": CONDITION_LABELS.get(c.get("name"), c.get("name"))} for c in answer.get("conditions", [])
        ],
    }


@login_required
def done(request, pk: int):
    application = as_of_today(_own(request, pk))
    return render(
        request,
        "applications/done.html",
        {
            "application": application,
            "checks_due": application.deadlines.filter(step=Step.VERIFICATION).first(),
            "self_check": _self_check(application),
            "next_step": next_step(application),
        },
    )


def _reached(application: Application) -> dict:
    """The first date each status was reached."""
    reached = {}
    for change in application.history.all():
        reached.setdefault(change.status, timezone.localdate(change.at))
    return reached


def timeline(application: Application, today: dt.date) -> list[dict]:
    """The steps of the application in order, each done (with the date), current (with its due
    date, perhaps provisional, and whether it has passed by `today`), to come or not reached
    (closed before it)."""
    deadlines = {d.step: d for d in application.deadlines.all()}
    reached = _reached(application)
    closed = application.status in (Status.REJECTED, Status.WITHDRAWN, Status.TERMINATED)
    pickup = application.delivery_method == Delivery.PICKUP
    fee = bool(application.fee_amount)
    steps = [
        ("accepted", _("Application accepted"), ["accepted"], None),
        ("verification", _("Departments check your records"), ["reviewing"], "verification"),
        ("review", _("Police review and decision"), ["approved", "awaiting_payment", "rejected"], "review"),
    ]
    if fee:
        steps.append(("payment", _("You pay the fee"), ["paid"], None))
    steps += [
        ("production", _("Card made"), ["in_production"], "production"),
        (
            "delivery",
            _("Card delivered to the acceptance point") if pickup else _("Card handed to the courier"),
            ["ready_for_pickup"] if pickup else ["out_for_delivery"],
            "delivery" if pickup else None,
        ),
        (
            "completed",
            _("You collect your card") if pickup else _("Card delivered to you"),
            ["completed"],
            "whole",
        ),
    ]
    if fee and application.payments.exists():
        reached["paid"] = timezone.localdate(application.payments.first().paid_at)
    items, current_found = [], False
    for key, label, statuses, deadline_step in steps:
        # The earliest: a fee-bearing application is approved again at payment, after its decision.
        done_on = min((reached[s] for s in statuses if s in reached), default=None)
        item = {"key": key, "label": label, "done_on": done_on, "due_on": None, "provisional": False, "state": ""}
        if done_on:
            item["state"] = "done"
        elif closed:
            item["state"] = "not_reached"
        else:
            deadline = deadlines.get(deadline_step) if deadline_step else None
            if key == "payment":
                item["due_on"] = application.payment_due_on
            elif deadline and not deadline.done_on:
                item["due_on"], item["provisional"] = deadline.due_on, deadline.provisional
            item["state"] = "to_come" if current_found else "current"
            item["overdue"] = item["due_on"] is not None and item["due_on"] < today
            current_found = True
        if key == "verification":
            item["verifications"] = list(application.verifications.all())
        items.append(item)
    return items


def as_of_today(application: Application) -> Application:
    """The application as it stands today, for a page to show (never saved: the daily job and the
    workflow write the status)."""
    application.status, application.payment_status = rules.status_as_of(
        application.status, application.payment_status, application.payment_due_on, clock.today()
    )
    return application


def _point_named(point) -> str:
    """A point in a sentence: in English its kind and street too (an outsider's English page said
    "collect your card at 福田街道办事处居住证受理点")."""
    street = street_shown(point)
    return f"{street} · {point.name}" if street else point.name


def next_step(application: Application) -> str:
    """The next thing the applicant does (or waits for), in one sentence."""
    s = application.status
    due = application.due_date.isoformat() if application.due_date else ""
    if s in OPEN_STATUSES and (
        held := selectors.permit_holding_renewal(
            id_number=application.person.id_number, kind=application.kind, today=clock.today()
        )
    ):
        return hold_text(held)
    if s in (Status.ACCEPTED, Status.VERIFYING):
        return _("Nothing to do for now: the departments are checking your application.")
    if s == Status.REVIEWING:  # not "the departments are checking" under a list saying they are done
        return _("Nothing to do for now: the police are reviewing your application and will decide.")
    if s == Status.TERMINATED and application.payment_status == PaymentStatus.EXPIRED:
        # What next too, as its message says (an outsider's page stopped at "terminated").
        return _("The time to pay ended on %(day)s: the application is terminated. You may apply again.") % {
            "day": application.payment_due_on.isoformat()
        }
    if s == Status.TERMINATED:
        return _(
            "The permit whose card this application was to renew has been cancelled, so the application has "
            "ended; a fee paid for it is given back. To hold a residence permit again, apply for a re-application."
        )
    if s == Status.AWAITING_PAYMENT:
        return _("Pay the fee of %(amount)s yuan by %(date)s, or the application ends.") % {
            "amount": application.fee_amount,
            "date": application.payment_due_on.isoformat() if application.payment_due_on else "",
        }
    if s in (Status.APPROVED, Status.IN_PRODUCTION) and application.due_date and application.due_date < clock.today():
        # Not "expected by" a day gone (an outsider read it above the page's apology for the delay).
        return _("Approved: your card is being made. It was due by %(date)s and is late.") % {"date": due}
    if s in (Status.APPROVED, Status.IN_PRODUCTION):
        return _("Approved: your card is being made. Expected by %(date)s.") % {"date": due}
    if s == Status.DISPATCHED:
        return _("Your card is on its way to the acceptance point. We will send a message when it arrives.")
    if s == Status.READY_FOR_PICKUP and application.kind == Kind.EXCHANGE:
        return _("Collect your card at %(point)s. Bring your ID card, your receipt and your old card.") % {
            "point": _point_named(application.acceptance_point)
        }
    if s == Status.READY_FOR_PICKUP:
        return _("Collect your card at %(point)s. Bring your ID card and your receipt.") % {
            "point": _point_named(application.acceptance_point)
        }
    if s == Status.OUT_FOR_DELIVERY and application.kind == Kind.EXCHANGE:
        return _(
            "A courier is bringing your card. Have your ID card and your old card ready; postage is paid on delivery."
        )
    if s == Status.OUT_FOR_DELIVERY:
        return _("A courier is bringing your card. Have your ID card ready; postage is paid on delivery.")
    if s == Status.COMPLETED:
        return _("Done: your residence permit %(number)s is active.") % {"number": application.permit_number or ""}
    if s == Status.REJECTED and application.reply_text:
        return _("Your application was refused. Read the reasons and the written reply below.")
    if s == Status.REJECTED and application.reply_requested_on:
        return _("Your application was refused. Read the reasons; the written reply you asked for is on its way.")
    if s == Status.REJECTED:
        return _("Your application was refused. Read the reasons; you can ask for a written reply.")
    return _("This application is closed. You can apply again.")


@login_required
def progress(request, pk: int):
    application = as_of_today(_own(request, pk))
    reply_due = next((d.due_on for d in application.deadlines.all() if d.step == "written_reply"), None)
    today = clock.today()
    is_open = application.status in OPEN_STATUSES
    suspended = selectors.suspended_permit_to_renew(application, today) if is_open else None
    return render(
        request,
        "applications/progress.html",
        {
            "application": application,
            "today": today,
            "timeline": timeline(application, today),
            "next_step": next_step(application),
            # The holder's permit's turn, not the office's: no apology for a delay (an outsider's page
            # said both).
            "waits_for_endorsement": suspended is not None,
            # Its endorsement, not the payment or anything else, is the next thing to do.
            "endorse_number": suspended.number if suspended is not None else None,
            "permit_cancelled": is_open and selectors.cancelled_permit_to_renew(application, today) is not None,
            "can_withdraw": application.status in WITHDRAWABLE,
            "can_pay": application.status == Status.AWAITING_PAYMENT and suspended is None,
            "payment": application.payments.first(),
            "can_ask_reply": application.status == Status.REJECTED and not application.reply_requested_on,
            "reply_due": reply_due,
            "family": [
                {"name": m.name, "id_number_masked": mask_id_number(m.id_number), "relation": m.get_relation_display()}
                for m in application.family_members.all()
            ],
        },
    )


@login_required
def mine(request):
    """The person's applications, newest first, each with where it stands."""
    user = request.user
    if user.person_id is None:
        return render(request, "applications/mine.html", {"items": []})
    pager = page_of(request, selectors.application_list_for_person(id_number=user.person.id_number), MINE_PAGE)
    items = [{"application": a, "next_step": next_step(as_of_today(a))} for a in pager.rows]
    return render(
        request,
        "applications/mine.html",
        {
            "items": items,
            "pager": pager,
            "draft_started": draft_started(user),
            "open_application": selectors.open_application_of(user),
        },
    )


def draft_started(user) -> bool:
    """Whether the person has a form started and not sent (an outsider back after closing the
    browser found no word of it on their pages)."""
    return user.person_id is not None and selectors.draft_of(user) is not None


# The account page shows the latest applications; "My applications" all of them, a page at a time.
ACCOUNT_APPLICATIONS = 5
MINE_PAGE = 20


def application_summaries(user) -> list[dict]:
    if user.person_id is None:
        return []
    return [
        {"application": a, "next_step": next_step(as_of_today(a))}
        for a in selectors.application_list_for_person(id_number=user.person.id_number)[:ACCOUNT_APPLICATIONS]
    ]


@login_required
def withdraw(request, pk: int):
    application = _own(request, pk)
    if request.method == "POST":
        try:
            services.application_withdraw(actor=request.user, application_id=application.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            text = _("Your application %(reference)s was withdrawn.") % {"reference": application.reference}
            messages.success(request, text)
        return redirect("applications:progress", application.pk)
    if application.status not in WITHDRAWABLE:
        messages.error(request, _("This application can no longer be withdrawn."))
        return redirect("applications:progress", application.pk)
    return render(request, "applications/withdraw.html", {"application": application})


@login_required
def pay(request, pk: int):
    application = _own(request, pk)
    if request.method == "POST":
        form = PaymentForm(request.POST)
        if form.is_valid():
            try:
                application_pay(
                    actor=request.user,
                    application_id=application.pk,
                    provider="sandbox",
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except DomainError as exc:
                application.refresh_from_db(fields=["payment_status"])
                if application.payment_status != PaymentStatus.PAID:
                    messages.error(request, exc.message)
                    return redirect("applications:progress", application.pk)
                # Paid meanwhile, in another tab: the same confirmation, saying so.
                messages.info(request, _("The fee has already been paid; you were not charged again."))
            return redirect("applications:paid", application.pk)
        else:  # the page's hidden key altered: nothing charged, and said so
            messages.error(request, _("The payment page was changed or is out of date: open it again to pay."))
        return redirect("applications:progress", application.pk)
    if application.payment_status == PaymentStatus.PAID:
        # Back to the page after paying (an outsider was told there was nothing to pay).
        return redirect("applications:paid", application.pk)
    if as_of_today(application).payment_status == PaymentStatus.EXPIRED:
        # Said as the payment itself would say it (an outsider was told there was nothing to pay).
        messages.error(
            request,
            _("The time to pay ended on %(day)s: the application is terminated.")
            % {"day": application.payment_due_on.isoformat()},
        )
        return redirect("applications:progress", application.pk)
    if application.status != Status.AWAITING_PAYMENT:
        messages.error(request, _("There is nothing to pay for this application."))
        return redirect("applications:progress", application.pk)
    if (suspended := selectors.suspended_permit_to_renew(application, clock.today())) is not None:
        # Said before the pay button is pressed, as the payment would say it.
        messages.error(
            request,
            SUSPENDED_BEFORE_PAYMENT
            % {"day": suspended.suspended_on.isoformat(), "pay_by": application.payment_due_on.isoformat()},
        )
        return redirect("applications:progress", application.pk)
    form = PaymentForm(initial={"idempotency_key": secrets.token_urlsafe(24)})
    return render(request, "applications/pay.html", {"application": application, "form": form})


@login_required
def paid(request, pk: int):
    """The confirmation of a fee paid: what was paid, the provider's transaction number, the
    receipt, and what happens next (the card is due 10 working days from payment)."""
    application = _own(request, pk)
    payment = application.payments.first()
    if payment is None:
        return redirect("applications:progress", application.pk)
    return render(request, "applications/paid.html", {"application": application, "payment": payment})


@login_required
@require_POST
def written_reply(request, pk: int):
    application = _own(request, pk)
    try:
        due = services.written_reply_request(actor=request.user, application_id=application.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        text = _("You asked for a written reply. It is due by %(date)s.") % {"date": due.isoformat()}
        messages.success(request, text)
    return redirect("applications:progress", application.pk)


@login_required
def receipt(request, pk: int):
    application = _own(request, pk)
    return pdf_response(
        receipt_pdf(application, base_url=request.build_absolute_uri("/")), f"receipt-{application.reference}.pdf"
    )


@login_required
def payment_receipt(request, pk: int):
    """The receipt of the fee paid (PDF), once the application is paid."""
    application = _own(request, pk)
    try:
        payment = paid_for(application)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("applications:progress", application.pk)
    return pdf_response(payment_receipt_pdf(payment), f"payment-{application.reference}.pdf")
