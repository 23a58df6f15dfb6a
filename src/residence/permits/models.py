from django.db import models
from django.utils.translation import gettext_lazy as _


class Permit(models.Model):
    """An issued residence permit (RULES §9, §11)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("permit number"), max_length=20, unique=True)
    id_number = models.CharField(_("ID number"), max_length=18, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    application = models.OneToOneField(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="permit"
    )
    issued_on = models.DateField(_("issued on"))
    anniversary_base = models.DateField(_("anniversary base date"))
    endorsed_until = models.DateField(_("endorsed until"))
    continuous_since = models.DateField(_("continuous since"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("residence permit")
        verbose_name_plural = _("residence permits")

    def __str__(self):
        return self.number
