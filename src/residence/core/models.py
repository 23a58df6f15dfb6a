from django.db import models
from django.utils.translation import gettext_lazy as _


class LimitCounter(models.Model):
    """The events of one limit's key still in its window (core.limits), and any block.

    In the database so that several workers count together and a restart forgets nothing
    (DESIGN §How 9); one row per key so that a row lock makes count-and-decide atomic.
    """

    scope = models.CharField(_("scope"), max_length=40)
    key = models.CharField(_("key"), max_length=200)
    events = models.JSONField(_("events"), default=list, help_text="[[epoch seconds, token], …], oldest first")
    blocked_until = models.DateTimeField(_("blocked until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("limit counter")
        verbose_name_plural = _("limit counters")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="limit_counter_key")]
        indexes = [models.Index(fields=["updated_at"], name="limit_counter_updated")]


class CalendarState(models.Model):
    """One row: the calendar's version, a fresh random stamp on every change (core.services),
    so each worker's cached calendar knows at once when it is stale (core.workdays). Random
    rather than counted, so a rolled-back change can never reissue a stamp already seen."""

    version = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("calendar version")


class CalendarYear(models.Model):
    """A year of the working-day calendar; `published` once the State Council's schedule is in."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    published = models.BooleanField(_("official schedule published"), default=False)
    source = models.CharField(_("source"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


class CalendarDay(models.Model):
    """One day and whether it is a working day (RULES §8)."""

    date = models.DateField(_("date"), primary_key=True)
    working = models.BooleanField(_("working day"))
    name = models.CharField(_("holiday or make-up day"), max_length=100, blank=True)
    notice = models.CharField(_("notice"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        state = _("working day") if self.working else _("day off")
        return f"{self.date} {state}"


class Sequence(models.Model):
    """A named counter (permit numbers, card serials). `core.sequences.next_value` increments it
    under the row's lock in the caller's transaction: a rolled-back caller leaves no gap and
    two callers never get the same value."""

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    value = models.BigIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")
