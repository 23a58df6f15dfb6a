from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .models import LoginSession
from .selectors import session_by_token_hash
from .services import account_language_remember, hash_token, session_touch, stated_language
from .services.credentials import disabled_refusal

REASON_ERRORS = {
    LoginSession.EndReason.REPLACED: (
        _("Your account signed in somewhere else, so this login ended."),
        "session_replaced",
    ),
    LoginSession.EndReason.EXPIRED: (_("Your login has expired. Please sign in again."), "session_expired"),
    # Not "you have signed out": the holder did not, and may not know of the reset (an outsider).
    LoginSession.EndReason.PASSWORD: (
        _("The account's password was reset, so this login ended. Sign in with the new password."),
        "not_authenticated",
    ),
    LoginSession.EndReason.PHONE: (
        _("The account's mobile number was changed at a counter, so this login ended. Please sign in again."),
        "not_authenticated",
    ),
}


SIGNED_OUT = (_("You have signed out. Please sign in again."), "not_authenticated")


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>`, checked against the live LoginSession."""

    def session(self, request, token_hash: str):
        """The token's session (with what a subclass reads along with it)."""
        return session_by_token_hash(token_hash)

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        session = self.session(request, hash_token(token.strip())) if token.strip() else None
        if session is None:
            raise AuthenticationFailed(_("The token is not valid. Please sign in again."), "not_authenticated")
        reason = session_touch(session)
        if reason == LoginSession.EndReason.DISABLED:
            raise AuthenticationFailed(disabled_refusal(session.user).message, "not_authenticated")
        if reason:
            message, code = REASON_ERRORS.get(reason, SIGNED_OUT)
            raise AuthenticationFailed(message, code)
        request.login_session = session
        if request.method == "POST" and (language := stated_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))):
            # Before the view, so that the SMS this request sends is in it too (ADR 0003).
            account_language_remember(user=session.user, language=language)
        return session.user, session

    def authenticate_header(self, request):
        return "Bearer"
