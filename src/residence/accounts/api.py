from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from residence.core.api import page_parameter, page_rows
from residence.core.serializers import (
    OptionalBooleanField,
    SmsCodeField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    validated,
)
from residence.core.validators import mask_id_number, mask_phone
from residence.notifications.selectors import message_list, message_unread_count
from residence.notifications.services import message_mark_read

from . import services
from .authentication import SIGNED_OUT
from .models import Channel, Department, Kind, Role, Status
from .permissions import staff_roles


class PublicAPIView(APIView):
    """Public endpoints ignore any Authorization header, even a stale one."""

    authentication_classes = []
    permission_classes = [AllowAny]


def _user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")


class AccountCreateSerializer(serializers.Serializer):
    kind = StrictChoiceField(choices=[Kind.INDIVIDUAL, Kind.ORGANISATION])
    username = StrictCharField(max_length=30)
    password = StrictCharField(max_length=128, trim_whitespace=False)
    phone = StrictCharField(max_length=20)
    consent = StrictBooleanField()
    # An organisation's name and credit code are checked with the other fields (account_problems),
    # so that a missing or blank name does not hide the rest.
    name = StrictCharField(max_length=200, required=False, default="", allow_blank=True)
    credit_code = StrictCharField(max_length=18, required=False, default="", allow_blank=True)


TEXT_FIELDS = ("username", "password", "phone", "name", "credit_code")


def sign_up_problems(data, refused: dict) -> dict:
    """Every field's problem of a sign-up whose body the serializer refused (a field missing, null
    or of the wrong type): the fields it did not refuse are checked as the service checks them, so
    that one wrong type hides nothing else (an outsider's missing consent hid a bad username,
    password and phone). Nothing is looked up or counted: the answer is 400 whatever is taken."""
    text = {name: data[name] for name in TEXT_FIELDS if name not in refused and isinstance(data.get(name), str)}
    kind = data.get("kind") if "kind" not in refused else Kind.INDIVIDUAL
    problems = services.account_problems(
        kind=kind,
        username=text.get("username", ""),
        password=text.get("password", ""),
        phone=text.get("phone", ""),
        consent=data.get("consent") is True,
        name=text.get("name", ""),
        credit_code=text.get("credit_code", ""),
    )[0]
    return {**{name: problem for name, problem in problems.items() if name not in refused}, **refused}


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    kind = serializers.ChoiceField(choices=[Kind.INDIVIDUAL, Kind.ORGANISATION])
    # A sign-up answers active or pending (API.md); a clerk's decline answers the account disabled.
    status = serializers.ChoiceField(choices=Status.choices)


class AccountCreateView(PublicAPIView):
    @extend_schema(request=AccountCreateSerializer, responses={201: AccountSerializer})
    def post(self, request):
        try:
            data = validated(AccountCreateSerializer, request.data)
        except serializers.ValidationError as refused:
            if not isinstance(refused.detail, dict):
                raise
            raise serializers.ValidationError(sign_up_problems(request.data, refused.detail)) from None
        # An app's sign-up states its language as a page's does (an outsider's English app got Chinese SMS).
        language = services.stated_language(request.META.get("HTTP_ACCEPT_LANGUAGE", "")) or ""
        user = services.account_create(address=request.client_address, language=language, **data)
        return Response(AccountSerializer(user).data, status=201)


class LoginSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, trim_whitespace=False)
    remember = OptionalBooleanField()


TokenSerializer = inline_serializer("Token", {"token": serializers.CharField()})
ChallengeSerializer = inline_serializer(
    "Challenge", {"challenge": serializers.CharField(), "phone_masked": serializers.CharField()}
)


class LoginView(PublicAPIView):
    @extend_schema(request=LoginSerializer, responses={200: TokenSerializer, 202: ChallengeSerializer})
    def post(self, request):
        data = validated(LoginSerializer, request.data)
        result = services.auth_login(
            channel=Channel.API, address=request.client_address, user_agent=_user_agent(request), **data
        )
        if result.challenge:
            return Response(
                {"challenge": result.challenge.public_id, "phone_masked": mask_phone(result.challenge.phone)},
                status=202,
            )
        return Response({"token": result.token})


class SmsVerifySerializer(serializers.Serializer):
    challenge = StrictCharField(max_length=64)
    code = SmsCodeField(max_length=12)


