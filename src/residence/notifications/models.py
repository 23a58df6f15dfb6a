from django.conf import settings
from django.db import models


class SmsMessage(models.Model):
    """Every SMS the platform sent: the basis of the per-number and per-address limits.

    The text is kept with any code blanked out, so the log never holds a live code.
    """

    to = models.CharField(max_length=20)
    purpose = models.CharField(max_length=30)
    text = models.CharField(max_length=500)
    address = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["to", "sent_at"], name="sms_to_sent_at"),
            models.Index(fields=["address", "sent_at"], name="sms_address_sent_at"),
        ]


class Message(models.Model):
    """A system message in the account area."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    title = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="message_user_read")]
