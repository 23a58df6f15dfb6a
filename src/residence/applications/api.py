"""API.md § Applications and § Staff actions."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from residence.accounts.models import Kind as AccountKind
from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core.errors import Forbidden, Invalid, NotFound
from residence.core.serializers import StrictBooleanField, StrictCharField, validated
from residence.core.validators import mask_id_number, parse_date

from . import selectors, services
from .models import Application, Verification
from .payments import application_pay
from .receipts import application_form_pdf, receipt_pdf


class DeliverySerializer(serializers.Serializer):
    method = StrictCharField(max_length=10)
    address = StrictCharField(max_length=200, required=False, default="", allow_blank=True)


class FamilyMemberSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, allow_blank=True)
    id_number = StrictCharField(max_length=18, allow_blank=True)
    relation = StrictCharField(max_length=10, allow_blank=True)


class ApplicationBodySerializer(serializers.Serializer):
    kind = StrictCharField(max_length=20)
    route = StrictCharField(max_length=30)
    photo_receipt = StrictCharField(max_length=40)
    acceptance_point = StrictCharField(max_length=16, required=False, default="", allow_blank=True)
    delivery = DeliverySerializer()
    family_members = FamilyMemberSerializer(many=True, required=False, default=list)
    reason = StrictCharField(max_length=500, required=False, default="", allow_blank=True)


class ApplicantSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    id_number = StrictCharField(max_length=18)
    phone = StrictCharField(max_length=20)


class CounterBodySerializer(ApplicationBodySerializer):
    applicant = ApplicantSerializer()
    portrait_captured = StrictBooleanField()


class ApplicationSerializer(serializers.Serializer):
    """The application object of API.md, plus what a client needs to show it (added fields)."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    kind = serializers.CharField()
    route = serializers.CharField()
    status = serializers.CharField()
    acceptance_point = serializers.SerializerMethodField()
    delivery = serializers.SerializerMethodField()
    fee = serializers.SerializerMethodField()
    payment_status = serializers.CharField()
    payment_due_on = serializers.DateField()
    accepted_on = serializers.DateField()
    due_date = serializers.DateField()
    due_date_provisional = serializers.BooleanField()
    verifications = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()
    permit_number = serializers.CharField()
    channel = serializers.CharField()
    applicant = serializers.SerializerMethodField()
    family_members = serializers.SerializerMethodField()
    self_check = serializers.JSONField(source="self_check_answer")
    deadlines = serializers.SerializerMethodField()
    written_reply = serializers.SerializerMethodField()

    def get_acceptance_point(self, a) -> dict:
        return {"code": a.acceptance_point.code, "name": a.acceptance_point.name}

    def get_delivery(self, a) -> dict:
        return {"method": a.delivery_method, "address": a.delivery_address}

    def get_fee(self, a) -> dict:
        return {"amount": str(a.fee_amount), "currency": "CNY"}

    def get_verifications(self, a) -> list:
        return [{"department": v.department, "status": v.status, "due_date": v.due_on} for v in a.verifications.all()]

    def get_history(self, a) -> list:
        return [{"status": h.status, "at": h.at, "note": h.note} for h in a.history.all()]

    def get_decision(self, a) -> dict | None:
        if not a.decision_outcome:
            return None
        return {"outcome": a.decision_outcome, "reasons": a.decision_reasons, "decided_on": a.decided_on}

    def get_applicant(self, a) -> dict:
        return {"name": a.person.name, "id_number_masked": mask_id_number(a.person.id_number)}

    def get_family_members(self, a) -> list:
        return [
            {"name": m.name, "id_number_masked": mask_id_number(m.id_number), "relation": m.relation}
            for m in a.family_members.all()
        ]

    def get_deadlines(self, a) -> list:
        return [
            {"step": d.step, "due_on": d.due_on, "provisional": d.provisional, "done_on": d.done_on}
            for d in a.deadlines.all()
        ]

    def get_written_reply(self, a) -> dict | None:
        if not a.reply_requested_on:
            return None
        due = next((d.due_on for d in a.deadlines.all() if d.step == "written_reply"), None)
        return {"requested_on": a.reply_requested_on, "due_date": due, "text": a.reply_text or None}


