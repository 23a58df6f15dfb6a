import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# Codes as the national division codes write them (GB/T 2260 and its street-level extension):
# ASCII digits only, each level starting with the code of the level above (RULES §13).
DISTRICT_CODE = re.compile(r"4403[0-9]{2}")
STREET_CODE = re.compile(r"[0-9]{9}")
POINT_CODE = re.compile(r"[0-9]{11}")


class ShownName:
    """A place named in Chinese and in English (RULES §13): the English name on English pages."""

    @property
    def shown_name(self) -> str:
        return self.name_en if self.name_en and (get_language() or "").startswith("en") else self.name


class District(ShownName, models.Model):
    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        if not DISTRICT_CODE.fullmatch(self.code or ""):
            raise ValidationError({"code": _("A Shenzhen district's code is 6 digits 0-9 starting 4403.")})


# The new districts' English names (RULES §13 names them; the streets' file gives only Chinese).
NEW_DISTRICTS_EN = {"大鹏新区": "Dapeng New District"}


class Street(ShownName, models.Model):
    code = models.CharField(_("code"), max_length=9, primary_key=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    district = models.ForeignKey(District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="streets")
    # 大鹏新区 is administered apart but coded under Longgang (RULES §13).
    new_district = models.CharField(_("new district"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def area_shown_name(self) -> str:
        """The district its residents know the street by, for grouping streets and points: the new
        district that administers it, else its district (an outsider in 大鹏 looked for 大鹏新区
        and found its streets under 龙岗区)."""
        if not self.new_district:
            return self.district.shown_name
        if (get_language() or "").startswith("en"):
            return NEW_DISTRICTS_EN.get(self.new_district, self.new_district)
        return self.new_district

    def clean(self):
        if not STREET_CODE.fullmatch(self.code or ""):
            raise ValidationError({"code": _("A street's code is 9 digits 0-9 starting with its district's code.")})
        # On the parent's field: once stored, the code is not on the form (an error there was a 500).
        if self.district_id and not self.code.startswith(self.district_id):
            raise ValidationError({"district": _("A street belongs to the district its code starts with.")})


class AcceptancePoint(models.Model):
    class Kind(models.TextChoices):
        STREET_OFFICE = "street_office", _("Street office")
        POLICE_STATION = "police_station", _("Police station")

    code = models.CharField(_("code"), max_length=16, primary_key=True)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    street = models.ForeignKey(
        Street, verbose_name=_("street"), on_delete=models.PROTECT, related_name="acceptance_points"
    )
    address = models.CharField(_("address"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("acceptance point")
        verbose_name_plural = _("acceptance points")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        if not POINT_CODE.fullmatch(self.code or ""):
            raise ValidationError(
                {"code": _("An acceptance point's code is 11 digits 0-9 starting with its street's code.")}
            )
        if self.street_id and not self.code.startswith(self.street_id):
            raise ValidationError({"street": _("An acceptance point belongs to the street its code starts with.")})
        # An applicant chooses a point by its name; a street office runs one (an outsider added a
        # second point of the same name, and a second office for one street).
        others = AcceptancePoint.objects.exclude(pk=self.pk)
        problems = {}
        if others.filter(name=self.name).exists():
            problems["name"] = _("Another acceptance point has this name: give each its own.")
        if self.kind == self.Kind.STREET_OFFICE and others.filter(street_id=self.street_id, kind=self.kind).exists():
            problems["kind"] = _("This street's office runs an acceptance point already.")
        if problems:
            raise ValidationError(problems)
