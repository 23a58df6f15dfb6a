from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from residence.core.errors import Invalid

from .models import District
from .selectors import acceptance_point_list


class AcceptancePointSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    district = serializers.CharField(source="street.district_id")
    district_name = serializers.CharField(source="street.district.name")
    street = serializers.CharField(source="street_id")
    street_name = serializers.CharField(source="street.name")
    address = serializers.CharField()
    kind = serializers.CharField()


class AcceptancePointListView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("district", str, description="6-digit district code")],
        responses=AcceptancePointSerializer(many=True),
    )
    def get(self, request):
        district = request.query_params.get("district") or None
        if district is not None and not District.objects.filter(code=district).exists():
            raise Invalid(_("Some fields are not valid."), fields={"district": [_("Unknown district code.")]})
        return Response(AcceptancePointSerializer(acceptance_point_list(district=district), many=True).data)
