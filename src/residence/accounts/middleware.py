from urllib.parse import urlsplit

from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from residence.core.middleware import pages_only

from .models import LoginSession
from .services import account_language_remember, hash_token, session_touch

# Why a browser was signed out, as the signed-out page explains it.
SIGNED_OUT_PAGES = {
    LoginSession.EndReason.REPLACED: "replaced",
    LoginSession.EndReason.EXPIRED: "expired",
    LoginSession.EndReason.DISABLED: "disabled",
    LoginSession.EndReason.PASSWORD: "password",
    LoginSession.EndReason.PHONE: "phone",
}

SESSION_KEY = "login_key"


def _page_of(request) -> str:
    """The page to come back to after signing in again: the one asked for, or, for a form sent
    after the sign-out, the page that sent it (an outsider's self-check landed on the account
    page); the signed-out page checks it is this site's."""
    if request.method == "GET":
        return request.get_full_path()
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc != request.get_host() or not referer.path.startswith("/"):
        return ""
    return referer.path + (f"?{referer.query}" if referer.query else "")


@pages_only
class LoginSessionMiddleware:
    """Ends a browser session whose login is no longer live (replaced, expired, logged out).

    Pages only: the API authenticates by token (BearerTokenAuthentication).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.login_session = None
        # The login's key is read before request.user: a reset password makes Django drop the
        # session as it loads the user, and the page could no longer say why (an outsider).
        key = request.session.get(SESSION_KEY)
        if key or request.user.is_authenticated:
            session = (
                LoginSession.objects.select_related("user").filter(token_hash=hash_token(key)).first() if key else None
            )
            reason = session_touch(session) if session else LoginSession.EndReason.LOGOUT
            if reason:
                logout(request)
                if reason in SIGNED_OUT_PAGES:
                    query = {"reason": SIGNED_OUT_PAGES[reason]}
                    if reason == LoginSession.EndReason.DISABLED and session is not None:
                        # Said in words for its kind, as at sign-in (an outsider's disabled staff
                        # member was sent to a counter, as a citizen would be).
                        query["kind"] = session.user.kind
                    # Signed in again, back to the page (an outsider's form step); a disabled account cannot.
                    if reason != LoginSession.EndReason.DISABLED and (back := _page_of(request)):
                        query["next"] = back
                    return redirect(reverse("accounts:signed_out") + "?" + urlencode(query))
            elif request.user.is_authenticated:  # Django drops a user whose password hash changed
                request.login_session = session
        return self.get_response(request)


@pages_only
class AccountLanguageMiddleware:
    """Remembers, on the account, the language of each form a signed-in person sends (sign-in and
    sign-up included: it looks after the view): the platform writes that person's SMS in it
    (ADR 0003; an API request's stated language is remembered on authenticating it,
    `BearerTokenAuthentication`). Signed in, the language switch is such a form, and its view
    sets the language it chooses as the request's; signed out it is a link (a GET must not)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.method == "POST" and user is not None and user.is_authenticated:
            account_language_remember(user=user, language=getattr(request, "LANGUAGE_CODE", ""))
        return response
