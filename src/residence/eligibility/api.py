from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from residence.core.serializers import IdNumberField, StrictCharField, StrictChoiceField, TypedDateField, validated

from .rules import CONDITIONS, ROUTES
from .services import eligibility_check


class CheckSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    # Typed at the door, so that a bad date, ID number and route are all reported in one answer.
    id_number = IdNumberField(max_length=40)
    route = StrictChoiceField(
        choices=list(ROUTES), error_messages={"invalid_choice": _("Choose residence_employment, talent or education.")}
    )
    date = TypedDateField(required=False, default=None, allow_null=True)


AnswerSerializer = inline_serializer(
    "EligibilityAnswer",
    {
        "eligible": serializers.BooleanField(),
        "route": serializers.ChoiceField(choices=list(ROUTES)),
        "date": serializers.DateField(),
        "conditions": inline_serializer(
            "EligibilityCondition",
            {
                "name": serializers.ChoiceField(choices=list(dict.fromkeys(sum(CONDITIONS.values(), ())))),
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
