"""API.md § Residence registration."""

from django.core.exceptions import ValidationError
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from residence.accounts.models import Kind, Role
from residence.accounts.permissions import staff_roles
from residence.core.api import PAGE_PARAMETER, BodilessPostMixin, paged
from residence.core.encodings import declared, decode
from residence.core.errors import Forbidden, Invalid
from residence.core.serializers import (
    ServiceChecked,
    StrictBooleanField,
    StrictCharField,
    StrictListField,
    checked_text,
    described_json,
    validated,
)
from residence.core.validators import mask_id_number

from . import selectors, services
from .models import DeclarantType, Declaration, House, HousingType


class HouseSerializer(serializers.Serializer):
    """The schema of a house (`house_payload` builds the answer)."""

    id = serializers.IntegerField()
    street = serializers.CharField()
    district = serializers.CharField()
    building_code = serializers.CharField()
    building_name = serializers.CharField()
    room = serializers.CharField()
    address = serializers.CharField()
    housing_type = serializers.ChoiceField(choices=HousingType.choices)
    confirmed = serializers.BooleanField()


def house_payload(house: House) -> dict:
    return {
        "id": house.pk,
        "street": house.street_id,
        "district": house.street.district_id,
        "building_code": house.building_code,
        "building_name": house.building_name,
        "room": house.room,
        "address": house.address,
        "housing_type": house.housing_type,
        "confirmed": house.confirmed,
    }


def declaration_payload(d: Declaration, house: int | None = None) -> dict:
    """`house`: the reader's own house of the room, for a tenant's report filed under another
    holder's (selectors.shared_room_reports)."""
    registration = d.registration
    return {
        "id": d.pk,
        "reference": d.reference,
        "kind": d.kind,
        "status": d.status,
        "house": house or d.house_id,
        "person": {"name": d.name, "id_number_masked": mask_id_number(d.id_number)},
        "declarant_type": d.declarant_type or None,
        "date": d.date,
        "declared_on": d.declared_on,
        "late": d.days_late > 0,
        "days_late": d.days_late,
        "registration": (
            {"registered_on": registration.registered_on, "ended_on": registration.ended_on} if registration else None
        ),
    }


