"""Deploy checks for the pages-only CSRF middleware (residence.core.middleware.pages_only).

Django's security.W003 and W016 look for CsrfViewMiddleware by its exact dotted path in
MIDDLEWARE; here it is a pages-only subclass, so W003 would warn wrongly and W016 (the CSRF
cookie must be secure) would never run. settings silence W003; these two take their place
and accept a subclass.
"""

from django.conf import settings
from django.core import checks
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string


def _csrf_middleware_installed() -> bool:
    for path in settings.MIDDLEWARE:
        middleware = import_string(path)
        if isinstance(middleware, type) and issubclass(middleware, CsrfViewMiddleware):
            return True
    return False


@checks.register(checks.Tags.security, deploy=True)
def check_csrf_middleware(app_configs, **kwargs):
    if not _csrf_middleware_installed():
        return [checks.Warning("CsrfViewMiddleware (or a subclass) is not in MIDDLEWARE.", id="core.W003")]
    if not settings.CSRF_USE_SESSIONS and not settings.CSRF_COOKIE_SECURE:
        return [checks.Warning("CSRF_COOKIE_SECURE is not True.", id="core.W016")]
    return []
