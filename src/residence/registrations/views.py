"""The residence registration pages of declarants (RULES §1): a verified individual, an active
organisation (administrator and sub-accounts). Houses, move-in and move-out declarations with
check-your-answers and a confirmation, tenants' self-reports and their confirmation, sub-accounts,
bulk files. Every write goes through `services`; reads through `selectors`."""

import csv
import datetime as dt
import io
import time
import zipfile

import openpyxl
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from residence.accounts.forms import add_domain_error
from residence.accounts.models import Kind
from residence.core import clock
from residence.core.encodings import decode
from residence.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from residence.core.validators import mask_id_number
from residence.places.models import Street
from residence.web.pages import changed_in_another_window, error_page, nothing_to_send, page_of

from . import rules, selectors, services
from .codes import OCCUPATIONS, REASONS
from .forms import (
    OTHER_PERSON,
    BulkForm,
    HouseBuildingForm,
    HouseFindForm,
    HouseRoomForm,
    HouseStreetForm,
    MoveInForm,
    MoveOutForm,
    SelfReportForm,
    SubAccountForm,
    SubAccountHousesForm,
)
from .models import DeclarantType, Declaration, HousingType

HOUSE_DRAFT = "registration_house_draft"
HOUSE_ERRORS = "registration_house_errors"
DECLARATION_DRAFT = "registration_declaration_draft"
DONE = "registration_done"
HOUSE_STEPS = {
    "street": (HouseStreetForm, gettext_lazy("Where is the house?")),
    "building": (HouseBuildingForm, gettext_lazy("Which building?")),
    "room": (HouseRoomForm, gettext_lazy("Which room, and what kind of housing?")),
}
HOUSE_STEP_OF = {
    "street": "street",
    "building_code": "building",
    "building_name": "building",
    "room": "room",
    "address": "room",
    "housing_type": "room",
}
MAX_FILE_BYTES = settings.BULK_FILE_MAX_BYTES
# 10,000 rows of nine cells in the sheet's XML, generously: a real file unpacks to a few MB.
MAX_XLSX_UNPACKED_BYTES = 32 * 1024 * 1024


# Who may use these pages --------------------------------------------------------------------


def _gate(request):
    """None when the user may declare; else the page that says why not (403)."""
    user = request.user
    if user.kind == Kind.STAFF:
        return redirect("registrations_desk:home")
    try:
        services.declarant_required(user)
    except DomainError as exc:
        if user.kind == Kind.INDIVIDUAL:
            return render(request, "registrations/verify_first.html", status=403)
        return error_page(request, exc.message)
    return None


def _verified_individual(request):
    if request.user.kind != Kind.INDIVIDUAL:
        return error_page(request, _("Only a personal account can report its own move-in."))
    return None


def _bound(form_class, data: dict, errors: dict, **kwargs):
    """A form bound to a draft with the service's errors put on its fields (or at the top)."""
    form = form_class({k: "" if v is None else str(v) for k, v in data.items()}, **kwargs)
    form.is_valid()
    for name, texts in errors.items():
        field = name.split(".")[-1]
        for text in texts:
            form.add_error(field if field in form.fields else None, str(text))
    return form


def _house_or_404(request, pk: int):
    """A house of the caller's; 404 for another account's, 403 for an organisation's house not
    given to this sub-account (as the API answers)."""
    house = selectors.house_for(actor=request.user, pk=pk)
    if house is None:
        user = request.user
        if user.kind == Kind.SUB_ACCOUNT and selectors.houses_for(actor=user.parent).filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return house


def _declaration_rows(d: Declaration) -> dict:
    return {
        "declaration": d,
        "id_number_masked": mask_id_number(d.id_number),
        "occupation_label": OCCUPATIONS.get(d.occupation, ""),
        "reason_label": REASONS.get(d.reason, ""),
    }


# Home and houses ----------------------------------------------------------------------------


# Rows a page of a long list shows (web.pages), and the houses on the organisation's dashboard.
LIST_PAGE = 100
DASHBOARD_HOUSES = 20
DASHBOARD_LATE = 50


@login_required
def home(request):
    gate = _gate(request)
    if gate:
        return gate
    user = request.user
    if user.kind == Kind.ORGANISATION:
        return redirect("web:account")
    return render(
        request,
        "registrations/home.html",
        {
            "houses": selectors.houses_with_occupants(actor=user)[:200],
            "pending_count": selectors.pending_reports_for(actor=user).count(),
            "is_sub_account": user.kind == Kind.SUB_ACCOUNT,
        },
    )