class DeclarationSerializer(serializers.Serializer):
    """The schema of a declaration (`declaration_payload` builds the answer)."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    kind = serializers.ChoiceField(choices=Declaration.Kind.choices)
    status = serializers.ChoiceField(choices=Declaration.Status.choices)
    house = serializers.IntegerField()
    person = inline_serializer(
        "DeclaredPerson", {"name": serializers.CharField(), "id_number_masked": serializers.CharField()}
    )
    declarant_type = serializers.ChoiceField(choices=DeclarantType.choices, allow_null=True)
    date = serializers.DateField()
    declared_on = serializers.DateField()
    late = serializers.BooleanField()
    days_late = serializers.IntegerField()
    registration = inline_serializer(
        "DeclaredRegistration",
        {"registered_on": serializers.DateField(), "ended_on": serializers.DateField(allow_null=True)},
        allow_null=True,
    )


class HouseBodySerializer(ServiceChecked):
    schema_required = ("street", "building_code", "building_name", "room", "address", "housing_type")

    street = checked_text(100)
    building_code = checked_text(100)
    building_name = checked_text(1000)
    room = checked_text(1000)
    address = checked_text(1000)
    housing_type = checked_text(100, HousingType.choices)


class HouseListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("street", str), OpenApiParameter("q", str), PAGE_PARAMETER],
        responses=HouseSerializer(many=True),
    )
    def get(self, request):
        street = request.query_params.get("street", "")[:9]
        q = request.query_params.get("q", "")[:100]
        return paged(request, selectors.houses_for(actor=request.user, street=street, q=q), house_payload)

    @extend_schema(request=HouseBodySerializer, responses={201: HouseSerializer})
    def post(self, request):
        data = validated(HouseBodySerializer, request.data)
        return Response(house_payload(services.house_create(actor=request.user, data=data)), status=201)


def _person_given(name: str, required: tuple[str, ...]):
    return inline_serializer(
        name, {field: serializers.CharField(required=field in required) for field in ("name", "id_number", "phone")}
    )


# API.md: a house id, or for a tenant's self-report the room as its plate names it.
HOUSE_NAMED = {
    "oneOf": [
        {"type": "integer"},
        {
            "type": "object",
            "properties": {key: {"type": "string"} for key in ("street", "building_code", "room")},
            "required": ["street", "building_code", "room"],
        },
    ]
}


def _paper_code(last: int):
    return {"type": "integer", "minimum": 1, "maximum": last, "description": "the paper form's code"}


class DeclarationBodySerializer(ServiceChecked):
    schema_required = ("house", "kind", "person", "date")

    house = described_json(HOUSE_NAMED, required=False, default=None)
    kind = checked_text(100, Declaration.Kind.choices)
    person = described_json(
        _person_given("DeclaredPersonGiven", ("id_number",)),
        required=False,
        default=None,
        help_text="a move-out needs only `id_number`",
    )
    declarant_type = checked_text(100, DeclarantType.choices)
    occupation = described_json(_paper_code(13), required=False, default=None)
    reason = described_json(_paper_code(14), required=False, default=None)
    date = checked_text(100)


class CounterDeclarationSerializer(DeclarationBodySerializer):
    schema_required = (*DeclarationBodySerializer.schema_required, "declarant")

    declarant = described_json(
        _person_given("WalkInDeclarant", ("name", "id_number", "phone")), required=False, default=dict
    )


class DeclarationListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("house", int),
            OpenApiParameter("current", int),
            OpenApiParameter("late", int, description="1: only declarations made after their deadline"),
            PAGE_PARAMETER,
        ],
        responses=DeclarationSerializer(many=True),
    )
    def get(self, request):
        raw_house = request.query_params.get("house", "")
        house = int(raw_house) if raw_house.isascii() and raw_house.isdigit() and len(raw_house) < 12 else None
        if raw_house and house is None:
            raise Invalid(fields={"house": [_("Give a house id.")]})
        # A filter typed wrong is said, not dropped for the whole list (an outsider's current=abc).
        flags = {}
        for name in ("current", "late"):
            value = request.query_params.get(name, "")
            if value not in ("", "0", "1"):
                raise Invalid(fields={name: [_("Give 1 or 0.")]})
            flags[name] = value == "1"
        current, late = flags["current"], flags["late"]
        shared = selectors.shared_room_reports(request.user, house)
        declarations = selectors.declarations_for(
            actor=request.user, house=house, current=current, late=late, shared=shared
        )
        return paged(request, declarations, lambda d: declaration_payload(d, shared.get(d.pk)))

    @extend_schema(request=DeclarationBodySerializer, responses={201: DeclarationSerializer})
    def post(self, request):
        data = validated(DeclarationBodySerializer, request.data)
        declaration = services.declaration_create(actor=request.user, data=data)
        return Response(declaration_payload(declaration), status=201)


class DeclarationConfirmView(BodilessPostMixin, APIView):
    @extend_schema(request=None, responses=DeclarationSerializer)
    def post(self, request, pk: int):
        return Response(declaration_payload(services.declaration_confirm(actor=request.user, declaration_id=pk)))


class DeclarationDeclineView(BodilessPostMixin, APIView):
    @extend_schema(request=None, responses=DeclarationSerializer)
    def post(self, request, pk: int):
        """The house's holder declines a tenant's self-report (status `declined`)."""
        return Response(declaration_payload(services.declaration_decline(actor=request.user, declaration_id=pk)))


class DeclarationWithdrawView(BodilessPostMixin, APIView):
    @extend_schema(request=None, responses=DeclarationSerializer)
    def post(self, request, pk: int):
        """The tenant takes back their own waiting self-report (status `withdrawn`)."""
        return Response(declaration_payload(services.declaration_withdraw(actor=request.user, declaration_id=pk)))


class CsvTextParser(BaseParser):
    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        _type, parameters = parse_header_parameters(media_type or "")
        try:
            return decode(stream.read(), declared(parameters.get("charset", "")))
        except ValidationError as e:
            raise Invalid(fields={"file": e.messages}) from None


BulkSerializer = inline_serializer(
    "BulkCheck",
    {
        "upload": serializers.IntegerField(),
        "rows": serializers.IntegerField(),
        "valid": serializers.IntegerField(),
        "invalid": inline_serializer(
            "BulkProblem", {"line": serializers.IntegerField(), "reason": serializers.CharField()}, many=True
        ),
    },
)


class BulkView(APIView):
    parser_classes = [CsvTextParser]

    @extend_schema(
        request={"text/csv": OpenApiTypes.STR},
        description="A CSV file with the header house,kind,name,id_number,phone,declarant_type,occupation,"
        "reason,date (API.md); at most 10,000 rows and 5 MB.",
        responses=BulkSerializer,
    )
    def post(self, request):
        upload = services.bulk_check(actor=request.user, text=request.data if isinstance(request.data, str) else "")
        return Response(
            {"upload": upload.pk, "rows": upload.rows, "valid": len(upload.valid), "invalid": upload.problems()}
        )


class BulkConfirmView(BodilessPostMixin, APIView):
    @extend_schema(request=None, responses=inline_serializer("BulkApplied", {"applied": serializers.IntegerField()}))
    def post(self, request, upload: int):
        return Response({"applied": services.bulk_confirm(actor=request.user, upload_id=upload).applied})


class SubAccountBodySerializer(serializers.Serializer):
    username = StrictCharField(max_length=30)
    password = StrictCharField(max_length=128, trim_whitespace=False)
    phone = StrictCharField(max_length=20)
    houses = StrictListField(child=described_json(OpenApiTypes.INT), max_length=10_000)


class SubAccountSerializer(serializers.Serializer):
    """The schema of a sub-account (`sub_account_payload` builds the answer)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    kind = serializers.CharField()
    active = serializers.BooleanField()
    houses = serializers.ListField(child=serializers.IntegerField())


