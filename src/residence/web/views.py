from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from residence.accounts.forms import PlatformChoice
from residence.accounts.models import Kind, Role, Status
from residence.accounts.selectors import organisation_pending_list
from residence.applications.models import Application
from residence.applications.selectors import open_application_of
from residence.applications.staff_views import queue_url_for
from residence.applications.views import application_summaries, draft_started
from residence.core.errors import NotFound
from residence.core.validators import mask_id_number, mask_phone
from residence.notifications.selectors import message_list
from residence.notifications.services import message_mark_read
from residence.permits.selectors import permits_of_hukou_holders
from residence.registrations.views import organisation_dashboard

from .pages import page_of

MESSAGES_PAGE = 50


@require_http_methods(["GET", "POST"])
def language(request, code: str):
    """The language switch, remembered in the language cookie: a plain link (no script), or,
    signed in, a form (base.html), so that the account's notices follow the language chosen here
    (ADR 0003: an outsider who switched back to Chinese after one English form kept getting
    English SMS, as only forms counted)."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    target = (request.POST if request.method == "POST" else request.GET).get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    if request.method == "POST":
        # AccountLanguageMiddleware stores a signed-in form's language after the view: this
        # form's is the one chosen, not the one of the page it was sent from.
        request.LANGUAGE_CODE = code
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=not settings.DEBUG,
        httponly=True,
    )
    return response


def home(request):
    if request.user.is_authenticated:
        return redirect("web:staff" if request.user.kind == Kind.STAFF else "web:account")
    return render(request, "web/home.html")


def developers(request):
    return render(request, "web/developers.html")


@login_required
def account(request):
    user = request.user
    if user.kind == Kind.STAFF:
        return redirect("web:staff")
    if user.kind == Kind.SUB_ACCOUNT:
        return redirect("registrations:home")
    if user.kind == Kind.ORGANISATION:
        pending = user.status == Status.PENDING
        return render(
            request,
            "web/organisation.html",
            {
                "organisation": user.organisation,
                "pending": pending,
                "dashboard": None if pending else organisation_dashboard(user),
            },
        )
    # The platform chosen at login (RULES §7), or switched to from the other area.
    if request.GET.get("platform") in (PlatformChoice.PERMIT, PlatformChoice.REGISTRATION):
        request.session["platform"] = request.GET["platform"]
    if request.session.get("platform") == PlatformChoice.REGISTRATION:
        return redirect("registrations:home")
    return render(
        request,
        "web/account.html",
        {
            "platform": request.session.get("platform", "permit"),
            "items": application_summaries(user),
            "draft_started": draft_started(user),
            "open_application": open_application_of(user),
        },
    )


@login_required
def details(request):
    user = request.user
    return render(
        request,
        "web/details.html",
        {
            "phone_masked": mask_phone(user.phone or ""),
            "id_number_masked": mask_id_number(user.person.id_number) if user.person_id else "",
            "organisation": getattr(user, "organisation", None) if user.kind == Kind.ORGANISATION else None,
        },
    )


@login_required
def messages_page(request):
    pager = page_of(request, message_list(user=request.user), MESSAGES_PAGE)
    return render(request, "web/messages.html", {"message_list": _with_links(request.user, pager.rows), "pager": pager})


# The page where a message's matter is seen to, by the message's kind (its key's start); an
# application's own page when the message names one of the reader's (an outsider found each
# message named its application or permit with no way to it).
MESSAGE_PAGES = (
    ("real_name_verified", "applications:start"),
    ("organisation_activated", "registrations:home"),
    ("account_created", "web:account"),
    ("organisation_created", "web:account"),
    ("registration_report_waiting", "registrations:pending"),
    ("registration_", "registrations:home"),
    ("permit_", "permits:mine"),
    ("endorsement_", "permits:mine"),
    ("application_", "applications:mine"),
    ("deadline_", "desk:queue"),
)


def _with_links(user, rows: list) -> list:
    references = {m.params.get("reference") for m in rows if m.key.startswith("application_")}
    own = {}
    if references and user.person_id:
        own = dict(
            Application.objects.filter(reference__in=references, person__id_number=user.person.id_number).values_list(
                "reference", "pk"
            )
        )
    for m in rows:
        if m.key.startswith("application_") and m.params.get("reference") in own:
            m.link = reverse("applications:progress", args=[own[m.params["reference"]]])
        elif m.key.startswith("deadline_") and user.role == Role.SUPERVISOR:
            # A supervisor's queue is empty: the trail's escalation events name every step, the
            # message only the first twenty (an outsider's supervisor found no list of the rest).
            m.link = reverse("audit:trail")
        else:
            m.link = next((reverse(name) for prefix, name in MESSAGE_PAGES if m.key.startswith(prefix)), "")
    return rows


@login_required
@require_POST
def message_read(request, pk: int):
    try:
        message = message_mark_read(user=request.user, message_id=pk)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Marked as read: %(title)s") % {"title": message.title})
    page = request.GET.get("page", "")
    return redirect(reverse("web:messages") + (f"?page={int(page)}" if page.isascii() and page.isdigit() else ""))


# Organisations waiting shown on the clerk's desk at once; the rest are found by the search.
PENDING_SHOWN = 20


@login_required
def staff_desk(request):
    user = request.user
    if user.kind != Kind.STAFF:
        return redirect("web:account")
    is_clerk = user.role == Role.CLERK
    q = request.GET.get("org", "")[:200]
    pending = organisation_pending_list(q=q) if is_clerk else None
    return render(
        request,
        "web/staff.html",
        {
            "is_clerk": is_clerk,
            "is_verifier": user.role == Role.VERIFIER,
            "is_reviewer": user.role == Role.REVIEWER,
            "hukou_holders": permits_of_hukou_holders().count() if user.role == Role.REVIEWER else 0,
            "pending_organisations": pending[:PENDING_SHOWN] if is_clerk else [],
            "pending_count": pending.count() if is_clerk else 0,
            "pending_shown": PENDING_SHOWN,
            "org_q": q,
            "queue_url": queue_url_for(user),
        },
    )
