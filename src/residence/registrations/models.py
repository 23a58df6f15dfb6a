from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class HousingType(models.TextChoices):
    RENTED = "rented", _("Rented")
    OWNED = "owned", _("Owned")
    MANAGED = "managed", _("Managed")
    DORMITORY = "dormitory", _("Dormitory")
    HOTEL = "hotel", _("Hotel")
    OTHER = "other", _("Other")


class DeclarantType(models.TextChoices):
    LANDLORD = "landlord", _("Landlord")
    OWNER = "owner", _("Owner living there")
    MANAGER = "manager", _("Manager")
    EMPLOYER = "employer", _("Employer (dormitory)")
    SCHOOL = "school", _("School (dormitory)")
    HOTEL = "hotel", _("Hotel or overnight venue")
    TENANT = "tenant", _("Tenant (self-report)")


class House(models.Model):
    """A house (room) as declarations name it (RULES §1), held by the account that registered it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="houses")
    street = models.ForeignKey("places.Street", verbose_name=_("street"), on_delete=models.PROTECT, related_name="+")
    building_code = models.CharField(_("building code"), max_length=19)
    building_name = models.CharField(_("building name"), max_length=100)
    room = models.CharField(_("room"), max_length=30)
    address = models.CharField(_("address"), max_length=200)
    housing_type = models.CharField(_("housing type"), max_length=20, choices=HousingType.choices)
    confirmed = models.BooleanField(_("confirmed by a clerk"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Until then the house takes no declaration: that wait does not make a declaration late.
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    sub_accounts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_houses", verbose_name=_("sub-accounts")
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        constraints = [
            models.UniqueConstraint(fields=["owner", "street", "building_code", "room"], name="one_house_per_owner")
        ]
        indexes = [models.Index(fields=["street", "building_code", "room"], name="house_plate")]

    def __str__(self):
        return f"{self.building_name} {self.room}"

    @property
    def full_address(self) -> str:
        """The address a registration here carries: with the room, unless the address ends with it
        already, with 室 or without (outsiders read "陈家楼302 302" and "皇庭大厦502室 502")."""
        ends_with_room = self.address.endswith(self.room) or self.address.endswith(f"{self.room}室")
        address = self.address if ends_with_room else f"{self.address} {self.room}"
        return address.strip()[:200]


class Declaration(models.Model):
    """A move-in or move-out declared for a person (RULES §1)."""

    class Kind(models.TextChoices):
        MOVE_IN = "move_in", _("Move-in")
        MOVE_OUT = "move_out", _("Move-out")

    class Status(models.TextChoices):
        RECORDED = "recorded", _("Recorded")
        PENDING = "pending", _("Waiting for the house's holder to confirm")
        DECLINED = "declined", _("Declined by the house's holder")
        WITHDRAWN = "withdrawn", _("Withdrawn by the tenant")
        SUPERSEDED = "superseded", _("No longer applies: a move-in of the same date or later was recorded first")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="declarations")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    id_number = models.CharField(_("ID number"), max_length=18, db_index=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    declarant_type = models.CharField(_("declarant"), max_length=10, choices=DeclarantType.choices, blank=True)
    occupation = models.PositiveSmallIntegerField(_("occupation code"), null=True, blank=True)
    reason = models.PositiveSmallIntegerField(_("reason-for-coming code"), null=True, blank=True)
    date = models.DateField(_("date"))
    declared_on = models.DateField(_("declared on"))
    days_late = models.PositiveIntegerField(_("days late"), default=0)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # For a walk-in declarant at the counter: who declared, as they said.
    declarant = models.JSONField(_("declarant at the counter"), default=dict, blank=True)
    registration = models.ForeignKey(
        "records.Registration", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["house", "id_number"], name="declaration_house_person"),
            # The clerk's list of late declarations, newest first (a few among many).
            models.Index(fields=["-declared_on", "-id"], name="declaration_late", condition=models.Q(days_late__gt=0)),
        ]


class Occupancy(models.Model):
    """Who lives where now: one row per person, in the house they live in, so that a second
    move-in (here or elsewhere) races into a constraint instead of past a check."""

    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="occupancies")
    id_number = models.CharField(max_length=18)
    since = models.DateField()
    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["id_number"], name="one_occupancy_per_person")]


class BulkUpload(models.Model):
    """A bulk file checked and waiting for its uploader's confirmation; nothing applied before."""

    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rows = models.PositiveIntegerField(default=0)
    valid = models.JSONField(default=list)
    invalid = models.JSONField(default=list)
    created_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    applied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("bulk declaration upload")
        verbose_name_plural = _("bulk declaration uploads")

    def problems(self) -> list[dict]:
        """The invalid rows `{line, reason}`, each reason in the active language when the check
        kept it in that one (uploads checked before it kept them all are in their own)."""
        language = translation.get_language() or ""
        return [
            {"line": row["line"], "reason": row.get("reasons", {}).get(language, row["reason"])} for row in self.invalid
        ]