class SmsVerifyView(PublicAPIView):
    @extend_schema(
        request=SmsVerifySerializer,
        responses={
            200: inline_serializer(
                "SmsVerified",
                {
                    "token": serializers.CharField(required=False, help_text="a login's challenge: the new token"),
                    "phone_masked": serializers.CharField(
                        required=False, help_text="a phone change's challenge: the number now bound"
                    ),
                },
            )
        },
    )
    def post(self, request):
        data = validated(SmsVerifySerializer, request.data)
        result = services.auth_sms_verify(address=request.client_address, user_agent=_user_agent(request), **data)
        if result.token:
            return Response({"token": result.token})
        return Response({"phone_masked": mask_phone(result.user.phone)})


class ChallengeRefSerializer(serializers.Serializer):
    challenge = StrictCharField(max_length=64)


class SmsResendView(PublicAPIView):
    @extend_schema(request=ChallengeRefSerializer, responses={202: OpenApiResponse(description="Code sent")})
    def post(self, request):
        data = validated(ChallengeRefSerializer, request.data)
        services.auth_sms_resend(address=request.client_address, **data)
        return Response(status=202)


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if not services.session_end(session=request.auth, address=request.client_address):
            raise AuthenticationFailed(*SIGNED_OUT)
        return Response(status=204)


class PasswordResetSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)


class PasswordResetView(PublicAPIView):
    @extend_schema(request=PasswordResetSerializer, responses={202: ChallengeSerializer})
    def post(self, request):
        data = validated(PasswordResetSerializer, request.data)
        challenge, masked = services.password_reset_start(address=request.client_address, **data)
        return Response({"challenge": challenge.public_id, "phone_masked": masked}, status=202)


class UsernameReminderSerializer(serializers.Serializer):
    phone = StrictCharField(max_length=20)


class UsernameReminderView(PublicAPIView):
    """The username of the account bound to a mobile number, sent by SMS to that number. 202 with
    nothing in the answer, whether or not the number is bound."""

    @extend_schema(request=UsernameReminderSerializer, responses={202: None})
    def post(self, request):
        data = validated(UsernameReminderSerializer, request.data)
        services.username_reminder(address=request.client_address, **data)
        return Response(status=202)


class PasswordResetConfirmSerializer(SmsVerifySerializer):
    new_password = StrictCharField(max_length=128, trim_whitespace=False)


class PasswordResetConfirmView(PublicAPIView):
    @extend_schema(request=PasswordResetConfirmSerializer, responses={204: None})
    def post(self, request):
        data = validated(PasswordResetConfirmSerializer, request.data)
        services.password_reset_confirm(address=request.client_address, **data)
        return Response(status=204)


class PersonSerializer(serializers.Serializer):
    name = serializers.CharField()
    id_number_masked = serializers.CharField()


