"""API.md § Permits, and the staff and public endpoints added for endorsements."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from residence.accounts.models import Department, Role
from residence.accounts.permissions import staff_roles
from residence.applications.selectors import due_badge
from residence.core import workdays
from residence.core.api import BodilessPostMixin
from residence.core.serializers import StrictBooleanField, StrictCharField, listed_text, validated
from residence.core.validators import mask_id_number

from . import selectors, services, workflow
from .models import Endorsement, Permit


def in_one_spelling(number: str) -> str:
    """A permit number from a path as the platform stores it, upper case: an outsider's lower-case
    one was 404 where the public check found it."""
    return number[:40].upper()


PermitSerializer = inline_serializer(
    "Permit",
    {
        "number": serializers.CharField(),
        "status": serializers.ChoiceField(choices=Permit.Status.choices),
        "issued_on": serializers.DateField(),
        "endorsed_until": serializers.DateField(),
        "endorsement_window": inline_serializer(
            "EndorsementWindow", {"opens": serializers.DateField(), "closes": serializers.DateField()}, allow_null=True
        ),
        "continuous_since": serializers.DateField(),
        "suspended_on": serializers.DateField(allow_null=True),
    },
)
EndorsementSerializer = inline_serializer(
    "EndorsementAnswer",
    {
        "id": serializers.IntegerField(),
        # A check waiting for a department answers refused, with the check (endorsement_payload).
        "outcome": serializers.ChoiceField(choices=[Endorsement.Outcome.GRANTED, Endorsement.Outcome.REFUSED]),
        "reasons": serializers.ListField(child=serializers.CharField()),
        "endorsed_until": serializers.DateField(),
        "check": inline_serializer(
            "EndorsementCheck",
            {
                "department": serializers.ChoiceField(choices=Department.choices),
                "due_date": serializers.DateField(),
                "due_date_provisional": serializers.BooleanField(
                    help_text="a day up to the due date lies in a year whose schedule is not published (RULES §8)"
                ),
            },
            allow_null=True,
        ),
    },
)


def permit_payload(permit: Permit) -> dict:
    permit = selectors.as_of_today(permit)
    window = selectors.permit_window(permit)
    return {
        "number": permit.number,
        "status": permit.status,
        "issued_on": permit.issued_on,
        "endorsed_until": permit.endorsed_until,
        "endorsement_window": {"opens": window[0], "closes": window[1]} if window else None,
        "continuous_since": permit.continuous_since,
        "suspended_on": permit.suspended_on,
    }


def endorsement_payload(endorsement: Endorsement) -> dict:
    """API.md's answer: `outcome` is granted or refused. An endorsement waiting for a department's
    check is not granted (yet): it answers refused, says why and by when the department answers,
    and names the check in `check`; if the department confirms, the permit is endorsed then and
    the holder told."""
    pending = endorsement.outcome == Endorsement.Outcome.PENDING
    reasons = services.shown_reasons(endorsement.reasons)
    if pending:
        reasons.append(
            _("A department checks the missing record by %(due)s; if it confirms, the endorsement is granted then.")
            % {"due": endorsement.due_on.isoformat()}
        )
    return {
        "id": endorsement.pk,
        "outcome": Endorsement.Outcome.REFUSED if pending else endorsement.outcome,
        "reasons": reasons,
        "endorsed_until": endorsement.endorsed_until or endorsement.permit.endorsed_until,
        "check": (
            {
                "department": endorsement.department,
                "due_date": endorsement.due_on,
                # As the calendar stands now: published since, the date is firm.
                "due_date_provisional": workdays.get_calendar().provisional(
                    endorsement.requested_on, endorsement.due_on
                ),
            }
            if pending
            else None
        ),
    }


ENDORSEMENT_CHECKS_SHOWN = 50


def endorsement_check_items(user) -> list[dict]:
    """A verifier's endorsement checks for the staff queue, soonest due first (the first
    ENDORSEMENT_CHECKS_SHOWN: each is due within 3 working days and escalated when late), each
    with what the department checks and where it answers."""
    if user.role != Role.VERIFIER:
        return []
    checks = selectors.endorsement_checks_for_department(department=user.department)[:ENDORSEMENT_CHECKS_SHOWN]
    calendar = workdays.get_calendar()
    return [
        {
            "endorsement": e.pk,
            "permit_number": e.permit.number,
            "name": e.permit.name,
            "id_number_masked": mask_id_number(e.permit.id_number),
            "requested_on": e.requested_on,
            "due_on": e.due_on,
            # Flagged as the applications' items are (an outsider's verifier could not tell them apart).
            "provisional": calendar.provisional(e.check_started_on or e.requested_on, e.due_on),
            "due": due_badge(e.due_on),
            "to_check": services.reasons_to_check(e),
            "answer": reverse("api:staff-endorsement-answer", args=[e.pk]),
        }
        for e in checks
    ]


def endorsement_response(endorsement: Endorsement) -> Response:
    return Response(endorsement_payload(endorsement), status=201)


class PermitListView(APIView):
    @extend_schema(responses=type(PermitSerializer)(many=True))
    def get(self, request):
        if request.user.person_id is None:
            return Response([])
        permits = Permit.objects.filter(id_number=request.user.person.id_number).order_by("-issued_on", "-id")
        return Response([permit_payload(p) for p in permits])


class EndorsementView(BodilessPostMixin, APIView):
    @extend_schema(request=None, responses={201: EndorsementSerializer})
    def post(self, request, number: str):
        return endorsement_response(services.endorsement_request(actor=request.user, number=in_one_spelling(number)))


class CounterEndorsementSerializer(serializers.Serializer):
    identity_checked = StrictBooleanField()


class StaffEndorsementView(APIView):
    """A clerk endorses a permit at the counter (RULES §9: online and at the counter), the
    holder's identity document checked first: `{identity_checked: true}`, as at a hand-over."""

    permission_classes = [staff_roles(Role.CLERK)]

    @extend_schema(request=CounterEndorsementSerializer, responses={201: EndorsementSerializer})
    def post(self, request, number: str):
        data = validated(CounterEndorsementSerializer, request.data)
        endorsement = services.endorsement_request(
            actor=request.user,
            number=in_one_spelling(number),
            channel="counter",
            identity_checked=data["identity_checked"],
        )
        return endorsement_response(endorsement)


