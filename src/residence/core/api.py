import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import workdays
from .errors import Invalid
from .validators import TYPED_DATES, check_date_bounds, parse_date

COUNT_RE = re.compile(r"[0-9]{1,4}")


class WorkingDaysView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", dt.date, required=True, description="start day (does not count)"),
            OpenApiParameter(
                "add",
                {"type": "integer", "minimum": 1, "maximum": 3650},
                required=True,
                description="working days to add, 1–3650",
            ),
        ],
        responses=inline_serializer(
            "WorkingDay", {"date": serializers.DateField(), "provisional": serializers.BooleanField()}
        ),
    )
    def get(self, request):
        fields = {}
        raw_from, raw_add = request.query_params.get("from", ""), request.query_params.get("add", "")
        try:
            start = parse_date(raw_from)
        except ValidationError as e:
            fields["from"] = e.messages
        if not (COUNT_RE.fullmatch(raw_add) and 1 <= int(raw_add) <= 3650):
            fields["add"] = [_("Give a whole number from 1 to 3650.")]
        if fields:
            raise Invalid(_("Some fields are not valid."), fields=fields)
        deadline = workdays.add_working_days(start, int(raw_add))
        try:
            check_date_bounds(deadline.date)  # the answer too lies in API.md's range
        except ValidationError:
            message = _("Counted from %(start)s, that many working days end after %(latest)s: give fewer.") % {
                "start": start.isoformat(),
                "latest": TYPED_DATES[1].isoformat(),
            }
            raise Invalid(_("Some fields are not valid."), fields={"add": [message]}) from None
        return Response({"date": deadline.date.isoformat(), "provisional": deadline.provisional})


class BodilessPostMixin:
    """A POST that takes no body still refuses a malformed one (400 `parse_error`, API.md's
    conventions) before it changes anything: DRF parses a body only when a view reads it."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method == "POST":
            request.data  # noqa: B018 -- parsing is the point


PAGE_SIZE = 500


def page_parameter(size: int = PAGE_SIZE) -> OpenApiParameter:
    """The `page` parameter of a list of `size` items a page, as the schema says it."""
    return OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1, "maximum": 9999},
        description=f"page number, from 1; {size} items a page; a page with more after it links to the next "
        'in a `Link: <…>; rel="next"` header',
    )


PAGE_PARAMETER = page_parameter()


def page_rows(request, queryset, size: int = PAGE_SIZE) -> tuple[list, str]:
    """The rows of `?page=N` (from 1; a bad number is a 400) and the `Link` header to the next
    page, "" when there is none: `size + 1` rows are read, the list is never counted."""
    raw = request.query_params.get("page", "1")
    if not COUNT_RE.fullmatch(raw) or int(raw) < 1:
        raise Invalid(fields={"page": [_("Give a page number from 1 to 9999.")]})
    page = int(raw)
    rows = list(queryset[(page - 1) * size : page * size + 1])
    if len(rows) <= size:
        return rows, ""
    query = request.GET.copy()
    query["page"] = str(page + 1)
    return rows[:size], f'<{request.build_absolute_uri(request.path)}?{query.urlencode()}>; rel="next"'


def paged(request, queryset, payload) -> Response:
    """One page of a list (API.md's lists are plain arrays): `?page=N`, PAGE_SIZE items, and a
    `Link` header to the next page when there may be one. A bad page number is a 400."""
    rows, link = page_rows(request, queryset)
    response = Response([payload(row) for row in rows])
    if link:
        response["Link"] = link
    return response