class MeSerializer(serializers.Serializer):
    """The schema of GET /me; `me_payload` builds the answer (a serializer costs more than the query)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    status = serializers.ChoiceField(choices=[Status.ACTIVE, Status.PENDING])
    phone_masked = serializers.CharField()
    real_name_verified = serializers.BooleanField()
    person = PersonSerializer(allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False, help_text="staff only")
    point = inline_serializer(
        "StaffPoint",
        {"code": serializers.CharField(), "name": serializers.CharField()},
        required=False,
        allow_null=True,
        help_text="staff only",
    )
    department = serializers.ChoiceField(
        choices=Department.choices, required=False, allow_null=True, help_text="staff only"
    )
    organisation = inline_serializer(
        "MeOrganisation",
        {"name": serializers.CharField(), "credit_code": serializers.CharField()},
        required=False,
        help_text="organisations and their sub-accounts only",
    )


def me_payload(user) -> dict:
    person = user.person
    data = {
        "id": user.pk,
        "username": user.username,
        "kind": user.kind,
        "status": user.status,
        "phone_masked": mask_phone(user.phone or ""),
        "real_name_verified": person is not None,
        "person": {"name": person.name, "id_number_masked": mask_id_number(person.id_number)} if person else None,
    }
    if user.kind == Kind.STAFF:
        data["role"] = user.role
        data["point"] = {"code": user.point.code, "name": user.point.name} if user.point_id else None
        data["department"] = user.department or None
    elif user.kind in (Kind.ORGANISATION, Kind.SUB_ACCOUNT):
        organisation = (user.parent if user.kind == Kind.SUB_ACCOUNT else user).organisation
        data["organisation"] = {"name": organisation.name, "credit_code": organisation.credit_code}
    return data


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(me_payload(request.user))


class RealNameSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    id_number = StrictCharField(max_length=24)  # the ID check says what is wrong


class RealNameView(APIView):
    @extend_schema(
        request=RealNameSerializer,
        responses=inline_serializer("RealNameVerified", {"real_name_verified": serializers.BooleanField()}),
    )
    def post(self, request):
        data = validated(RealNameSerializer, request.data)
        services.real_name_verify(user=request.user, address=request.client_address, **data)
        return Response({"real_name_verified": True})


class PasswordChangeSerializer(serializers.Serializer):
    old_password = StrictCharField(max_length=128, trim_whitespace=False)
    new_password = StrictCharField(max_length=128, trim_whitespace=False)


class PasswordChangeView(APIView):
    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        data = validated(PasswordChangeSerializer, request.data)
        services.password_change(user=request.user, address=request.client_address, **data)
        return Response(status=204)


class PhoneChangeSerializer(serializers.Serializer):
    phone = StrictCharField(max_length=20)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class PhoneChangeView(APIView):
    @extend_schema(
        request=PhoneChangeSerializer,
        responses={
            202: inline_serializer(
                "PhoneChallenge", {"challenge": serializers.CharField(), "phone_masked": serializers.CharField()}
            )
        },
    )
    def put(self, request):
        data = validated(PhoneChangeSerializer, request.data)
        challenge = services.phone_change_start(user=request.user, address=request.client_address, **data)
        return Response({"challenge": challenge.public_id, "phone_masked": mask_phone(challenge.phone)}, status=202)


class OrganisationActivateSerializer(serializers.Serializer):
    credit_code_checked = StrictBooleanField()
    letter_checked = StrictBooleanField()
    housing_checked = StrictBooleanField()
    note = StrictCharField(max_length=1000, required=False, default="", allow_blank=True)


class OrganisationActivateView(APIView):
    """A clerk activates a pending organisation account (`{id}` is the account's id)."""

    permission_classes = [staff_roles(Role.CLERK)]

    @extend_schema(request=OrganisationActivateSerializer, responses=AccountSerializer)
    def post(self, request, pk: int):
        data = validated(OrganisationActivateSerializer, request.data)
        organisation = services.organisation_activate(actor=request.user, account_id=pk, **data)
        return Response(AccountSerializer(organisation.user).data)


class OrganisationDeclineSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=200)  # as the desk's form


class OrganisationDeclineView(APIView):
    """A clerk declines a pending organisation account (`{id}` is the account's id): its materials
    do not check out, or it was opened with another organisation's credit code. The code is free
    again; the account is disabled."""

    permission_classes = [staff_roles(Role.CLERK)]

    @extend_schema(request=OrganisationDeclineSerializer, responses=AccountSerializer)
    def post(self, request, pk: int):
        data = validated(OrganisationDeclineSerializer, request.data)
        organisation = services.organisation_decline(actor=request.user, account_id=pk, **data)
        return Response(AccountSerializer(organisation.user).data)


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    read = serializers.SerializerMethodField()

    def get_read(self, message) -> bool:
        return message.read_at is not None


MESSAGES_PAGE = 100


class MessageListView(APIView):
    @extend_schema(
        parameters=[page_parameter(MESSAGES_PAGE)],
        responses=inline_serializer(
            "Messages", {"unread": serializers.IntegerField(), "results": MessageSerializer(many=True)}
        ),
    )
    def get(self, request):
        # A page at a time, newest first (`?page=N`, a Link header to the next): an outsider's 507
        # messages stopped at 200 with no way to the rest.
        messages, link = page_rows(request, message_list(user=request.user), MESSAGES_PAGE)
        response = Response(
            {"unread": message_unread_count(user=request.user), "results": MessageSerializer(messages, many=True).data}
        )
        if link:
            response["Link"] = link
        return response


class MessageReadView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request, pk: int):
        message_mark_read(user=request.user, message_id=pk)
        return Response(status=204)
