"""The postings the hub owes Intacct, what happened to each, and the bindings made."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from mappings.models import Action

from .connection import Connection


class ExternalRef(models.Model):
    """The binding between a source record's identity and an Intacct object.

    Unique on both sides: a source identity binds to at most one object of a kind in a
    connection, and an Intacct record is bound to at most one source identity.
    "Is it already in Intacct?" is answered here first, then by a pre-read.
    """

    connection = models.ForeignKey(Connection, on_delete=models.PROTECT)
    source = models.ForeignKey("commerce.Source", on_delete=models.PROTECT)
    source_kind = models.CharField(max_length=30)
    external_id = models.CharField(max_length=255)
    intacct_object = models.CharField(
        max_length=40, help_text="e.g. CUSTOMER, ARINVOICE"
    )
    intacct_key = models.CharField(max_length=60, help_text="RECORDNO / key")
    intacct_id = models.CharField(
        max_length=255, blank=True, help_text="Business id, e.g. CUSTOMERID."
    )
    linked = models.BooleanField(
        default=False, help_text="Bound to a record the hub did not create."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "connection",
                    "source",
                    "source_kind",
                    "external_id",
                    "intacct_object",
                ],
                name="externalref_unique_source_side",
            ),
            models.UniqueConstraint(
                fields=["connection", "intacct_object", "intacct_key"],
                name="externalref_unique_intacct_side",
            ),
        ]

    def __str__(self):
        source = f"{self.source_kind}/{self.external_id}"
        return f"{source} ↔ {self.intacct_object} {self.intacct_key}"


class SyncRun(models.Model):
    """One pass of work: incremental sync, resync, summary or reconciliation."""

    class Kind(models.TextChoices):
        INCREMENTAL = "incremental"
        RESYNC = "resync"
        SUMMARY = "summary"
        RECONCILE = "reconcile"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    connection = models.ForeignKey(
        Connection, on_delete=models.PROTECT, related_name="runs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING
    )
    scope = models.JSONField(default=dict, blank=True, help_text="What the run covers.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    planned = models.PositiveIntegerField(default=0)
    posted = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    api_transactions = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} run #{self.pk} ({self.status})"


class IllegalTransition(Exception):
    """A Posting was asked to move to a status its current one does not allow."""


class Posting(models.Model):
    """One intended write to Intacct: the outbox row and its state machine."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending (due at next_attempt_at)"
        IN_FLIGHT = "in_flight", "In flight (leased)"
        UNCERTAIN = "uncertain", "Uncertain (verify before re-send)"
        POSTED = "posted", "Posted"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed (in the failure queue)"

    # Which status may follow which. Everything else is a bug, and set_status says so.
    TRANSITIONS = {
        Status.PENDING: {Status.IN_FLIGHT, Status.SKIPPED, Status.FAILED},
        Status.IN_FLIGHT: {
            Status.POSTED,
            Status.PENDING,
            Status.UNCERTAIN,
            Status.FAILED,
            Status.SKIPPED,
        },
        Status.UNCERTAIN: {
            Status.IN_FLIGHT,
            Status.POSTED,
            Status.PENDING,
            Status.FAILED,
        },
        Status.FAILED: {Status.PENDING, Status.POSTED, Status.SKIPPED},
        Status.SKIPPED: {Status.PENDING},
        Status.POSTED: set(),
    }
    FINAL = {Status.POSTED, Status.SKIPPED, Status.FAILED}

    connection = models.ForeignKey(
        Connection, on_delete=models.PROTECT, related_name="postings"
    )
    run = models.ForeignKey(
        SyncRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="postings",
    )
    source_record = models.ForeignKey(
        "commerce.SourceRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Empty for summaries, which cover many records.",
    )
    action = models.CharField(max_length=40, choices=Action.choices)
    intacct_object = models.CharField(max_length=40, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True, editable=False)
    depends_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dependents",
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING
    )
    payload = models.JSONField(default=dict, blank=True, help_text="Mapped payload.")
    mapping_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="Version of the mapping set that produced it."
    )
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=100, blank=True)
    result_key = models.CharField(max_length=60, blank=True, help_text="Intacct key.")
    result_id = models.CharField(max_length=255, blank=True, help_text="Intacct id.")
    skip_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Dispatcher: status=pending AND next_attempt_at <= now, per connection.
            models.Index(
                fields=["connection", "next_attempt_at"],
                condition=models.Q(status="pending"),
                name="posting_due_idx",
            ),
            # Sweeper: status=in_flight AND lease_expires_at < now.
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status="in_flight"),
                name="posting_lease_idx",
            ),
            # Dashboards: counts by connection and status.
            models.Index(fields=["connection", "status"], name="posting_status_idx"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} #{self.pk} ({self.status})"

    @staticmethod
    def make_idempotency_key(*, connection_id, action, source_identity, version):
        """Deterministic key per (connection, action, source identity, version).

        The same intended write always gets the same key, so every retry, resync and
        replay reuses it. 32 hex characters fit Intacct's controlid and REST's
        Idempotency-Key header alike.
        """
        material = f"{connection_id}|{action}|{source_identity}|{version}"
        return hashlib.sha256(material.encode()).hexdigest()[:32]

    def can_move_to(self, status):
        return status in self.TRANSITIONS[self.Status(self.status)]

    def set_status(self, status, *, save=True):
        """Move to ``status`` if the transitions table allows it, else raise."""
        status = self.Status(status)
        if not self.can_move_to(status):
            raise IllegalTransition(f"posting {self.pk}: {self.status} → {status}")
        self.status = status
        if save:
            self.save(update_fields=["status", "updated_at"])


