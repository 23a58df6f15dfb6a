"""API.md § Applications and § Staff actions."""

import datetime as dt
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import renderers, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from residence.accounts.authentication import BearerTokenAuthentication
from residence.accounts.models import Role
from residence.accounts.permissions import staff_roles
from residence.accounts.selectors import session_by_token_hash
from residence.core import clock
from residence.core.api import BodilessPostMixin, page_parameter, page_rows
from residence.core.errors import Forbidden, Invalid, NotFound
from residence.core.negotiation import PageForBrowsersNegotiation
from residence.core.serializers import (
    ObjectSerializer,
    OptionalCharField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictListField,
    checked_text,
    listed_text,
    validated,
)
from residence.core.validators import parse_date
from residence.eligibility.api import AnswerSerializer as EligibilityAnswerSerializer
from residence.eligibility.services import answer_shown
from residence.notifications.catalogue import reasons_text
from residence.permits.api import endorsement_check_items
from residence.registrations.api import registration_fields, registration_row

from . import documents, rules, selectors, services, workflow
from .models import (
    CARD_KINDS,
    Application,
    Delivery,
    FamilyMember,
    Kind,
    PaymentStatus,
    Route,
    Status,
    Verification,
)
from .notices import hold_text
from .payments import application_counter_pay, application_pay
from .providers import ONLINE
from .reasons import shown as refusal_reason_shown
from .receipts import clerk_printout, paid_for, payment_receipt_pdf, pdf_response, receipt_pdf


# Blank text is the service's to refuse, in its words and with every other problem of the body
# (RULES §4; an outsider's counter intake with a blank name was told that alone).
class DeliverySerializer(ObjectSerializer):
    method = listed_text(Delivery.choices, max_length=10, allow_blank=True)
    address = OptionalCharField(max_length=200)


class FamilyMemberSerializer(ObjectSerializer):
    name = StrictCharField(max_length=100, allow_blank=True)
    id_number = StrictCharField(max_length=24, allow_blank=True)  # the ID check says what is wrong
    relation = listed_text(FamilyMember.Relation.choices, max_length=10, allow_blank=True)


class ApplicationBodySerializer(serializers.Serializer):
    kind = checked_text(20, Kind.choices, required=True, default=serializers.empty)
    route = checked_text(30, Route.values, required=True, default=serializers.empty)
    photo_receipt = StrictCharField(max_length=40, allow_blank=True)
    acceptance_point = OptionalCharField(max_length=16)
    delivery = DeliverySerializer()
    family_members = FamilyMemberSerializer(many=True, required=False, default=list)
    reason = OptionalCharField(max_length=500)


class ApplicantSerializer(ObjectSerializer):
    name = StrictCharField(max_length=100, allow_blank=True)
    id_number = StrictCharField(max_length=24, allow_blank=True)
    phone = StrictCharField(max_length=20, allow_blank=True)


class CounterBodySerializer(ApplicationBodySerializer):
    applicant = ApplicantSerializer()
    portrait_captured = StrictBooleanField()
    # Not in API.md's body, so optional; false is refused, as at the desk: the receipt the applicant
    # signs says the materials were checked and returned (an outsider's false was printed so).
    materials_checked = StrictBooleanField(required=False, default=True)


def _object(component: str, allow_null: bool = False, help_text: str | None = None, **fields):
    return inline_serializer(component, fields, allow_null=allow_null, help_text=help_text)


def _objects(component: str, **fields):
    return inline_serializer(component, fields, many=True)


LIST_PAGE = 50  # applications a page of the citizen's list holds
DECISION_OUTCOMES = [("approved", "approved"), ("rejected", "rejected")]
HOLD_REASONS = [("permit_suspended", "permit_suspended"), ("permit_cancelled", "permit_cancelled")]


