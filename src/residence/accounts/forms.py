from django import forms
from django.utils.translation import gettext_lazy as _

from residence.core.errors import DomainError
from residence.core.validators import normalize_credit_code, normalize_phone, validate_username

from .models import Kind


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's error on the form: on its fields where they exist, else at the top."""
    placed = False
    for field, messages in exc.fields.items():
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class PlatformChoice:
    PERMIT = "permit"
    REGISTRATION = "registration"
    CHOICES = [
        (PERMIT, _("Residence permit and endorsement (居住证/签注申办)")),
        (REGISTRATION, _("Residence registration (居住登记)")),
    ]


class RegisterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Account type"),
        widget=forms.RadioSelect,
        initial=Kind.INDIVIDUAL,
        choices=[(Kind.INDIVIDUAL, _("Individual")), (Kind.ORGANISATION, _("Organisation"))],
    )
    username = forms.CharField(label=_("Username"), max_length=30, help_text=_("4–30 letters, digits or underscores."))
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters with letters and digits, not like your username."),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("A mainland China mobile number. Sign-in codes are sent here."),
    )
    name = forms.CharField(
        label=_("Organisation name"), max_length=200, required=False, help_text=_("Organisations only.")
    )
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        required=False,
        help_text=_("Organisations only: the 18 characters on the business licence."),
    )
    consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree that the platform keeps my data as it describes."),
        required=True,
    )

    def clean_username(self):
        return validate_username(self.cleaned_data["username"])

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        if data.get("kind") == Kind.ORGANISATION:
            if not data.get("name"):
                self.add_error("name", _("Enter the organisation's name."))
            try:
                data["credit_code"] = normalize_credit_code(data.get("credit_code", ""))
            except forms.ValidationError as e:
                self.add_error("credit_code", e)
        return data


class LoginForm(forms.Form):
    platform = forms.ChoiceField(
        label=_("Service"), widget=forms.RadioSelect, choices=PlatformChoice.CHOICES, initial=PlatformChoice.PERMIT
    )
    username = forms.CharField(
        label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    remember = forms.BooleanField(label=_("Remember me on this device for 14 days"), required=False)


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("SMS verification code"),
        regex=r"^\d{6}$",
        max_length=6,
        error_messages={"invalid": _("Enter the 6 digits from the SMS.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "class": "code-input"}),
    )


class PasswordResetForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)


class PasswordResetConfirmForm(CodeForm):
    new_password = forms.CharField(
        label=_("New password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters with letters and digits, not like your username."),
    )


class PhoneChangeForm(forms.Form):
    phone = forms.CharField(
        label=_("New mobile number"), max_length=20, widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"})
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RealNameForm(forms.Form):
    name = forms.CharField(label=_("Name as on your ID card"), max_length=100)
    id_number = forms.CharField(label=_("ID number"), max_length=18, help_text=_("18 characters."))


class ActivateOrganisationForm(forms.Form):
    credit_code_checked = forms.BooleanField(label=_("The unified social credit code matches the business licence"))
    authorisation_checked = forms.BooleanField(label=_("The authorisation letter has been checked"))
    housing_checked = forms.BooleanField(label=_("The proof of housing has been checked"))
    note = forms.CharField(label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CounterPhoneForm(forms.Form):
    username = forms.CharField(label=_("Username of the account"), max_length=150)
    phone = forms.CharField(
        label=_("New mobile number"), max_length=20, widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"})
    )
    identity_checked = forms.BooleanField(label=_("I checked the applicant's identity document in person"))
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)
