"""Form fields that check and normalise identifiers with `core.validators`, so a page shows
every field's problem in the first round, exactly as the API would word it. An empty field
says what to enter, not only that something is missing (an outsider read "This field is
required." on nearly every form)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import clock, validators

DJANGOS_REQUIRED = forms.Field.default_error_messages["required"]
DJANGOS_INVALID_CHOICE = forms.ChoiceField.default_error_messages["invalid_choice"]


# A name is compared with the records as printed (API.md: after NFKC, which keeps 陳 apart from 陈):
# a Hong Kong resident's card is in traditional characters (an outsider's 陈大文 used up a try).
NAME_AS_ON_CARD = _(
    "In Chinese characters exactly as printed on the card, simplified or traditional as it has them "
    "(for example 张伟 or 陳大文), not in pinyin."
)


class Form(forms.Form):
    """A form whose empty required fields say what to enter, naming the field, wherever no better
    message was written for it (an outsider read "This field is required." on nearly every form).

    `about_others`: a form where someone types another person's data (a clerk at the counter, a
    landlord declaring a tenant): the browser is asked to remember none of it, so that a shared
    counter computer does not offer one citizen's ID number to the next (an outsider)."""

    about_others = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.about_others:
            for field in self.fields.values():
                if isinstance(field.widget, forms.TextInput | forms.Textarea):
                    field.widget.attrs["autocomplete"] = "off"
        for field in self.fields.values():
            if str(field.error_messages.get("invalid_choice")) == str(DJANGOS_INVALID_CHOICE):
                # Django's message prints the refused value back, however long, NUL bytes and all.
                field.error_messages["invalid_choice"] = _("Choose one of the answers offered.")
            if str(field.error_messages.get("required")) != str(DJANGOS_REQUIRED) or not field.label:
                continue
            choosing = isinstance(field, forms.ChoiceField | forms.BooleanField | forms.FileField)
            message = _("Choose an answer for “%(label)s”.") if choosing else _("Fill in “%(label)s”.")
            if isinstance(field, forms.FileField):
                message = _("Choose a file for “%(label)s”.")
            field.error_messages["required"] = message % {"label": str(field.label).rstrip("?？:：")}


class NormalizedFormField(forms.CharField):
    normalize = None

    def to_python(self, value):
        value = super().to_python(value)
        return type(self).normalize(value) if value else value


class PersonNameFormField(NormalizedFormField):
    normalize = validators.validate_person_name
    default_error_messages = {"required": _("Enter the name as on the ID card.")}


class PlainTextFormField(NormalizedFormField):
    normalize = validators.validate_plain_text


class RoomFormField(NormalizedFormField):
    normalize = validators.validate_room


class FreeTextFormField(NormalizedFormField):
    """Several lines of free text (a reason, a note): no hidden or control characters."""

    normalize = validators.validate_free_text


class IdNumberFormField(NormalizedFormField):
    normalize = validators.normalize_id_number
    default_error_messages = {"required": _("Enter the 18-character ID number.")}

    def __init__(self, **kwargs):
        # Room for the spaces of a number typed in groups as the card prints it ("110105 1949…").
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault("help_text", _("18 characters."))
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value.replace(" ", "") if isinstance(value, str) else value)


class PhoneFormField(NormalizedFormField):
    normalize = validators.normalize_phone
    default_error_messages = {"required": _("Enter the 11-digit mobile number.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}))
        super().__init__(**kwargs)


class BuildingCodeFormField(NormalizedFormField):
    normalize = validators.normalize_building_code
    default_error_messages = {"required": _("Enter the building code on the building's plate.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 19)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        super().__init__(**kwargs)


class SmsCodeFormField(NormalizedFormField):
    normalize = validators.normalize_sms_code
    default_error_messages = {"required": _("Enter the 6-digit code from the SMS.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "class": "code-input"}),
        )
        super().__init__(**kwargs)


class PermitNumberFormField(NormalizedFormField):
    normalize = validators.normalize_permit_number
    default_error_messages = {"required": _("Enter the permit number printed on the card.")}


class CreditCodeFormField(NormalizedFormField):
    normalize = validators.normalize_credit_code
    default_error_messages = {"required": _("Enter the 18-character unified social credit code.")}


class UsernameFormField(NormalizedFormField):
    normalize = validators.validate_username
    default_error_messages = {"required": _("Enter a username.")}


class TypedDateFormField(NormalizedFormField):
    """A date chosen in the browser's date picker, sent as YYYY-MM-DD, 1949–2100. The picker shows it
    in the reader's own format (an outsider's showed 11/20/2026), so its words name no format; only a
    browser without one, where the date is typed, is told the format by the refusal of a wrong one."""

    normalize = validators.parse_date
    default_error_messages = {"required": _("Enter the date.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("empty_value", None)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date", "min": "1949-01-01", "max": "2100-12-31"}))
        super().__init__(**kwargs)


class PastDateInput(forms.DateInput):
    """A date picker that offers no day after today (an outsider's offered days up to 2100)."""

    input_type = "date"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["max"] = clock.today().isoformat()
        return context


class PastDateFormField(TypedDateFormField):
    """A date that has happened (a move): a day after today is refused on its own page, as the
    service would refuse it at the end."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", PastDateInput(attrs={"min": "1949-01-01"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and day > clock.today():
            raise forms.ValidationError(_("The date cannot be in the future."), code="future")
        return day


class TickBoxInput(forms.CheckboxInput):
    """Ticked only by what a ticked box sends ("on"), or true / 1: Django's own takes any other
    text, "0", "no" or "off" too, as ticked (an outsider's sign-up with consent=no recorded consent)."""

    TICKED = frozenset({"on", "true", "1"})

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        return isinstance(value, str) and value.lower() in self.TICKED


class TickBoxFormField(forms.BooleanField):
    """A box the user ticks to say or confirm something (consent, papers checked, card taken back)."""

    widget = TickBoxInput
