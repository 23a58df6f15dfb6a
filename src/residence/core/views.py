import math

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .errors import DomainError, error_body, page_message


def admin_shortcut(request, **kwargs):
    """The admin's "view on site" redirect, never served: no row the admin shows has a page on the
    site, and Django's looked the key up unchecked (an outsider's /admin/r/<a calendar day>/1/ was
    a 500)."""
    raise Http404


@never_cache
def healthz(request):
    """Liveness: the process answers. Touches no database."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Readiness: the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as e:  # any database failure means "not ready", never a 500
        return JsonResponse({"status": "unavailable", "database": type(e).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _error(request, status, code, message, retry_after=None, back="", heading=""):
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(code, message), status=status, json_dumps_params={"ensure_ascii": False})
    else:
        context = {
            "status": status,
            "message": message,
            "back": back,
            "heading": heading,
            # A request refused at the door (too large, a NUL) is answered before the session is
            # read: the header must not say "Sign in" to someone signed in (an outsider's 20 MB upload).
            "refused_early": not hasattr(request, "user"),
        }
        response = render(request, "web/error.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def domain_error_page(request, exc: DomainError):
    return _error(request, exc.status, exc.code, page_message(exc), exc.retry_after)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):  # form fields, not files, over the 1 MB that fields may hold
        return payload_too_large(request, limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return _error(request, 400, "invalid", _("The request is not valid."))


def payload_too_large(request, *, limit: int):
    """A body over the limit, refused before it is read: a page for a page, JSON for the API."""
    message = _("The request is larger than %(size)s MB: nothing was received. Go back and send less.") % {
        "size": limit // (1024 * 1024)
    }
    # Back to the form the body was sent from (its page answers a GET), not to the home page.
    return _error(request, 413, "payload_too_large", message, back=request.path)


def method_not_allowed_page(request, *, form: bool = True):
    """A 405 page: for a form's address opened as a page (`form`), or a method no page answers."""
    if not form:
        return _error(request, 405, "method_not_allowed", _("This address is opened as a page or sent as a form only."))
    return _error(
        request,
        405,
        "method_not_allowed",
        _(
            "This address is a form's button and cannot be opened as a page. Nothing was sent: go back to "
            "the form and send it again."
        ),
    )


def permission_denied(request, exception=None):
    return _error(request, 403, "permission_denied", _("You do not have permission to do this."))


def csrf_failure(request, reason=""):
    return _error(
        request,
        403,
        "permission_denied",
        _(
            "This form has expired or was sent from another site, and nothing was sent. Use your browser's Back "
            "button to return to the form and send it again; do not reload that page, which would clear what you "
            "typed."
        ),
        # A phone that dropped its cookie, or the Back button: not a matter of permission (an outsider).
        heading=_("This form has expired"),
    )


def page_not_found(request, exception=None):
    return _error(request, 404, "not_found", _("Not found."))


def server_error(request):
    return _error(request, 500, "server_error", _("Something went wrong on our side. Please try again."))