class ApplicationSerializer(serializers.Serializer):
    """The application object of API.md, plus what a client needs to show it (added fields).
    The schema only: answers are the stored documents (`documents.py`)."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    route = serializers.ChoiceField(choices=Route.values)  # as the self-check's route: one RouteEnum
    status = serializers.ChoiceField(choices=Status.choices)
    acceptance_point = _object("AcceptancePointRef", code=serializers.CharField(), name=serializers.CharField())
    delivery = _object(
        "DeliveryChosen", method=serializers.ChoiceField(choices=Delivery.choices), address=serializers.CharField()
    )
    fee = _object("Money", amount=serializers.CharField(), currency=serializers.CharField())
    payment_status = serializers.ChoiceField(choices=PaymentStatus.choices)
    payment_due_on = serializers.DateField(allow_null=True)
    refunded_on = serializers.DateField(
        allow_null=True,
        help_text="the day a fee paid was given back: the application ended with no card made (its permit was "
        "cancelled); payment_status stays paid",
    )
    accepted_on = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    due_date_provisional = serializers.BooleanField()
    verifications = _objects(
        "VerificationState",
        department=serializers.ChoiceField(choices=Verification._meta.get_field("department").choices),
        status=serializers.ChoiceField(choices=Verification.Outcome.choices),
        due_date=serializers.DateField(),
    )
    history = _objects(
        "HistoryEntry",
        status=serializers.ChoiceField(choices=Status.choices),
        at=serializers.DateTimeField(),
        note=serializers.CharField(),
    )
    decision = _object(
        "Decision",
        allow_null=True,
        outcome=serializers.ChoiceField(choices=DECISION_OUTCOMES),
        reasons=serializers.ListField(child=serializers.CharField()),
        decided_on=serializers.DateField(),
    )
    permit_number = serializers.CharField(allow_null=True)
    channel = serializers.CharField()
    applicant = _object(
        "ApplicantRef",
        name=serializers.CharField(),
        id_number_masked=serializers.CharField(),
        id_number=serializers.CharField(
            required=False,
            help_text="staff only: to a verifier while its department's check is pending, and to the reviewer while "
            "the case is under review, to look the person up in the department's own records",
        ),
    )
    family_members = _objects(
        "FamilyMemberRef",
        name=serializers.CharField(),
        id_number_masked=serializers.CharField(),
        relation=serializers.ChoiceField(choices=FamilyMember.Relation.choices),
    )
    on_hold = _object(
        "RenewalHold",
        allow_null=True,
        reason=serializers.ChoiceField(choices=HOLD_REASONS),
        permit_number=serializers.CharField(),
        since=serializers.DateField(),
        note=serializers.CharField(),
        help_text="an exchange or a replacement whose permit is suspended (it goes on once the permit is endorsed) "
        "or cancelled (it ends with the day's run); null otherwise",
    )
    self_check = EligibilityAnswerSerializer
    deadlines = _objects(
        "DeadlineState",
        step=serializers.CharField(),
        due_on=serializers.DateField(),
        provisional=serializers.BooleanField(),
        done_on=serializers.DateField(allow_null=True),
    )
    written_reply = _object(
        "WrittenReply",
        allow_null=True,
        requested_on=serializers.DateField(),
        due_date=serializers.DateField(),
        text=serializers.CharField(allow_null=True),
    )


AWAITING_PAYMENT = '"status":"awaiting_payment"'  # as documents.dumps writes it
REJECTED = '"outcome":"rejected"'


CARD_KIND_MARKS = tuple(f'"kind":"{kind}"' for kind in CARD_KINDS)  # as documents.dumps writes them


def shown(document: str, self_check: str | dict, id_number: str | None = None) -> str:
    """A stored document answered as its text, with the self-check rendered in the reader's
    language and spliced in: nothing decoded and encoded again (docs/performance.md), but for
    an application awaiting payment, whose status depends on the day it is read, and a refused
    one read in another language than the record's. `on_hold` is read with it: for an open
    exchange or replacement of `id_number`, whose permit may lapse any day."""
    if AWAITING_PAYMENT in document:
        document = _as_of_today(document)
    if REJECTED in document and translation.get_language() != settings.LANGUAGE_CODE:
        document = _refusal_in_reader_language(document)
    if isinstance(self_check, str):
        self_check = json.loads(self_check)
    rendered = json.dumps(answer_shown(self_check), ensure_ascii=False, separators=(",", ":"))
    hold = _hold(document, id_number) if id_number and any(m in document for m in CARD_KIND_MARKS) else None
    on_hold = json.dumps(hold, ensure_ascii=False, separators=(",", ":"))
    return f'{document.rstrip()[:-1]},"on_hold":{on_hold},"self_check":{rendered}}}'


def _hold(document: str, id_number: str) -> dict | None:
    data = json.loads(document)
    hold = selectors.renewal_hold(id_number=id_number, kind=data["kind"], status=data["status"], today=clock.today())
    return hold and _hold_shown(hold)


def _hold_shown(hold: dict) -> dict:
    """RenewalHold as API.md's answers write it: the permit's own words to its holder as the note."""
    return {
        "reason": hold["reason"],
        "permit_number": hold["permit_number"],
        "since": hold["since"].isoformat(),
        "note": hold_text(hold["permit"]),
    }


def _as_of_today(document: str) -> str:
    data = json.loads(document)
    due = dt.date.fromisoformat(data["payment_due_on"]) if data["payment_due_on"] else None
    status, payment_status = rules.status_as_of(data["status"], data["payment_status"], due, clock.today())
    if status == data["status"]:
        return document
    return documents.dumps({**data, "status": status, "payment_status": payment_status})


def _refusal_in_reader_language(document: str) -> str:
    """The common reasons of a refusal, and the history's note made of them, in the reader's
    language (API.md: Accept-Language chooses the language of messages; an outsider's English
    client read them in Chinese); a reason written in stays as written."""
    data = json.loads(document)
    recorded = data["decision"]["reasons"]
    with translation.override(settings.LANGUAGE_CODE):
        recorded_note = reasons_text(recorded)
    reasons = [refusal_reason_shown(reason) for reason in recorded]
    history = [
        {**h, "note": reasons_text(reasons)} if h["status"] == "rejected" and h["note"] == recorded_note else h
        for h in data["history"]
    ]
    return documents.dumps({**data, "decision": {**data["decision"], "reasons": reasons}, "history": history})


def application_response(application: Application, status: int = 200, document: str = "") -> HttpResponse:
    # The person's row only for the kinds a permit can hold up (no query more for the others).
    id_number = application.person.id_number if application.kind in CARD_KINDS else None
    body = shown(document or application.document, application.self_check, id_number)
    return HttpResponse(body.encode(), status=status, content_type="application/json")


def _own(request, pk: int) -> Application:
    application = selectors.application_for_user(user=request.user, application_id=pk)
    if application is None:
        raise NotFound()
    return application


class ApplicationListView(APIView):
    @extend_schema(parameters=[page_parameter(LIST_PAGE)], responses=ApplicationSerializer(many=True))
    def get(self, request):
        if request.user.person_id is None:
            return Response([])
        # A page at a time, newest first: an outsider's 253 applications came in one 387 KB answer.
        documents = selectors.application_documents_for_person(id_number=request.user.person.id_number)
        rows, link = page_rows(request, documents, LIST_PAGE)
        id_number = request.user.person.id_number
        body = "[" + ",".join(shown(document, self_check, id_number) for document, self_check in rows) + "]"
        response = HttpResponse(body.encode(), content_type="application/json")
        if link:
            response["Link"] = link
        return response

    @extend_schema(request=ApplicationBodySerializer, responses={201: ApplicationSerializer})
    def post(self, request):
        services.applicant_required(request.user)
        data = validated(ApplicationBodySerializer, request.data)
        return application_response(services.application_submit(actor=request.user, data=data), 201)


class DocumentAuthentication(BearerTokenAuthentication):
    """The token lookup reads the application of the URL along (docs/performance.md): reading
    one application is one query, and it finds only an application of the account's verified
    identity."""

    def session(self, request, token_hash: str):
        pk = request.parser_context["kwargs"]["pk"]
        connection = connections[Application.objects.db]
        if not selectors.application_id_in_range(connection, pk):
            return session_by_token_hash(token_hash)
        return session_by_token_hash(token_hash, also=selectors.document_also(connection), params=[pk])


class ApplicationDetailView(APIView):
    authentication_classes = [DocumentAuthentication]

    # The bearer token as everywhere (its subclass reads the application along).
    @extend_schema(responses=ApplicationSerializer, auth=[{"bearerAuth": []}])
    def get(self, request, pk: int):
        document, self_check = request.login_session.also or (None, None)
        if document is None:
            raise NotFound()
        id_number = request.user.person.id_number if any(m in document for m in CARD_KIND_MARKS) else None
        return HttpResponse(shown(document, self_check, id_number).encode(), content_type="application/json")


class ApplicationReceiptView(APIView):
    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF receipt")}
    )
    def get(self, request, pk: int):
        application = _own(request, pk)
        return pdf_response(
            receipt_pdf(application, base_url=request.build_absolute_uri("/")), f"receipt-{application.reference}.pdf"
        )


class PaymentReceiptView(APIView):
    """The receipt of the fee paid (RULES §5), as the web page offers it: 409 until it is paid."""

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF receipt of payment")}
    )
    def get(self, request, pk: int):
        application = _own(request, pk)
        return pdf_response(payment_receipt_pdf(paid_for(application)), f"payment-{application.reference}.pdf")


class ApplicationWithdrawView(BodilessPostMixin, APIView):
    @extend_schema(request=None, responses=ApplicationSerializer)
    def post(self, request, pk: int):
        return application_response(services.application_withdraw(actor=request.user, application_id=pk))


DueDateSerializer = inline_serializer("WrittenReplyDue", {"due_date": serializers.DateField()})


class WrittenReplyView(BodilessPostMixin, APIView):
    @extend_schema(request=None, responses={201: DueDateSerializer})
    def post(self, request, pk: int):
        due = services.written_reply_request(actor=request.user, application_id=pk)
        return Response({"due_date": due.isoformat()}, status=201)


class PaymentSerializer(serializers.Serializer):
    provider = listed_text(list(ONLINE), max_length=20)


PaymentResultSerializer = inline_serializer(
    "PaymentResult",
    {
        "status": serializers.ChoiceField(choices=[PaymentStatus.PAID]),
        "amount": serializers.CharField(),
        "currency": serializers.CharField(),
    },
)


class PaymentView(APIView):
    @extend_schema(
        request=PaymentSerializer,
        responses={200: PaymentResultSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request, pk: int):
        # The applicant's role before the body; a clerk takes the fee at the staff endpoint.
        if workflow.role_may(request.user, "pay") != workflow.CITIZEN:
            raise Forbidden()
        data = validated(PaymentSerializer, request.data)
        payment = application_pay(
            actor=request.user,
            application_id=pk,
            provider=data["provider"],
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        return Response({"status": "paid", "amount": str(payment.amount), "currency": "CNY"})


class ReceiptPageRenderer(renderers.BaseRenderer):
    """The receipt check as a page, for the phone's browser that opened the receipt's QR code
    (outsiders scanning it read raw JSON); clients asking for JSON, or for anything, get JSON."""

    media_type = "text/html"
    format = "html"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        request = renderer_context["request"]
        statuses, kinds = dict(Status.choices), dict(Kind.choices)
        context = {
            "check": data,
            "reference": renderer_context["kwargs"].get("reference", "")[:20].upper(),
            "kind_label": kinds.get(data.get("kind"), ""),
            "status_label": statuses.get(data.get("status"), ""),
        }
        return render_to_string("applications/receipt_check.html", context, request=request._request)


class ReceiptVerifyView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [renderers.JSONRenderer, ReceiptPageRenderer]
    content_negotiation_class = PageForBrowsersNegotiation

    # The QR code's target: JSON for clients, a page for a phone's camera (an outsider's validator
    # read the page's answer as the JSON object).
    @extend_schema(
        responses={
            (200, "application/json"): inline_serializer(
                "ReceiptCheck",
                {
                    "valid": serializers.BooleanField(),
                    "kind": serializers.CharField(allow_null=True),
                    "status": serializers.CharField(allow_null=True),
                },
            ),
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="the same answer as a page"),
        }
    )
    def get(self, request, reference: str):
        return Response(selectors.receipt_check(reference=reference, address=request.client_address))


# Staff -------------------------------------------------------------------------------------


class StaffIntakeView(APIView):
    permission_classes = [staff_roles(Role.CLERK)]

    @extend_schema(request=CounterBodySerializer, responses={201: ApplicationSerializer})
    def post(self, request):
        data = validated(CounterBodySerializer, request.data)
        applicant, portrait = data.pop("applicant"), data.pop("portrait_captured")
        application = services.application_counter_intake(
            actor=request.user,
            data=data,
            applicant=applicant,
            portrait_captured=portrait,
            materials_checked=data.pop("materials_checked"),
        )
        return application_response(application, 201)


class StaffApplicationSerializer(ApplicationSerializer):
    """The schema of the staff's view of an application: the whole object for those who decide or
    answer for it; production and the courier get API.md's application object (the fields required
    here) without the case behind it, production the photo receipt too (`selectors.handling_view`)."""

    verifications = _objects(
        "StaffVerificationState",
        department=serializers.ChoiceField(choices=Verification._meta.get_field("department").choices),
        status=serializers.ChoiceField(choices=Verification.Outcome.choices),
        due_date=serializers.DateField(),
        note=serializers.CharField(
            required=False, help_text="the department's note with its answer; a verifier sees its own only"
        ),
    )
    photo_receipt = serializers.CharField(required=False, help_text="production only")
    records = _object(
        "ClaimRecords",
        help_text="a department's verifier only: the person's records its department checks the claim against, "
        "as held now (self_check is the one run at submission); one of the lists, by department",
        identity=_object(
            "ClaimIdentity",
            allow_null=True,
            help_text="null: the number is not in the population records",
            name=serializers.CharField(),
            birth_date=serializers.DateField(),
            shenzhen_hukou=serializers.BooleanField(),
        ),
        registrations=inline_serializer(
            "ClaimRegistration", registration_fields(), many=True, required=False, help_text="police"
        ),
        insurance_months=inline_serializer(
            "ClaimInsuranceMonths",
            {
                "count": serializers.IntegerField(),
                "ranges": inline_serializer(
                    "MonthRange",
                    {
                        "first": serializers.CharField(),
                        "last": serializers.CharField(),
                        "months": serializers.IntegerField(),
                    },
                    many=True,
                    help_text="consecutive months on record, YYYY-MM",
                ),
            },
            required=False,
            help_text="social insurance",
        ),
        enrolments=inline_serializer(
            "ClaimEnrolment",
            {
                "school": serializers.CharField(),
                "level": serializers.CharField(),
                "full_time": serializers.BooleanField(),
                "start_date": serializers.DateField(),
                "end_date": serializers.DateField(allow_null=True),
            },
            many=True,
            required=False,
            help_text="education",
        ),
        talents=inline_serializer(
            "ClaimTalentCertificate",
            {
                "category": serializers.CharField(),
                "certificate_no": serializers.CharField(),
                "issued_on": serializers.DateField(),
                "valid_until": serializers.DateField(allow_null=True),
            },
            many=True,
            required=False,
            help_text="talent",
        ),
    )
    card = inline_serializer(
        "CardToPrint",
        {
            name: serializers.CharField()
            for name in (
                "name",
                "sex",
                "ethnicity",
                "birth_date",
                "id_number",
                "hukou_address",
                "residence_address",
                "issuing_authority",
                "photo_receipt",
            )
        },
        required=False,
        help_text="production only, while the card is to be made (approved, in_production): what it prints",
    )

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            field.required = name in selectors.CONTRACT_FIELDS
        return fields


HANDLING_ROLES = (Role.PRODUCTION, Role.COURIER)


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def records_payload(records: dict) -> dict:
    """ClaimRecords: selectors.claim_records as the API writes it."""
    identity = records["identity"]
    shown = {
        "identity": identity
        and {"name": identity.name, "birth_date": _day(identity.birth_date), "shenzhen_hukou": identity.shenzhen_hukou}
    }
    if "registrations" in records:
        shown["registrations"] = [
            {**row, "registered_on": _day(row["registered_on"]), "ended_on": _day(row["ended_on"])}
            for row in map(registration_row, records["registrations"])
        ]
    if "insurance" in records:
        ranges = records["insurance"]["ranges"]
        shown["insurance_months"] = {
            "count": records["insurance"]["count"],
            "ranges": [{"first": f"{a:%Y-%m}", "last": f"{b:%Y-%m}", "months": n} for a, b, n in ranges],
        }
    if "enrolments" in records:
        shown["enrolments"] = [
            {
                "school": e.school,
                "level": e.level,
                "full_time": e.full_time,
                "start_date": _day(e.start_date),
                "end_date": _day(e.end_date),
            }
            for e in records["enrolments"]
        ]
    if "talents" in records:
        shown["talents"] = [
            {
                "category": t.category,
                "certificate_no": t.certificate_no,
                "issued_on": _day(t.issued_on),
                "valid_until": _day(t.valid_until),
            }
            for t in records["talents"]
        ]
    return shown


def staff_application_response(user, application: Application) -> HttpResponse:
    """An application as a staff member may see it: production and the courier only what the card
    and the delivery need, after their own steps too (an outsider's courier was answered the
    whole case on delivering); a department's verifier the case with only its own department's
    notes (an outsider's social insurance verifier read the police's) and no delivery address."""
    if user.role in HANDLING_ROLES:
        view = selectors.handling_view(application, role=user.role)
        person = application.person.id_number
        hold = selectors.renewal_hold(
            id_number=person, kind=application.kind, status=view["status"], today=clock.today()
        )
        return Response({**view, "on_hold": hold and _hold_shown(hold)})
    if user.role == Role.VERIFIER:
        document = selectors.verifier_view(application, department=user.department)
        document = selectors.with_check_notes(document, application, department=user.department)
        # The records beside the claim, as the desk shows them: a month pushed after the submission
        # shows here, where the self-check kept from then does not (an outsider's verifier read it stale).
        document["records"] = records_payload(selectors.claim_records(application, user.department))
    else:
        document = selectors.with_check_notes(json.loads(application.document), application)
    if selectors.needs_full_id_number(user, application):
        # A department's system finds the person in its own records by the number, which a masked
        # one cannot do (an outsider's integration could not verify anyone).
        document["applicant"]["id_number"] = application.person.id_number
    # In the stored form, which shown() reads marks in (written with json.dumps' spaces, an
    # outsider's clerk read `on_hold: null` on a held exchange, and a payment time past as open).
    return application_response(application, document=documents.dumps(document))


class StaffApplicationView(APIView):
    """The application as the staff role needs it: the whole case for those who decide or answer
    for it; for production and the courier only what the card and the delivery need."""

    permission_classes = [staff_roles()]

    @extend_schema(responses=StaffApplicationSerializer)
    def get(self, request, pk: int):
        user = request.user
        application = selectors.application_for_staff(user=user, application_id=pk)
        # Production's and the courier's reads too (name, ID, phone, address): on record as on the desk.
        services.application_viewed(actor=user, application=application, address=request.client_address)
        return staff_application_response(user, application)


class StaffPrintoutView(APIView):
    """What the clerk of the chosen point prints: the acceptance receipt (受理回执, RULES §3) for
    the applicant's signature at intake, or the application form signed at pickup (RULES §6)."""

    permission_classes = [staff_roles(Role.CLERK)]
    what = ""

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF")})
    def get(self, request, pk: int):
        application = selectors.application_for_clerk(user=request.user, application_id=pk)
        services.application_viewed(
            actor=request.user, application=application, what=self.what, address=request.client_address, family=True
        )
        printout = clerk_printout(application, self.what, base_url=request.build_absolute_uri("/"), clerk=request.user)
        return pdf_response(*printout)


