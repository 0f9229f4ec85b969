"""The ledger side of the hub: summaries and their members, correction lineage,
what Intacct says about the documents the hub posted, and reconciliation results."""

from django.db import models
from django.utils import timezone

from .connection import Connection
from .posting import ExternalRef, Posting

MONEY = {"max_digits": 18, "decimal_places": 2, "default": 0}


class SummaryEntry(models.Model):
    """One summary journal entry: connection × channel × business day × sequence.

    Sequence 1 is the day's summary; every later one is an adjustment entry for
    records that arrived or changed after the day was posted. The posted entry is
    never edited.
    """

    class Kind(models.TextChoices):
        SUMMARY = "summary"
        ADJUSTMENT = "adjustment"

    connection = models.ForeignKey(
        Connection, on_delete=models.PROTECT, related_name="summary_entries"
    )
    channel = models.CharField(max_length=120, blank=True)
    day = models.DateField(help_text="Business day the entry summarizes.")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    posting = models.OneToOneField(
        Posting, on_delete=models.PROTECT, related_name="summary_entry"
    )
    posting_date = models.DateField(help_text="Date sent to Intacct (may be shifted).")
    note = models.CharField(
        max_length=500, blank=True, help_text="e.g. shifted out of a closed period."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "channel", "sequence"]
        verbose_name_plural = "summary entries"
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "channel", "day", "sequence"],
                name="summaryentry_unique_period_sequence",
            )
        ]

    def __str__(self):
        return f"{self.channel or '-'} {self.day} #{self.sequence} ({self.kind})"


class SummaryMember(models.Model):
    """A source record version behind a summary entry, with what it contributed.

    Amounts are the *delta* this entry carries for the record (an edited order in an
    adjustment entry carries the difference; a cancelled one the negation), so the
    sum over a record identity's members is what the ledger holds for it.
    """

    entry = models.ForeignKey(
        SummaryEntry, on_delete=models.CASCADE, related_name="members"
    )
    source_record = models.ForeignKey(
        "commerce.SourceRecord", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=30, help_text="order or refund")
    external_id = models.CharField(max_length=255)
    net_sales = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    refunds = models.DecimalField(**MONEY)
    components = models.JSONField(
        default=dict, help_text="Exact amounts per summary line role (strings)."
    )

    class Meta:
        ordering = ["entry", "kind", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "source_record"], name="summarymember_unique"
            )
        ]
        indexes = [
            # "What has the ledger already got for this record identity?"
            models.Index(
                fields=["kind", "external_id"], name="summarymember_identity_idx"
            )
        ]

    def __str__(self):
        return f"{self.kind}/{self.external_id} in {self.entry}"


class Correction(models.Model):
    """Lineage: ``correction`` was posted to correct ``original`` (never an edit)."""

    class Kind(models.TextChoices):
        CREDIT_MEMO = "credit_memo", "Credit memo for a refund"
        REVERSAL = "reversal", "Reverse or void"
        REPOST = "repost", "Re-post of an edited record"
        UPDATE = "update", "Update in place"

    original = models.ForeignKey(
        Posting, on_delete=models.PROTECT, related_name="corrections"
    )
    correction = models.ForeignKey(
        Posting, on_delete=models.PROTECT, related_name="corrects"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["original", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["original", "correction"], name="correction_unique_pair"
            )
        ]

    def __str__(self):
        return f"{self.kind}: posting {self.correction_id} → {self.original_id}"


class IntacctDocumentState(models.Model):
    """What Intacct last said about a bound document: payment state, open balance,
    and whether it still exists. Read back by ``sync.services.readback``."""

    class Payment(models.TextChoices):
        OPEN = "open"
        PARTIALLY_PAID = "partially_paid", "Partially paid"
        PAID = "paid"
        REVERSED = "reversed", "Reversed / voided"
        MISSING = "missing", "Not found in Intacct"

    binding = models.OneToOneField(
        ExternalRef, on_delete=models.CASCADE, related_name="document_state"
    )
    intacct_state = models.CharField(max_length=40, blank=True)
    payment = models.CharField(max_length=16, choices=Payment.choices, blank=True)
    total = models.DecimalField(null=True, blank=True, max_digits=18, decimal_places=2)
    due = models.DecimalField(null=True, blank=True, max_digits=18, decimal_places=2)
    modified_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(default=timezone.now)
    missing_since = models.DateTimeField(null=True, blank=True)
    needs_review = models.BooleanField(default=False)
    review_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            # Review queue: bindings flagged after a deletion or outside void.
            models.Index(
                fields=["read_at"],
                condition=models.Q(needs_review=True),
                name="docstate_review_idx",
            )
        ]

    def __str__(self):
        return f"{self.binding}: {self.payment or self.intacct_state}"


class LedgerState(models.Model):
    """Per-connection checkpoints of the ledger jobs."""

    connection = models.OneToOneField(
        Connection, on_delete=models.CASCADE, related_name="ledger_state"
    )
    readback_since = models.DateTimeField(
        null=True, blank=True, help_text="Latest Intacct modification time read."
    )
    readback_at = models.DateTimeField(null=True, blank=True)
    closed_through = models.DateField(
        null=True, blank=True, help_text="Books closed through (learned from Intacct)."
    )

    def __str__(self):
        return f"ledger state of {self.connection}"


class ReconciliationResult(models.Model):
    """One reconciled connection × day × channel, stored so pages read the database."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="reconciliations"
    )
    day = models.DateField()
    channel = models.CharField(max_length=120, blank=True)
    mode = models.CharField(max_length=10, blank=True)
    source_documents = models.PositiveIntegerField(default=0)
    source_net_sales = models.DecimalField(**MONEY)
    source_tax = models.DecimalField(**MONEY)
    source_refunds = models.DecimalField(**MONEY)
    hub_documents = models.PositiveIntegerField(default=0)
    hub_net_sales = models.DecimalField(**MONEY)
    hub_tax = models.DecimalField(**MONEY)
    hub_refunds = models.DecimalField(**MONEY)
    intacct_documents = models.PositiveIntegerField(default=0)
    intacct_net_sales = models.DecimalField(**MONEY)
    intacct_tax = models.DecimalField(**MONEY)
    intacct_refunds = models.DecimalField(**MONEY)
    matches = models.BooleanField(default=False)
    mismatches = models.JSONField(
        default=list, blank=True, help_text="The differing documents and why."
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "day", "channel"],
                name="reconciliation_unique_period",
            )
        ]
        indexes = [
            # Dashboard: the connection's days that do not match, newest first.
            models.Index(
                fields=["connection", "-day"],
                condition=models.Q(matches=False),
                name="reconciliation_mismatch_idx",
            )
        ]

    def __str__(self):
        state = "ok" if self.matches else "MISMATCH"
        return f"{self.connection} {self.day} {self.channel or '-'}: {state}"
