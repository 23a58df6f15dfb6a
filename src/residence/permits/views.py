"""The citizen's permit pages: "My residence permit" (the card, status, endorsement window,
history), online endorsement with a confirmation step and its result, and the public validity
check. Writes only through `services`; reads through `selectors`."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from residence.accounts.forms import add_domain_error
from residence.accounts.models import Department
from residence.accounts.models import Kind as AccountKind
from residence.applications.selectors import open_application_for_person
from residence.core.errors import Conflict, DomainError, NotFound
from residence.web.pages import error_page

from . import rules, selectors, services
from .forms import PermitCheckForm
from .models import Endorsement, Permit


def _holder_gate(request):
    """None when the user may see and endorse their own permits; else the page saying why not."""
    user = request.user
    if user.kind != AccountKind.INDIVIDUAL:
        return error_page(request, _("Only a personal account holds a residence permit."))
    if user.person_id is None:
        return render(request, "permits/verify_first.html", status=403)
    return None


def _own(request, number: str) -> Permit:
    permit = selectors.permit_for_holder(user=request.user, number=number)
    if permit is None:
        raise Http404
    return permit


@login_required
def mine(request):
    gate = _holder_gate(request)
    if gate:
        return gate
    id_number = request.user.person.id_number
    permits = selectors.permit_list_for_person(id_number=id_number)
    # The application on its way (an outsider was offered to apply again, with no word of the one
    # submitted; another, a replacement while the one paid for was open).
    open_application = open_application_for_person(id_number=id_number)
    cards = [selectors.permit_card(p) for p in permits]
    return render(
        request,
        "permits/mine.html",
        {
            "cards": cards,
            "open_application": open_application,
            # A cancelled card offers a re-application only while the person holds no live permit
            # (an outsider's old card still offered one after the new permit came).
            "holds_live": any(card["permit"].status != "cancelled" for card in cards),
        },
    )


@login_required
def endorse(request, number: str):
    """The confirmation step (GET), then the endorsement (POST) through the service."""
    gate = _holder_gate(request)
    if gate:
        return gate
    permit = _own(request, number)
    context = {"card": selectors.permit_card(permit), "problem": ""}
    if request.method == "POST":
        try:
            endorsement = services.endorsement_request(actor=request.user, number=permit.number, channel="online")
        except NotFound:
            raise Http404 from None
        except Conflict as exc:
            context["problem"] = exc.message  # outside the window: the message names its dates
            context["card"] = selectors.permit_card(Permit.objects.get(pk=permit.pk))
            return render(request, "permits/endorse.html", context, status=409)
        except DomainError as exc:
            context["problem"] = exc.message
            return render(request, "permits/endorse.html", context, status=exc.status)
        return redirect("permits:endorsement", permit.number, endorsement.pk)
    return render(request, "permits/endorse.html", context)


def endorsement_context(endorsement: Endorsement) -> dict:
    return {
        "endorsement": endorsement,
        # The last day valid, as the permit page says it (suspended from endorsed_until on).
        "valid_through": rules.last_valid_day(endorsement.endorsed_until) if endorsement.endorsed_until else None,
        "reasons": services.shown_reasons(endorsement.reasons),
        "department": Department(endorsement.department).label if endorsement.department in Department.values else "",
    }


@login_required
def endorsement(request, number: str, pk: int):
    gate = _holder_gate(request)
    if gate:
        return gate
    found = selectors.endorsement_for_holder(user=request.user, number=number, endorsement_id=pk)
    if found is None:
        raise Http404
    return render(request, "permits/endorsement.html", {**endorsement_context(found), "permit": found.permit})


def check(request):
    """Public: is this permit valid? Number and name in, only valid / suspended / cancelled out.
    The same selector (and rate limit per address) as POST /api/v1/permits/check."""
    result, status = None, 200
    if request.method == "POST":
        form = PermitCheckForm(request.POST)
        if form.is_valid():
            try:
                result = selectors.permit_check(
                    number=form.cleaned_data["number"],
                    name=form.cleaned_data["name"],
                    address=request.client_address,
                )
            except NotFound:
                result, status = "not_found", 404
            except DomainError as exc:
                add_domain_error(form, exc)  # a full-width number: said at the number field
                status = exc.status
        else:
            status = 400
    else:
        form = PermitCheckForm()
    return render(
        request,
        "permits/check.html",
        {"form": form, "result": result, "again": reverse("permits:check")},
        status=status,
    )
