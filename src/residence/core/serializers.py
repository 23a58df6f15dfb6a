"""Serializer fields that take JSON's types strictly and put identifiers in their normal form."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import validators
from .errors import Invalid


class StrictCharField(serializers.CharField):
    """A string and nothing else (DRF's CharField would turn 123 into "123").

    DRF's CharField already refuses NUL and surrogate characters.
    """

    default_error_messages = {
        "invalid": _("Must be text."),
        # DRF's say "this field" like a programmer's note (an outsider).
        "max_length": _("At most {max_length} characters."),
        "min_length": _("At least {min_length} characters."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", settings.MAX_FIELD_LENGTH)
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class NormalizedField(StrictCharField):
    """A string checked and normalised by one of `core.validators`."""

    normalize = None

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)  # a string, within its length
        if value is None:
            return value
        try:
            return type(self).normalize(value)
        except DjangoValidationError as e:
            raise serializers.ValidationError(e.messages) from None


class SmsCodeField(NormalizedField):
    normalize = validators.normalize_sms_code


class IdNumberField(NormalizedField):
    normalize = validators.normalize_id_number


class PhoneField(NormalizedField):
    normalize = validators.normalize_phone


class CreditCodeField(NormalizedField):
    normalize = validators.normalize_credit_code


class UsernameField(NormalizedField):
    normalize = validators.validate_username


@extend_schema_field(OpenApiTypes.DATE)
class TypedDateField(NormalizedField):
    """A date a person typed: YYYY-MM-DD in ASCII digits, 1949–2100 (API.md)."""

    normalize = validators.parse_date


# A list refused in the platform's words: DRF's name the Python type of what came ("got type
# "str"", and in Chinese 物件 for items, which the mainland does not say: an outsider).
LIST_ERRORS = {
    "not_a_list": _("Must be a list."),
    "empty": _("Give at least one."),
    "min_length": _("Give at least {min_length}."),
    "max_length": _("Give at most {max_length}."),
}


class StrictListField(serializers.ListField):
    default_error_messages = LIST_ERRORS


class ObjectListSerializer(serializers.ListSerializer):
    """`many=True` of an ObjectSerializer."""

    default_error_messages = LIST_ERRORS


class ObjectSerializer(serializers.Serializer):
    """A nested object of a request body, refused in the platform's words when it is not an object
    (an outsider's `"delivery": "pickup"` got DRF's "Expected a dictionary, but got str")."""

    default_error_messages = {"invalid": _("Must be an object with named fields, not a single value or a list.")}

    class Meta:
        list_serializer_class = ObjectListSerializer


class StrictChoiceField(serializers.ChoiceField):
    """One of the choices, given as text: DRF's ChoiceField reads 1 as "1" and answers that it is
    no valid choice, where every other field says what the value must be (an outsider)."""

    default_error_messages = {"not_text": _("Must be text."), "invalid_choice": _("Must be one of: {choices}.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        if data not in self.choice_strings_to_values and not (data == "" and self.allow_blank):
            # The choices, not the value sent back (DRF's: "“yes” is not a valid choice").
            self.fail("invalid_choice", choices=", ".join(self.choice_strings_to_values))
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false as JSON booleans only."""

    default_error_messages = {"invalid": _("Must be true or false.")}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class NullAsAbsent:
    """An optional field (API.md's `name?`) sent as null is taken as not sent: its default (an
    outsider's `"address": null` for a pickup was refused as if an address were owed)."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, **kwargs)

    def validate_empty_values(self, data):
        if data is None:
            return True, self.get_default()
        return super().validate_empty_values(data)


class OptionalCharField(NullAsAbsent, StrictCharField):
    def __init__(self, **kwargs):
        super().__init__(default="", allow_blank=True, **kwargs)


class OptionalBooleanField(NullAsAbsent, StrictBooleanField):
    def __init__(self, **kwargs):
        super().__init__(default=False, **kwargs)


class ServiceChecked(serializers.Serializer):
    """A body whose content the service checks, so that every problem is listed at once (RULES
    §4): its fields are optional here (only their types and a bound on the body's size), and
    `schema_required` names the fields API.md requires, which the served schema shows
    (core.schema.ServiceCheckedBody)."""

    schema_required: tuple[str, ...] = ()


def checked_text(max_length: int, choices=None, **kwargs):
    """A text field of a `ServiceChecked` body: its blank, length and content the service's. With
    `choices`, the schema lists them as the field's enum (a client generated from the schema had a
    bare string: an outsider), while the service still reports a wrong one with every other problem."""
    kwargs = {"required": False, "default": "", "allow_blank": True, **kwargs}
    if choices is None:
        return StrictCharField(max_length=max_length, **kwargs)
    return listed_text(choices, max_length=max_length, **kwargs)


def listed_text(choices, **kwargs):
    """A `StrictCharField` the schema shows as the enum of `choices` (as the answers show the same
    set: one enum component); a value outside them is the service's to refuse, in its words."""
    shown = serializers.ChoiceField(choices=choices)
    return extend_schema_field(shown)(type("Choice", (StrictCharField,), {}))(**kwargs)


def described_json(schema, **kwargs):
    """A JSON value whose shape the service checks, reporting it with every other problem of the
    body, that the schema shows as `schema` (an OpenAPI dict, type or serializer): a client generated
    from a bare JSONField could not learn what to send (an outsider)."""
    return extend_schema_field(schema)(type("Described", (serializers.JSONField,), {}))(**kwargs)


def validated(serializer_class, data) -> dict:
    if not isinstance(data, dict):
        raise Invalid(
            _("Send the body as a JSON object."), fields={"non_field_errors": [_("Send the body as a JSON object.")]}
        )
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
