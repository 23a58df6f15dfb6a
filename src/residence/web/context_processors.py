from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language

from residence.accounts.services import idle_seconds_left
from residence.notifications.selectors import message_unread_count

# The BCP 47 tag of each interface language, for lang= and hreflang=.
LANGUAGE_TAGS = {"zh-hans": "zh-CN", "en": "en"}


def platform(request):
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    current = get_language()
    session = getattr(request, "login_session", None)
    return {
        "platform_name": settings.PLATFORM_NAME,
        "unread_messages": message_unread_count(user=user) if signed_in else 0,
        # For the warning before the idle sign-out, and what is typed kept over it (base.html, site.js):
        # kept for the account that typed it only, named by a token that tells nothing of it.
        "idle_seconds_left": idle_seconds_left(session) if session else None,
        "idle_timeout": settings.IDLE_TIMEOUT_SECONDS,
        "typed_owner": salted_hmac("typed-kept", str(user.pk)).hexdigest()[:16] if signed_in else "",
        "html_lang": LANGUAGE_TAGS.get(current, current),
        # Each language in its own name, so a reader who cannot read this page still finds theirs.
        "languages": [
            {"code": code, "name": name, "tag": LANGUAGE_TAGS.get(code, code), "current": code == current}
            for code, name in settings.LANGUAGES
        ],
    }