def sub_account_payload(user) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "kind": user.kind,
        "active": user.is_active,
        "houses": sorted(house.pk for house in user.assigned_houses.all()),
    }


class SubAccountView(APIView):
    @extend_schema(responses=SubAccountSerializer(many=True))
    def get(self, request):
        """The organisation's sub-accounts, active or not, with the houses each was given."""
        services.administrator_required(request.user)
        return Response([sub_account_payload(u) for u in selectors.sub_accounts_of(organisation=request.user)])

    @extend_schema(request=SubAccountBodySerializer, responses={201: SubAccountSerializer})
    def post(self, request):
        data = validated(SubAccountBodySerializer, request.data)
        user = services.sub_account_create(actor=request.user, **data)
        return Response(sub_account_payload(user), status=201)


class SubAccountHousesSerializer(serializers.Serializer):
    houses = StrictListField(child=described_json(OpenApiTypes.INT), max_length=10_000)


class SubAccountHousesView(APIView):
    @extend_schema(request=SubAccountHousesSerializer, responses=SubAccountSerializer)
    def put(self, request, pk: int):
        """Give a sub-account these houses, in place of those it had."""
        data = validated(SubAccountHousesSerializer, request.data)
        user = services.sub_account_houses_set(actor=request.user, account_id=pk, houses=data["houses"])
        return Response(sub_account_payload(user))


class SubAccountDeactivateView(BodilessPostMixin, APIView):
    @extend_schema(request=None, responses=SubAccountSerializer)
    def post(self, request, pk: int):
        """End a sub-account: it can no longer sign in and its logins end now."""
        return Response(sub_account_payload(services.sub_account_deactivate(actor=request.user, account_id=pk)))


def registration_fields() -> dict:
    """A residence registration as the API writes it (registration_row), for a schema component."""
    return {
        "street": serializers.CharField(),
        "street_name": serializers.CharField(),
        "address": serializers.CharField(),
        "registered_on": serializers.DateField(),
        "ended_on": serializers.DateField(allow_null=True),
    }


def registration_row(registration) -> dict:
    return {
        "street": registration.street_id,
        "street_name": registration.street.name,
        "address": registration.address,
        "registered_on": registration.registered_on,
        "ended_on": registration.ended_on,
    }


class MyRegistrationsView(APIView):
    @extend_schema(responses=inline_serializer("MyRegistration", registration_fields(), many=True))
    def get(self, request):
        if request.user.kind != Kind.INDIVIDUAL:  # an organisation cannot verify (an outsider was told to)
            raise Forbidden(_("Only a personal account has residence registrations of its own."))
        if request.user.person_id is None:
            raise Forbidden(_("Pass real-name verification to see your registrations."))
        rows = selectors.registrations_of(id_number=request.user.person.id_number)
        return Response([registration_row(r) for r in rows])


class StaffDeclarationView(APIView):
    permission_classes = [staff_roles(Role.CLERK)]

    @extend_schema(request=CounterDeclarationSerializer, responses={201: DeclarationSerializer})
    def post(self, request):
        data = validated(CounterDeclarationSerializer, request.data)
        declarant = data.pop("declarant")
        declaration = services.declaration_create(actor=request.user, data=data, declarant=declarant or {})
        return Response(declaration_payload(declaration), status=201)


class HouseConfirmSerializer(serializers.Serializer):
    papers_checked = StrictBooleanField(required=False)


class StaffHouseConfirmView(BodilessPostMixin, APIView):
    """API.md's body is empty; a clerk's system that says `papers_checked: false` is refused, as
    the desk's page refuses the box unticked."""

    permission_classes = [staff_roles(Role.CLERK)]

    @extend_schema(request=HouseConfirmSerializer, responses=HouseSerializer)
    def post(self, request, pk: int):
        data = validated(HouseConfirmSerializer, request.data if isinstance(request.data, dict) else {})
        if data.get("papers_checked") is False:
            raise Invalid(fields={"papers_checked": [_("Check the papers before confirming the house.")]})
        return Response(house_payload(services.house_confirm(actor=request.user, house_id=pk)))