def application_response(application: Application, status: int = 200) -> Response:
    fresh = selectors.application_detail(application_id=application.pk)
    return Response(ApplicationSerializer(fresh).data, status=status)


def _own(request, pk: int) -> Application:
    application = selectors.application_for_user(user=request.user, application_id=pk)
    if application is None:
        raise NotFound()
    return application


class ApplicationListView(APIView):
    @extend_schema(responses=ApplicationSerializer(many=True))
    def get(self, request):
        if request.user.person_id is None:
            return Response([])
        applications = selectors.application_list_for_person(id_number=request.user.person.id_number)
        return Response(ApplicationSerializer(applications, many=True).data)

    @extend_schema(request=ApplicationBodySerializer, responses={201: ApplicationSerializer})
    def post(self, request):
        data = validated(ApplicationBodySerializer, request.data)
        return application_response(services.application_submit(actor=request.user, data=data), 201)


class ApplicationDetailView(APIView):
    @extend_schema(responses=ApplicationSerializer)
    def get(self, request, pk: int):
        return Response(ApplicationSerializer(_own(request, pk)).data)


class ApplicationReceiptView(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(description="PDF receipt")})
    def get(self, request, pk: int):
        application = _own(request, pk)
        response = HttpResponse(receipt_pdf(application), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{application.reference}.pdf"'
        return response


class ApplicationWithdrawView(APIView):
    @extend_schema(request=None, responses=ApplicationSerializer)
    def post(self, request, pk: int):
        return application_response(services.application_act(actor=request.user, application_id=pk, action="withdraw"))


DueDateSerializer = inline_serializer("WrittenReplyDue", {"due_date": serializers.DateField()})


class WrittenReplyView(APIView):
    @extend_schema(request=None, responses={201: DueDateSerializer})
    def post(self, request, pk: int):
        due = services.written_reply_request(actor=request.user, application_id=pk)
        return Response({"due_date": due.isoformat()}, status=201)


class PaymentSerializer(serializers.Serializer):
    provider = StrictCharField(max_length=20)


PaymentResultSerializer = inline_serializer(
    "PaymentResult",
    {"status": serializers.CharField(), "amount": serializers.CharField(), "currency": serializers.CharField()},
)


class PaymentView(APIView):
    @extend_schema(
        request=PaymentSerializer,
        responses={200: PaymentResultSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request, pk: int):
        data = validated(PaymentSerializer, request.data)
        payment = application_pay(
            actor=request.user,
            application_id=pk,
            provider=data["provider"],
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        return Response({"status": "paid", "amount": str(payment.amount), "currency": "CNY"})


class ReceiptVerifyView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "ReceiptCheck",
            {"valid": serializers.BooleanField(), "kind": serializers.CharField(), "status": serializers.CharField()},
        )
    )
    def get(self, request, reference: str):
        application = selectors.application_by_reference(reference=reference[:20])
        if application is None:
            return Response({"valid": False, "kind": None, "status": None})
        return Response({"valid": True, "kind": application.kind, "status": application.status})


# Staff -------------------------------------------------------------------------------------


def _staff(request):
    if request.user.kind != AccountKind.STAFF:
        raise Forbidden()
    return request.user


class StaffIntakeView(APIView):
    @extend_schema(request=CounterBodySerializer, responses={201: ApplicationSerializer})
    def post(self, request):
        data = validated(CounterBodySerializer, request.data)
        applicant, portrait = data.pop("applicant"), data.pop("portrait_captured")
        application = services.application_counter_intake(
            actor=_staff(request), data=data, applicant=applicant, portrait_captured=portrait
        )
        return application_response(application, 201)


class StaffApplicationView(APIView):
    @extend_schema(responses=ApplicationSerializer)
    def get(self, request, pk: int):
        user = _staff(request)
        application = selectors.application_detail(application_id=pk)
        if application is None:
            raise NotFound()
        audit_record(
            type=AuditEventType.PERSONAL_DATA_VIEWED,
            actor=user,
            person=application.person.id_number,
            address=request.client_address,
            what="application",
            application=application.reference,
        )
        return Response(ApplicationSerializer(application).data)


class StaffApplicationFormView(APIView):
    """The application form printed at pickup (RULES §6), for the clerk of the chosen point."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(description="PDF form")})
    def get(self, request, pk: int):
        application = selectors.application_for_clerk(user=request.user, application_id=pk)
        audit_record(
            type=AuditEventType.PERSONAL_DATA_VIEWED,
            actor=request.user,
            person=application.person.id_number,
            address=request.client_address,
            what="application_form",
            application=application.reference,
        )
        response = HttpResponse(application_form_pdf(application), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="form-{application.reference}.pdf"'
        return response


class VerifySerializer(serializers.Serializer):
    department = serializers.ChoiceField(choices=Verification._meta.get_field("department").choices)
    outcome = serializers.ChoiceField(choices=["confirmed", "not_confirmed"])
    note = StrictCharField(max_length=1000, required=False, default="", allow_blank=True)


class RejectSerializer(serializers.Serializer):
    reasons = serializers.ListField(child=StrictCharField(max_length=500), min_length=1, max_length=20)


class HandOverSerializer(serializers.Serializer):
    identity_checked = StrictBooleanField()
    signed = StrictBooleanField()


class DeliverSerializer(serializers.Serializer):
    identity_checked = StrictBooleanField()


class ReplySerializer(serializers.Serializer):
    text = StrictCharField(max_length=4000)


class EmptySerializer(serializers.Serializer):
    pass


def _staff_action(action: str, body=EmptySerializer, call=None):
    """One endpoint per staff action (API.md): validate the body, call the service, answer the application."""

    class View(APIView):
        @extend_schema(request=body, responses=ApplicationSerializer, operation_id=f"staff_applications_{action}")
        def post(self, request, pk: int):
            data = validated(body, request.data if request.data else {})
            user = _staff(request)
            if call is not None:
                application = call(actor=user, application_id=pk, **data)
            else:
                application = services.application_act(actor=user, application_id=pk, action=action)
            return application_response(application)

    View.__name__ = f"Staff{action.title().replace('_', '')}View"
    return View


StaffVerifyView = _staff_action("verify", VerifySerializer, services.application_verify)
StaffApproveView = _staff_action("approve")
StaffRejectView = _staff_action("reject", RejectSerializer, services.application_reject)
StaffProduceView = _staff_action("produce")
StaffDispatchView = _staff_action("dispatch")
StaffReceiveView = _staff_action("receive")
StaffHandOverView = _staff_action("hand_over", HandOverSerializer, services.application_hand_over)
StaffDeliverView = _staff_action("deliver", DeliverSerializer, services.application_deliver)
StaffWrittenReplyView = _staff_action("written_reply", ReplySerializer, services.written_reply_record)


QueueItemSerializer = inline_serializer(
    "QueueItem",
    {
        "application": serializers.IntegerField(),
        "reference": serializers.CharField(),
        "status": serializers.CharField(),
        "kind": serializers.CharField(),
        "route": serializers.CharField(),
        "step": serializers.CharField(),
        "due_on": serializers.DateField(),
        "due": serializers.CharField(),
        "name": serializers.CharField(),
        "id_number_masked": serializers.CharField(),
    },
    many=True,
)


class StaffQueueView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("after", str, description="`due_on,application` of the last item of the previous page")
        ],
        responses=inline_serializer("Queue", {"results": QueueItemSerializer, "next": serializers.CharField()}),
    )
    def get(self, request):
        user = _staff(request)
        after = _after(request.query_params.get("after", ""))
        items = selectors.staff_queue(user=user, after=after)
        following = None
        if len(items) == selectors.QUEUE_PAGE:
            following = f"{items[-1]['due_on'].isoformat()},{items[-1]['application']}"
        return Response({"results": items, "next": following})


def _after(raw: str) -> tuple[dt.date, int] | None:
    if not raw:
        return None
    day, _sep, pk = raw.partition(",")
    try:
        due = parse_date(day)
    except ValidationError:
        due = None
    if due is None or not pk.isascii() or not pk.isdigit() or len(pk) > 12:
        raise Invalid(fields={"after": [_("Give the value of `next` from the previous page.")]})
    return due, int(pk)
