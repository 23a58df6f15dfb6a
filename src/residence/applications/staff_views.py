"""The staff desk's application pages: each role's queue, the application page with the actions
of the role, counter intake, finding an application at the counter, the supervisor's dashboard.

Every change goes through `services`; a domain error is shown on the page with its status
(400 a form's problems, 403 a role or scope that may not act, 409 a move the workflow does not
allow now, e.g. because someone else acted first), never as a 500."""

import re
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST

from residence.accounts.forms import add_domain_error
from residence.accounts.models import Department, Kind, Role
from residence.audit.services import personal_data_viewed
from residence.core import clock
from residence.core.errors import DomainError, Forbidden, Invalid
from residence.core.validators import (
    mask_id_number,
    normalize_id_number,
    normalize_name,
    parse_date,
    searched,
    sentences,
)
from residence.places.models import AcceptancePoint
from residence.places.selectors import point_named
from residence.records.models import Identity
from residence.web.pages import error_page

from . import effects, rules, selectors, services
from .models import CLOSED_STATUSES, STEP_ORDER, Application, PaymentStatus, Status, Step
from .models import Kind as ApplicationKind
from .payments import application_counter_pay
from .receipts import clerk_printout, pdf_response
from .staff_forms import (
    DeliverForm,
    FamilyFormSet,
    FindForm,
    HandOverForm,
    InPersonForm,
    IntakeForm,
    MoveForm,
    ReferenceFindForm,
    RejectForm,
    ReplyForm,
    ReturnForm,
    VerifyForm,
)
from .workflow import NOT_YOURS_NOW

STEP_LABELS = {**dict(Step.choices), "verification": Step.VERIFICATION.label}
RECEIPT_URL_RE = re.compile(r"/receipts/([A-Za-z0-9]{1,20})/verify")
ID_NUMBER_RE = re.compile(r"\d{17}[\dXx]")
DIGITS_RE = re.compile(r"[0-9]+[Xx]?")


def _staff(request):
    user = request.user
    return user if user.kind == Kind.STAFF else None


def _audit_view(request, application: Application, what: str) -> None:
    services.application_viewed(
        actor=request.user,
        application=application,
        what=what,
        address=request.client_address,
        family=request.user.role not in (Role.PRODUCTION, Role.COURIER),  # their pages show no family
    )


# Queue --------------------------------------------------------------------------------------


def _after(raw: str):
    day, _sep, pk = raw.partition(",")
    try:
        due = parse_date(day) if day else None
    except Exception:  # a malformed "after" shows the first page
        return None
    if due is None or not pk.isascii() or not pk.isdigit() or len(pk) > 12:
        return None
    return due, int(pk)


@login_required
def queue(request):
    user = _staff(request)
    if user is None:
        return error_page(request, _("Only staff can use the staff desk."))
    if user.role == Role.SUPERVISOR:
        return redirect("desk:dashboard")
    after = _after(request.GET.get("after", ""))
    items = selectors.staff_queue(user=user, after=after)
    statuses, kinds = dict(Status.choices), dict(ApplicationKind.choices)
    for item in items:
        item["status_label"] = statuses.get(item["status"], item["status"])
        item["kind_label"] = kinds.get(item["kind"], item["kind"])
        item["step_label"] = STEP_LABELS.get(item["step"], item["step"])
    if user.role == Role.COURIER:
        # Where each card goes, on the list a courier plans the round from (an outsider's courier
        # had to open every case); only deliveries under way are the courier's queue.
        addresses = dict(
            Application.objects.filter(pk__in=[i["application"] for i in items]).values_list("pk", "delivery_address")
        )
        for item in items:
            item["address"] = addresses.get(item["application"], "")
    for item in items:
        # A held item would only be named and left by the batch (effects refuse it); nor is its
        # date the desk's delay to flag: it waits on the holder, as the deadline jobs read it.
        item["batch"] = None if item["on_hold"] else BATCH_ACTIONS.get((user.role, item["status"]))
        if item["on_hold"]:
            item["due"] = ""
    following = None
    if len(items) == selectors.QUEUE_PAGE:
        following = f"{items[-1]['due_on'].isoformat()},{items[-1]['application']}"
    return render(
        request,
        "desk/queue.html",
        {
            "items": items,
            "next": following,
            "paged": after is not None,
            "find_form": find_form(user) if user.role != Role.SUPERVISOR else None,
            "batches": [BATCH_BUTTONS[a] | {"action": a} for a in BATCH_ORDER if any(i["batch"] == a for i in items)],
        },
    )


