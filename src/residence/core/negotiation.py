from rest_framework.negotiation import BaseContentNegotiation


class JSONOnlyNegotiation(BaseContentNegotiation):
    """The API speaks JSON only (API.md): skip parsing Accept on every request.

    DRF's default negotiation costs as much as a third of a light request's Python time
    (docs/performance.md) and could only ever choose the one JSON renderer.
    """

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type.startswith(parser.media_type):
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PageForBrowsersNegotiation(JSONOnlyNegotiation):
    """JSON, but a page for a browser: the view's other renderer when its media type is named in
    Accept (a phone's browser opening a QR code sends text/html; API clients send JSON or */*)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "")
        for renderer in renderers[1:]:
            if renderer.media_type in accept:
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)
