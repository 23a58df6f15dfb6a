from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventType(models.TextChoices):
    ACCOUNT_CREATED = "account_created", _("Account created")
    ACCOUNT_ACTIVATED = "account_activated", _("Organisation account activated")
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    ACCOUNT_LOCKED = "account_locked", _("Account locked")
    SMS_SENT = "sms_sent", _("SMS code sent")
    SMS_VERIFIED = "sms_verified", _("SMS code verified")
    SMS_FAILED = "sms_failed", _("Wrong SMS code")
    SESSION_REPLACED = "session_replaced", _("Session replaced by a newer sign-in")
    LOGOUT = "logout", _("Signed out")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset")
    PHONE_CHANGED = "phone_changed", _("Mobile number changed")
    REAL_NAME_VERIFIED = "real_name_verified", _("Real-name verified")
    REAL_NAME_FAILED = "real_name_failed", _("Real-name verification failed")
    STAFF_CREATED = "staff_created", _("Staff account created")
    RECORDS_IMPORTED = "records_imported", _("Department records imported")
    CALENDAR_CHANGED = "calendar_changed", _("Working-day calendar changed")
    PERSONAL_DATA_VIEWED = "personal_data_viewed", _("Personal data viewed by staff")


class AuditEvent(models.Model):
    type = models.CharField(max_length=40, choices=AuditEventType.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    address = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "type", "at"], name="audit_subject_type_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.type}"