@login_required
def houses(request):
    gate = _gate(request)
    if gate:
        return gate
    form = HouseFindForm(request.GET or None)
    found = selectors.houses_with_occupants(actor=request.user)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["street"] or data["q"]:
            found = found.filter(pk__in=selectors.houses_for(actor=request.user, street=data["street"], q=data["q"]))
        if data["district"]:
            found = found.filter(street__district_id=data["district"])
    pager = page_of(request, found, LIST_PAGE)
    filtered = any(request.GET.get(name) for name in ("street", "q", "district"))
    return render(
        request,
        "registrations/houses.html",
        {"form": form, "houses": pager.rows, "pager": pager, "filtered": filtered},
    )


def _house_draft(request) -> dict:
    draft = request.session.get(HOUSE_DRAFT)
    return draft if isinstance(draft, dict) and draft.get("user") == request.user.pk else {"user": request.user.pk}


@login_required
def house_new(request, step: str = "street"):
    gate = _gate(request)
    if gate:
        return gate
    if request.user.kind == Kind.SUB_ACCOUNT:
        return error_page(request, _("Houses are registered by the account that holds them."))
    if step not in HOUSE_STEPS:
        raise Http404
    form_class, title = HOUSE_STEPS[step]
    draft = _house_draft(request)
    steps = list(HOUSE_STEPS)
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            draft.update(form.cleaned_data)
            request.session[HOUSE_DRAFT] = draft
            errors = request.session.get(HOUSE_ERRORS) or {}
            request.session[HOUSE_ERRORS] = {k: v for k, v in errors.items() if HOUSE_STEP_OF.get(k) != step}
            index = steps.index(step)
            if index + 1 < len(steps) and request.GET.get("return") != "check":
                return redirect("registrations:house_new_step", steps[index + 1])
            return redirect("registrations:house_check")
    else:
        errors = {k: v for k, v in (request.session.get(HOUSE_ERRORS) or {}).items() if HOUSE_STEP_OF.get(k) == step}
        values = {name: draft.get(name, "") for name in form_class.base_fields}
        form = _bound(form_class, values, errors) if errors else form_class(initial=values)
    index = steps.index(step)
    back = (
        reverse("registrations:house_new_step", args=[steps[index - 1]]) if index else reverse("registrations:houses")
    )
    if request.GET.get("return") == "check":
        back = reverse("registrations:house_check")
    return render(
        request,
        "registrations/form_page.html",
        {
            "form": form,
            "title": title,
            "back": back,
            "caption": _("Register a house · step %(n)d of %(total)d") % {"n": index + 1, "total": len(steps)},
            "submit": _("Continue"),
            "intro": _house_intro(step),
        },
    )


def _house_intro(step: str) -> str:
    return {
        "street": _("Choose the district's street where the house is. Streets are grouped by district."),
        "building": _("The building code is printed on the blue plate at the building's entrance."),
        "room": _("One house is one room (or flat) of a building."),
    }[step]


@login_required
def house_check(request):
    gate = _gate(request)
    if gate:
        return gate
    draft = _house_draft(request)
    missing = next((s for s in HOUSE_STEPS if not all(draft.get(f) for f in HOUSE_STEPS[s][0].base_fields)), None)
    if missing:
        return nothing_to_send(request, "registrations:houses") or redirect("registrations:house_new_step", missing)
    street = Street.objects.select_related("district").filter(code=draft["street"]).first()
    context = {"draft": draft, "street": street, "housing_type": HousingType(draft["housing_type"]).label}
    if changed_in_another_window(request, context, draft):
        return render(request, "registrations/house_check.html", context, status=409)
    if request.method == "POST":
        data = {k: draft[k] for k in HOUSE_STEP_OF}
        try:
            house = services.house_create(actor=request.user, data=data)
        except Conflict as exc:
            context["problem"] = exc.message
            context["existing"] = (
                selectors.houses_for(actor=request.user, street=draft["street"])
                .filter(building_code=draft["building_code"], room=draft["room"].strip())
                .first()
            )
            return render(request, "registrations/house_check.html", context, status=409)
        except DomainError as exc:
            if not exc.fields:
                context["problem"] = exc.message
                return render(request, "registrations/house_check.html", context, status=exc.status)
            request.session[HOUSE_ERRORS] = {k: [str(t) for t in v] for k, v in exc.fields.items()}
            first = next((HOUSE_STEP_OF[k] for k in exc.fields if k in HOUSE_STEP_OF), "street")
            return redirect(reverse("registrations:house_new_step", args=[first]) + "?return=check")
        request.session.pop(HOUSE_DRAFT, None)
        request.session.pop(HOUSE_ERRORS, None)
        request.session[DONE] = f"house:{house.pk}"
        return redirect("registrations:house", house.pk)
    return render(request, "registrations/house_check.html", context)