# The steps that need nothing but a click, taken for several ticked items of the queue at once (an
# outsider's point received its cards one page at a time): by the role and the item's status.
BATCH_ACTIONS = {
    (Role.PRODUCTION, Status.APPROVED): "produce",
    (Role.PRODUCTION, Status.IN_PRODUCTION): "dispatch",
    (Role.CLERK, Status.DISPATCHED): "receive",
}
BATCH_ORDER = ("produce", "dispatch", "receive")
BATCH_BUTTONS = {
    "produce": {"label": gettext_noop("Mark the ticked cards as made"), "done": gettext_noop("Cards made: %(done)s.")},
    "dispatch": {
        "label": gettext_noop("Dispatch the ticked cards"),
        "done": gettext_noop("Cards dispatched: %(done)s."),
    },
    "receive": {
        "label": gettext_noop("Receive the ticked cards"),
        "done": gettext_noop("Cards received: %(done)s. Their applicants are told to collect them."),
    },
}


@login_required
@require_POST
def batch(request):
    """One click step for each ticked item of the queue, each in its own transaction as if taken
    alone: those that no longer fit (someone acted first) are named with the reason; the rest are done."""
    user = _staff(request)
    if user is None:
        return error_page(request, _("Only staff can use the staff desk."))
    action = request.POST.get("action", "")
    if action not in {a for (role, _status), a in BATCH_ACTIONS.items() if role == user.role}:
        return error_page(request, _("Your role does not take this step for several applications at once."))
    ids = list(
        dict.fromkeys(int(v) for v in request.POST.getlist("ids") if v.isascii() and v.isdigit() and len(v) < 12)
    )
    if not ids or len(ids) > selectors.QUEUE_PAGE:
        messages.error(
            request, _("Tick the applications to act on, at most %(n)s at a time.") % {"n": selectors.QUEUE_PAGE}
        )
        return redirect("desk:queue")
    done, refused = [], []
    for pk in ids:
        try:
            done.append(services.application_act(actor=user, application_id=pk, action=action).reference)
        except DomainError as exc:
            application = Application.objects.filter(pk=pk).first()
            shown = application.reference if application and selectors.staff_may_view(user, application) else f"#{pk}"
            refused.append(_("%(reference)s: %(reason)s") % {"reference": shown, "reason": exc.message})
    if done:
        messages.success(request, _(BATCH_BUTTONS[action]["done"]) % {"done": ", ".join(done)})
    if refused:
        messages.error(request, _("Not done: %(refused)s") % {"refused": sentences(refused)})
    return redirect("desk:queue")


# Finding an application at the counter --------------------------------------------------------


def find_form(user, data=None) -> FindForm:
    """A clerk and a supervisor look for an application by reference, receipt or ID number; the other
    roles, who work from a queue of hundreds, by reference or receipt only (an outsider's verifier
    paged nine pages to reach one; an ID number asks about a person, not about their work)."""
    return (FindForm if user.role in (Role.CLERK, Role.SUPERVISOR) else ReferenceFindForm)(data)


def _find(request, user, text: str) -> Application | None:
    """The application of the clerk's point a clerk looks for, by a scanned receipt URL, a
    reference or an ID number. A search by ID number is recorded, found or not: it asks about a
    person (an outsider's clerk probed ID numbers unrecorded, and learnt which had applied
    elsewhere, which the answer no longer says). Another role finds by reference only, among the
    applications of its work."""
    found = RECEIPT_URL_RE.search(text)
    text = searched(found.group(1) if found else text)
    if user.role not in (Role.CLERK, Role.SUPERVISOR):
        application = Application.objects.filter(reference=text).first()
        return application if application and selectors.staff_may_view(user, application) else None
    if ID_NUMBER_RE.fullmatch(text) or DIGITS_RE.fullmatch(text):
        # A slip of the finger (a wrong check character, a digit dropped or doubled: no reference is
        # digits only) is said as the intake form says it, not as "no application" (an outsider's
        # clerk would have sent the person away).
        text = normalize_id_number(text)
        personal_data_viewed(
            actor=user,
            person=text,
            address=request.client_address,
            what="application_search",
        )
        candidates = Application.objects.filter(person__id_number=text)
    else:
        candidates = Application.objects.filter(reference=text)
    # A supervisor reads every application (an escalation names references to look up).
    if user.role != Role.SUPERVISOR:
        candidates = candidates.filter(acceptance_point_id=user.point_id)
    own = candidates.order_by("-created_at", "-id")
    return own.exclude(status__in=CLOSED_STATUSES).first() or own.first()


