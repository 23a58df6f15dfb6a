from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from residence.core.serializers import StrictCharField, TypedDateField, validated

from .services import eligibility_check


class CheckSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    id_number = StrictCharField(max_length=18)
    route = StrictCharField(max_length=30)
    date = TypedDateField(required=False, default=None)


AnswerSerializer = inline_serializer(
    "EligibilityAnswer",
    {
        "eligible": serializers.BooleanField(),
        "route": serializers.CharField(),
        "date": serializers.DateField(),
        "conditions": inline_serializer(
            "EligibilityCondition",
            {
                "name": serializers.CharField(),
                "met": serializers.BooleanField(),
                "detail": serializers.CharField(),
            },
            many=True,
        ),
        "earliest_eligible_date": serializers.DateField(allow_null=True),
    },
)


class EligibilityCheckView(APIView):
    @extend_schema(request=CheckSerializer, responses=AnswerSerializer)
    def post(self, request):
        data = validated(CheckSerializer, request.data)
        return Response(eligibility_check(user=request.user, address=request.client_address, **data))
