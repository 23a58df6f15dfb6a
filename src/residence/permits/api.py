from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Permit
from .rules import endorsement_window


def _window(permit: Permit) -> dict | None:
    if permit.status != Permit.Status.ACTIVE:
        return None
    opens, closes = endorsement_window(permit.endorsed_until)
    return {"opens": opens, "closes": closes}


PermitSerializer = inline_serializer(
    "Permit",
    {
        "number": serializers.CharField(),
        "status": serializers.CharField(),
        "issued_on": serializers.DateField(),
        "endorsed_until": serializers.DateField(),
        "endorsement_window": serializers.JSONField(allow_null=True),
        "continuous_since": serializers.DateField(),
    },
    many=True,
)


class PermitListView(APIView):
    @extend_schema(responses=PermitSerializer)
    def get(self, request):
        if request.user.person_id is None:
            return Response([])
        permits = Permit.objects.filter(id_number=request.user.person.id_number).order_by("-issued_on")
        return Response(
            [
                {
                    "number": p.number,
                    "status": p.status,
                    "issued_on": p.issued_on,
                    "endorsed_until": p.endorsed_until,
                    "endorsement_window": _window(p),
                    "continuous_since": p.continuous_since,
                }
                for p in permits
            ]
        )
