"""The supervisor's read-only view of the audit trail: who did what to whom, and when."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from residence.accounts.models import Kind, Role
from residence.web.pages import error_page

from . import selectors
from .forms import AuditSearchForm
from .services import personal_data_viewed


@login_required
def trail(request):
    user = request.user
    if user.kind != Kind.STAFF or user.role != Role.SUPERVISOR:
        message = _("Only supervisors may read the audit trail.")
        return error_page(request, message)
    form = AuditSearchForm(request.POST or None)
    # Older events: the search sent again from the last one shown (a page of the newest only left
    # an outsider's earliest events out of reach, whatever the filters).
    raw = request.POST.get("before", "")
    before = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None
    if request.method != "POST":
        events = list(selectors.audit_events())
    elif form.is_valid():
        data = form.cleaned_data
        events = list(selectors.audit_events(**data, before=before))  # read before this search is recorded
        # Who looked at a person is itself a look at that person, by number or by account.
        person = data["id_number"] or (data["username"] and selectors.account_person_number(data["username"]))
        if person:
            personal_data_viewed(actor=user, person=person, address=request.client_address, what="audit_trail")
    else:
        events = []
    more = len(events) > selectors.AUDIT_PAGE
    events = events[: selectors.AUDIT_PAGE]
    return render(
        request,
        "audit/trail.html",
        {"form": form, "events": events, "page": selectors.AUDIT_PAGE, "older": events[-1].pk if more else None},
    )
