"""Intacct tenants and the shared limits every worker respects when calling them."""

from django.db import models

from intacct_hub.crypto import EncryptedTextField


class Connection(models.Model):
    """One Intacct company (optionally one entity of it) the hub posts into."""

    class Environment(models.TextChoices):
        SANDBOX = "sandbox", "Sandbox"
        PRODUCTION = "production", "Production"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    environment = models.CharField(
        max_length=12, choices=Environment.choices, default=Environment.SANDBOX
    )
    api_base_url = models.URLField(
        max_length=300,
        default="https://api.intacct.com",
        help_text="Both APIs live below it: /ia/xml/xmlgw.phtml and /ia/api/v1/.",
    )
    company_id = models.CharField(max_length=100)
    entity_id = models.CharField(
        max_length=100, blank=True, help_text="Entity (location) id; blank = top level."
    )
    sender_id = models.CharField(max_length=100)
    sender_password = EncryptedTextField(blank=True)
    user_id = models.CharField(max_length=100)
    user_password = EncryptedTextField(blank=True)
    oauth_client_id = models.CharField(max_length=200, blank=True)
    oauth_client_secret = EncryptedTextField(blank=True)
    oauth_refresh_token = EncryptedTextField(blank=True)
    mapping_set = models.ForeignKey(
        "mappings.MappingSet",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="connections",
    )
    sources = models.ManyToManyField(
        "commerce.Source",
        blank=True,
        related_name="connections",
        help_text="Feeds whose records post into this Intacct company.",
    )
    routing = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per-action protocol overrides, e.g. {"upsert_customer": "xml"}.',
    )
    requests_per_second = models.FloatField(
        default=2.0, help_text="Shared by every worker of every cluster."
    )
    max_concurrency = models.PositiveSmallIntegerField(
        default=2, help_text="Parallel requests allowed by the tenant's tier."
    )
    active = models.BooleanField(default=True)
    paused_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Circuit breaker: set when Intacct refused auth.",
    )
    pause_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    SECRET_FIELDS = (
        "sender_password",
        "user_password",
        "oauth_client_secret",
        "oauth_refresh_token",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def secret_values(self):
        """Every secret of this connection that is set, for redaction."""
        return [v for v in (getattr(self, f) for f in self.SECRET_FIELDS) if v]


class ConnectionThrottle(models.Model):
    """A token bucket per connection, kept in the database so every worker of every
    cluster draws from the same one (``sync.throttle.DatabaseRateLimiter``)."""

    connection = models.OneToOneField(
        Connection, on_delete=models.CASCADE, related_name="throttle"
    )
    tokens = models.FloatField(default=1.0, help_text="May go negative: a queue.")
    refilled_at = models.DateTimeField()
    paused_until = models.DateTimeField(
        null=True, blank=True, help_text="Intacct said 'come back later' (429/503)."
    )

    def __str__(self):
        return f"throttle of {self.connection_id}"


class ConnectionSlot(models.Model):
    """One of a connection's concurrent-request slots, leased by one caller at a time
    (``sync.throttle.DatabaseConcurrencyCap``). An expired lease is free again."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="slots"
    )
    number = models.PositiveSmallIntegerField()
    holder = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "number"], name="connectionslot_unique_number"
            )
        ]

    def __str__(self):
        return f"slot {self.number} of {self.connection_id}"


class ApiUsage(models.Model):
    """Billed Intacct API transactions and throttling seen, per connection and day,
    written by every worker (``sync.throttle.DatabaseMeter``)."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="usage"
    )
    day = models.DateField()
    transactions = models.PositiveIntegerField(default=0)
    rate_limited = models.PositiveIntegerField(
        default=0, help_text="Times Intacct asked the hub to slow down."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "day"], name="apiusage_unique_day"
            )
        ]

    def __str__(self):
        return f"{self.connection_id} {self.day}: {self.transactions}"


class TaskWake(models.Model):
    """A wake-up task (``task``, for one connection) queued and not yet started
    (``sync.wakes``): webhooks arrive in bursts, and one queued task per connection
    does what hundreds would, without a backlog of tasks that find nothing to do."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="wakes"
    )
    task = models.CharField(max_length=80)
    queued_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "task"], name="taskwake_unique_task"
            )
        ]

    def __str__(self):
        return f"{self.task} for {self.connection_id}"
