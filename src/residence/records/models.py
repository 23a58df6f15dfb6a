from django.db import models
from django.utils.translation import gettext_lazy as _


class Identity(models.Model):
    """One person as the population registry holds them (import kind `identities`).

    Versioned like the other records (see RecordVersion); defined first because accounts
    point at it.
    """

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    id_number = models.CharField(_("ID number"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=100)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=40, blank=True)
    birth_date = models.DateField(_("date of birth"))
    hukou_address = models.CharField(_("hukou address"), max_length=200, blank=True)
    shenzhen_hukou = models.BooleanField(_("Shenzhen hukou"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self):
        return f"{self.name} {self.id_number[:6]}…"


class Versioned(models.Model):
    """A record whose every change keeps the earlier version (RecordVersion)."""

    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()

    class Meta:
        abstract = True


class Registration(Versioned):
    """A residence registration (居住登记) as the police hold it. ended_on: the last day registered."""

    id_number = models.CharField(max_length=18)
    street = models.ForeignKey("places.Street", on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=200)
    registered_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("residence registration record")
        verbose_name_plural = _("residence registration records")
        constraints = [models.UniqueConstraint(fields=["id_number", "registered_on"], name="registration_key")]


class InsuranceMonth(models.Model):
    """A month with a Shenzhen social insurance contribution. Every field is key: never changes."""

    id_number = models.CharField(max_length=18)
    month = models.DateField(help_text="first day of the month")
    employer_credit_code = models.CharField(max_length=18)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("social insurance month")
        verbose_name_plural = _("social insurance months")
        constraints = [
            models.UniqueConstraint(fields=["id_number", "month", "employer_credit_code"], name="insurance_key")
        ]


class Enrolment(Versioned):
    class Level(models.TextChoices):
        SECONDARY = "secondary", _("Secondary")
        HIGHER = "higher", _("Higher (vocational included)")

    id_number = models.CharField(max_length=18)
    school = models.CharField(max_length=200)
    level = models.CharField(max_length=20, choices=Level.choices)
    full_time = models.BooleanField()
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["id_number", "school", "start_date"], name="enrolment_key")]


class TalentCertificate(Versioned):
    class Category(models.TextChoices):
        HIGH_LEVEL = "high_level", _("High-level professional")
        OVERSEAS_HIGH_LEVEL = "overseas_high_level", _("Overseas high-level talent")
        RETURNED_STUDENT = "returned_student", _("Returned overseas student")
        DEGREE = "degree", _("Full-time associate degree or higher")
        SENIOR_WORKER = "senior_worker", _("Senior worker or higher skill certificate")
        TALENT_CARD = "talent_card", _("Pengcheng talent card")

    id_number = models.CharField(max_length=18, db_index=True)
    category = models.CharField(max_length=30, choices=Category.choices)
    certificate_no = models.CharField(max_length=100, unique=True)
    issued_on = models.DateField()
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("talent certificate")
        verbose_name_plural = _("talent certificates")


class PermitRecord(Versioned):
    """A permit issued before the platform (import kind `permits`)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")

    id_number = models.CharField(max_length=18, db_index=True)
    number = models.CharField(max_length=40, unique=True)
    issued_on = models.DateField()
    endorsed_until = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices)

    class Meta:
        verbose_name = _("permit issued before the platform")
        verbose_name_plural = _("permits issued before the platform")


class RecordVersion(models.Model):
    """An earlier version of a changed record, kept so past decisions can be explained."""

    kind = models.CharField(max_length=30)
    record_id = models.BigIntegerField()
    version = models.PositiveIntegerField()
    data = models.JSONField()
    valid_from = models.DateTimeField()
    replaced_at = models.DateTimeField()

    class Meta:
        verbose_name = _("earlier record version")
        verbose_name_plural = _("earlier record versions")
        constraints = [models.UniqueConstraint(fields=["kind", "record_id", "version"], name="record_version_key")]


class ApiKey(models.Model):
    """A department system's key for /api/v1/exchange/* (not a login: no SMS, no one-login rule)."""

    department = models.CharField(max_length=30)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("department API key")
        verbose_name_plural = _("department API keys")

    def __str__(self):
        return f"{self.department} {self.prefix}…"
