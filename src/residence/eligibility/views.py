from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from residence.accounts.forms import add_domain_error
from residence.accounts.models import Kind
from residence.applications.selectors import open_application_of
from residence.core import clock
from residence.core.errors import DomainError

from . import rules
from .forms import ROUTE_CHOICES, SelfCheckForm
from .services import check_allowed, eligibility_check

CONDITION_LABELS = {
    "identity": _("Identity"),
    "residence": _("Residence"),
    "employment": _("Employment"),
    "talent": _("Talent"),
    "education": _("Education"),
}


def _headline(answer: dict, *, past: bool, future: bool, staff: bool) -> str:
    """The answer in a few words: the result's heading and the page's title."""
    if staff:
        if answer["eligible"]:
            return _("The person qualifies on this route on %(day)s") % {"day": answer["date"]}
        return _("The person does not qualify on this route on %(day)s") % {"day": answer["date"]}
    if past:
        return (
            _("You qualified on this route on that day") if answer["eligible"] else _("You did not qualify on that day")
        )
    if future:
        return (
            _("You would qualify on this route on that day")
            if answer["eligible"]
            else _("You would not qualify on that day")
        )
    if answer["eligible"]:
        return _("You qualify on this route")
    return _("You do not qualify yet") if answer["earliest_eligible_date"] else _("You do not qualify on this route")


def _for_display(answer: dict, *, staff: bool) -> dict:
    past, future = answer["date"] < clock.today().isoformat(), answer["date"] > clock.today().isoformat()
    return {
        **answer,
        # The page's title too, the first thing a screen reader says of it (an outsider's said the
        # form's title only).
        "headline": _headline(answer, past=past, future=future, staff=staff),
        "route_label": dict(ROUTE_CHOICES)[answer["route"]],
        "conditions": [{**c, "label": CONDITION_LABELS[c["name"]]} for c in answer["conditions"]],
        "identity_met": all(c["met"] for c in answer["conditions"] if c["name"] == "identity"),
        # A check for a day gone by is told in the past (an outsider's 2025 check said "you qualify
        # on" a day long past, and offered to apply).
        "past": past,
        # And one for a day to come in the future: no "apply" before it (an outsider's was offered one).
        "future": future,
    }


@login_required
def self_check(request):
    user = request.user
    check_allowed(user)  # an organisation's account is refused the page, not only its answer
    initial = {"name": user.person.name, "id_number": user.person.id_number} if user.person_id else {}
    form = SelfCheckForm(request.POST or None, initial=initial)
    answer = None
    if request.method == "POST" and form.is_valid():
        try:
            checked = eligibility_check(user=user, address=request.client_address, **form.cleaned_data)
            answer = _for_display(checked, staff=user.kind == Kind.STAFF)
            # The number alone says who cannot apply (its condition's detail says why): no advice to
            # check a name and number that are right (an outsider's Hong Kong resident was given it).
            answer["number_excluded"] = rules.excluded_by_id_number(form.cleaned_data["id_number"]) is not None
        except DomainError as exc:
            add_domain_error(form, exc)
    # Applying leads to the application in progress, if any (an outsider's "Apply" ended at a refusal).
    in_progress = answer and open_application_of(user)
    return render(
        request,
        "eligibility/self_check.html",
        {
            "form": form,
            "answer": answer,
            "open_application": in_progress,
            "staff": user.kind == Kind.STAFF,
        },
    )