class StaffApplicationFormView(StaffPrintoutView):
    what = "application_form"


class StaffApplicationReceiptView(StaffPrintoutView):
    what = "receipt"


class StaffPaymentReceiptView(StaffPrintoutView):
    what = "payment_receipt"


class VerifySerializer(serializers.Serializer):
    department = StrictChoiceField(choices=Verification._meta.get_field("department").choices)
    outcome = StrictChoiceField(choices=["confirmed", "not_confirmed"])
    note = StrictCharField(
        max_length=1000,
        required=False,
        default="",
        allow_blank=True,
        help_text="Shown to the applicant in the application's history, and to the reviewer.",
    )


class RejectSerializer(serializers.Serializer):
    # The service merges repeated reasons and then allows 20 (an outsider's 19 reasons and eight
    # spellings of one more were refused here, before they were merged); this only bounds the body.
    # Each reason's text is checked there too, blank and length with the rest, so that every bad
    # reason is named in one answer (an outsider's long one hid its neighbour's hidden character).
    reasons = StrictListField(child=StrictCharField(allow_blank=True), min_length=1, max_length=100)


class HandOverSerializer(serializers.Serializer):
    identity_checked = StrictBooleanField()
    signed = StrictBooleanField()
    old_card_collected = StrictBooleanField(required=False, default=None)


