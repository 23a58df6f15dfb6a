from django.db import models
from django.utils.translation import gettext_lazy as _


class Identity(models.Model):
    """One person as the population registry holds them (import kind `identities`)."""

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    id_number = models.CharField(max_length=18, unique=True)
    name = models.CharField(max_length=100)
    sex = models.CharField(max_length=1, choices=Sex.choices)
    ethnicity = models.CharField(max_length=40, blank=True)
    birth_date = models.DateField()
    hukou_address = models.CharField(max_length=200, blank=True)
    shenzhen_hukou = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "identities"

    def __str__(self):
        return f"{self.name} {self.id_number[:6]}…"
