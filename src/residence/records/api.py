import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from residence.core import parsers
from residence.core.encodings import declared
from residence.core.errors import Forbidden, Invalid, NotFound, PayloadTooLarge, error_body

from .importing import KINDS
from .models import ApiKey
from .services import DEPARTMENT_KINDS, hash_key, records_import_csv, records_import_rows


class DepartmentSystem:
    """The caller of the exchange API: a key, not a person."""

    is_authenticated = True

    def __init__(self, key: ApiKey):
        self.key = key
        self.department = key.department


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`; used only by the exchange endpoints."""

    def authenticate(self, request):
        scheme, _sep, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "api-key":  # an authentication scheme is case-insensitive (RFC 9110)
            return None
        found = ApiKey.objects.filter(key_hash=hash_key(key.strip()), revoked_at__isnull=True).first()
        if found is None:
            raise AuthenticationFailed(_("The API key is not valid or has been revoked."), "not_authenticated")
        return DepartmentSystem(found), found

    def authenticate_header(self, request):
        return "Api-Key"


def too_many(rows: int) -> None:
    """A push of more rows than a body within the size limit holds when its rows are real ones
    (every kind's is 40 bytes or more): each bad row is answered with its reasons, and 200,000
    empty objects in 600 KB had a worker write a 39 MB answer for 9 s (an outsider)."""
    if rows > settings.EXCHANGE_MAX_ROWS:
        most = f"{settings.EXCHANGE_MAX_ROWS:,}"
        raise PayloadTooLarge(_("A push has at most %(most)s rows: send the rest in another.") % {"most": most})


class ExchangeView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = []  # the body is read as CSV or JSON below

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:
            # Said to a department's system, not "please sign in" (an outsider's Bearer and X-Api-Key).
            raise AuthenticationFailed(
                _("Send the department's API key: Authorization: Api-Key <key>."), "not_authenticated"
            )
        super().permission_denied(request, message=message, code=code)

    @extend_schema(
        request={
            "text/csv": OpenApiTypes.STR,
            "application/json": {"type": "array", "items": {"type": "object"}, "description": "one object per row"},
        },
        responses={
            200: OpenApiResponse(
                inline_serializer(
                    "ExchangeApplied",
                    {
                        "kind": serializers.CharField(),
                        "rows": serializers.IntegerField(),
                        "created": serializers.IntegerField(),
                        "updated": serializers.IntegerField(),
                        "unchanged": serializers.IntegerField(),
                        "notes": inline_serializer(
                            "ExchangeNote",
                            {"line": serializers.IntegerField(), "note": serializers.CharField()},
                            many=True,
                        ),
                    },
                ),
                description="applied (notes: rows kept as records only, and why)",
            ),
            400: OpenApiResponse(
                inline_serializer(
                    "ExchangeRejected",
                    {
                        "error": inline_serializer(
                            "ExchangeRejection",
                            {
                                "code": serializers.CharField(),
                                "message": serializers.CharField(),
                                "fields": serializers.DictField(
                                    child=serializers.ListField(child=serializers.CharField())
                                ),
                                # Only when rows were refused: a body refused whole has none (an outsider).
                                "rows": inline_serializer(
                                    "ExchangeBadRow",
                                    {"line": serializers.IntegerField(), "reason": serializers.CharField()},
                                    many=True,
                                    required=False,
                                ),
                            },
                        )
                    },
                ),
                description="rejected: nothing applied; every bad row listed",
            ),
        },
    )
    def post(self, request, kind: str):
        if kind not in KINDS:
            raise NotFound()
        if kind not in DEPARTMENT_KINDS[request.user.department]:
            raise Forbidden(_("This department's key may not send %(kind)s.") % {"kind": kind})
        body = request.body
        source = f"exchange:{request.user.key.prefix}"
        media_type, parameters = parse_header_parameters(request.content_type or "")
        try:
            if media_type == "application/json":
                rows = parsers.loads(body, check_strings=False)
                if not isinstance(rows, list):
                    raise Invalid(_("Send a JSON array of objects."))
                too_many(len(rows))
                result = records_import_rows(
                    kind,
                    rows,
                    actor_key=request.user.key,
                    source=source,
                    wait=settings.IMPORT_WAIT_SECONDS,
                    whole_rows=True,
                )
            else:
                # A charset the sender declares is the file's: a UTF-8 file with one bad spot was
                # detected as GB18030 and stored garbled.
                encoding = declared(parameters.get("charset", ""))
                # Rows, not lines: import_records skips blank lines (an outsider's 40,000 were a 413).
                too_many(sum(1 for line in body.splitlines() if line.strip()) - 1)
                result = records_import_csv(
                    kind,
                    io.BytesIO(body),
                    actor_key=request.user.key,
                    source=source,
                    encoding=encoding,
                    wait=settings.IMPORT_WAIT_SECONDS,
                )
        except ValidationError as e:
            raise Invalid("; ".join(e.messages)) from None
        if not result.applied:
            return Response(
                error_body(
                    "invalid",
                    _("The file was rejected: nothing was applied."),
                    rows=[{"line": line, "reason": reason} for line, reason in result.errors],
                ),
                status=400,
            )
        return Response(
            {
                "kind": kind,
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "notes": [{"line": line, "note": note} for line, note in result.notes],
            }
        )