class DeliverSerializer(serializers.Serializer):
    identity_checked = StrictBooleanField()
    old_card_collected = StrictBooleanField(required=False, default=None)


class InPersonSerializer(serializers.Serializer):
    identity_checked = StrictBooleanField()


class ReturnSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=200)


class ReplySerializer(serializers.Serializer):
    text = StrictCharField(max_length=4000)


class MoveSerializer(serializers.Serializer):
    acceptance_point = StrictCharField(max_length=16)
    reason = StrictCharField(max_length=200)
    without_clerk = StrictBooleanField(
        required=False,
        default=False,
        help_text="true to move to a point where no clerk works yet (409 otherwise): one is about to start there",
    )


class EmptySerializer(serializers.Serializer):
    pass


def _staff_action(action: str, body=EmptySerializer, call=None, roles=(), with_address=False):
    """One endpoint per staff action (API.md): the role (403 before anything else), then the
    body, the service and the application as the answer. `roles`: those of the transition table;
    `with_address`: the service records the client's address too."""

    class View(APIView):
        permission_classes = [staff_roles(*(roles or workflow.staff_roles_of(action)))]

        @extend_schema(request=body, responses=StaffApplicationSerializer, operation_id=f"staff_applications_{action}")
        def post(self, request, pk: int):
            data = validated(body, request.data if request.data else {})
            if with_address:
                data["address"] = request.client_address
            if call is not None:
                application = call(actor=request.user, application_id=pk, **data)
            else:
                application = services.application_act(actor=request.user, application_id=pk, action=action)
            return staff_application_response(request.user, application)

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
StaffReturnView = _staff_action("return", ReturnSerializer, services.application_return)
StaffPaymentView = _staff_action("pay", call=application_counter_pay)
StaffWrittenReplyView = _staff_action("written_reply", ReplySerializer, services.written_reply_record, [Role.REVIEWER])
# What the applicant asks for in person at the counter (a counter applicant may have no account).
StaffWithdrawView = _staff_action("withdraw", InPersonSerializer, services.application_withdraw_at_counter)
StaffReplyRequestView = _staff_action(
    "written_reply_request", InPersonSerializer, services.written_reply_request_at_counter, [Role.CLERK]
)