class PostingAttempt(models.Model):
    """One call to Intacct for a posting, with redacted excerpts of what crossed."""

    class Outcome(models.TextChoices):
        POSTED = "posted"
        LINKED = "linked"
        TRANSIENT_ERROR = "transient_error"
        PERMANENT_ERROR = "permanent_error"
        UNKNOWN = "unknown"
        # Intacct said "not now" (429) or the pass's lease ran short before sending:
        # nothing was done, so it never spends the posting's retry budget.
        THROTTLED = "throttled", "Throttled (not sent)"

    posting = models.ForeignKey(
        Posting, on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveIntegerField()
    protocol = models.CharField(max_length=4, blank=True, help_text="rest or xml")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    request_excerpt = models.TextField(blank=True, help_text="Redacted.")
    response_excerpt = models.TextField(blank=True, help_text="Redacted.")
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["posting", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["posting", "number"], name="postingattempt_unique_number"
            )
        ]

    def __str__(self):
        return f"attempt {self.number} of posting {self.posting_id}: {self.outcome}"


class Failure(models.Model):
    """A posting that needs a person: the reason, and how it was resolved."""

    class Category(models.TextChoices):
        VALIDATION = "validation"
        MISSING_MAPPING = "missing_mapping"
        OWNERSHIP_CONFLICT = "ownership_conflict"
        AUTH = "auth"
        PERMISSION = "permission"
        RATE_LIMITED = "rate_limited", "Rate limit exhausted"
        BUSINESS = "business", "Intacct business error"
        TRANSPORT = "transport"

    class Resolution(models.TextChoices):
        RETRIED = "retried"
        EDITED = "edited", "Edited and retried"
        LINKED = "linked", "Linked to an existing Intacct record"
        IGNORED = "ignored"
        SUPERSEDED = "superseded", "Superseded by a later successful posting"

    posting = models.ForeignKey(
        Posting, on_delete=models.CASCADE, related_name="failures"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    message = models.TextField()
    errorno = models.CharField(max_length=40, blank=True)
    description2 = models.TextField(blank=True)
    correction = models.TextField(blank=True)
    support_id = models.CharField(max_length=100, blank=True)
    details = models.JSONField(default=dict, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("resolve_failure", "Can retry, link or ignore failed postings"),
            ("trigger_resync", "Can trigger a resync"),
        ]
        constraints = [
            # At most one open failure per posting: the queue shows each problem once.
            models.UniqueConstraint(
                fields=["posting"],
                condition=models.Q(resolved_at__isnull=True),
                name="failure_one_open_per_posting",
            )
        ]
        indexes = [
            # The queue: open failures by category, newest first.
            models.Index(
                fields=["category", "-created_at"],
                condition=models.Q(resolved_at__isnull=True),
                name="failure_open_idx",
            )
        ]

    def __str__(self):
        return f"{self.get_category_display()}: {self.message[:60]}"

    @property
    def is_open(self):
        return self.resolved_at is None


class PlanMark(models.Model):
    """This record version was planned for this connection, whatever the outcome —
    including "nothing to post" (an unpaid order, a cancellation before posting) —
    so the dispatcher's backlog sweep does not evaluate it again every minute."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE)
    source_record = models.ForeignKey("commerce.SourceRecord", on_delete=models.CASCADE)
    planned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "source_record"], name="planmark_unique"
            )
        ]

    def __str__(self):
        return f"{self.source_record_id} planned for {self.connection_id}"


class AuditEvent(models.Model):
    """Who did what to a failure or posting, and when: the resolution audit trail."""

    class Action(models.TextChoices):
        RETRIED = "retried"
        EDITED = "edited", "Edited payload and retried"
        LINKED = "linked"
        IGNORED = "ignored"
        ASSIGNED = "assigned"
        AUTO_RESOLVED = "auto_resolved", "Resolved by a later successful posting"
        RESYNC = "resync", "Resync requested"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    failure = models.ForeignKey(
        Failure, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    posting = models.ForeignKey(
        Posting, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        who = self.user or "system"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action}"
