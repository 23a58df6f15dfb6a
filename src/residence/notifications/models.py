from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .catalogue import render_message


class SmsMessage(models.Model):
    """Every SMS the platform was asked to send, sent or not: the SMS log.

    The text is kept with any code blanked out, so the log never holds a live code. A
    password-reset SMS that a limit (or an unknown username) stops is logged as not sent,
    with the reason, and nothing is said to the requester.

    An SMS to send is written `queued` and handed to the `sms_deliver` task once the
    transaction commits; the task claims the row (`sending`, one more attempt), calls the
    gateway and marks it `sent` (`delivered_at`). A refusal makes it `retrying` (with
    `last_error`) until the last retry, then `failed`: nothing is silently lost, nothing sent
    twice. A code to send is held in `secret` only until the row is sent or failed.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Waiting to retry")
        SENT = "sent", _("Sent")
        NOT_SENT = "not_sent", _("Not sent")
        FAILED = "failed", _("Failed")

    to = models.CharField(_("to"), max_length=20)
    purpose = models.CharField(_("purpose"), max_length=30)
    text = models.CharField(_("text"), max_length=500)
    address = models.CharField(_("client address"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("time"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SENT)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    secret = models.CharField(_("code to send"), max_length=20, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS")
        verbose_name_plural = _("SMS log")
        indexes = [
            models.Index(fields=["to", "sent_at"], name="sms_to_sent_at"),
            models.Index(fields=["status", "sent_at"], name="sms_status_sent_at"),
        ]


class Message(models.Model):
    """A system message in the account area: a catalogue key and its parameters, rendered
    in the reader's language when read (notifications.catalogue)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    key = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict)
    created_at = models.DateTimeField(_("time"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("system message")
        verbose_name_plural = _("system messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="message_user_read")]

    @property
    def title(self) -> str:
        return render_message(self.key, self.params)[0]

    @property
    def body(self) -> str:
        return render_message(self.key, self.params)[1]