def _move(
    *, actor, application_id: int, acceptance_point: str, reason: str, address: str, without_clerk: bool
) -> Application:
    return services.application_move(
        actor=actor,
        application_id=application_id,
        point_code=acceptance_point,
        reason=reason,
        address=address,
        without_clerk=without_clerk,
    )


# A supervisor's reassignment (DESIGN, Roles): not a step of the workflow, the status stays.
StaffMoveView = _staff_action("move", MoveSerializer, _move, [Role.SUPERVISOR], with_address=True)


def due_badge_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=["overdue", "today", ""],
        help_text="`overdue` when due_on has passed, `today` when it is today, else empty.",
    )


QueueItemSerializer = inline_serializer(
    "QueueItem",
    {
        "application": serializers.IntegerField(),
        "reference": serializers.CharField(),
        "status": serializers.ChoiceField(choices=Status.choices),
        "kind": serializers.ChoiceField(choices=Kind.choices),
        "route": serializers.ChoiceField(choices=Route.values),  # as the other routes: one enum
        "step": serializers.CharField(),
        "due_on": serializers.DateField(),
        "provisional": serializers.BooleanField(),
        "due": due_badge_field(),
        "name": serializers.CharField(),
        "id_number_masked": serializers.CharField(),
        "on_hold": _object(
            "QueueHold",
            allow_null=True,
            help_text="an exchange or a replacement held up by its permit, suspended or cancelled "
            "(the application's on_hold); null otherwise",
            reason=serializers.ChoiceField(choices=HOLD_REASONS),
            permit_number=serializers.CharField(),
            since=serializers.DateField(),
        ),
    },
    many=True,
)


