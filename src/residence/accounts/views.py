"""Web pages for accounts: register, sign in (with SMS), password, mobile, real name, counter work."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from residence.core.errors import (
    ACCOUNT_DISABLED,
    STAFF_ACCOUNT_DISABLED,
    AccountDisabled,
    ChallengeExpired,
    DomainError,
    page_message,
)
from residence.core.validators import mask_phone
from residence.web.pages import error_page

from . import selectors, services
from .forms import (
    ActivateOrganisationForm,
    CodeForm,
    CounterPhoneForm,
    DeclineOrganisationForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetConfirmForm,
    PasswordResetForm,
    PhoneChangeForm,
    RealNameForm,
    RegisterForm,
    UsernameReminderForm,
    add_domain_error,
    add_field_errors,
)
from .middleware import SESSION_KEY
from .models import Channel, Kind, Role, SmsChallenge, Status

REMEMBER_COOKIE = "remembered_username"
PENDING_CHALLENGE = "pending_challenge"
PHONE_CHALLENGE = "phone_challenge"
RESET_CHALLENGE = "reset_challenge"
COUNTER_CHALLENGE = "counter_phone_challenge"
# Why a new code was not sent, shown by the code page as its form's error.
RESEND_REFUSED = "resend_refused"


def _home_for(user) -> str:
    if user.kind == Kind.STAFF and not user.role and user.is_staff:
        # The system administrator has no desk of its own (an outsider's landed on an empty one).
        return reverse("admin:index")
    return reverse("web:staff") if user.kind == Kind.STAFF else reverse("web:account")


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def privacy(request):
    return render(request, "accounts/privacy.html")


def register(request):
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.account_create(address=request.client_address, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            request.session["registered"] = {"username": user.username, "kind": user.kind, "status": user.status}
            return redirect("accounts:register_done")
    elif request.method == "POST":
        # The form found problems of its own; a taken username, mobile or credit code is
        # shown in the same round (the service counts the look-up like a sign-up).
        try:
            _own, found, _identifiers = services.account_problems(
                address=request.client_address,
                consent=True,
                **{f: form.data.get(f, "") for f in ("kind", "username", "password", "phone", "name", "credit_code")},
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            add_field_errors(form, found)
    # Said to a signed-in visitor, who may have meant their own account (an outsider).
    account_url = _home_for(request.user) if request.user.is_authenticated else ""
    return render(request, "accounts/register.html", {"form": form, "account_url": account_url})


def register_done(request):
    registered = request.session.pop("registered", None)
    if not registered:
        return redirect("accounts:register")
    return render(request, "accounts/register_done.html", {"registered": registered})


def _complete_login(request, user, token: str, remember: bool) -> HttpResponseRedirect:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_KEY] = token
    request.session.set_expiry(settings.REMEMBER_SECONDS if remember else 0)
    platform = request.session.pop("pending_platform", "permit")
    request.session["platform"] = platform
    response = redirect(_safe_next(request, _home_for(user)))
    if remember:
        response.set_cookie(
            REMEMBER_COOKIE,
            user.username,
            max_age=settings.REMEMBER_SECONDS,  # RULES §7: 14 days (an outsider's lasted a year)
            httponly=True,
            samesite="Lax",
            secure=not settings.DEBUG,
        )
    else:
        response.delete_cookie(REMEMBER_COOKIE)
    return response


def login_view(request):
    remembered = request.COOKIES.get(REMEMBER_COOKIE, "")
    initial = {"username": remembered, "remember": bool(remembered)}
    form = LoginForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.auth_login(
                username=data["username"],
                password=data["password"],
                remember=data["remember"],
                channel=Channel.WEB,
                address=request.client_address,
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            request.session["pending_platform"] = data["platform"]
            if result.challenge:
                request.session[PENDING_CHALLENGE] = result.challenge.public_id
                request.session["pending_phone"] = mask_phone(result.challenge.phone)
                # Past the password, so saying it is a staff account tells nobody anything new.
                request.session["pending_staff"] = result.challenge.user.kind == Kind.STAFF
                request.session["pending_next"] = _safe_next(request, "")
                return redirect("accounts:login_verify")
            return _complete_login(request, result.user, result.token, data["remember"])
    return render(request, "accounts/login.html", {"form": form, "remembered": remembered})


def forget_username(request):
    response = redirect("accounts:login")
    response.delete_cookie(REMEMBER_COOKIE)
    return response


def _code_page(request, *, session_key: str, form, restart: str, title: str, phone: str, resend_for: str, answer, done):
    """The one page that asks for an SMS code (sign-in, password reset, new mobile).

    `answer(challenge, cleaned_data)` calls the service; `done(result)` is the response when
    it succeeds. A dead challenge sends the user back to `restart` saying why."""
    challenge = request.session.get(session_key)
    if not challenge:
        return redirect(restart)
    if (refused := request.session.pop(RESEND_REFUSED, None)) and request.method == "GET":
        # With the error summary and the title's "Error:", as any refused form (an outsider's
        # screen reader heard a banner only). Set on the errors themselves: the form is unbound,
        # which `add_error` does not take.
        form.errors[NON_FIELD_ERRORS] = form.error_class([refused], error_class="nonfield")
    if request.method == "POST" and form.is_valid():
        try:
            result = answer(challenge, form.cleaned_data)
        except DomainError as exc:
            if exc.code == "challenge_expired":
                request.session.pop(session_key, None)
                messages.error(request, exc.message)
                return redirect(restart)
            add_domain_error(form, exc)
        else:
            request.session.pop(session_key, None)
            return done(result)
    return render(
        request,
        "accounts/sms_verify.html",
        {
            "form": form,
            "phone_masked": phone,
            "resend_url": reverse("accounts:sms_resend") + "?for=" + resend_for,
            "title": title,
            "back": reverse(restart),
            # A code to the bound number (sign-in, reset): its holder may no longer have that phone.
            # A reset's page says the citizens' way whoever asked: it must not tell staff apart.
            "lost_phone_help": resend_for in ("login", "reset"),
            "staff": resend_for == "login" and request.session.get("pending_staff", False),
        },
    )


def login_verify(request):
    def done(result):
        next_url = request.session.pop("pending_next", "")
        response = _complete_login(request, result.user, result.token, result.session.remember)
        if next_url:
            response["Location"] = next_url
        return response

    return _code_page(
        request,
        session_key=PENDING_CHALLENGE,
        form=CodeForm(request.POST or None),
        restart="accounts:login",
        title=_("Enter the code sent to your mobile"),
        phone=request.session.get("pending_phone", ""),
        resend_for="login",
        answer=lambda challenge, data: services.auth_sms_verify(
            challenge=challenge,
            code=data["code"],
            address=request.client_address,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        ),
        done=done,
    )


@require_POST
def sms_resend(request):
    which = request.GET.get("for", "login")
    key = {
        "login": PENDING_CHALLENGE,
        "phone": PHONE_CHALLENGE,
        "reset": RESET_CHALLENGE,
        "counter": COUNTER_CHALLENGE,
    }.get(which, PENDING_CHALLENGE)
    back = {
        "login": "accounts:login_verify",
        "phone": "web:phone_verify",
        "reset": "accounts:password_reset_confirm",
        "counter": "web:counter_phone_verify",
    }.get(which, "accounts:login_verify")
    challenge = request.session.get(key)
    if not challenge:
        return redirect("accounts:login")
    try:
        services.auth_sms_resend(challenge=challenge, address=request.client_address)
    except DomainError as exc:
        request.session[RESEND_REFUSED] = str(page_message(exc))
    else:
        messages.success(request, _("A new code has been sent."))
    return redirect(back)


@require_POST
def logout_view(request):
    if request.login_session is not None:
        services.session_end(session=request.login_session, address=request.client_address)
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


@require_POST
def keep_alive(request):
    """The page's "stay signed in" (base.html's warning before the idle sign-out; WCAG 2.2.1)."""
    if request.login_session is None:
        return HttpResponse(status=401)
    services.session_keep_alive(request.login_session)
    return HttpResponse(status=204)


def signed_out(request):
    reason = request.GET.get("reason", "")
    # The idle time as set (an outsider's 40 seconds were said to be 30 minutes).
    minutes = max(1, round(settings.IDLE_TIMEOUT_SECONDS / 60))
    context = {"reason": reason, "next": _safe_next(request, ""), "idle_minutes": minutes}
    if reason == "disabled":
        context["disabled_message"] = {
            Kind.STAFF: STAFF_ACCOUNT_DISABLED,
            Kind.SUB_ACCOUNT: AccountDisabled.default_message,
        }.get(request.GET.get("kind", ""), ACCOUNT_DISABLED)
    return render(request, "accounts/signed_out.html", context)


def password_reset(request):
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge, masked = services.password_reset_start(
                username=form.cleaned_data["username"], address=request.client_address
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            request.session[RESET_CHALLENGE] = challenge.public_id
            request.session["reset_phone"] = masked
            return redirect("accounts:password_reset_confirm")
    return render(request, "accounts/password_reset.html", {"form": form})


def username_reminder(request):
    form = UsernameReminderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.username_reminder(phone=form.cleaned_data["phone"], address=request.client_address)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return render(
                request, "accounts/username_reminder.html", {"sent_to": mask_phone(form.cleaned_data["phone"])}
            )
    return render(request, "accounts/username_reminder.html", {"form": form})


def password_reset_confirm(request):
    def done(_result):
        messages.success(request, _("Your password has been reset. Sign in with the new password."))
        return redirect("accounts:login")

    return _code_page(
        request,
        session_key=RESET_CHALLENGE,
        form=PasswordResetConfirmForm(request.POST or None),
        restart="accounts:password_reset",
        title=_("Choose a new password"),
        phone=request.session.get("reset_phone", ""),
        resend_for="reset",
        answer=lambda challenge, data: services.password_reset_confirm(
            challenge=challenge, address=request.client_address, code=data["code"], new_password=data["new_password"]
        ),
        done=done,
    )


def _with_password_check(request, form, password_field: str) -> bool:
    """Whether to call a service that checks the account's password.

    It is called as soon as that password is given, even when the form found problems in
    other fields: the service checks those fields the same way and answers every problem at
    once, the password among them, so nothing waits for a second round."""
    form.is_valid()
    return request.method == "POST" and bool(form.data.get(password_field))


@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None, user=request.user)
    if _with_password_check(request, form, "old_password"):
        try:
            services.password_change(
                user=request.user,
                old_password=form.data["old_password"],
                new_password=form.data.get("new_password", ""),
                address=request.client_address,
                # Two different new passwords change nothing, and are said with the rest at once.
                found={k: v for k, v in form.errors.items() if k == "new_password_again"},
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            request.user.refresh_from_db()
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed."))
            return redirect("web:account")
    return render(
        request,
        "accounts/form_page.html",
        {"form": form, "title": _("Change password"), "submit": _("Change password")},
    )


@login_required
def phone_change(request):
    form = PhoneChangeForm(request.POST or None)
    if _with_password_check(request, form, "password"):
        try:
            challenge = services.phone_change_start(
                user=request.user,
                phone=form.data.get("phone", ""),
                password=form.data["password"],
                address=request.client_address,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            request.session[PHONE_CHALLENGE] = challenge.public_id
            request.session["phone_new"] = mask_phone(challenge.phone)
            return redirect("web:phone_verify")
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": _("Change mobile number"),
            "submit": _("Send a code to the new number"),
            "intro": _("A code will be sent to the new number. Your next sign-in will also need a code."),
        },
    )


@login_required
def phone_verify(request):
    def answer(challenge, data):
        if not SmsChallenge.objects.filter(public_id=challenge, user=request.user).exists():
            raise ChallengeExpired()
        return services.auth_sms_verify(challenge=challenge, code=data["code"], address=request.client_address)

    def done(_result):
        messages.success(request, _("Your mobile number has been changed."))
        return redirect("web:details")

    return _code_page(
        request,
        session_key=PHONE_CHALLENGE,
        form=CodeForm(request.POST or None),
        restart="web:phone",
        title=_("Confirm your new mobile number"),
        phone=request.session.get("phone_new", ""),
        resend_for="phone",
        answer=answer,
        done=done,
    )


@login_required
def real_name(request):
    services.real_name_allowed(request.user)  # an organisation or staff account is refused the page
    form = RealNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.real_name_verify(user=request.user, address=request.client_address, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Real-name verification passed."))
            return redirect("web:details")
    return render(request, "accounts/real_name.html", {"form": form})


def _clerk_only(request):
    user = request.user
    return user.is_authenticated and user.kind == Kind.STAFF and user.role == Role.CLERK


def _not_pending(request, organisation):
    """The page of an organisation account no longer waiting (activated or declined in another
    tab or by another clerk): said so, without the form (an outsider's stale tab offered it)."""
    if organisation.user.status == Status.PENDING:
        return None
    if organisation.declined_at:
        message = _("This organisation account was declined on %(day)s.") % {
            "day": timezone.localdate(organisation.declined_at).isoformat()
        }
    else:
        message = _("This organisation account is active: it is not waiting for activation.")
    return error_page(request, message, 409, back=reverse("web:staff"), back_label=_("Back to the staff desk"))


@login_required
def organisation_activate(request, pk: int):
    if not _clerk_only(request):
        return error_page(request, _("Only counter clerks may do this."))
    organisation = selectors.organisation_get(account_id=pk)
    if gone := _not_pending(request, organisation):
        return gone
    form = ActivateOrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_activate(actor=request.user, account_id=pk, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s is now active.") % {"name": organisation.name})
            return redirect("web:staff")
    return render(request, "accounts/organisation_activate.html", {"form": form, "organisation": organisation})


@login_required
def organisation_decline(request, pk: int):
    if not _clerk_only(request):
        return error_page(request, _("Only counter clerks may do this."))
    organisation = selectors.organisation_get(account_id=pk)
    if gone := _not_pending(request, organisation):
        return gone
    form = DeclineOrganisationForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_decline(actor=request.user, account_id=pk, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(
                request,
                _("The account of %(name)s is declined: its credit code %(code)s can be used to sign up again.")
                % {"name": organisation.name, "code": organisation.credit_code},
            )
            return redirect("web:staff")
    return render(
        request, "accounts/organisation_decline.html", {"form": form, "organisation": organisation}, status=status
    )


@login_required
def counter_phone(request):
    if not _clerk_only(request):
        return error_page(request, _("Only counter clerks may do this."))
    form = CounterPhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            challenge = services.phone_change_at_counter(
                actor=request.user,
                username=data["username"],
                phone=data["phone"],
                identity_checked=data["identity_checked"],
                document_number=data["document_number"],
                address=request.client_address,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            request.session[COUNTER_CHALLENGE] = challenge.public_id
            request.session["counter_phone"] = {
                "masked": mask_phone(challenge.phone),
                "username": challenge.user.username,
                "note": data["note"],
            }
            return redirect("web:counter_phone_verify")
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": _("Change a mobile number at the counter"),
            "submit": _("Send a code to the new number"),
            "intro": _(
                "For a holder who lost the old number. Check the identity document in person, and type its number: "
                "it must match the account's. A code goes to the new number for the holder to tell you; then every "
                "login of the account ends, and the old number is told."
            ),
        },
    )


@login_required
def counter_phone_verify(request):
    if not _clerk_only(request):
        return error_page(request, _("Only counter clerks may do this."))
    pending = request.session.get("counter_phone") or {}

    def done(user):
        request.session.pop("counter_phone", None)
        # The password is the holder's to change: whoever had the lost phone may know it (an outsider).
        messages.success(
            request,
            _(
                "The mobile number of %(u)s has been changed. Ask the holder to change the password at the first "
                "sign-in if anyone else may know it."
            )
            % {"u": user.username},
        )
        return redirect("web:staff")

    return _code_page(
        request,
        session_key=COUNTER_CHALLENGE,
        form=CodeForm(request.POST or None),
        restart="web:counter_phone",
        title=_("The code sent to the new number of %(username)s") % {"username": pending.get("username", "")},
        phone=pending.get("masked", ""),
        resend_for="counter",
        answer=lambda challenge, data: services.phone_change_at_counter_confirm(
            actor=request.user,
            challenge=challenge,
            code=data["code"],
            note=pending.get("note", ""),
            address=request.client_address,
        ),
        done=done,
    )


def admin_password_change(request, extra_context=None):
    """The admin's own change-password form, replaced by the platform's page, where a wrong old
    password counts like a sign-in's (an outsider tried seven on the admin's, none counted)."""
    return redirect("web:password")


def admin_login(request, extra_context=None):
    """The admin's own login form, replaced: system administrators sign in through the
    platform's login (its lockout and the SMS code of every staff login), and the admin
    never checks a password itself."""
    if request.user.is_authenticated:
        if admin.site.has_permission(request):
            return redirect(_safe_next(request, reverse("admin:index")))
        return error_page(request, _("This account cannot use the administration."))
    return redirect_to_login(_safe_next(request, reverse("admin:index")), reverse("accounts:login"))
