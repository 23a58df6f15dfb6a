import functools
import io
import ipaddress

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.handlers.wsgi import LimitedStream
from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrfViewMiddleware
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from gunicorn.http.errors import ParseException

from . import context
from .errors import DomainError
from .views import bad_request, domain_error_page, method_not_allowed_page, payload_too_large

# A cookie value can carry NUL raw or as the octal escape that SimpleCookie decodes.
NUL_IN_COOKIES = ("\x00", "\\000")

# --- pages only ----------------------------------------------------------------------------
#
# MIDDLEWARE is one stack, built and run by Django as usual (gunicorn, runserver and the test
# client alike). Some of it only web pages need: the session, CSRF, the signed-in user and
# flash messages. A request for one of settings.LEAN_PATHS (the API, which authenticates by
# token, and the health probes) passes such a middleware straight to the next layer, and its
# view hook, if it has one, does nothing for it. Everything else in MIDDLEWARE runs for every
# request (docs/performance.md).

_HOOKS = ("process_view", "process_exception", "process_template_response")


def pages_only(middleware):
    """A subclass of the middleware class `middleware` that API and probe requests skip."""

    class PagesOnly(middleware):
        async_capable = False  # the skip is synchronous; Django adapts it under ASGI

        def __init__(self, get_response):
            super().__init__(get_response)
            self.lean_paths = tuple(settings.LEAN_PATHS)
            self.next_layer = get_response

        def __call__(self, request):
            if request.path_info.startswith(self.lean_paths):
                return self.next_layer(request)
            return super().__call__(request)

    def skipping(hook):
        def method(self, request, *args):
            if request.path_info.startswith(self.lean_paths):
                return args[-1] if hook == "process_template_response" else None
            return getattr(super(PagesOnly, self), hook)(request, *args)

        method.__name__ = hook
        return method

    for hook in _HOOKS:
        if hasattr(middleware, hook):
            setattr(PagesOnly, hook, skipping(hook))
    PagesOnly.__name__ = PagesOnly.__qualname__ = middleware.__name__
    PagesOnly.__doc__ = f"{middleware.__module__}.{middleware.__name__}, for pages only."
    return PagesOnly


SessionMiddleware = pages_only(DjangoSessionMiddleware)
CsrfViewMiddleware = pages_only(DjangoCsrfViewMiddleware)
AuthenticationMiddleware = pages_only(DjangoAuthenticationMiddleware)
MessageMiddleware = pages_only(DjangoMessageMiddleware)


