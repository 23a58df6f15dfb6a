from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventType(models.TextChoices):
    ACCOUNT_CREATED = "account_created", _("Account created")
    ACCOUNT_ACTIVATED = "account_activated", _("Organisation account activated")
    ACCOUNT_DISABLED = "account_disabled", _("Account disabled")
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    ACCOUNT_LOCKED = "account_locked", _("Account locked")
    SMS_SENT = "sms_sent", _("SMS code sent")
    SMS_NOT_SENT = "sms_not_sent", _("SMS not sent (limit or unknown account)")
    SMS_VERIFIED = "sms_verified", _("SMS code verified")
    SMS_FAILED = "sms_failed", _("Wrong SMS code")
    SESSION_REPLACED = "session_replaced", _("Session replaced by a newer sign-in")
    LOGOUT = "logout", _("Signed out")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
    PASSWORD_RESET = "password_reset", _("Password reset")
    PHONE_CHANGED = "phone_changed", _("Mobile number changed")
    REAL_NAME_VERIFIED = "real_name_verified", _("Real-name verified")
    REAL_NAME_FAILED = "real_name_failed", _("Real-name verification failed")
    STAFF_CREATED = "staff_created", _("Staff account created")
    RECORDS_IMPORTED = "records_imported", _("Department records imported")
    API_KEY_CREATED = "api_key_created", _("Department API key created")
    API_KEY_REVOKED = "api_key_revoked", _("Department API key revoked")
    CALENDAR_CHANGED = "calendar_changed", _("Working-day calendar changed")
    PLACE_CHANGED = "place_changed", _("District, street or acceptance point changed")
    STAFF_POINT_CHANGED = "staff_point_changed", _("Clerk given another acceptance point")
    PERSONAL_DATA_VIEWED = "personal_data_viewed", _("Personal data viewed by staff")
    APPLICATION_CHANGED = "application_changed", _("Application status changed")
    APPLICATION_REPLY = "application_reply", _("Written reply to a refusal")
    PERMIT_ISSUED = "permit_issued", _("Permit issued")
    PERMIT_CHANGED = "permit_changed", _("Permit status changed")
    ENDORSEMENT_ASKED = "endorsement_asked", _("Endorsement asked for")
    ENDORSEMENT_ANSWERED = "endorsement_answered", _("Endorsement check answered by a department")
    DECLARATION_RECORDED = "declaration_recorded", _("Residence declaration recorded")
    BULK_CHECKED = "bulk_checked", _("Bulk declaration file checked against the records")
    HOUSE_CONFIRMED = "house_confirmed", _("House confirmed by a clerk")
    HOUSE_REGISTERED = "house_registered", _("House registered by its holder")
    SUB_ACCOUNT_HOUSES = "sub_account_houses", _("Houses given to a sub-account changed")
    PAYMENT_RECEIVED = "payment_received", _("Fee paid")
    PAYMENT_REFUNDED = "payment_refunded", _("Fee refunded")
    DEADLINE_ESCALATED = "deadline_escalated", _("Overdue step escalated")
    ACCESS_REFUSED = "access_refused", _("Staff access refused")


class AuditEvent(models.Model):
    """Who did what to whom, written in the transaction of each change.

    The actor is an account or a department system's API key. The subject is an account,
    or a person by the blind index of their ID number (`person_index`), so "who looked at
    person X" has an answer for people without an account, without the log holding the
    number itself.
    """

    type = models.CharField(_("event"), max_length=40, choices=AuditEventType.choices)
    at = models.DateTimeField(_("time"))
    # The optional columns are indexed only where they are set (the partial indexes below):
    # most events of the daily sweeps have no actor and no subject account, and an index entry
    # for each of their NULLs would cost every sweep an insert per index (docs/performance.md).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    actor_key = models.ForeignKey(
        "records.ApiKey",
        verbose_name=_("actor (department system)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("subject account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
        db_index=False,
    )
    person_index = models.CharField(_("subject person (blind index)"), max_length=64, blank=True)
    address = models.CharField(_("client address"), max_length=64, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(
                fields=["subject", "type", "at"],
                name="audit_subject_type_at",
                condition=models.Q(subject__isnull=False),
            ),
            models.Index(fields=["actor", "at"], name="audit_actor_at", condition=models.Q(actor__isnull=False)),
            models.Index(fields=["actor_key"], name="audit_actor_key", condition=models.Q(actor_key__isnull=False)),
            models.Index(fields=["person_index", "at"], name="audit_person_at", condition=~models.Q(person_index="")),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.type}"
