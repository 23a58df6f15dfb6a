from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from residence.core.middleware import pages_only

from .models import LoginSession, User
from .services import account_language_remember, hash_token, session_touch

# Why a browser was signed out, as the signed-out page explains it.
SIGNED_OUT_PAGES = {
    LoginSession.EndReason.REPLACED: "replaced",
    LoginSession.EndReason.EXPIRED: "expired",
    LoginSession.EndReason.DISABLED: "disabled",
}

SESSION_KEY = "login_key"


@pages_only
class LoginSessionMiddleware:
    """Ends a browser session whose login is no longer live (replaced, expired, logged out).

    Pages only: the API authenticates by token (BearerTokenAuthentication).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.login_session = None
        if request.user.is_authenticated:
            key = request.session.get(SESSION_KEY)
            session = (
                LoginSession.objects.select_related("user").filter(token_hash=hash_token(key)).first() if key else None
            )
            reason = session_touch(session) if session else LoginSession.EndReason.LOGOUT
            if reason:
                logout(request)
                if reason in SIGNED_OUT_PAGES:
                    return redirect(reverse("accounts:signed_out") + "?reason=" + SIGNED_OUT_PAGES[reason])
            else:
                request.login_session = session
        return self.get_response(request)


class AccountLanguageMiddleware:
    """Remembers, on the account, the language of each form a signed-in person sends (sign-in and
    sign-up included: it looks after the view), and of each API request that states one in
    `Accept-Language` (an app's user who reads English got every notice SMS in Chinese): the
    platform writes that person's SMS in it (ADR 0003). A link that switches the language
    changes nothing on the account (a GET must not); an API request that states no language
    leaves the stored one as it is."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.lean_paths = tuple(settings.LEAN_PATHS)

    def __call__(self, request):
        response = self.get_response(request)
        if request.method != "POST":
            return response
        user = getattr(request, "user", None)  # an API request's: set by DRF on authenticating
        if not isinstance(user, User):  # none, anonymous, or a department's system by its key
            return response
        if request.path_info.startswith(self.lean_paths) and "HTTP_ACCEPT_LANGUAGE" not in request.META:
            return response
        account_language_remember(user=user, language=getattr(request, "LANGUAGE_CODE", ""))
        return response