def _is_address(text: str) -> bool:
    """An IP address, as a proxy writes one (an outsider's `1.1.1.1 "evil" 200` forged the access
    log's columns and would have keyed the limits)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _in_networks(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


CLIENT_ADDRESS_KEY = "residence.client_address"
# A body refused unread leaves the client still sending when the server closes the connection:
# the client then sees the connection reset, not the page that says why (an outsider's 6 MB file
# on the bulk page). Up to this size the refused body is read and dropped first; a larger one is
# not worth a worker's time, and its sender gets the reset.
REFUSED_BODY_READ_MAX_BYTES = 32 * 1024 * 1024


def _drop_body(request, length: int) -> None:
    if length <= REFUSED_BODY_READ_MAX_BYTES:
        try:
            while request.read(64 * 1024):
                pass
        except OSError:  # the sender gave up half-way (gunicorn's NoMoreData is one): nobody to answer
            pass


def _read_chunked(request, limit: int) -> int | None:
    """The length of a chunked body (gunicorn hands it over de-chunked, with no Content-Length),
    read up to one byte past `limit` and given to the request as if it had said its length: Django
    reads a body without a Content-Length as empty, and a department's streamed CSV was refused
    for its header (an outsider). A body past the limit is answered 413 like a declared one; None
    for a malformed or broken-off one, answered 400 (an outsider's bad chunk sizes were 500s)."""
    stream, parts, size = request.META["wsgi.input"], [], 0
    while size <= limit:
        try:
            part = stream.read(min(64 * 1024, limit + 1 - size))
        except (OSError, ParseException):
            return None
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size <= limit:
        body = b"".join(parts)
        request.META["CONTENT_LENGTH"] = str(size)
        request._stream = LimitedStream(io.BytesIO(body), size)
    return size


class ClientAddressMiddleware:
    """Sets request.client_address; believes X-Forwarded-For, and X-Forwarded-Proto when
    TRUSTED_PROXIES is set, only from TRUSTED_PROXIES. First in the stack, so that the HTTPS
    redirect below it reads only a scheme the proxy gave (an outsider reaching gunicorn
    directly skipped the redirect with his own header).

    Walks X-Forwarded-For from the right, skipping trusted hops, so a client cannot forge its
    address by sending its own through the proxy. Also refuses, before anything reads them,
    bodies over the 1 MB limit (413) and a NUL in the path, the query string or a cookie (400):
    PostgreSQL refuses NUL in text, so a `?district=%00` that reached a query would be a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.proxies = [ipaddress.ip_network(p.strip(), strict=False) for p in settings.TRUSTED_PROXIES if p]

    def client_address(self, request) -> str:
        peer = request.META.get("REMOTE_ADDR", "") or "unknown"
        if not self.proxies:
            return peer
        if not _in_networks(peer, self.proxies):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
            return peer
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if not _is_address(hop):  # not an address: what the client wrote, not what a proxy saw
                return peer
            if not _in_networks(hop, self.proxies):
                return hop
        return hops[0] if hops else peer

    def __call__(self, request):
        # Also in the WSGI environ (request.META is it), where gunicorn's access line reads it:
        # behind the proxy its own %(h)s is always the proxy.
        request.client_address = request.META[CLIENT_ADDRESS_KEY] = self.client_address(request)
        token = context.client_address.set(request.client_address)
        try:
            return self._answer(request)
        finally:
            context.client_address.reset(token)

    def _answer(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.LARGE_BODY_PATHS.get(request.path_info, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        meta = request.META
        if not meta.get("CONTENT_LENGTH") and "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
            length = _read_chunked(request, limit)
        if length is None:
            refusal = bad_request
        elif length > limit:
            _drop_body(request, length)
            refusal = functools.partial(payload_too_large, limit=limit)
        elif (
            "\x00" in request.path
            or "%00" in meta.get("QUERY_STRING", "")
            or any(nul in meta.get("HTTP_COOKIE", "") for nul in NUL_IN_COOKIES)
            # Django's own refusal of too many fields, raised wherever the query is first read,
            # crashed its debug page (a 500 with DEBUG=1, an outsider's demo set-up).
            or meta.get("QUERY_STRING", "").count("&") >= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        ):
            refusal = bad_request
        else:
            return self.get_response(request)
        # Answered before LocaleMiddleware: a page is in the language the visitor chose all the same
        # (an outsider's browser showed a JSON body in Chinese where a page was expected).
        with translation.override(translation.get_language_from_request(request)):
            return refusal(request)


class PrivateResponsesMiddleware:
    """Every answer that does not say otherwise is `Cache-Control: no-store`: nearly every page
    and API answer carries someone's personal data or a form's CSRF token, and none may be kept
    by a shared cache or in the browser's history after signing out (static files and the
    probes set their own). Every HTML page also carries the Content-Security-Policy: all
    scripts, styles and fonts are the platform's own files, nothing inline, so a value that
    slipped past escaping could still not run."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        headers = response.headers
        headers.setdefault("Cache-Control", "no-store")
        if headers.get("Content-Type", "").startswith("text/html"):
            headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's LocaleMiddleware without its per-request work for language-prefixed URLs.

    Django's looks for a language code at the start of the path twice per request and rereads
    the URLconf's i18n_patterns() and a dozen settings: about half of its time. No URL
    here has a language prefix (checked once, at start), so the language is what Django's own
    get_language_from_request() answers from the language cookie and Accept-Language, and
    the response gets the same Vary and Content-Language headers. With i18n_patterns() in the
    URLconf, it is Django's middleware unchanged.
    """

    def __init__(self, get_response):
        super().__init__(get_response)
        self.by_path = is_language_prefix_patterns_used(settings.ROOT_URLCONF)[0]

    def process_request(self, request):
        if self.by_path or hasattr(request, "urlconf"):
            return super().process_request(request)
        language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def process_response(self, request, response):
        if self.by_path or hasattr(request, "urlconf"):
            return super().process_response(request, response)
        language = translation.get_language()
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        return response


class ApiCycleMiddleware:
    """Frees an API request's objects when it ends rather than at the next garbage collection.

    DRF links its view, request and response into reference cycles (view.request and
    view.response, the response's renderer_context and the request's parser_context point
    back), so each API request left ~60 objects for Python's cycle collector, which then ran
    every dozen requests: about 2 % of GET /api/v1/me's CPU (docs/performance.md). Once the
    response is rendered nothing follows these links; cutting them then lets reference
    counting free the request at once. Responses without a renderer_context are untouched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_template_response(self, request, response):
        if getattr(response, "renderer_context", None) is not None:
            response.add_post_render_callback(_release_drf_cycles)
        return response


def _release_drf_cycles(response):
    context = response.renderer_context
    view, drf_request = context.get("view"), context.get("request")
    if view is not None:
        view.request = view.response = None
    if drf_request is not None:
        drf_request.parser_context = None
    response.renderer_context = None


PAGE_METHODS = ("GET", "HEAD", "POST")


@pages_only
class DomainErrorMiddleware:
    """A service's domain error raised in a page becomes that error's status and message,
    as the API's exception handler does for the API (a 404 for another person's object, a
    409 for a move the state does not allow), never a 500. And a form's address opened as a
    page, which Django answers with an empty 405, gets a page saying what happened: signing in
    again after a session ended took an outsider to a form's button's address, and a blank page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in PAGE_METHODS:
            # Pages are read and forms sent: OPTIONS, TRACE, PUT and the rest got the page itself
            # (an outsider), as if they were a GET.
            page = method_not_allowed_page(request, form=False)
            page["Allow"] = ", ".join(PAGE_METHODS)
            return page
        response = self.get_response(request)
        if response.status_code == 405 and request.method in ("GET", "HEAD") and not response.content:
            page = method_not_allowed_page(request)
            page["Allow"] = response.get("Allow", "POST")
            return page
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            return domain_error_page(request, exception)
        return None