EndorsementCheckSerializer = inline_serializer(
    "EndorsementCheckItem",
    {
        "endorsement": serializers.IntegerField(),
        "permit_number": serializers.CharField(),
        "name": serializers.CharField(),
        "id_number_masked": serializers.CharField(),
        "requested_on": serializers.DateField(),
        "due_on": serializers.DateField(),
        "provisional": serializers.BooleanField(),
        "due": due_badge_field(),
        "to_check": serializers.ListField(child=serializers.CharField()),
        "answer": serializers.CharField(),
    },
    many=True,
)


class StaffQueueView(APIView):
    permission_classes = [staff_roles()]

    @extend_schema(
        parameters=[
            OpenApiParameter("after", str, description="`due_on,application` of the last item of the previous page")
        ],
        responses=inline_serializer(
            "Queue",
            {
                "results": QueueItemSerializer,
                "next": serializers.CharField(allow_null=True),
                "endorsement_checks": EndorsementCheckSerializer,
            },
        ),
    )
    def get(self, request):
        user = request.user
        after = _after(request.query_params.get("after", ""))
        items = selectors.staff_queue(user=user, after=after)
        following = None
        if len(items) == selectors.QUEUE_PAGE:
            following = f"{items[-1]['due_on'].isoformat()},{items[-1]['application']}"
        # A verifier's other work: the endorsements waiting for the department's check (not paged by `after`).
        return Response({"results": items, "next": following, "endorsement_checks": endorsement_check_items(user)})


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
