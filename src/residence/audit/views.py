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
    events = selectors.audit_events()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        events = list(selectors.audit_events(**data))  # read before this search is itself recorded
        if data["id_number"]:
            # Who looked at a person is itself a look at that person.
            personal_data_viewed(
                actor=user,
                person=data["id_number"],
                address=request.client_address,
                what="audit_trail",
            )
    elif request.method == "POST":
        events = []
    return render(request, "audit/trail.html", {"form": form, "events": events, "page": selectors.AUDIT_PAGE})
