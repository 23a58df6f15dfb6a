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
