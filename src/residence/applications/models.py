from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from residence.accounts.models import Department


class Person(models.Model):
    """Someone who applies, keyed by ID number: counter applicants may have no account, and an
    account that real-name verifies later sees that person's applications."""

    id_number = models.CharField(_("ID number"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")

    def __str__(self):
        return f"{self.name} {self.id_number[:6]}…"


class PhotoReceipt(models.Model):
    """A digital photo receipt number, used by one application only (API.md): a unique number,
    claimed in the transaction that stores the application. `person` is who used it."""

    number = models.CharField(_("photo receipt number"), max_length=20, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="photo_receipts")
    first_used_at = models.DateTimeField(_("first used at"))

    class Meta:
        verbose_name = _("photo receipt")
        verbose_name_plural = _("photo receipts")


class Kind(models.TextChoices):
    FIRST = "first", _("First application")
    CONVERSION = "conversion", _("Conversion of an old Shenzhen residence permit")
    EXCHANGE = "exchange", _("Exchange (card damaged or data changed)")
    REPLACEMENT = "replacement", _("Replacement (card lost or destroyed)")
    REAPPLY = "reapply", _("Re-application after cancellation")


NEW_PERMIT_KINDS = (Kind.FIRST, Kind.CONVERSION, Kind.REAPPLY)
CARD_KINDS = (Kind.EXCHANGE, Kind.REPLACEMENT)


class Route(models.TextChoices):
    RESIDENCE_EMPLOYMENT = "residence_employment", _("Stable residence and employment")
    TALENT = "talent", _("Talent introduction")
    EDUCATION = "education", _("Full-time education")


class Status(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    VERIFYING = "verifying", _("Being verified by departments")
    REVIEWING = "reviewing", _("Under police review")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    APPROVED = "approved", _("Approved")
    IN_PRODUCTION = "in_production", _("Card in production")
    DISPATCHED = "dispatched", _("Card on its way to the acceptance point")
    READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", pgettext_lazy("application status", "Refused")  # RULES §4: a refusal, as messages say
    WITHDRAWN = "withdrawn", _("Withdrawn")
    TERMINATED = "terminated", _("Terminated")


CLOSED_STATUSES = (Status.COMPLETED, Status.REJECTED, Status.WITHDRAWN, Status.TERMINATED)
OPEN_STATUSES = tuple(s for s in Status if s not in CLOSED_STATUSES)
# What a supervisor may move to another acceptance point: before the card leaves production (a
# dispatched card is on its way to the point it was sent to).
MOVABLE_STATUSES = (
    Status.ACCEPTED,
    Status.VERIFYING,
    Status.REVIEWING,
    Status.AWAITING_PAYMENT,
    Status.APPROVED,
    Status.IN_PRODUCTION,
)


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At a counter")


class Delivery(models.TextChoices):
    PICKUP = "pickup", _("Pick up at the acceptance point")
    COURIER = "courier", _("Courier delivery (postage paid by the applicant)")


class PaymentStatus(models.TextChoices):
    NOT_REQUIRED = "not_required", _("No fee")
    AWAITING = "awaiting", _("Awaiting payment")
    PAID = "paid", _("Paid")
    EXPIRED = "expired", _("Not paid in time")


class Application(models.Model):
    """One permit application. Only `applications.workflow` writes `status`."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    route = models.CharField(_("route"), max_length=30, choices=Route.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    person = models.ForeignKey(Person, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    acceptance_point = models.ForeignKey(
        "places.AcceptancePoint", verbose_name=_("acceptance point"), on_delete=models.PROTECT, related_name="+"
    )
    delivery_method = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices)
    delivery_address = models.CharField(_("delivery address"), max_length=200, blank=True)
    # One person's (PhotoReceipt): the same person may use it again after closing an application.
    photo_receipt = models.CharField(_("photo receipt number"), max_length=20, db_index=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    fee_amount = models.DecimalField(_("fee"), max_digits=8, decimal_places=2)
    payment_status = models.CharField(_("payment"), max_length=20, choices=PaymentStatus.choices)
    payment_due_on = models.DateField(_("pay by"), null=True, blank=True)
    portrait_captured = models.BooleanField(_("portrait captured at the counter"), default=False)
    materials_checked = models.BooleanField(_("materials checked and returned"), default=False)
    # The counter that took it in, when a clerk did: that clerk prints its receipt there that day.
    intake_point = models.ForeignKey(
        "places.AcceptancePoint",
        verbose_name=_("taken in at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    self_check = models.JSONField(_("self-check at submission"), default=dict, blank=True)
    accepted_on = models.DateField(_("accepted on"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    due_date_provisional = models.BooleanField(_("due date provisional"), default=False)
    decision_outcome = models.CharField(_("decision"), max_length=20, blank=True)
    decision_reasons = models.JSONField(_("reasons"), default=list, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    reply_requested_on = models.DateField(_("written reply requested on"), null=True, blank=True)
    reply_text = models.TextField(_("written reply"), blank=True)
    # The daily card-production batch it went in (RULES §4: card data sent within 2 working days).
    production_batch = models.DateField(_("production batch"), null=True, blank=True)
    permit_number = models.CharField(_("permit number"), max_length=40, null=True, blank=True)
    card_serial = models.CharField(_("card serial"), max_length=20, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    # The application object of API.md as JSON text, rebuilt with every change (documents.py);
    # text, not a JSON column, so that it is answered as stored, byte for byte, on every engine.
    document = models.TextField(_("document"), default="{}", blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            # One open application per person: a racing second one fails here, not in Python.
            models.UniqueConstraint(
                fields=["person"], condition=~Q(status__in=CLOSED_STATUSES), name="one_open_application_per_person"
            ),
            # A new permit number is given once; an exchange or a replacement keeps the permit's number.
            models.UniqueConstraint(
                fields=["permit_number"],
                condition=Q(kind__in=NEW_PERMIT_KINDS, permit_number__isnull=False),
                name="new_permit_number_once",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "acceptance_point"], name="application_status_point"),
        ]

    def __str__(self):
        return self.reference

    @property
    def undelivered_address(self) -> str:
        """The courier address asked for, once the courier brought the card back: the card is then
        collected at the point, and the address stays on record for the receipt and the pages
        (an outsider's reprinted receipt lost the address the applicant had signed for)."""
        return self.delivery_address if self.delivery_method == Delivery.PICKUP else ""

    @property
    def self_check_answer(self) -> dict:
        """The self-check made at submission, its details in the reader's language."""
        # Imported here: the services import the models of several apps, not loaded yet when this module is.
        from residence.eligibility.services import answer_shown

        return answer_shown(self.self_check)


class FamilyMember(models.Model):
    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        SIBLING = "sibling", _("Sibling")
        OTHER = "other", _("Other")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="family_members")
    name = models.CharField(_("name"), max_length=100)
    id_number = models.CharField(_("ID number"), max_length=18)
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)

    class Meta:
        verbose_name = _("cohabiting family member")
        verbose_name_plural = _("cohabiting family members")
        ordering = ["id"]


class StatusChange(models.Model):
    """The history of an application: one row per transition, written with it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    action = models.CharField(_("action"), max_length=20)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "id"]


class Verification(models.Model):
    """One department's check of the claim (RULES §4: 3 working days)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        NOT_CONFIRMED = "not_confirmed", _("Not confirmed")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="verifications")
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    status = models.CharField(_("status"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    due_on = models.DateField(_("due on"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("department verification")
        verbose_name_plural = _("department verifications")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["application", "department"], name="one_check_per_department")]
        # The verifier's queue: pending checks of a department by due date, read from the index alone.
        indexes = [
            models.Index(
                fields=["department", "due_on", "application"],
                name="verification_queue",
                condition=Q(status="pending"),
            )
        ]


class Step(models.TextChoices):
    WHOLE = "whole", _("Whole application")
    VERIFICATION = "verification", _("Department verification")
    REVIEW = "review", _("Police review")
    REFUSAL = "refusal", _("Reasons for a refusal")
    PRODUCTION = "production", _("Card data sent and card made")
    DELIVERY = "delivery", _("Card delivery")
    WRITTEN_REPLY = "written_reply", _("Written reply to a refusal")


# The order in which the steps take place, the whole application's limit last.
STEP_ORDER = (
    Step.VERIFICATION,
    Step.REVIEW,
    Step.REFUSAL,
    Step.PRODUCTION,
    Step.DELIVERY,
    Step.WRITTEN_REPLY,
    Step.WHOLE,
)


class Deadline(models.Model):
    """When a step is due: `working_days` after `start_on`, by the calendar of `calendar_version`.

    Rows rather than fields so that a calendar change recomputes every open one in one pass
    (`services.deadlines_recompute`), and queues sort and count by due date from an index."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="deadlines")
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    start_on = models.DateField(_("counted from"))
    working_days = models.PositiveSmallIntegerField(_("working days"))
    due_on = models.DateField(_("due on"))
    provisional = models.BooleanField(_("provisional"), default=False)
    calendar_version = models.CharField(max_length=32, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    # Closed without the step taking place (the application withdrawn or terminated, a refusal
    # that never came): out of the queues like a done step, but not counted as done on time.
    moot = models.BooleanField(_("closed without taking place"), default=False, db_default=False)
    reminded_on = models.DateField(_("reminder sent on"), null=True, blank=True)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [models.UniqueConstraint(fields=["application", "step"], name="one_deadline_per_step")]
        # Queues and the daily reminders read open deadlines of a step by due date from this index.
        indexes = [
            models.Index(fields=["step", "due_on", "id"], name="deadline_open_due", condition=Q(done_on__isnull=True))
        ]


class Payment(models.Model):
    """A fee paid through a provider. One paid payment per application (a constraint), so a double
    press or a repeated confirmation charges once. The idempotency key is the client's, and means
    something only with its application: unique across all payments, another applicant's key
    refused a payment as "already paid" (an outsider)."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("provider"), max_length=20)
    amount = models.DecimalField(_("amount"), max_digits=8, decimal_places=2)
    idempotency_key = models.CharField(max_length=80)
    transaction_id = models.CharField(_("transaction"), max_length=80, unique=True)
    paid_at = models.DateTimeField(_("paid at"))
    # Given back when the application ends with no card made of it (its permit was cancelled).
    refund_transaction_id = models.CharField(_("refund transaction"), max_length=80, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.UniqueConstraint(fields=["application"], name="one_payment_per_application")]


class Draft(models.Model):
    """An application being filled in on the web, kept for its account between the steps. Not in
    the login's session: a login without "remember me" ends when the browser closes, and the
    answers must outlive it (a person may finish the form another day, on another device)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="application_draft", verbose_name=_("account")
    )
    data = models.JSONField(_("answers so far"), default=dict)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("application draft")
        verbose_name_plural = _("application drafts")
