"""The staff desk's permit pages: a clerk finds a permit (by number or ID number) and endorses it
at the counter; a department verifier answers the endorsements waiting for the department's
check. Writes only through `services`; a domain error is shown with its status, never a 500."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from residence.accounts.models import Kind, Role
from residence.audit.services import personal_data_viewed
from residence.core import limits
from residence.core.errors import DomainError, page_message
from residence.core.validators import mask_id_number, sentences
from residence.notifications.catalogue import reasons_text
from residence.web.pages import error_page

from . import rules, selectors, services
from .forms import REVOKE_LABELS, EndorsementAnswerForm, PermitFindForm, RevokeFindForm
from .views import endorsement_context

REVOCATIONS_SHOWN = 200


def _role(request, role: str):
    user = request.user
    return user if user.kind == Kind.STAFF and user.role == role else None


@login_required
def counter(request):
    """Find a permit and endorse it at the counter (clerks)."""
    user = _role(request, Role.CLERK)
    if user is None:
        return error_page(request, _("Only a counter clerk can endorse a permit at the counter."))
    # The clerk's search (an ID number, a name) comes by POST, kept out of URLs, the browser's
    # history and the logs; a permit's number comes back in the URL after an endorsement.
    data = request.POST if request.method == "POST" else request.GET if "q" in request.GET else None
    form = PermitFindForm(data)
    cards = []
    if form.is_bound and form.is_valid():
        try:
            limits.hit(
                "counter_permit_lookups",
                str(user.pk),
                limit=settings.LIMIT_COUNTER_PERMIT_LOOKUPS_PER_DAY,
                window=limits.DAILY,
            )
        except DomainError as exc:
            return error_page(request, page_message(exc), exc.status)
        searched = selectors.searched_id_number(form.cleaned_data["q"])
        if searched:
            # Recorded found or not: "no permit" also tells the clerk something of that person.
            personal_data_viewed(
                actor=user,
                person=searched,
                address=request.client_address,
                what="permit_search",
            )
        for permit in selectors.permit_find(text=form.cleaned_data["q"]):
            personal_data_viewed(
                actor=user,
                person=permit.id_number,
                address=request.client_address,
                what="permit",
                permit=permit.number,
            )
            cards.append(selectors.permit_card(permit))
    return render(
        request,
        "permits/desk_counter.html",
        {"form": form, "cards": cards, "searched": form.is_bound and form.is_valid()},
    )


@login_required
@require_POST
def counter_endorse(request, number: str):
    user = _role(request, Role.CLERK)
    if user is None:
        return error_page(request, _("Only a counter clerk can endorse a permit at the counter."))
    back = reverse("desk_permits:counter") + "?q=" + number[:40]
    try:
        endorsement = services.endorsement_request(
            actor=user,
            number=number[:40],
            channel="counter",
            identity_checked=request.POST.get("identity_checked") == "on",
        )
    except DomainError as exc:
        messages.error(request, next(iter(exc.fields.values()), [exc.message])[0])
        return redirect(back)
    context = endorsement_context(endorsement)
    if endorsement.outcome == "granted":
        text = _("Endorsed at the counter: %(number)s is valid through %(date)s.") % {
            "number": endorsement.permit.number,
            "date": rules.last_valid_day(endorsement.endorsed_until).isoformat(),
        }
        messages.success(request, text)
    elif endorsement.outcome == "refused":
        messages.error(request, _("Refused: %(reasons)s") % {"reasons": reasons_text(context["reasons"])})
    else:  # pending: a department checks first (an outsider's clerk was told "Confirmed")
        text = _(
            "Sent for a check by %(department)s: %(number)s is not endorsed yet; the answer is due by %(date)s, "
            "and the holder is told it."
        ) % {
            "department": context["department"],
            "number": endorsement.permit.number,
            "date": endorsement.due_on.isoformat(),
        }
        messages.info(request, text)
    return redirect(back)


def _checks_page(request, user, sent=None, status: int = 200):
    """The checks page; `sent`, a check's form sent with problems, shown at its own permit's card
    with what was typed (an outsider's note was lost, the problem said only at the top)."""
    items = [
        {
            **endorsement_context(e),
            "reasons": services.reasons_to_check(e),
            "form": sent
            if sent is not None and sent.prefix == f"e{e.pk}"
            else EndorsementAnswerForm(prefix=f"e{e.pk}"),
        }
        for e in selectors.endorsement_checks_for_department(department=user.department)[:100]
    ]
    return render(request, "permits/desk_checks.html", {"items": items}, status=status)


@login_required
def checks(request):
    """The endorsements waiting for the verifier's department, soonest due first."""
    user = _role(request, Role.VERIFIER)
    if user is None:
        return error_page(request, _("Only a department verifier answers endorsement checks."))
    return _checks_page(request, user)


@login_required
@require_POST
def answer(request, pk: int):
    user = _role(request, Role.VERIFIER)
    if user is None:
        return error_page(request, _("Only a department verifier answers endorsement checks."))
    form = EndorsementAnswerForm(request.POST, prefix=f"e{pk}")
    if not form.is_valid():
        return _checks_page(request, user, sent=form, status=400)
    try:
        endorsement = services.endorsement_answer(
            actor=user, endorsement_id=pk, confirmed=form.cleaned_data["confirmed"], note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        if exc.status != 400:  # answered meanwhile, or not this department's: said at the top
            texts = [str(t) for ts in exc.fields.values() for t in ts] or [exc.message]
            messages.error(request, sentences(texts))
            return redirect("desk_permits:checks")
        for field, problems in exc.fields.items() or [(None, [exc.message])]:
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        return _checks_page(request, user, sent=form, status=400)
    if endorsement.outcome == "pending":
        text = _("Confirmed: the check of %(number)s passes to the next department.") % {
            "number": endorsement.permit.number
        }
        messages.success(request, text)
    elif endorsement.outcome == "granted":
        text = _("Confirmed: %(number)s is valid through %(date)s.") % {
            "number": endorsement.permit.number,
            "date": rules.last_valid_day(endorsement.endorsed_until).isoformat(),
        }
        messages.success(request, text)
    else:
        messages.success(request, _("Not confirmed: the holder is told why."))
    return redirect("desk_permits:checks")


@login_required
def revocations(request):
    """The police reviewer's cancellations for the other grounds of RULES §10: the permits whose
    holders took Shenzhen hukou, listed, and any permit by its number (fraud, another law)."""
    user = _role(request, Role.REVIEWER)
    if user is None:
        return error_page(request, _("Only a police reviewer can cancel a permit."))
    form = RevokeFindForm(request.GET if "number" in request.GET else None)
    status = 200
    if form.is_bound and form.is_valid():
        if selectors.permit_find_by_number(form.cleaned_data["number"]) is not None:
            query = urlencode({"reason": form.cleaned_data["reason"]})
            return redirect(reverse("desk_permits:revoke", args=[form.cleaned_data["number"]]) + "?" + query)
        # Said on the form, with what was typed (an outsider's mistyped number lost the form).
        form.add_error("number", _("No permit has this number."))
        status = 404
    hukou = [
        {"permit": selectors.as_of_today(p), "id_number_masked": mask_id_number(p.id_number)}
        for p in selectors.permits_of_hukou_holders()[:REVOCATIONS_SHOWN]
    ]
    return render(request, "permits/desk_revocations.html", {"form": form, "hukou": hukou}, status=status)


@login_required
def revoke(request, number: str):
    """Check, then cancel one permit for a ground of RULES §10 (asks first: it cannot be undone)."""
    user = _role(request, Role.REVIEWER)
    if user is None:
        return error_page(request, _("Only a police reviewer can cancel a permit."))
    reason = request.POST.get("reason") or request.GET.get("reason") or ""
    if reason not in REVOKE_LABELS:
        return error_page(
            request, _("Choose the ground of the cancellation."), 400, back=reverse("desk_permits:revocations")
        )
    permit = selectors.permit_find_by_number(number)
    if permit is None:
        return error_page(request, _("No permit has this number."), 404, back=reverse("desk_permits:revocations"))
    try:
        if request.method == "POST":
            services.permit_revoke(actor=user, number=permit.number, reason=reason)
        else:
            services.revoke_ground_check(number=permit.number, reason=reason)
    except DomainError as exc:
        return error_page(request, exc.message, exc.status, back=reverse("desk_permits:revocations"))
    if request.method == "POST":
        messages.success(request, _("Permit %(number)s is cancelled.") % {"number": permit.number})
        return redirect("desk_permits:revocations")
    personal_data_viewed(
        actor=user, person=permit.id_number, address=request.client_address, what="permit", permit=permit.number
    )
    context = {"card": selectors.permit_card(permit), "reason": reason, "reason_label": REVOKE_LABELS[reason]}
    return render(request, "permits/desk_revoke.html", context)
