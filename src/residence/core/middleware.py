import ipaddress

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

from .errors import DomainError, error_body
from .views import bad_request, domain_error_page

# A cookie value can carry NUL raw or as the octal escape that SimpleCookie decodes.
NUL_IN_COOKIES = ("\x00", "\\000")


def _in_networks(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


class ClientAddressMiddleware:
    """Sets request.client_address; believes X-Forwarded-For only from TRUSTED_PROXIES.

    Walks the header from the right, skipping trusted hops, so a client cannot forge its
    address by sending its own X-Forwarded-For through the proxy. Also refuses, before
    anything reads them, bodies over the 1 MB limit (413) and a NUL in the path, the query
    string or a cookie (400): PostgreSQL refuses NUL in text, so a `?district=%00` that
    reached a query would be a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.proxies = [ipaddress.ip_network(p.strip(), strict=False) for p in settings.TRUSTED_PROXIES if p]

    def client_address(self, request) -> str:
        peer = request.META.get("REMOTE_ADDR", "") or "unknown"
        if not self.proxies or not _in_networks(peer, self.proxies):
            return peer
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if not _in_networks(hop, self.proxies):
                return hop
        return hops[0] if hops else peer

    def __call__(self, request):
        request.client_address = self.client_address(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return JsonResponse(error_body("payload_too_large", _("The request body is larger than 1 MB.")), status=413)
        meta = request.META
        if (
            "\x00" in request.path
            or "%00" in meta.get("QUERY_STRING", "")
            or any(nul in meta.get("HTTP_COOKIE", "") for nul in NUL_IN_COOKIES)
        ):
            return bad_request(request)
        return self.get_response(request)


class DomainErrorMiddleware:
    """A service's domain error raised in a page becomes that error's status and message,
    as the API's exception handler does for the API (a 404 for another person's object, a
    409 for a move the state does not allow), never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            return domain_error_page(request, exception)
        return None
