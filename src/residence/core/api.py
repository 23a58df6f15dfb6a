import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import workdays
from .errors import Invalid

EARLIEST, LATEST = dt.date(1949, 1, 1), dt.date(2100, 12, 31)


class WorkingDaysView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", dt.date, required=True, description="start day (does not count)"),
            OpenApiParameter("add", int, required=True, description="working days to add, 1–3650"),
        ],
        responses=inline_serializer(
            "WorkingDay", {"date": serializers.DateField(), "provisional": serializers.BooleanField()}
        ),
    )
    def get(self, request):
        fields = {}
        raw_from, raw_add = request.query_params.get("from"), request.query_params.get("add")
        try:
            start = dt.date.fromisoformat(raw_from or "")
            if not EARLIEST <= start <= LATEST:
                fields["from"] = [_("Give a date from 1949-01-01 to 2100-12-31.")]
        except ValueError:
            fields["from"] = [_("Give a date as YYYY-MM-DD.")]
        try:
            n = int(raw_add or "")
            if not 1 <= n <= 3650:
                fields["add"] = [_("Give a whole number from 1 to 3650.")]
        except ValueError:
            fields["add"] = [_("Give a whole number from 1 to 3650.")]
        if fields:
            raise Invalid(_("Some fields are not valid."), fields=fields)
        deadline = workdays.add_working_days(start, n)
        return Response({"date": deadline.date.isoformat(), "provisional": deadline.provisional})
