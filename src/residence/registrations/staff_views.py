"""The counter's residence registration pages (clerks of a registration point): find a house,
declare for a walk-in declarant, confirm a house flagged for confirmation, print the receipt.
Every change goes through `services`; a domain error is shown on the page with its status."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from residence.accounts.models import Kind, Role
from residence.applications.receipts import pdf_response
from residence.audit.services import personal_data_viewed
from residence.core import clock
from residence.core.errors import DomainError
from residence.core.validators import mask_id_number
from residence.web.pages import changed_in_another_window, error_page, nothing_to_send

from . import rules, selectors, services
from .codes import OCCUPATIONS, REASONS
from .forms import CounterDeclarationForm, CounterFindForm, HouseConfirmForm
from .models import DeclarantType, Declaration
from .receipts import declaration_receipt_pdf
from .views import _bound

COUNTER_DRAFT = "registration_counter_draft"


def _clerk(request):
    user = request.user
    if user.kind != Kind.STAFF:
        return redirect("web:account")
    if user.role != Role.CLERK:
        return error_page(request, _("Only a clerk at a registration point takes declarations."))
    return None


def _house(pk: int):
    house = selectors.houses_at(house=pk).first()
    if house is None:
        raise Http404
    return house


def _districts_house(request, pk: int):
    """(house, None), or (None, the refusal page) for a house of another district, or one not yet
    confirmed: refused before the form, not after it is filled in (an outsider's clerk typed a
    whole walk-in declaration to be refused at the end), and another district's building, room
    and address are not shown (an outsider's clerk read other districts' homes by counting ids)."""
    house = _house(pk)
    try:
        services.in_clerks_district(request.user, house)
    except DomainError as exc:
        return None, error_page(request, exc.message, exc.status, back=reverse("registrations_desk:home"))
    try:
        return services.declarable_at_counter(house, request.user), None
    except DomainError as exc:
        # The way on is to confirm it (an outsider's clerk was offered only the home page).
        back = reverse("registrations_desk:house_confirm", args=[house.pk])
        return None, error_page(request, exc.message, exc.status, back=back, back_label=_("Confirm the house"))


@login_required
def home(request):
    """Find a house by its id, or by street, building code and room; the houses waiting for a
    clerk's confirmation."""
    gate = _clerk(request)
    if gate:
        return gate
    form = CounterFindForm(request.GET or None)
    district = services.clerks_district(request.user)
    found = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        found = list(
            selectors.houses_at(
                house=data["house"],
                street=data["street"],
                building_code=data["building_code"].strip(),
                room=data["room"].strip(),
            )
        )
    return render(
        request,
        "registrations_desk/home.html",
        {
            "form": form,
            "found": found,
            "district": district,
            "waiting": selectors.houses_awaiting_confirmation(district=district)[:100],
            "late": selectors.late_declarations(district=district, since=clock.today() - LATE_SHOWN)[:100],
            "late_days": LATE_SHOWN.days,
        },
    )


# How far back the desk lists late declarations.
LATE_SHOWN = dt.timedelta(days=30)


@login_required
def house_confirm(request, pk: int):
    """The house, its holder and any other account holding the same room, and the papers the
    clerk says were seen; then the confirmation (an outsider had a second holder confirmed in one
    click)."""
    gate = _clerk(request)
    if gate:
        return gate
    house = _house(pk)
    form = HouseConfirmForm(request.POST if request.method == "POST" else None)
    try:
        if request.method == "POST" and form.is_valid():
            house = services.house_confirm(actor=request.user, house_id=pk)
            messages.success(
                request, _("House %(name)s %(room)s is confirmed.") % {"name": house.building_name, "room": house.room}
            )
            return redirect("registrations_desk:home")
        if house.confirmed:
            messages.info(request, _("This house is already confirmed."))
            return redirect(f"{reverse('registrations_desk:home')}?house={house.pk}")
        services.in_clerks_district(request.user, house)
    except DomainError as exc:
        return error_page(request, exc.message, exc.status)
    others = selectors.other_holders(house)
    # The holders' names and the home's address, shown to the clerk: on record as any other look.
    for holder in (house.owner, *(other.owner for other in others)):
        personal_data_viewed(
            actor=request.user,
            subject=holder,
            address=request.client_address,
            what="house",
            house=house.pk,
        )
    return render(request, "registrations_desk/house_confirm.html", {"house": house, "others": others, "form": form})


def _draft(request, pk: int) -> dict:
    draft = request.session.get(COUNTER_DRAFT)
    if isinstance(draft, dict) and draft.get("user") == request.user.pk and draft.get("house") == pk:
        return draft
    return {"user": request.user.pk, "house": pk, "data": {}, "errors": {}}


def _payload(pk: int, data: dict) -> tuple[dict, dict]:
    declarant = {
        "name": data["declarant_name"],
        "id_number": data["declarant_id_number"],
        "phone": data["declarant_phone"],
    }
    if data["kind"] == "move_out":
        body = {"house": pk, "kind": "move_out", "person": {"id_number": data["id_number"]}, "date": data["date"]}
    else:
        body = {
            "house": pk,
            "kind": "move_in",
            "person": {"name": data["name"], "id_number": data["id_number"], "phone": data["phone"]},
            "declarant_type": data["declarant_type"],
            "occupation": data["occupation"],
            "reason": data["reason"],
            "date": data["date"],
        }
    return body, declarant


