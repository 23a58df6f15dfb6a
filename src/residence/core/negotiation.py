from rest_framework.negotiation import BaseContentNegotiation


class JSONOnlyNegotiation(BaseContentNegotiation):
    """The API speaks JSON only (API.md): skip parsing Accept on every request.

    DRF's default negotiation costs as much as a third of a light request's Python time
    (docs/performance.md) and could only ever choose the one JSON renderer.
    """

    def select_parser(self, request, parsers):
        # A media type is case-insensitive, its parameters (charset) aside (RFC 9110 §8.3.1): an
        # outsider's APPLICATION/JSON was refused.
        kind = request.content_type.partition(";")[0].strip().lower()
        for parser in parsers:
            if kind == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PageForBrowsersNegotiation(JSONOnlyNegotiation):
    """JSON, but a page for a browser: the view's other renderer when Accept names its media type
    with a higher weight than any JSON (`application/json`, `…+json`, `application/*`, `*/*`). A
    phone's browser opening a QR code sends `text/html,…,*/*;q=0.8`; an API client that also
    lists text/html lower, or as high, still gets JSON (an outsider's did not)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        weights = _weights(request.META.get("HTTP_ACCEPT", ""))
        json = max((q for kind, q in weights if _is_json(kind)), default=0.0)
        for renderer in renderers[1:]:
            if max((q for kind, q in weights if kind == renderer.media_type), default=0.0) > json:
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)


def _is_json(kind: str) -> bool:
    return kind in ("application/json", "application/*", "*/*") or kind.endswith("+json")


def _weights(accept: str) -> list[tuple[str, float]]:
    """(media type, q) of an Accept header; a weight that is no number counts as 0."""
    weights = []
    for part in accept[:2000].split(",")[:64]:
        kind, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights.append((kind.lower(), q if 0.0 <= q <= 1.0 else 0.0))
    return weights
