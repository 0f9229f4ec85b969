"""Where commerce data comes in: sources and the normalized records they deliver."""

import hashlib
import json
import secrets

from django.db import models

from intacct_hub.crypto import EncryptedTextField


class Source(models.Model):
    """A storefront or operational system that feeds the hub (Shopify, an OMS, CSV)."""

    class Kind(models.TextChoices):
        SHOPIFY = "shopify", "Shopify webhooks"
        INGEST = "ingest", "Ingest API"
        API2CART = "api2cart", "API2Cart polling"
        CSV = "csv", "CSV upload"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    active = models.BooleanField(default=True)
    webhook_secret = EncryptedTextField(
        blank=True, help_text="Shared secret that signs this source's webhooks."
    )
    poll_api_key = EncryptedTextField(
        blank=True, help_text="Polling sources: the account API key (API2Cart)."
    )
    poll_store_key = EncryptedTextField(
        blank=True, help_text="Polling sources: the store key (API2Cart)."
    )
    api_token_hash = models.CharField(
        max_length=64, blank=True, editable=False, help_text="SHA-256 of the token."
    )
    api_token_hint = models.CharField(
        max_length=12, blank=True, editable=False, help_text="First characters only."
    )
    settings = models.JSONField(
        default=dict, blank=True, help_text="Non-secret options (store URL, channel)."
    )
    checkpoint = models.JSONField(
        default=dict, blank=True, help_text="Where polling resumes (cursor, time)."
    )
    deliveries_queued_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the task that normalizes waiting deliveries was queued; "
        "cleared when it starts (commerce/deliveries.py).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Columns the pipeline keeps up to date in place; a whole-row save (an admin
    # form read minutes ago) must not write back the value it read.
    PIPELINE_FIELDS = {"checkpoint", "deliveries_queued_at"}

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.PIPELINE_FIELDS
            ]
        super().save(*args, **kwargs)

    def issue_api_token(self):
        """Make a new bearer token, keep only its hash, and return it (shown once)."""
        token = f"ihs_{secrets.token_urlsafe(32)}"
        self.api_token_hash = hash_token(token)
        self.api_token_hint = token[:8]
        return token

    def check_api_token(self, token):
        """Constant-time check of a presented bearer token against the stored hash."""
        if not self.api_token_hash or not token:
            return False
        return secrets.compare_digest(self.api_token_hash, hash_token(token))


def hash_token(token):
    # Tokens are 256-bit random values, so a fast hash is enough: there is nothing to
    # brute-force, unlike a password.
    return hashlib.sha256(token.encode()).hexdigest()


def content_hash(payload):
    """SHA-256 of the payload in canonical JSON: same content, same hash."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class SourceRecord(models.Model):
    """One version of one normalized record (customer, order, …) from a source.

    Stored before it is acknowledged and never edited: a change in content is a new
    version, identical content is the same row.
    """

    class Kind(models.TextChoices):
        CUSTOMER = "customer"
        ORDER = "order"
        REFUND = "refund"
        PRODUCT = "product"
        INVENTORY_ADJUSTMENT = "inventory_adjustment"

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="records")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    external_id = models.CharField(max_length=255)
    payload = models.JSONField(help_text="The record in the normalized schema.")
    content_hash = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    is_tombstone = models.BooleanField(
        default=False, help_text="The source deleted or voided this record."
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "external_id", "content_hash"],
                name="sourcerecord_unique_content",
            ),
            models.UniqueConstraint(
                fields=["source", "kind", "external_id", "version"],
                name="sourcerecord_unique_version",
            ),
        ]
        indexes = [
            # "latest version of this record": filter on identity, order by -version.
            models.Index(
                fields=["source", "kind", "external_id", "-version"],
                name="sourcerecord_latest_idx",
            ),
        ]

    def __str__(self):
        return f"{self.source.slug}/{self.kind}/{self.external_id} v{self.version}"


class InboundDelivery(models.Model):
    """One webhook delivery exactly as it arrived: stored before the 200, kept forever.

    Normalizing it into SourceRecords happens later, in a task; if that fails the
    delivery keeps its body and the error, and can be reprocessed from the admin.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received (waiting to be normalized)"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed (see error; reprocess from the admin)"
        IGNORED = "ignored", "Ignored (topic the hub does not use)"

    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="deliveries"
    )
    delivery_id = models.CharField(
        max_length=255, help_text="X-Shopify-Webhook-Id: the same id is stored once."
    )
    topic = models.CharField(max_length=100)
    headers = models.JSONField(
        default=dict, blank=True, help_text="Context headers; never the signature."
    )
    body = models.TextField(help_text="The raw body, byte for byte (UTF-8).")
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    records_stored = models.PositiveIntegerField(
        default=0, help_text="New record versions the last processing created."
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "inbound deliveries"
        permissions = [("reprocess_inbounddelivery", "Can reprocess deliveries")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "delivery_id"], name="inbounddelivery_unique_id"
            )
        ]
        indexes = [
            # Sweeper: status=received AND received_at < now - grace.
            models.Index(
                fields=["received_at"],
                condition=models.Q(status="received"),
                name="inbounddelivery_pending_idx",
            ),
            # The admin's "failed" filter, newest first.
            models.Index(
                fields=["status", "-received_at"], name="inbounddelivery_status_idx"
            ),
        ]

    def __str__(self):
        return f"{self.topic} #{self.pk} ({self.status})"


class IngestRequest(models.Model):
    """The stored answer to an ingest API call made with an Idempotency-Key."""

    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="ingest_requests"
    )
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the body the key was first used with."
    )
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    record_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "idempotency_key"],
                name="ingestrequest_unique_key",
            )
        ]

    def __str__(self):
        return f"{self.source_id}:{self.idempotency_key} -> {self.response_status}"


class IngestRateWindow(models.Model):
    """Requests one ingest API token made in one minute (``commerce.ratelimit``).

    In the database so that every web process counts against the same limit.
    """

    token_hash = models.CharField(max_length=64, help_text="SHA-256 of the token.")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token_hash", "window_start"],
                name="ingestratewindow_unique_window",
            )
        ]

    def __str__(self):
        return f"{self.token_hash[:8]}… {self.window_start:%H:%M}: {self.count}"
