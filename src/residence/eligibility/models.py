from django.conf import settings
from django.db import models


class EligibilityCheck(models.Model):
    """Every check: who asked, about whom, when, the answer, and the records it was computed from."""

    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    id_number = models.CharField(max_length=18, db_index=True)
    route = models.CharField(max_length=30)
    date = models.DateField()
    eligible = models.BooleanField()
    full = models.BooleanField(help_text="full answer (own identity or staff) or limited")
    answer = models.JSONField()
    inputs = models.JSONField(help_text="[{kind, id, version}] of the records read")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["checked_by", "at"], name="eligibility_by_at")]