@login_required
def declare(request, pk: int):
    gate = _clerk(request)
    if gate:
        return gate
    house, refused = _districts_house(request, pk)
    if refused:
        return refused
    draft = _draft(request, pk)
    if request.method == "POST":
        form = CounterDeclarationForm(request.POST)
        if form.is_valid():
            data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in form.cleaned_data.items()}
            request.session[COUNTER_DRAFT] = {**draft, "data": data, "errors": {}}
            return redirect("registrations_desk:declare_check", pk)
    elif draft["errors"]:
        form = _bound(CounterDeclarationForm, draft["data"], draft["errors"])
    else:
        form = CounterDeclarationForm(initial=draft["data"] or {"kind": "move_in"})
    return render(
        request,
        "registrations_desk/declare.html",
        {"form": form, "house": house},
    )


@login_required
def declare_check(request, pk: int):
    gate = _clerk(request)
    if gate:
        return gate
    house, refused = _districts_house(request, pk)
    if refused:
        return refused
    draft = _draft(request, pk)
    data = draft["data"]
    if not data:
        return nothing_to_send(request, "registrations_desk:home") or redirect("registrations_desk:declare", pk)
    change = reverse("registrations_desk:declare", args=[pk])
    # Everything that will be recorded, the phones and the declarant's capacity too (an outsider's
    # clerk could not check them before recording).
    rows = [
        (_("Declarant"), f"{data['declarant_name']} · {mask_id_number(data['declarant_id_number'])}"),
        (_("Declarant's mobile number"), data.get("declarant_phone") or ""),
        (_("Declaration"), _("Move-in") if data["kind"] == "move_in" else _("Move-out")),
        (_("Resident"), f"{data.get('name') or ''} {mask_id_number(data['id_number'])}".strip()),
        (_("Date of the move"), data["date"]),
    ]
    if data["kind"] == "move_in":
        rows += [
            (_("Resident's mobile number"), data.get("phone") or ""),
            (_("Declared as"), dict(DeclarantType.choices).get(data.get("declarant_type"), "")),
            (_("Occupation"), OCCUPATIONS.get(data.get("occupation"), "")),
            (_("Reason for coming"), REASONS.get(data.get("reason"), "")),
        ]
    context = {
        "title": _("Check the declaration before recording it"),
        "house": house,
        "rows": rows,
        "change": change,
        "back": change,
        "submit": _("Record the declaration"),
        "desk": True,
    }
    if changed_in_another_window(request, context, data):
        return render(request, "registrations/check.html", context, status=409)
    if request.method == "POST":
        body, declarant = _payload(pk, data)
        try:
            declaration = services.declaration_create(actor=request.user, data=body, declarant=declarant)
        except DomainError as exc:
            if exc.fields:
                request.session[COUNTER_DRAFT] = {**draft, "errors": exc.fields}
                return redirect(change)
            context["problem"] = exc.message
            return render(request, "registrations/check.html", context, status=exc.status)
        request.session.pop(COUNTER_DRAFT, None)
        return redirect("registrations_desk:declaration", declaration.pk)
    return render(request, "registrations/check.html", context)


def _declaration(request, pk: int):
    declaration = selectors.declaration_at_counter(pk=pk)
    # A clerk reads the declarations of their own district's houses, as they act for those only.
    if declaration is None or declaration.house.street.district_id != services.clerks_district(request.user):
        raise Http404
    personal_data_viewed(
        actor=request.user,
        person=declaration.id_number,
        address=request.client_address,
        what="declaration",
        declaration=declaration.reference,
    )
    return declaration


@login_required
def declaration(request, pk: int):
    gate = _clerk(request)
    if gate:
        return gate
    found = _declaration(request, pk)
    return render(
        request,
        "registrations_desk/declaration.html",
        {
            "declaration": found,
            "id_number_masked": mask_id_number(found.id_number),
            "occupation_label": OCCUPATIONS.get(found.occupation, ""),
            "reason_label": REASONS.get(found.reason, ""),
            "allowance": rules.ALLOWANCE_DAYS.get(found.declarant_type or "landlord", 7),
        },
    )


@login_required
def receipt(request, pk: int):
    gate = _clerk(request)
    if gate:
        return gate
    found = _declaration(request, pk)
    if found.status != Declaration.Status.RECORDED:
        # A tenant's report waiting, declined or withdrawn registered nobody (an outsider printed
        # a "居住登记回执" for a withdrawn one).
        return error_page(
            request,
            _("Declaration %(reference)s is not recorded (%(status)s): it has no receipt.")
            % {"reference": found.reference, "status": found.get_status_display()},
            409,
            back=reverse("registrations_desk:declaration", args=[found.pk]),
        )
    return pdf_response(declaration_receipt_pdf(found), f"registration-{found.reference}.pdf")