@login_required
def find(request):
    user = _staff(request)
    if user is None:
        return error_page(request, _("Only staff may do this."))
    # Searched by POST: an ID number in a URL would stay in the browser's history and the logs.
    form = find_form(user, request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            application = _find(request, user, form.cleaned_data["q"])
        except ValidationError as e:
            form.add_error("q", e.messages)
            return render(request, "desk/find.html", {"form": form}, status=400)
        if application is not None:
            return redirect("desk:application", application.pk)
        if user.role in (Role.CLERK, Role.SUPERVISOR):
            form.add_error("q", _("No application of this point has this reference or ID number."))
        else:
            form.add_error("q", _("No application of your work has this reference."))
    return render(request, "desk/find.html", {"form": form}, status=404 if form.errors else 200)


# The application page -----------------------------------------------------------------------


def _family(user, application: Application) -> list[dict]:
    """The cohabiting family members as the page shows them. The police, who check the claim, and
    the reviewer see each ID number in full beside the name the records give it (an outsider's
    invented relative, a valid check digit under another's name, passed every step unseen). The
    applicant is not told: a page that said whether a name fits a number would answer that for
    anyone's number."""
    members = list(application.family_members.all())
    checks = user.role == Role.REVIEWER or (user.role == Role.VERIFIER and user.department == Department.POLICE)
    in_full = checks and selectors.needs_full_id_number(user, application)
    on_record = (
        dict(Identity.objects.filter(id_number__in=[m.id_number for m in members]).values_list("id_number", "name"))
        if checks
        else {}
    )
    return [
        {
            "name": m.name,
            "relation": m.get_relation_display(),
            "id_number_shown": m.id_number if in_full else mask_id_number(m.id_number),
            "checked": checks,
            "records_name": on_record.get(m.id_number, ""),
            "matches": normalize_name(on_record.get(m.id_number, "")) == normalize_name(m.name),
        }
        for m in members
    ]


def _for_kind(form, application: Application):
    """The old card is taken back at an exchange only (RULES §6): its box is not on other kinds' forms."""
    if application.kind != "exchange":
        form.fields.pop("old_card_collected", None)
    return form


# What holds up an exchange or a replacement, said on its page to every role (an outsider's clerk
# and production centre learned it from a 409); the reviewer's own warning says more.
HOLD_WARNINGS = {
    "permit_suspended": gettext_lazy(
        "On hold: the holder's permit has been suspended since %(day)s. Nothing more can be done for this "
        "application until the holder endorses the permit."
    ),
    "permit_cancelled": gettext_lazy(
        "On hold: the holder's permit is cancelled from %(day)s. No card of it is made or handed over; the "
        "application ends with that day's daily run."
    ),
}


HELD_ACTIONS = ("approve", "payment", "produce")


def _context(user, application: Application, forms: dict) -> dict:
    """What the page shows this role, and the forms of the actions it may take now."""
    status = application.status
    context = {
        "application": application,
        "show_full_id": selectors.needs_full_id_number(user, application),
        # The case itself (route, family, self-check, the departments' answers, the decision) is
        # for those who decide or answer for it; production and the courier see what the card and
        # the delivery need (an outsider's courier saw the eligibility details, not the phone).
        "sees_case": user.role in (Role.CLERK, Role.VERIFIER, Role.REVIEWER, Role.SUPERVISOR),
        # A verifier reads only its own department's notes, and no delivery address (selectors.verifier_view).
        "notes_of": user.department if user.role == Role.VERIFIER else "",
        "sees_photo_receipt": selectors.shows_photo_receipt(user.role, status),
        "sees_address": selectors.shows_delivery_address(user.role, status),
        "recipient_phone": (
            application.person.phone if user.role == Role.COURIER and status == Status.OUT_FOR_DELIVERY else ""
        ),
        "id_number_masked": mask_id_number(application.person.id_number),
        "family": _family(user, application),
        "reply_sent_on": next(
            (d.done_on for d in application.deadlines.all() if d.step == Step.WRITTEN_REPLY and d.done_on), None
        ),
        # The checks share the verification step's due date, provisional or not.
        "checks_provisional": any(
            d.step == Step.VERIFICATION and d.provisional and d.done_on is None for d in application.deadlines.all()
        ),
        "deadlines": [
            {
                "step": d.get_step_display(),
                "due_on": d.due_on,
                "done_on": d.done_on,
                "moot": d.moot,
                "late": d.done_on is not None and not d.moot and d.done_on > d.due_on,
                "due": selectors.due_badge(d.due_on) if d.done_on is None else "",
                "provisional": d.provisional and d.done_on is None,
            }
            # In the order the steps take place (an outsider read the review before the checks).
            for d in sorted(application.deadlines.all(), key=lambda d: STEP_ORDER.index(d.step))
        ],
        "actions": [],
    }
    role = user.role
    hold = selectors.renewal_hold(
        id_number=application.person.id_number, kind=application.kind, status=status, today=clock.today()
    )
    if hold:
        context["warning"] = HOLD_WARNINGS[hold["reason"]] % {"day": hold["since"].isoformat()}
    if role == Role.VERIFIER:
        # staff_may_view lets a verifier in only while the department's check waits for its answer.
        context["records"] = selectors.claim_records(application, user.department)
        context["verify_form"] = forms.get("verify") or VerifyForm()
    elif role == Role.REVIEWER:
        if status == Status.REVIEWING and (
            suspended := selectors.suspended_permit_to_renew(application, clock.today())
        ):
            # Approval is refused until the holder endorses: said before the reviewer tries.
            context["warning"] = str(effects.SUSPENDED_BEFORE_APPROVAL) % {"day": suspended.suspended_on.isoformat()}
        if status == Status.REVIEWING:
            context["all_confirmed"] = all(v.status == "confirmed" for v in application.verifications.all())
            if context["all_confirmed"]:
                context["actions"].append(("approve", _("Approve"), ""))
            context["reject_form"] = forms.get("reject") or RejectForm()
        if status == Status.REJECTED and application.reply_requested_on and not application.reply_text:
            context["reply_form"] = forms.get("written-reply") or ReplyForm()
    elif role == Role.PRODUCTION:
        if status in selectors.CARD_TO_MAKE:
            context["card_data"] = selectors.card_data(application)
        if status == Status.APPROVED:
            context["actions"].append(("produce", _("Card made: assign the permit number"), ""))
        elif status == Status.IN_PRODUCTION:
            target = (
                _("Dispatch to the acceptance point")
                if application.delivery_method == "pickup"
                else _("Hand to the courier")
            )
            context["actions"].append(("dispatch", target, ""))
    elif role == Role.CLERK:
        if status == Status.AWAITING_PAYMENT and not rules.payment_time_over(application.payment_due_on, clock.today()):
            context["actions"].append(
                ("payment", _("Fee of %(amount)s yuan taken at the counter") % {"amount": application.fee_amount}, "")
            )
        if status == Status.DISPATCHED:
            context["actions"].append(("receive", _("The card has arrived at this point"), ""))
        elif status == Status.READY_FOR_PICKUP:
            context["hand_over_form"] = _for_kind(forms.get("hand-over") or HandOverForm(), application)
        elif status in WITHDRAWABLE:
            context["withdraw_form"] = forms.get("withdraw") or InPersonForm()
        elif status == Status.REJECTED and not application.reply_requested_on:
            context["reply_request_form"] = forms.get("written-reply-request") or InPersonForm()
        context["show_receipt"] = True
        context["show_payment_receipt"] = application.payment_status == PaymentStatus.PAID
    elif role == Role.COURIER and status == Status.OUT_FOR_DELIVERY:
        context["deliver_form"] = _for_kind(forms.get("deliver") or DeliverForm(), application)
        context["return_form"] = forms.get("return") or ReturnForm()
    if hold:
        # Not offered while held: each would be refused with the warning above (effects).
        context["actions"] = [a for a in context["actions"] if a[0] not in HELD_ACTIONS]
        context["hand_over_form"] = context["deliver_form"] = None
    # The bound form with problems is "form" to the base template (the page title says "Error:").
    context["form"] = next((f for f in forms.values() if f is not None and f.errors), None)
    context["has_work"] = any(context.get(key) for key in WORK_ON_THE_PAGE)
    return context


# What the page offers the signed-in staff member to do (one of them, or "nothing for you to do").
WORK_ON_THE_PAGE = (
    "verify_form",
    "actions",
    "reject_form",
    "reply_form",
    "hand_over_form",
    "deliver_form",
    "return_form",
    "withdraw_form",
    "reply_request_form",
)
WITHDRAWABLE = (Status.ACCEPTED, Status.VERIFYING, Status.REVIEWING)


def _render_application(request, application_id: int, *, forms=None, error=None, status=200):
    user = request.user
    application = selectors.application_detail(application_id=application_id)
    if application is None:
        return error_page(request, _("Not found."), 404)
    if not selectors.staff_may_view(user, application):
        # An action's refusal keeps its own words and status; the application itself stays unseen.
        if error:
            return error_page(request, error, status, back=reverse("desk:queue"), back_label=_("Back to your queue"))
        return error_page(request, selectors.not_in_your_work(user, application))
    _audit_view(request, application, "application")
    context = _context(user, application, forms or {})
    context["error"] = error
    # Said at the top, where the page opens, with a link down to the form (an outsider's clerk,
    # without JavaScript, saw the page reload with no word of what was wrong).
    context["form_errors"] = any(form.errors for form in (forms or {}).values())
    return render(request, "desk/application.html", context, status=status)


@login_required
def application(request, pk: int):
    if _staff(request) is None:
        return error_page(request, _("Only staff can use the staff desk."))
    return _render_application(request, pk)


def _verify(request, pk, form):
    return services.application_verify(
        actor=request.user,
        application_id=pk,
        department=request.user.department,
        outcome=form.cleaned_data["outcome"],
        note=form.cleaned_data["note"],
    )


def _reject(request, pk, form):
    try:
        return services.application_reject(actor=request.user, application_id=pk, reasons=form.reason_list())
    except Invalid as exc:
        if not form.cleaned_data["other"].strip():
            raise
        # Too many, too long, hidden characters: all about what was typed in the box, each named by
        # its line (an outsider's reviewer could not find the line with an invisible character).
        said = []
        for key, messages in exc.fields.items():
            field, _dot, index = key.partition(".")
            line = form.other_line(int(index)) if field == "reasons" and index.isdigit() else None
            said += [_("Line %(line)d: %(problem)s") % {"line": line, "problem": m} if line else m for m in messages]
        raise Invalid(exc.message, fields={"other": list(dict.fromkeys(said))}) from None


# action slug: (form class or None, call, message on success)
WHERE_NEXT = {
    ("verify", Status.VERIFYING): gettext_noop("It waits for the other departments' answers."),
    ("verify", Status.REVIEWING): gettext_noop("It goes to the police reviewer."),
    ("approve", Status.APPROVED): gettext_noop("It goes to the card production centre."),
    ("approve", Status.AWAITING_PAYMENT): gettext_noop(
        "The applicant is asked to pay the fee; the card is made after payment."
    ),
    ("dispatch", Status.DISPATCHED): gettext_noop("It is on its way to %(point)s."),
    ("dispatch", Status.OUT_FOR_DELIVERY): gettext_noop("It is with the courier."),
}


def _with_form(service):
    """An action whose service takes the form's fields as they are."""
    return lambda request, pk, form: service(actor=request.user, application_id=pk, **form.cleaned_data)


ACTIONS = {
    "verify": (VerifyForm, _verify, gettext_noop("The answer of your department is recorded.")),
    "approve": (None, "approve", gettext_noop("The application is approved.")),
    "reject": (RejectForm, _reject, gettext_noop("The application is refused; the reasons are sent to the applicant.")),
    "written-reply": (
        ReplyForm,
        lambda request, pk, form: services.written_reply_record(
            actor=request.user, application_id=pk, text=form.cleaned_data["text"]
        ),
        gettext_noop("The written reply is recorded and sent to the applicant."),
    ),
    "produce": (None, "produce", gettext_noop("The card is made. Permit number: %(permit)s.")),
    "dispatch": (None, "dispatch", gettext_noop("The card is dispatched.")),
    "payment": (
        None,
        lambda request, pk, form: application_counter_pay(actor=request.user, application_id=pk),
        gettext_noop("The fee is paid. The card is due 10 working days from today."),
    ),
    "receive": (None, "receive", gettext_noop("The card is received; the applicant is told to collect it.")),
    "hand-over": (
        HandOverForm,
        _with_form(services.application_hand_over),
        gettext_noop("The card is handed over. The application is completed and the permit is active."),
    ),
    "deliver": (
        DeliverForm,
        _with_form(services.application_deliver),
        gettext_noop("The card is delivered. The application is completed and the permit is active."),
    ),
    "withdraw": (
        InPersonForm,
        _with_form(services.application_withdraw_at_counter),
        gettext_noop("The application is withdrawn at the applicant's request; they are told."),
    ),
    "written-reply-request": (
        InPersonForm,
        _with_form(services.written_reply_request_at_counter),
        gettext_noop("The applicant's request for a written reply is recorded; the police reviewer has it."),
    ),
    "return": (
        ReturnForm,
        lambda request, pk, form: services.application_return(
            actor=request.user, application_id=pk, reason=form.cleaned_data["reason"]
        ),
        gettext_noop("The card goes back to the acceptance point; the applicant is told why."),
    ),
}


def _form_refused(request, pk: int, action: str, form):
    """The page again with the form's errors; for a verifier whose department's check was answered
    meanwhile, which ends their sight of the case, what an answer sent too late is told (an
    outsider's stale page, sent with an empty note, read that the case was none of their work)."""
    user = request.user
    if user.role == Role.VERIFIER:
        found = selectors.application_detail(application_id=pk)
        if (
            found is not None
            and found.verifications.filter(department=user.department).exists()
            and not selectors.staff_may_view(user, found)
        ):
            return _render_application(request, pk, error=NOT_YOURS_NOW[Role.VERIFIER], status=409)
    return _render_application(request, pk, forms={action: form}, status=400)


@login_required
@require_POST
def act(request, pk: int, action: str):
    user = _staff(request)
    if user is None:
        return error_page(request, _("Only staff can use the staff desk."))
    if action not in ACTIONS:
        return error_page(request, _("Not found."), 404)
    form_class, call, done = ACTIONS[action]
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        return _form_refused(request, pk, action, form)
    try:
        if isinstance(call, str):
            application = services.application_act(actor=user, application_id=pk, action=call)
        else:
            application = call(request, pk, form)
    except Invalid as exc:
        if form is None:
            return _render_application(request, pk, error=exc.message, status=400)
        add_domain_error(form, exc)
        return _form_refused(request, pk, action, form)
    except DomainError as exc:
        if exc.status == 404:
            return error_page(request, _("Not found."), 404)
        message = exc.message
        if exc.status == 409 and "status" in exc.extra:  # the step no longer fits the application's state
            message = _("%(reason)s Someone may have acted on it first.") % {"reason": exc.message}
        return _render_application(request, pk, error=message, status=exc.status)
    # Named, for a clerk working through a queue (an outsider could not tell which one was done),
    # and where the case went (an outsider's verifier and reviewer could not tell).
    said = _(done) % {"permit": application.permit_number or ""}
    if (action, application.status) in WHERE_NEXT:
        next_step = _(WHERE_NEXT[action, application.status]) % {"point": point_named(application.acceptance_point)}
        said = sentences([said, next_step])  # no space after a Chinese full stop (an outsider's "。 已转")
    messages.success(request, _("%(reference)s: %(done)s") % {"reference": application.reference, "done": said})
    if not selectors.staff_may_view(user, application):
        return redirect("desk:queue")  # a verifier's answer ends their sight of the case
    if not _context(user, selectors.application_detail(application_id=pk), {})["has_work"]:
        # Done with it: on to the next item, not a page saying there is nothing to do (an outsider's
        # reviewer, courier and clerk went back to the queue by hand after every case).
        return redirect("desk:queue")
    return redirect("desk:application", pk)


# Printouts for the clerk of the point ----------------------------------------------------------


def _printout(request, pk: int, what: str):
    try:
        application = selectors.application_for_clerk(user=request.user, application_id=pk)
        pdf, name = clerk_printout(application, what, base_url=request.build_absolute_uri("/"), clerk=request.user)
    except DomainError as exc:
        return error_page(request, exc.message, exc.status)
    _audit_view(request, application, what)
    return pdf_response(pdf, name)


@login_required
def receipt(request, pk: int):
    return _printout(request, pk, "receipt")


@login_required
def form_pdf(request, pk: int):
    return _printout(request, pk, "application_form")


@login_required
def payment_receipt(request, pk: int):
    return _printout(request, pk, "payment_receipt")


# Counter intake ----------------------------------------------------------------------------

INTAKE_FIELDS = {
    "applicant.name": "name",
    "applicant.id_number": "id_number",
    "applicant.phone": "phone",
    "delivery.method": "delivery_method",
    "delivery.address": "delivery_address",
}


def _intake_request(form, family) -> tuple[dict, dict, list[int]]:
    """The counter intake as the service takes it: each field as the form cleaned it, or as sent
    where the form found a problem with it; and which of the page's family rows each member is
    (blank rows are left out, so the service's member 2 may be the page's row 3)."""

    def value(f, name: str) -> str:
        cleaned = getattr(f, "cleaned_data", {})
        return str(cleaned[name] if name in cleaned else f.data.get(f.add_prefix(name)) or "")

    members, rows = [], []
    for index, row in enumerate(family.forms):
        member = {k: value(row, k).strip() for k in ("name", "id_number", "relation")}
        if any(member.values()):
            members.append(member)
            rows.append(index)
    data = {
        "kind": value(form, "kind"),
        "route": value(form, "route"),
        "photo_receipt": value(form, "photo_receipt"),
        "acceptance_point": value(form, "acceptance_point"),
        "delivery": {"method": value(form, "delivery_method"), "address": value(form, "delivery_address")},
        "family_members": members,
    }
    applicant = {"name": value(form, "name"), "id_number": value(form, "id_number"), "phone": value(form, "phone")}
    return data, applicant, rows


def _place_intake_errors(form, family, exc: DomainError, rows: list[int]) -> None:
    """The service's problems on the page's fields; a field the form has found wrong already keeps its own."""
    placed = False
    for key, problems in exc.fields.items():
        match = re.fullmatch(r"family_members\.(\d+)\.(\w+)", key)
        if match and int(match.group(1)) < len(rows):
            row = rows[int(match.group(1))]
            target, field = family.forms[row], match.group(2)
            if field in target.fields:
                if target.has_error(field):
                    continue
                for problem in problems:
                    target.add_error(field, problem)
                placed = True
                continue
        field = INTAKE_FIELDS.get(key, key)
        if field in form.fields:
            if not form.has_error(field):
                for problem in problems:
                    form.add_error(field, problem)
            placed = True
        else:
            for problem in problems:
                form.add_error(None, problem)
            placed = True
    # The open application is the person's, no field's: said with the fields' problems.
    if not placed or exc.code == "open_application":
        form.add_error(None, exc.message)


@login_required
def intake(request):
    user = _staff(request)
    if user is None or user.role != Role.CLERK:
        return error_page(request, _("Only counter clerks may do this."))
    if request.method != "POST":
        # A form sent after the point closed is answered on the form, what was typed kept (the
        # service refuses it); the form itself is not offered.
        try:
            services.counter_open_required(user)
        except DomainError as exc:
            return error_page(request, exc.message, exc.status)
    point = AcceptancePoint.objects.filter(pk=user.point_id).first()
    form = IntakeForm(request.POST or None, point=point)
    family = FamilyFormSet(request.POST or None, prefix="family")
    if request.method == "POST" and "check" in request.POST:
        return _intake_records_check(request, user, form, family)
    if request.method == "POST":
        valid = form.is_valid() & family.is_valid()
        if family.non_form_errors():  # rows over the limit, or a row count the page did not send
            form.add_error(
                None,
                _(
                    "List at most %(n)d family members. If the rows were changed, reload the page and fill them "
                    "in again."
                )
                % {"n": FamilyFormSet.max_num},
            )
        data, applicant, rows = _intake_request(form, family)
        try:
            if not valid:
                # The service's checks too, on what was sent: every problem at once (RULES §4; an
                # outsider's clerk saw the wrong ID number only after fixing the name).
                services.counter_intake_check(actor=user, data=data, applicant=applicant, portrait_captured=True)
            else:
                application = services.application_counter_intake(
                    actor=user,
                    data=data,
                    applicant=applicant,
                    portrait_captured=form.cleaned_data["portrait_captured"],
                    materials_checked=form.cleaned_data["materials_checked"],
                )
                return redirect("desk:accepted", application.pk)
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                return error_page(request, exc.message)
            _place_intake_errors(form, family, exc, rows)
    # The family rows' problems in the page's summary, each a link to its field as every other
    # field's is (an outsider's clerk read them as plain text, the table far down the page).
    family_problems = [
        {
            "id": member[name if name in member.fields else next(iter(member.fields))].id_for_label,
            "text": _("Family member %(n)s: %(problem)s") % {"n": n, "problem": problem},
        }
        for n, member in enumerate(family.forms, start=1)
        for name, problems in member.errors.items()
        for problem in problems
    ]
    status = 400 if form.errors or family_problems else 200
    return _intake_page(request, form, family, status, judged=True, summary_links=family_problems)


def _intake_page(request, form, family, status: int, *, judged: bool, **extra):
    """The intake form. Every row the service takes (an outsider's household of four could not be
    recorded on three rows); those past the usual few folded away, open when one holds something
    (or, `judged`, a problem)."""
    rows = list(enumerate(family.forms, start=1))
    more = rows[SHOWN_FAMILY_ROWS:]
    context = {
        "form": form,
        "family": family,
        "family_first": rows[:SHOWN_FAMILY_ROWS],
        "family_more": more,
        "more_open": any(member.has_changed() or (judged and member.errors) for _n, member in more),
        **extra,
    }
    return render(request, "desk/intake.html", context, status=status)


CHECKED_BEFORE_INTAKE = ("name", "id_number", "route", "kind")


def _intake_records_check(request, user, form, family):
    """The form again, as typed, with what the records say of the applicant beside it; nothing is
    recorded but the look. Only the fields the check needs are judged now."""
    form.is_valid()
    for name in [name for name in form.errors if name not in CHECKED_BEFORE_INTAKE]:
        del form.errors[name]
    answer, blockers, cautions = None, [], []
    if not form.errors:
        try:
            answer, blockers, cautions = services.counter_records_check(
                actor=user,
                **{key: form.cleaned_data[key] for key in CHECKED_BEFORE_INTAKE},
                phone=form.cleaned_data.get("phone", ""),
                address=request.client_address,
            )
        except Invalid as exc:
            for field, problems in exc.fields.items():
                form.add_error(field, problems)
        except DomainError as exc:
            return error_page(request, exc.message, exc.status)
    status = 400 if form.errors else 200
    return _intake_page(
        request, form, family, status, judged=False, records_check=answer, blockers=blockers, cautions=cautions
    )


SHOWN_FAMILY_ROWS = 3


@login_required
def accepted(request, pk: int):
    try:
        application = selectors.application_for_clerk(user=request.user, application_id=pk)
    except DomainError as exc:
        return error_page(request, exc.message, exc.status)
    _audit_view(request, application, "application")
    phone = application.person.phone
    caution = phone and selectors.phone_of_another_person(phone, application.person.id_number)
    return render(
        request,
        "desk/accepted.html",
        {"application": application, "caution": services.PHONE_OF_ANOTHER if caution else ""},
    )


# The supervisor's dashboard ------------------------------------------------------------------


@login_required
def dashboard(request):
    user = _staff(request)
    if user is None or user.role != Role.SUPERVISOR:
        return error_page(request, _("Only supervisors may see the dashboard."))
    data = selectors.supervisor_dashboard()
    data["sections"] = [
        (_("Department verification"), data["departments"], "departments"),
        (_("Later steps"), data["steps"], "steps"),
        (_("Acceptance points"), data["points"], "points"),
    ]
    return render(request, "desk/dashboard.html", data)


@login_required
def dashboard_items(request, group: str, code: str, due: str):
    """The applications behind one of the dashboard's figures."""
    user = _staff(request)
    if user is None or user.role != Role.SUPERVISOR:
        return error_page(request, _("Only supervisors may see the dashboard."))
    try:
        data = selectors.dashboard_items(group=group, code=code, due=due)
    except DomainError as exc:
        return error_page(
            request,
            exc.message,
            exc.status,
            back=reverse("desk:dashboard"),
            back_label=_("Back to the supervisor dashboard"),
        )
    return render(request, "desk/dashboard_items.html", data)


@login_required
def move(request):
    """The supervisor's reassignment: every application of a point that can still move, to another
    point, with the reason the applicants are told. Asks first, with how many will move."""
    user = _staff(request)
    if user is None or user.role != Role.SUPERVISOR:
        return error_page(request, _("Only a supervisor moves applications to another acceptance point."))
    data = request.POST if request.method == "POST" else None
    form = MoveForm(data, initial={"from_point": request.GET.get("from", "")[:16]})
    if data is None or not form.is_valid():
        return render(request, "desk/move.html", {"form": form}, status=400 if data is not None else 200)
    from_code, to_code = form.cleaned_data["from_point"], form.cleaned_data["to_point"]
    if "confirmed" not in data:
        shown = list(selectors.movable_applications_at(point_code=from_code).values_list("id", "reference"))
        to_point = AcceptancePoint.objects.get(code=to_code)
        context = {
            # Said before the move (an outsider's supervisor moved 1,250 to a point nobody works at).
            "no_clerk": not selectors.point_has_clerk(to_point),
            "form": form,
            "confirm": True,
            "count": len(shown),
            "references": [reference for _id, reference in shown[:20]],
            "ids": ",".join(str(pk) for pk, _reference in shown),
            "from_point": AcceptancePoint.objects.get(code=from_code),
            "to_point": to_point,
        }
        return render(request, "desk/move.html", context)
    listed = [int(pk) for pk in data.get("ids", "").split(",") if pk.isascii() and pk.isdigit()][:100_000]
    # What the requests before this one of the same move did (a long move goes on in the next
    # request): numbers to tell, bounded, never ids.
    moved_before, total = (min(_count_field(data, name), 100_000) for name in ("moved_before", "total"))
    try:
        moved = moved_before + services.applications_move_from(
            actor=user,
            from_code=from_code,
            point_code=to_code,
            reason=form.cleaned_data["reason"],
            address=request.client_address,
            only=listed,
            until=time.monotonic() + MOVE_SECONDS,
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return render(request, "desk/move.html", {"form": form}, status=exc.status)
    total = total or len(listed)
    left = list(
        selectors.movable_applications_at(point_code=from_code).filter(pk__in=listed).values_list("id", flat=True)
    )
    if left:
        # Gone on in the next request, said with how far it got (an outsider's move of 1,650
        # applications under load took 15 s; thousands would outlast the server's timeout).
        context = {
            "form": form,
            "going_on": True,
            "moved": moved,
            "total": total,
            "ids": ",".join(map(str, left)),
            "to_point": AcceptancePoint.objects.get(code=to_code),
        }
        return render(request, "desk/move.html", context)
    listed_count = total
    said = _("%(n)d application(s) moved from %(from)s to %(to)s; each applicant is told why.")
    if moved == 0:  # "0 moved; each applicant is told why" told of applicants never told (an outsider)
        said = _(
            "No application moved from %(from)s to %(to)s: the %(left)d listed had been moved already, or had "
            "changed meanwhile (a card dispatched)."
        )
    elif moved < listed_count:  # only then: an outsider read of some left behind when all had moved
        # Not only a card dispatched: another supervisor's move, or this one confirmed twice, took
        # them first (an outsider's two supervisors each read the other's moves as cards dispatched).
        said = _(
            "%(n)d application(s) moved from %(from)s to %(to)s; each applicant is told why. %(left)d did not "
            "move: they had been moved already, or had changed meanwhile (a card dispatched)."
        )
    messages.success(
        request,
        said
        % {
            "n": moved,
            "from": AcceptancePoint.objects.get(code=from_code),
            "to": AcceptancePoint.objects.get(code=to_code),
            "left": listed_count - moved,
        },
    )
    return redirect("desk:dashboard")


# Seconds of moving a request starts chunks for; the rest goes on in the next request.
MOVE_SECONDS = 10


def _count_field(data, name: str) -> int:
    value = data.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else 0


def queue_url_for(user) -> str | None:
    """The staff desk's link to the role's own work (web.views.staff_desk)."""
    if user.role == Role.SUPERVISOR:
        return reverse("desk:dashboard")
    if user.role in (Role.CLERK, Role.VERIFIER, Role.REVIEWER, Role.PRODUCTION, Role.COURIER):
        return reverse("desk:queue")
    return None
