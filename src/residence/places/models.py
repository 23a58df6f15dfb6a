from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    code = models.CharField(max_length=6, primary_key=True)
    name = models.CharField(max_length=40)
    name_en = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class Street(models.Model):
    code = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=40)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets")
    # 大鹏新区 is administered apart but coded under Longgang (RULES §13).
    new_district = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class AcceptancePoint(models.Model):
    class Kind(models.TextChoices):
        STREET_OFFICE = "street_office", _("Street office")
        POLICE_STATION = "police_station", _("Police station")

    code = models.CharField(max_length=16, primary_key=True)
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="acceptance_points")
    address = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"