class AnswerSerializer(serializers.Serializer):
    confirmed = StrictBooleanField()
    note = StrictCharField(max_length=1000, required=False, default="", allow_blank=True)


class StaffEndorsementAnswerView(APIView):
    """A department verifier answers an endorsement waiting for its check."""

    permission_classes = [staff_roles(Role.VERIFIER)]

    @extend_schema(request=AnswerSerializer, responses=EndorsementSerializer)
    def post(self, request, pk: int):
        services.answerer_check(actor=request.user, endorsement_id=pk)
        data = validated(AnswerSerializer, request.data)
        endorsement = services.endorsement_answer(actor=request.user, endorsement_id=pk, **data)
        return Response(endorsement_payload(endorsement))


class RevokeSerializer(serializers.Serializer):
    reason = listed_text(workflow.REVOKE_REASONS, max_length=20)


class StaffRevokeView(APIView):
    """A police reviewer cancels a permit for another reason of RULES §10."""

    permission_classes = [staff_roles(Role.REVIEWER)]

    @extend_schema(request=RevokeSerializer, responses=PermitSerializer)
    def post(self, request, number: str):
        data = validated(RevokeSerializer, request.data)
        permit = services.permit_revoke(actor=request.user, number=in_one_spelling(number), **data)
        return Response(permit_payload(permit))


class PermitCheckSerializer(serializers.Serializer):
    number = StrictCharField(max_length=40)
    name = StrictCharField(max_length=100)


class PermitCheckView(APIView):
    """Public: is this permit valid? By number and name; answers only the status, nothing personal.

    A POST, so that the holder's name travels in the body, not in a URL that proxies log and
    browsers keep in their history."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=PermitCheckSerializer,
        responses=inline_serializer("PermitCheckResult", {"status": serializers.CharField()}),
    )
    def post(self, request):
        data = validated(PermitCheckSerializer, request.data)
        return Response({"status": selectors.permit_check(address=request.client_address, **data)})
