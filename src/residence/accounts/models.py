from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    ORGANISATION = "organisation", _("Organisation")
    STAFF = "staff", _("Staff")
    SUB_ACCOUNT = "sub_account", _("Organisation sub-account")


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    PENDING = "pending", _("Pending activation")
    DISABLED = "disabled", _("Disabled")


class Role(models.TextChoices):
    CLERK = "clerk", _("Counter clerk")
    VERIFIER = "verifier", _("Department verifier")
    REVIEWER = "reviewer", _("Police reviewer")
    PRODUCTION = "production", _("Production centre operator")
    COURIER = "courier", _("Courier")
    SUPERVISOR = "supervisor", _("Supervisor")


class Department(models.TextChoices):
    POLICE = "police", _("Police")
    SOCIAL_INSURANCE = "social_insurance", _("Human resources and social insurance")
    EDUCATION = "education", _("Education")
    TALENT = "talent", _("Talent office")


class AccountManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)


class User(AbstractUser):
    """Every account: individual, organisation or staff. Usernames compare case-insensitively."""

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    phone = models.CharField(max_length=20, unique=True, null=True, blank=True)
    # True until the first SMS-confirmed login, and again after the bound mobile changes.
    sms_required = models.BooleanField(default=True)
    # Set by a change of mobile at a counter, cleared by a change or reset of the password: until
    # then every login needs a code, since whoever had the lost phone may know the password.
    password_change_due = models.BooleanField(default=False)
    consent_version = models.CharField(max_length=20, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    point = models.ForeignKey(
        "places.AcceptancePoint", null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    department = models.CharField(max_length=20, choices=Department.choices, blank=True)
    person = models.OneToOneField(
        "records.Identity", null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    real_name_verified_at = models.DateTimeField(null=True, blank=True)
    # The interface language the account last sent a form in: its SMS are written in it.
    language = models.CharField(max_length=10, blank=True)
    # The password hash replaced by the last change, for a few minutes (then cleared by the daily
    # jobs): a change sent again or racing it, with the old password that was right when it was
    # sent, is told the password was just changed, and is no wrong password towards the lockout.
    previous_password = models.CharField(max_length=128, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    # A sub-account's organisation account (RULES §1: sub-accounts file declarations).
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="sub_accounts")

    objects = AccountManager()
    REQUIRED_FIELDS = ["phone"]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("username"), name="user_username_ci_unique")]

    @property
    def is_staff_member(self) -> bool:
        return self.kind == Kind.STAFF

    @property
    def real_name_verified(self) -> bool:
        return self.person_id is not None


class Organisation(models.Model):
    """The organisation behind an organisation account, and how a clerk activated it, or declined
    it. A declined sign-up no longer holds its credit code: anyone could sign up online with a
    published code, and the organisation itself was then refused its own (an outsider)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="organisation")
    name = models.CharField(max_length=200)
    credit_code = models.CharField(max_length=18)
    activated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    activation_note = models.TextField(blank=True)
    declined_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=models.Q(declined_at__isnull=True),
                name="organisation_credit_code_held_once",
            )
        ]

    def __str__(self):
        return self.name


class Channel(models.TextChoices):
    WEB = "web", "web"
    API = "api", "api"


class LoginSession(models.Model):
    """One login. At most one per account is live; a newer one ends the others."""

    class EndReason(models.TextChoices):
        REPLACED = "replaced", _("Signed in elsewhere")
        LOGOUT = "logout", _("Signed out")
        EXPIRED = "expired", _("Expired")
        PASSWORD = "password", _("Password reset")
        DISABLED = "disabled", _("Account disabled")
        PHONE = "phone", _("Mobile number changed at a counter")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # sha256 of the bearer token (API) or of a random key kept in the Django session (web).
    token_hash = models.CharField(max_length=64, unique=True)
    remember = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    address = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "ended_at"], name="loginsession_user_live")]


class SmsChallenge(models.Model):
    """A 6-digit code sent by SMS, stored only as a keyed hash."""

    class Purpose(models.TextChoices):
        LOGIN = "login", _("Sign-in")
        PASSWORD_RESET = "password_reset", _("Password reset")
        PHONE_CHANGE = "phone_change", _("Mobile number change")
        COUNTER_PHONE = "counter_phone", _("Mobile number change at a counter")

    public_id = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(max_length=20, blank=True)
    # An unknown username's challenge: the stand-in its limits count by (its resends too; counted
    # by the challenge, resends never met a limit and took longer than a real number's: an outsider).
    stand_in = models.CharField(max_length=24, blank=True, default="")
    code_hash = models.CharField(max_length=64, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.API)
    remember = models.BooleanField(default=False)
