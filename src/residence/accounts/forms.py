from django import forms
from django.utils.translation import gettext_lazy as _

from residence.core.errors import DomainError, page_message
from residence.core.forms import (
    NAME_AS_ON_CARD,
    CreditCodeFormField,
    Form,
    IdNumberFormField,
    PhoneFormField,
    SmsCodeFormField,
    TickBoxFormField,
    UsernameFormField,
)

from .models import Kind, User
from .services.common import password_problems


def add_field_errors(form: forms.Form, fields: dict) -> bool:
    """Put a service's field errors on the form's fields (each message once); whether any fit."""
    placed = False
    for field, messages in fields.items():
        if field in form.fields:
            for message in messages:
                if message not in form.errors.get(field, []):
                    form.add_error(field, message)
            placed = True
    return placed


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's error on the form: on its fields where they exist, else at the top."""
    if not add_field_errors(form, exc.fields):
        form.add_error(None, page_message(exc))


class PlatformChoice:
    PERMIT = "permit"
    REGISTRATION = "registration"
    CHOICES = [
        (PERMIT, _("Residence permit and endorsement")),
        (REGISTRATION, _("Residence registration")),
    ]


def _password_field(label, help_text=""):
    return forms.CharField(
        label=label,
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=help_text,
        error_messages={"required": _("Enter a password.")},
    )


NEW_PASSWORD_HELP = _("At least 8 characters with letters and digits, not like your username.")


class RegisterForm(Form):
    kind = forms.ChoiceField(
        label=_("Account type"),
        widget=forms.RadioSelect,
        initial=Kind.INDIVIDUAL,
        choices=[(Kind.INDIVIDUAL, _("Individual")), (Kind.ORGANISATION, _("Organisation"))],
        error_messages={"required": _("Choose whether the account is for yourself or an organisation.")},
    )
    username = UsernameFormField(
        label=_("Username"),
        max_length=30,
        help_text=_("4–30 letters, digits or underscores."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = _password_field(_("Password"), NEW_PASSWORD_HELP)
    phone = PhoneFormField(
        label=_("Mobile number"), help_text=_("A mainland China mobile number. Sign-in codes are sent here.")
    )
    name = forms.CharField(
        label=_("Organisation name"), max_length=200, required=False, help_text=_("Organisations only.")
    )
    credit_code = CreditCodeFormField(
        label=_("Unified social credit code"),
        max_length=18,
        required=False,
        help_text=_("Organisations only: the 18 characters on the business licence."),
    )
    consent = TickBoxFormField(
        label=_("I have read the privacy notice and agree that the platform keeps my data as it describes."),
        error_messages={"required": _("You must agree to the privacy notice to open an account.")},
    )

    def clean(self):
        data = super().clean()
        if data.get("kind") == Kind.ORGANISATION:
            if not data.get("name") and "name" not in self.errors:  # too long is said already
                self.add_error("name", _("Enter the organisation's name."))
            if not data.get("credit_code") and "credit_code" not in self.errors:
                self.add_error("credit_code", _("Enter the unified social credit code."))
        if data.get("password"):
            candidate = User(username=data.get("username") or "", phone=data.get("phone") or "")
            for problem in password_problems(data["password"], candidate):
                self.add_error("password", problem)
        return data


class LoginForm(Form):
    platform = forms.ChoiceField(
        label=_("Service"), widget=forms.RadioSelect, choices=PlatformChoice.CHOICES, initial=PlatformChoice.PERMIT
    )
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
        error_messages={"required": _("Enter your username.")},
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password.")},
    )
    remember = TickBoxFormField(label=_("Remember me on this device for 14 days"), required=False)


class CodeForm(Form):
    code = SmsCodeFormField(label=_("SMS verification code"))


class UsernameReminderForm(Form):
    phone = PhoneFormField(label=_("Bound mobile number"))


class PasswordResetForm(Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        error_messages={"required": _("Enter your username.")},
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )


class NewPasswordTwiceMixin:
    """The new password typed twice: one slip of the finger would lock the person out."""

    def clean_new_password_again(self):
        again = self.cleaned_data["new_password_again"]
        # Against what was typed, valid or not: a weak first password hid the mismatch until the
        # next round (an outsider).
        if again != self.data.get(self.add_prefix("new_password"), ""):
            raise forms.ValidationError(_("The two passwords differ: type the new password again."))
        return again


class PasswordResetConfirmForm(NewPasswordTwiceMixin, CodeForm):
    new_password = _password_field(_("New password"), NEW_PASSWORD_HELP)
    new_password_again = _password_field(_("New password again"), "")

    def clean_new_password(self):
        password = self.cleaned_data["new_password"]
        problems = password_problems(password)
        if problems:
            raise forms.ValidationError(problems)
        return password


class PasswordChangeForm(NewPasswordTwiceMixin, Form):
    old_password = forms.CharField(
        label=_("Current password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = _password_field(_("New password"), NEW_PASSWORD_HELP)
    new_password_again = _password_field(_("New password again"), "")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_new_password(self):
        password = self.cleaned_data["new_password"]
        problems = password_problems(password, self.user)
        if problems:
            raise forms.ValidationError(problems)
        return password


class PhoneChangeForm(Form):
    phone = PhoneFormField(label=_("New mobile number"))
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RealNameForm(Form):
    name = forms.CharField(
        label=_("Name as on your ID card"),
        help_text=NAME_AS_ON_CARD,
        max_length=100,
        error_messages={"required": _("Enter your name as on your ID card.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),  # the reader's own (WCAG 1.3.5)
    )
    id_number = IdNumberFormField(label=_("ID number"))


def _material(label, missing):
    return TickBoxFormField(label=label, error_messages={"required": missing})


class ActivateOrganisationForm(Form):
    credit_code_checked = _material(
        _("The unified social credit code matches the business licence"),
        _("Check the unified social credit code against the business licence."),
    )
    letter_checked = _material(_("The authorisation letter has been checked"), _("Check the authorisation letter."))
    housing_checked = _material(_("The proof of housing has been checked"), _("Check the proof of housing."))
    note = forms.CharField(label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class DeclineOrganisationForm(Form):
    reason = forms.CharField(
        label=_("Why is it declined?"),
        max_length=200,
        help_text=_("For example: the credit code belongs to another organisation, whose representative is here."),
        error_messages={"required": _("Say why the account is declined, in one line of at most 200 characters.")},
    )


class CounterPhoneForm(Form):
    about_others = True

    username = forms.CharField(label=_("Username of the account"), max_length=150)
    document_number = forms.CharField(
        label=_("Number on the document shown"),
        max_length=40,
        help_text=_(
            "The ID number on the holder's ID card; for an organisation, the unified social credit code on its "
            "business licence. It must match the account's."
        ),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    phone = PhoneFormField(label=_("New mobile number"))
    identity_checked = TickBoxFormField(
        label=_("I checked the applicant's identity document in person"),
        error_messages={"required": _("Check the applicant's identity document first.")},
    )
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)