@login_required
def house_detail(request, pk: int):
    gate = _gate(request)
    if gate:
        return gate
    house = _house_or_404(request, pk)
    just = request.session.get(DONE) == f"house:{pk}"
    if just:
        request.session.pop(DONE)
    occupants = selectors.declarations_for(actor=request.user, house=house.pk, current=True)
    return render(
        request,
        "registrations/house.html",
        {
            "house": house,
            "just_registered": just,
            "occupants": [_declaration_rows(d) for d in occupants[:500]],
        },
    )


# Declarations -------------------------------------------------------------------------------

DECLARATION_FORMS = {"move_in": MoveInForm, "move_out": MoveOutForm}


def _declaration_draft(request, key: str) -> dict:
    draft = request.session.get(DECLARATION_DRAFT)
    if isinstance(draft, dict) and draft.get("user") == request.user.pk and draft.get("key") == key:
        return draft
    return {"user": request.user.pk, "key": key, "data": {}, "errors": {}}


def _serialisable(data: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


def _payload(kind: str, house, data: dict) -> dict:
    if kind == "move_out":
        return {"house": house, "kind": kind, "person": {"id_number": data["id_number"]}, "date": data["date"]}
    return {
        "house": house,
        "kind": kind,
        "person": {"name": data["name"], "id_number": data["id_number"], "phone": data["phone"]},
        "declarant_type": data["declarant_type"],
        "occupation": data["occupation"],
        "reason": data["reason"],
        "date": data["date"],
    }


def _occupants(request, house) -> list[Declaration]:
    """The people living in the house now, as its page lists them: whom a move-out may name."""
    return list(selectors.declarations_for(actor=request.user, house=house.pk, current=True)[:500])


def _move_out_person(request, house, data: dict) -> dict:
    """A move-out's draft with the chosen occupant's name and ID number filled in from the house's
    list (an occupant who has since moved out leaves the number empty: the service says so)."""
    occupant = data.get("occupant")
    if occupant in (None, "", OTHER_PERSON):
        return data
    chosen = next((d for d in _occupants(request, house) if str(d.pk) == occupant), None)
    return {
        **data,
        "id_number": chosen.id_number if chosen else "",
        "name": chosen.name if chosen else "",
        "declarant_type": chosen.declarant_type if chosen else "",
    }


def _lateness(kind: str, data: dict, house) -> tuple[int, int]:
    """(days late, allowance) if the declaration were sent today, as the service will mark it, so
    the check page warns before sending (an outsider learnt of it only after). A move-out of
    someone not in the list: unknown here (its move-in's declarant decides), (0, 0)."""
    if kind == "move_out" and not data.get("declarant_type"):
        return 0, 0
    declarant_type = data.get("declarant_type") or "landlord"
    try:
        date = dt.date.fromisoformat(str(data.get("date")))
    except ValueError:
        return 0, 0
    days = rules.days_late(
        declarant_type=declarant_type,
        date=date,
        declared_on=clock.today(),
        house_waited=services.house_waited(house, date),
    )
    return days, rules.ALLOWANCE_DAYS.get(declarant_type, 7)


def _answers(kind: str, data: dict) -> list[tuple]:
    rows = []
    if kind == "move_in":
        rows += [
            (_("Name"), data.get("name")),
            (_("ID number"), mask_id_number(data.get("id_number", ""))),
            (_("Mobile number"), data.get("phone")),
        ]
        if data.get("declarant_type"):
            rows.append((_("You declare as"), DeclarantType(data["declarant_type"]).label))
        rows += [
            (_("Occupation"), OCCUPATIONS.get(data.get("occupation"), "")),
            (_("Reason for coming"), REASONS.get(data.get("reason"), "")),
            (_("Move-in date"), data.get("date")),
        ]
    else:
        if data.get("name"):
            rows.append((_("Name"), data["name"]))
        rows += [(_("ID number"), mask_id_number(data.get("id_number", ""))), (_("Move-out date"), data.get("date"))]
    return rows


def _declaration_start(request, pk: int, kind: str):
    """The house (404 unless the caller may declare for it) and the draft of this kind of move."""
    if kind not in DECLARATION_FORMS:
        raise Http404
    house = _house_or_404(request, pk)
    if not house.confirmed:  # said at once, not after the whole form (services._declarable)
        raise services.UnconfirmedHouse()
    return house, _declaration_draft(request, f"{kind}:{house.pk}")


@login_required
def declare(request, pk: int, kind: str):
    """A move-in or move-out for one of the caller's houses: the form, then check your answers."""
    gate = _gate(request)
    if gate:
        return gate
    house, draft = _declaration_start(request, pk, kind)
    form_class = DECLARATION_FORMS[kind]
    if kind == "move_in":
        extra = {"account_kind": request.user.kind, "housing_type": house.housing_type}
    else:
        extra = {"occupants": _occupants(request, house)}
        if request.method == "GET" and request.GET.get("occupant"):
            # The resident's own link on the house page: always that resident, whatever an unsent
            # move-out left in the draft (an outsider's link opened with another resident chosen).
            draft = {**draft, "data": {"occupant": request.GET["occupant"][:20]}, "errors": {}}
    if request.method == "POST":
        form = form_class(request.POST, **extra)
        if form.is_valid():
            request.session[DECLARATION_DRAFT] = {**draft, "data": _serialisable(form.cleaned_data), "errors": {}}
            return redirect("registrations:declare_check", house.pk, kind)
    elif draft["errors"]:
        form = _bound(form_class, draft["data"], draft["errors"], **extra)
    else:
        form = form_class(initial=draft["data"] or {"date": None}, **extra)
    title = _("Declare a move-in") if kind == "move_in" else _("Declare a move-out")
    return render(
        request,
        "registrations/form_page.html",
        {
            "form": form,
            "title": title,
            "house": house,
            "back": reverse("registrations:house", args=[house.pk]),
            "caption": f"{house.building_name} {house.room} · {house.street.shown_name}",
            "submit": _("Continue"),
            "intro": _declaration_intro(kind),
        },
    )


def _declaration_intro(kind: str) -> str:
    if kind == "move_out":
        return _(
            "Choose who is moving out (or give the ID number of someone not listed) and the date. Declare within "
            "7 days of the move."
        )
    return _(
        "Declare within 7 days of the move-in as a landlord, manager, employer or school; 15 days as an owner "
        "living there; at once for a hotel. A late declaration is still accepted and is marked late."
    )


@login_required
def declare_check(request, pk: int, kind: str):
    gate = _gate(request)
    if gate:
        return gate
    house, draft = _declaration_start(request, pk, kind)
    if not draft["data"]:
        return nothing_to_send(request, "registrations:house", house.pk) or redirect(
            "registrations:declare", house.pk, kind
        )
    change = reverse("registrations:declare", args=[house.pk, kind])
    data = _move_out_person(request, house, draft["data"]) if kind == "move_out" else draft["data"]
    late, allowance = _lateness(kind, data, house)
    context = {
        "title": _("Check the declaration before sending it"),
        "house": house,
        "rows": _answers(kind, data),
        "late": late,
        "allowance": allowance,
        "change": change,
        "back": change,
        "submit": _("Send the declaration"),
    }
    if changed_in_another_window(request, context, data):
        return render(request, "registrations/check.html", context, status=409)
    if request.method == "POST":
        return _send_declaration(request, _payload(kind, house.pk, data), draft, change, context)
    return render(request, "registrations/check.html", context)


def _send_declaration(request, body: dict, draft: dict, change: str, context: dict):
    """Send a checked declaration: errors on fields go back to the step that asks for them,
    any other refusal stays on the check page; sent, the confirmation page."""
    try:
        declaration = services.declaration_create(actor=request.user, data=body)
    except DomainError as exc:
        if exc.fields:
            errors = exc.fields
            if draft["data"].get("occupant") not in (None, "", OTHER_PERSON):  # the number was not typed
                errors = {("occupant" if k.endswith("id_number") else k): v for k, v in errors.items()}
            request.session[DECLARATION_DRAFT] = {**draft, "errors": errors}
            return redirect(change)
        context["problem"] = exc.message
        return render(request, "registrations/check.html", context, status=exc.status)
    request.session.pop(DECLARATION_DRAFT, None)
    request.session[DONE] = f"declaration:{declaration.pk}"
    return redirect("registrations:declaration", declaration.pk)


@login_required
def declaration_detail(request, pk: int):
    """The confirmation page (just after sending) and the declaration's page afterwards."""
    declaration = selectors.declaration_for(actor=request.user, pk=pk)
    if declaration is None:
        raise Http404
    just = request.session.get(DONE) == f"declaration:{pk}"
    if just:
        request.session.pop(DONE)
    return render(
        request,
        "registrations/declaration.html",
        {
            **_declaration_rows(declaration),
            "just_sent": just,
            "allowance": rules.ALLOWANCE_DAYS.get(declaration.declarant_type or "landlord", 7),
        },
    )


@login_required
def declarations(request):
    gate = _gate(request)
    if gate:
        return gate
    raw = request.GET.get("house", "")
    house = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None
    current = request.GET.get("current") == "1"
    late = request.GET.get("late") == "1"
    pager = page_of(
        request, selectors.declarations_for(actor=request.user, house=house, current=current, late=late), LIST_PAGE
    )
    return render(
        request,
        "registrations/declarations.html",
        {
            "pager": pager,
            "rows": [_declaration_rows(d) for d in pager.rows],
            "current": current,
            "late": late,
            "house": selectors.house_for(actor=request.user, pk=house) if house else None,
        },
    )


@login_required
def my_registrations(request):
    """Where and since when the signed-in person is registered: the dates their 12 months count from."""
    if request.user.kind != Kind.INDIVIDUAL:
        return error_page(request, _("Only a personal account has residence registrations of its own."))
    if request.user.person_id is None:
        return render(request, "registrations/verify_first.html", {"to_see_registrations": True}, status=403)
    rows = selectors.registrations_of(id_number=request.user.person.id_number)
    # A report waiting for the landlord is no registration yet, but shown, so it is not thought lost.
    waiting = selectors.waiting_self_reports_of(user=request.user)
    return render(request, "registrations/mine.html", {"registrations": rows, "waiting": waiting})


# A tenant's self-report, and its confirmation by the house's holder ---------------------------


@login_required
def self_report(request):
    gate = _verified_individual(request) or _gate(request)
    if gate:
        return gate
    draft = _declaration_draft(request, "tenant")
    if request.method == "POST":
        form = SelfReportForm(request.POST)
        # The house is looked for at this step, not only when the report is sent (an outsider
        # learnt of a wrong room after the check page said all was well).
        if form.is_valid() and not selectors.confirmed_house_by_plate(
            street=form.cleaned_data["street"],
            building_code=form.cleaned_data["building_code"],
            room=form.cleaned_data["room"],
        ):
            form.add_error("room", str(services.NO_SUCH_HOUSE))
        if form.is_valid():
            request.session[DECLARATION_DRAFT] = {**draft, "data": _serialisable(form.cleaned_data), "errors": {}}
            return redirect("registrations:self_report_check")
    elif draft["errors"]:
        form = _bound(SelfReportForm, draft["data"], draft["errors"])
    else:
        form = SelfReportForm(initial=draft["data"] or {"phone": request.user.phone})
    return render(
        request,
        "registrations/form_page.html",
        {
            "form": form,
            "title": _("Report your own move-in"),
            "back": reverse("registrations:home"),
            "caption": _("Tenant's self-report"),
            "submit": _("Continue"),
            "intro": _(
                "Renting from someone who has registered the house? Tell us within 3 days of moving in. "
                "Your landlord confirms the report; only then does your residence registration start."
            ),
        },
    )


@login_required
def self_report_check(request):
    gate = _verified_individual(request) or _gate(request)
    if gate:
        return gate
    draft = _declaration_draft(request, "tenant")
    data = draft["data"]
    if not data:
        return nothing_to_send(request, "registrations:declarations") or redirect("registrations:self_report")
    person = request.user.person
    street = Street.objects.filter(code=data.get("street")).first()
    change = reverse("registrations:self_report")
    context = {
        "title": _("Check your report before sending it"),
        "rows": [
            (_("Street"), street.shown_name if street else ""),
            (_("Building code"), data.get("building_code")),
            (_("Room"), data.get("room")),
            (_("Mobile number"), data.get("phone")),
            (_("Occupation"), OCCUPATIONS.get(data.get("occupation"), "")),
            (_("Reason for coming"), REASONS.get(data.get("reason"), "")),
            (_("Move-in date"), data.get("date")),
        ],
        # From the real-name verification: the form has nothing to change them with (an outsider
        # followed "Change name" to a form without a name).
        "verified": [(_("Name"), person.name), (_("ID number"), mask_id_number(person.id_number))],
        "change": change,
        "back": change,
        "submit": _("Send the report"),
    }
    if changed_in_another_window(request, context, data):
        return render(request, "registrations/check.html", context, status=409)
    if request.method == "POST":
        body = {
            "house": {"street": data["street"], "building_code": data["building_code"], "room": data["room"]},
            "kind": "move_in",
            "person": {"name": person.name, "id_number": person.id_number, "phone": data["phone"]},
            "declarant_type": DeclarantType.TENANT,
            "occupation": data["occupation"],
            "reason": data["reason"],
            "date": data["date"],
        }
        return _send_declaration(request, body, draft, change, context)
    return render(request, "registrations/check.html", context)


@login_required
def pending_reports(request):
    gate = _gate(request)
    if gate:
        return gate
    reports = selectors.pending_reports_for(actor=request.user)[:500]
    return render(request, "registrations/pending.html", {"rows": [_declaration_rows(d) for d in reports]})


PENDING_ANSWERS = {
    "confirm": (
        services.declaration_confirm,
        gettext_lazy("%(name)s's move-in is confirmed (reference %(reference)s)."),
    ),
    "decline": (services.declaration_decline, gettext_lazy("%(name)s's report is declined; they are told.")),
}


@login_required
@require_POST
def pending_answer(request, pk: int, action: str):
    """The holder confirms or declines a tenant's self-report from the list of those waiting."""
    gate = _gate(request)
    if gate:
        return gate
    answer, done = PENDING_ANSWERS[action]
    try:
        declaration = answer(actor=request.user, declaration_id=pk)
    except (NotFound, Forbidden):
        raise  # another account's report, or a house not given to a sub-account: its own page
    except DomainError as exc:  # answered or withdrawn meanwhile (another tab, the tenant): say so
        messages.error(request, exc.message)
        return redirect("registrations:pending")
    messages.success(request, str(done) % {"name": declaration.name, "reference": declaration.reference})
    return redirect("registrations:pending")


def _confirm_page(request, declaration, *, title: str, text: str, button: str, back: str, tab: str = ""):
    """Asks before a step the user cannot take back, with what it concerns. `tab`: the window's title
    where the heading names a person (a title stays in the browser's history; an outsider's did)."""
    context = {"title": title, "tab": tab or title, "text": text, "button": button, "back": back}
    context.update(_declaration_rows(declaration))
    return render(request, "registrations/confirm_action.html", context)


@login_required
def pending_decline(request, pk: int):
    """Asks first (the tenant is told, and has to report again), then declines."""
    if request.method == "POST":
        return pending_answer(request, pk, "decline")
    gate = _gate(request)
    if gate:
        return gate
    report = selectors.pending_reports_for(actor=request.user).filter(pk=pk).first()
    if report is None:  # answered or withdrawn meanwhile, or not the caller's to answer
        messages.error(request, _("This report is no longer waiting for your answer."))
        return redirect("registrations:pending")
    return _confirm_page(
        request,
        report,
        title=_("Decline %(name)s's report?") % {"name": report.name},
        tab=_("Decline a tenant's report?"),
        text=_(
            "Decline only if this person does not live at %(house)s. No residence registration is "
            "recorded, and they are told that you declined; they may report again."
        )
        % {"house": report.house.full_address},
        button=_("Decline the report"),
        back=reverse("registrations:pending"),
    )


@login_required
def declaration_withdraw(request, pk: int):
    """Asks first, then withdraws the tenant's own waiting report."""
    gate = _gate(request)
    if gate:
        return gate
    if request.method == "POST":
        declaration = services.declaration_withdraw(actor=request.user, declaration_id=pk)
        messages.success(request, _("Report %(reference)s is withdrawn.") % {"reference": declaration.reference})
        return redirect("registrations:declaration", pk=pk)
    declaration = get_object_or_404(
        Declaration.objects.select_related("house__street", "registration"),
        pk=pk,
        declared_by=request.user,
        declarant_type=DeclarantType.TENANT,
    )
    if declaration.status != Declaration.Status.PENDING:
        messages.error(request, _("This report has already been answered or withdrawn."))
        return redirect("registrations:declaration", pk=pk)
    return _confirm_page(
        request,
        declaration,
        title=_("Withdraw report %(reference)s?") % {"reference": declaration.reference},
        text=_(
            "The house's holder will no longer be asked to confirm it, and no residence registration "
            "is recorded. You can report your move-in again."
        ),
        button=_("Withdraw the report"),
        back=reverse("registrations:declaration", args=[pk]),
    )


# Organisations: the dashboard and sub-accounts ------------------------------------------------


def organisation_dashboard(user) -> dict:
    """What the organisation's account page shows once the organisation is active."""
    late = selectors.declarations_for(actor=user, late=True)
    return {
        # The first houses; the houses page has them all, a page at a time.
        "houses": list(selectors.houses_with_occupants(actor=user)[:DASHBOARD_HOUSES]),
        "house_count": selectors.houses_for(actor=user).count(),
        "occupant_count": selectors.occupants_of(actor=user).count(),  # all of them, not the first houses'
        "houses_shown": DASHBOARD_HOUSES,
        "pending": [_declaration_rows(d) for d in selectors.pending_reports_for(actor=user)[:50]],
        "late": [_declaration_rows(d) for d in late[:DASHBOARD_LATE]],
        # All of them: the table shows the newest few (an outsider read 50 rows as "50 are late").
        "late_count": late.count(),
        "late_shown": DASHBOARD_LATE,
        "sub_account_count": selectors.sub_accounts_of(organisation=user).filter(is_active=True).count(),
    }


@login_required
def sub_accounts(request):
    gate = _gate(request)
    if gate:
        return gate
    user = request.user
    services.administrator_required(user)
    own_houses = list(selectors.houses_for(actor=user)[:2000])
    form = SubAccountForm(request.POST or None, houses=own_houses)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.sub_account_create(
                actor=user,
                username=data["username"],
                password=data["password"],
                phone=data["phone"],
                houses=[int(h) for h in data["houses"]],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("Sub-account %(name)s created.") % {"name": created.username})
            return redirect("registrations:sub_accounts")
    return render(
        request,
        "registrations/sub_accounts.html",
        {"form": form, "accounts": selectors.sub_accounts_of(organisation=user)},
        status=status if form.errors else 200,
    )


def _active_sub_account(request, pk: int):
    """The administrator's active sub-account `pk`, or the page that says why not (404 if none)."""
    gate = _gate(request)
    if gate:
        return gate
    services.administrator_required(request.user)
    account = selectors.sub_accounts_of(organisation=request.user).filter(pk=pk).first()
    if account is None:
        raise Http404
    if not account.is_active:
        # Said, not a bare 404: another tab may have ended it (an outsider's save met a 404).
        return error_page(
            request,
            _("Sub-account %(name)s is deactivated: it declares for no house.") % {"name": account.username},
            409,
            back=reverse("registrations:sub_accounts"),
            back_label=_("Back to the sub-accounts"),
        )
    return account


@login_required
def sub_account_houses(request, pk: int):
    """The houses a sub-account declares for, ticked, to change."""
    account = _active_sub_account(request, pk)
    if isinstance(account, HttpResponse):
        return account
    given = [str(house.pk) for house in account.assigned_houses.all()]
    own_houses = list(selectors.houses_for(actor=request.user)[:2000])
    form = SubAccountHousesForm(request.POST or None, houses=own_houses, initial={"houses": given})
    if request.method == "POST" and form.is_valid():
        try:
            services.sub_account_houses_set(
                actor=request.user, account_id=pk, houses=[int(h) for h in form.cleaned_data["houses"]]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The houses of %(name)s are saved.") % {"name": account.username})
            return redirect("registrations:sub_accounts")
    return render(
        request,
        "registrations/sub_account_houses.html",
        {"form": form, "account": account},
        status=400 if form.errors else 200,
    )


@login_required
def sub_account_deactivate(request, pk: int):
    """Asks first (what ending the sub-account does), then ends it."""
    account = _active_sub_account(request, pk)
    if isinstance(account, HttpResponse):
        return account
    if request.method == "POST":
        services.sub_account_deactivate(actor=request.user, account_id=pk)
        messages.success(request, _("Sub-account %(name)s is deactivated.") % {"name": account.username})
        return redirect("registrations:sub_accounts")
    return render(request, "registrations/sub_account_deactivate.html", {"account": account})


# Bulk declarations --------------------------------------------------------------------------


OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _read_file(upload) -> str:
    """The uploaded file as CSV text: a CSV in UTF-8 or GB18030, or the first sheet of an XLSX
    workbook (the issue: "a CSV (or XLSX)"), each cell as its text, dates as YYYY-MM-DD."""
    raw = upload.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise services.TooManyRows(_("The file is larger than 5 MB: send at most 10,000 rows per file."))
    if raw[:4] == b"PK\x03\x04":
        return _xlsx_as_csv(raw)
    if raw[:8] == OLE_SIGNATURE:
        # An old .xls workbook, or an .xlsx saved with a password: both are OLE files (an outsider
        # was told "line 1 is not GB18030 text").
        raise Invalid(
            fields={
                "file": [
                    _(
                        "This is an old .xls workbook, or one saved with a password: save it as .xlsx without "
                        "a password, or as CSV, and send it again."
                    )
                ]
            }
        )
    try:
        return decode(raw)
    except ValidationError as e:
        raise Invalid(fields={"file": e.messages}) from None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_as_csv(raw: bytes) -> str:
    """The first sheet as CSV text. A workbook is a ZIP: its parts' unpacked sizes are checked
    first (an outsider's 880 KB file held a cell of 900 million characters, which took a worker
    to 1 GB); a ZIP's reader stops at the size a part declares, so the declaration holds."""
    unreadable = Invalid(fields={"file": [_("The file is not a readable XLSX workbook.")]})
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise unreadable from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise Invalid(
            fields={
                "file": [_("The workbook holds far more data than 10,000 rows: check it, or send it as a CSV file.")]
            }
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise unreadable from None
    try:
        return _sheet_as_csv(workbook)
    except DomainError:
        raise
    except Exception:  # a read-only workbook is parsed as it is read: a damaged sheet fails here
        raise unreadable from None
    finally:
        workbook.close()


def _sheet_as_csv(workbook) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # Bounded by the file's shape, not by what the sheet declares: a 1.6 KB workbook claiming
    # A1:XFD1048576, or one cell at column XFD, had every row padded to 16,384 cells (an outsider).
    rows = workbook.worksheets[0].iter_rows(
        max_row=services.BULK_MAX_ROWS + 2, max_col=len(services.BULK_HEADER) + 1, values_only=True
    )
    width = len(services.BULK_HEADER)
    id_column = services.BULK_HEADER.index("id_number")
    for count, row in enumerate(rows):
        if count > services.BULK_MAX_ROWS:
            raise services.TooManyRows()
        cells = list(row)
        value = cells[id_column] if len(cells) > id_column else None
        if count and isinstance(value, int | float) and not isinstance(value, bool):
            # Excel keeps 15 significant digits of a number: the ID's last digits are gone already.
            raise Invalid(
                fields={
                    "file": [
                        _(
                            "Line %(line)d: the id_number column holds numbers, and Excel keeps only 15 digits "
                            "of a number. Format the column as text, type the ID numbers again, and send the file."
                        )
                        % {"line": count + 1}
                    ]
                }
            )
        while len(cells) > width and cells[-1] is None:  # the one column read past the header's, if empty
            cells.pop()
        writer.writerow([_cell(value) for value in cells])
    return out.getvalue()


def _bulk_gate(request):
    gate = _gate(request)
    if gate:
        return gate
    if request.user.kind not in (Kind.ORGANISATION, Kind.SUB_ACCOUNT, Kind.INDIVIDUAL):
        raise Http404
    return None


@login_required
def bulk(request):
    gate = _bulk_gate(request)
    if gate:
        return gate
    form = BulkForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        started = time.monotonic()
        try:
            text = _read_file(form.cleaned_data["file"])
            upload = services.bulk_check(actor=request.user, text=text)
        except services.TooManyRows as exc:
            message = exc.message
            if message == str(services.TooManyRows.default_message):
                message = _("The file has more than 10,000 rows: split it into files of at most 10,000 rows each.")
            form.add_error("file", message)
            status = 413
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.info(
                request,
                ngettext(
                    "Checked %(rows)d row in %(seconds).1f seconds. Nothing has been applied yet.",
                    "Checked %(rows)d rows in %(seconds).1f seconds. Nothing has been applied yet.",
                    upload.rows,
                )
                % {"rows": upload.rows, "seconds": time.monotonic() - started},
            )
            return redirect("registrations:bulk_report", upload.pk)
    return render(
        request,
        "registrations/bulk.html",
        {"form": form, "header": ",".join(services.BULK_HEADER), "max_rows": services.BULK_MAX_ROWS},
        status=status,
    )


def _upload_or_404(request, pk: int):
    upload = selectors.bulk_upload_for(actor=request.user, pk=pk)
    if upload is None:
        raise Http404
    return upload


@login_required
def bulk_report(request, pk: int):
    gate = _bulk_gate(request)
    if gate:
        return gate
    upload = _upload_or_404(request, pk)
    return render(
        request,
        "registrations/bulk_report.html",
        {"upload": upload, "valid": len(upload.valid), "problems": upload.problems()},
    )


@login_required
def bulk_template(request):
    """The header line as a file to fill in (an outsider found only a description of it); with
    a BOM, so that Excel opens it as UTF-8."""
    gate = _bulk_gate(request)
    if gate:
        return gate
    response = HttpResponse(
        ("\ufeff" + ",".join(services.BULK_HEADER) + "\r\n").encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="bulk-declarations.csv"'
    return response


@login_required
def bulk_report_csv(request, pk: int):
    gate = _bulk_gate(request)
    if gate:
        return gate
    upload = _upload_or_404(request, pk)
    out = io.StringIO()
    writer = csv.writer(out)
    # In the reader's language, as the page it comes from (an outsider's Chinese report had English columns).
    writer.writerow([_("Line"), _("Result"), _("Reason")])
    rows = [(row["line"], _("Valid"), "") for row in upload.valid]
    rows += [(row["line"], _("Invalid"), row["reason"]) for row in upload.problems()]
    for row in sorted(rows):
        writer.writerow(row)
    response = HttpResponse(("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bulk-report-{upload.pk}.csv"'
    return response


@login_required
@require_POST
def bulk_confirm(request, pk: int):
    gate = _bulk_gate(request)
    if gate:
        return gate
    upload = _upload_or_404(request, pk)
    try:
        services.bulk_confirm(actor=request.user, upload_id=upload.pk)
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            return error_page(request, exc.message)
        upload.refresh_from_db()
        return render(
            request,
            "registrations/bulk_report.html",
            {"upload": upload, "valid": len(upload.valid), "problem": exc.message},
            status=exc.status,
        )
    return redirect("registrations:bulk_done", upload.pk)


@login_required
def bulk_done(request, pk: int):
    gate = _bulk_gate(request)
    if gate:
        return gate
    upload = _upload_or_404(request, pk)
    if upload.applied_at is None:
        return redirect("registrations:bulk_report", upload.pk)
    return render(request, "registrations/bulk_done.html", {"upload": upload})
