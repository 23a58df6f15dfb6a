from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Permit(models.Model):
    """An issued residence permit (RULES §9, §11), issued here or imported from before the
    platform (`import_records permits`): one table, the same rules. Only `permits.workflow`
    (and its set-based daily sweeps) writes `status`."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        PLATFORM = "platform", _("Issued on the platform")
        IMPORT = "import", _("Issued before the platform")

    number = models.CharField(_("permit number"), max_length=40, unique=True)
    id_number = models.CharField(_("ID number"), max_length=18, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    application = models.OneToOneField(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="permit"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PLATFORM)
    issued_on = models.DateField(_("issued on"))
    # The day whose anniversaries are the endorsement dates: the issue date, or the day of a late
    # endorsement that restored the permit (RULES §9).
    anniversary_base = models.DateField(_("anniversary base date"))
    endorsed_until = models.DateField(_("endorsed until"))
    continuous_since = models.DateField(_("continuous since"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    suspended_on = models.DateField(_("suspended on"), null=True, blank=True)
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancellation"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("residence permit")
        verbose_name_plural = _("residence permits")
        # The daily sweeps find their rows from these, in id order, chunk by chunk.
        indexes = [
            models.Index(fields=["endorsed_until", "id"], name="permit_active_due", condition=Q(status="active")),
            models.Index(fields=["suspended_on", "id"], name="permit_suspended", condition=Q(status="suspended")),
        ]

    def __str__(self):
        return self.number


class PermitEvent(models.Model):
    """The history of a permit: one row per change, written with it."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued")
        IMPORTED = "imported", _("Imported from before the platform")
        ENDORSED = "endorsed", _("Endorsed")
        SUSPENDED = "suspended", _("Suspended")
        RESTORED = "restored", _("Restored by a late endorsement")
        CANCELLED = "cancelled", _("Cancelled")
        EXCHANGED = "exchanged", _("Card exchanged")
        REPLACED = "replaced", _("Card replaced")

    # Indexed by (permit, at) below; the actor only where there is one (the sweeps have none).
    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    on = models.DateField(_("date"))
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("permit event")
        verbose_name_plural = _("permit events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["permit", "at"], name="permit_event_permit_at"),
            models.Index(fields=["actor"], name="permit_event_actor", condition=Q(actor__isnull=False)),
        ]


class Endorsement(models.Model):
    """An annual endorsement asked for (RULES §9): granted or refused at once, or pending a
    department's check when a record it needs is missing."""

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")
        PENDING = "pending", _("Waiting for a department's check")

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="endorsements")
    requested_on = models.DateField(_("asked on"))
    channel = models.CharField(_("channel"), max_length=10)
    # in_window or late (rules.endorsement_kind) as of the day it was asked for.
    kind = models.CharField(_("kind"), max_length=10)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    # Reason keys and their parameters (eligibility.reasons), rendered in the reader's language.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    endorsed_until = models.DateField(_("endorsed until"), null=True, blank=True)
    department = models.CharField(_("department to check"), max_length=20, blank=True)
    # When records are missing for several departments (no registration and no insurance, say),
    # they check in turn: those still to come after `department`, in order.
    departments_after = models.JSONField(_("departments that check next"), default=list, blank=True)
    # The day the department checking now had its turn, its due date counted from it (and counted
    # again when the calendar changes). Unknown (null) for a check passed on before this was kept.
    check_started_on = models.DateField(_("check started on"), null=True, blank=True)
    due_on = models.DateField(_("check due on"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    # A check not answered by its due date is escalated once to the supervisors (the daily jobs).
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("endorsement")
        verbose_name_plural = _("endorsements")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One endorsement at a time waits for a department (two presses make one task).
            models.UniqueConstraint(fields=["permit"], condition=Q(outcome="pending"), name="one_pending_endorsement")
        ]


class SweepRun(models.Model):
    """How far a daily sweep has got for a day, so that a rerun after a crash resumes."""

    name = models.CharField(max_length=40)
    date = models.DateField()
    processed = models.BigIntegerField(default=0)
    # Where the sweep has got to in its index order (date, id): the last row of the last committed
    # chunk, written in that chunk's transaction, so a rerun after a crash resumes after it.
    position_on = models.DateField(null=True, blank=True)
    position_id = models.BigIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # A new pass over a finished sweep (the day run again) looks only at rows changed since the
    # previous pass finished: set when the pass starts, read by every worker that takes part in it.
    changed_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("daily sweep run")
        verbose_name_plural = _("daily sweep runs")
        constraints = [models.UniqueConstraint(fields=["name", "date"], name="one_sweep_run_per_day")]
