from django.db import models


class ThrottleEvent(models.Model):
    """One counted event for a limit that is a rule (DESIGN §How 9): logins, SMS, checks.

    Kept in the database so that several workers count together and a restart forgets
    nothing.
    """

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "at"], name="throttle_scope_key_at")]


class CalendarYear(models.Model):
    """A year of the working-day calendar; `published` once the State Council's schedule is in."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    published = models.BooleanField(default=False)
    source = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


class CalendarDay(models.Model):
    """One day and whether it is a working day (RULES §8)."""

    date = models.DateField(primary_key=True)
    working = models.BooleanField()
    name = models.CharField(max_length=100, blank=True)
    notice = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'working' if self.working else 'off'}"
