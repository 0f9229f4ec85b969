"""What ops and finance decide: how source fields map to Intacct, who owns what, and
how commerce becomes accounting. Everything hangs off a MappingSet, which one or more
Intacct connections use."""

from django.db import models


class Action(models.TextChoices):
    """The hub's business actions: the targets a mapping can feed."""

    UPSERT_CUSTOMER = "upsert_customer", "Upsert customer"
    UPSERT_ITEM = "upsert_item", "Upsert item"
    POST_SALES_ORDER = "post_sales_order", "Post sales order"
    POST_AR_INVOICE = "post_ar_invoice", "Post AR invoice"
    POST_CREDIT_MEMO = "post_credit_memo", "Post credit memo (AR adjustment)"
    POST_INVENTORY_ADJUSTMENT = "post_inventory_adjustment", "Post inventory adjustment"
    POST_GL_SUMMARY = "post_gl_summary", "Post GL summary (journal entry)"
    REVERSE_OR_VOID = "reverse_or_void", "Reverse or void"


class ObjectType(models.TextChoices):
    """Intacct objects the hub may touch, as ownership rules name them."""

    CUSTOMER = "customer", "Customer"
    ITEM = "item", "Item"
    SALES_ORDER = "sales_order", "Sales order"
    AR_INVOICE = "ar_invoice", "AR invoice"
    CREDIT_MEMO = "credit_memo", "Credit memo"
    INVENTORY_ADJUSTMENT = "inventory_adjustment", "Inventory adjustment"
    JOURNAL_ENTRY = "journal_entry", "Journal entry"


class MappingSet(models.Model):
    """A named rulebook: field mappings, value maps, ownership rules and policies."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Goes up by one with every rule change."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class FieldMapping(models.Model):
    """One target field of one action, fed from a source expression and transforms."""

    mapping_set = models.ForeignKey(
        MappingSet, on_delete=models.CASCADE, related_name="field_mappings"
    )
    action = models.CharField(max_length=40, choices=Action.choices)
    line_scope = models.CharField(
        max_length=60,
        blank=True,
        help_text="Blank for the document header; a list path such as 'lines' for "
        "line-level fields; '$name' (e.g. $tax) for one line built from the record.",
    )
    target_field = models.CharField(max_length=120, help_text="Intacct field name.")
    source_expression = models.CharField(
        max_length=500,
        blank=True,
        help_text="Dotted path (billing_address.city) or template "
        "({order_number}-{channel}).",
    )
    transform = models.CharField(
        max_length=255,
        blank=True,
        help_text="Named transforms separated by |, e.g. upper|truncate:20.",
    )
    required = models.BooleanField(default=False)
    only_on_create = models.BooleanField(
        default=False, help_text="Sent when creating, never on update."
    )
    active = models.BooleanField(default=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["mapping_set", "action", "line_scope", "order", "target_field"]
        constraints = [
            models.UniqueConstraint(
                fields=["mapping_set", "action", "line_scope", "target_field"],
                name="fieldmapping_unique_target",
            )
        ]

    def __str__(self):
        scope = f"{self.line_scope}[]." if self.line_scope else ""
        return f"{self.action}: {scope}{self.target_field}"


class ValueMap(models.Model):
    """A lookup table (channel → LOCATIONID, SKU → ITEMID…) used as lookup:<name>."""

    class OnNoMatch(models.TextChoices):
        FAIL = "fail", "Fail the posting"
        DEFAULT = "default", "Use the default value"
        SKIP = "skip", "Leave the field out"
        KEEP = "keep", "Keep the source value as it is"

    mapping_set = models.ForeignKey(
        MappingSet, on_delete=models.CASCADE, related_name="value_maps"
    )
    name = models.SlugField(max_length=60)
    description = models.CharField(max_length=255, blank=True)
    on_no_match = models.CharField(
        max_length=10, choices=OnNoMatch.choices, default=OnNoMatch.FAIL
    )
    default_value = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["mapping_set", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["mapping_set", "name"], name="valuemap_unique_name"
            )
        ]

    def __str__(self):
        return self.name


class ValueMapEntry(models.Model):
    """One row of a value map: a source value and the Intacct value it becomes."""

    value_map = models.ForeignKey(
        ValueMap, on_delete=models.CASCADE, related_name="entries"
    )
    source_value = models.CharField(max_length=255)
    target_value = models.CharField(max_length=255)

    class Meta:
        verbose_name_plural = "value map entries"
        ordering = ["value_map", "source_value"]
        constraints = [
            models.UniqueConstraint(
                fields=["value_map", "source_value"], name="valuemapentry_unique_source"
            )
        ]

    def __str__(self):
        return f"{self.source_value} → {self.target_value}"


class OwnershipRule(models.Model):
    """Who is master of an object type and what the hub may do to it in Intacct."""

    class Master(models.TextChoices):
        COMMERCE = "commerce", "Commerce source"
        HUB = "hub", "Intacct Hub"
        INTACCT = "intacct", "Sage Intacct"

    class HubMay(models.TextChoices):
        CREATE_AND_UPDATE = "create_update", "Create and update"
        CREATE_ONLY = "create_only", "Create only"
        LINK_ONLY = "link_only", "Link to existing only"
        NEVER = "never", "Never touch"

    mapping_set = models.ForeignKey(
        MappingSet, on_delete=models.CASCADE, related_name="ownership_rules"
    )
    object_type = models.CharField(max_length=30, choices=ObjectType.choices)
    master = models.CharField(max_length=10, choices=Master.choices)
    hub_may = models.CharField(max_length=20, choices=HubMay.choices)
    identity_order = models.JSONField(
        default=list,
        blank=True,
        help_text="How an existing Intacct record is matched, in order, e.g. "
        '["external_id", "email", "name"].',
    )
    intacct_owned_fields = models.JSONField(
        default=list,
        blank=True,
        help_text="Fields Intacct owns: never sent on update.",
    )

    class Meta:
        ordering = ["mapping_set", "object_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["mapping_set", "object_type"],
                name="ownershiprule_unique_object",
            )
        ]

    def __str__(self):
        return f"{self.get_object_type_display()}: {self.get_hub_may_display()}"


class PostingPolicy(models.Model):
    """How one channel's commerce becomes accounting: detail or summary, when, where."""

    class Mode(models.TextChoices):
        DETAIL = "detail", "Detail (documents per order)"
        SUMMARY = "summary", "Summary (journal entry per period)"

    class DetailDocuments(models.TextChoices):
        AR_INVOICE = "ar_invoice", "AR invoice"
        SALES_ORDER = "sales_order", "Sales order"
        BOTH = "both", "Sales order and AR invoice"

    class SummaryPeriod(models.TextChoices):
        DAY = "day", "Per day"
        PAYOUT = "payout", "Per payout"

    class Finality(models.TextChoices):
        PAID = "paid", "Order paid"
        FULFILLED = "fulfilled", "Order fulfilled"
        CLOSED = "closed", "Order closed"

    class ClosedPeriod(models.TextChoices):
        SHIFT = "shift", "Shift to the next open period"
        HOLD = "hold", "Hold for approval"
        FAIL = "fail", "Fail the posting"

    mapping_set = models.ForeignKey(
        MappingSet, on_delete=models.CASCADE, related_name="posting_policies"
    )
    channel = models.CharField(
        max_length=120, blank=True, help_text="Blank: every channel without its own."
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.DETAIL)
    detail_documents = models.CharField(
        max_length=20,
        choices=DetailDocuments.choices,
        default=DetailDocuments.AR_INVOICE,
    )
    summary_period = models.CharField(
        max_length=10, choices=SummaryPeriod.choices, default=SummaryPeriod.DAY
    )
    finality_event = models.CharField(
        max_length=10, choices=Finality.choices, default=Finality.PAID
    )
    revenue_account = models.CharField(max_length=40, blank=True)
    tax_payable_account = models.CharField(max_length=40, blank=True)
    shipping_income_account = models.CharField(max_length=40, blank=True)
    discounts_account = models.CharField(max_length=40, blank=True)
    refunds_account = models.CharField(max_length=40, blank=True)
    clearing_account = models.CharField(max_length=40, blank=True)
    ar_account = models.CharField(max_length=40, blank=True)
    journal = models.CharField(max_length=40, blank=True, help_text="Journal symbol.")
    default_dimensions = models.JSONField(
        default=dict,
        blank=True,
        help_text='e.g. {"LOCATIONID": "WEB", "DEPARTMENTID": "SALES"}',
    )
    cutover_date = models.DateField(
        null=True,
        blank=True,
        help_text="Nothing dated before this is posted: switch modes without doubles.",
    )
    closed_period_behaviour = models.CharField(
        max_length=10, choices=ClosedPeriod.choices, default=ClosedPeriod.SHIFT
    )

    class Meta:
        verbose_name_plural = "posting policies"
        ordering = ["mapping_set", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["mapping_set", "channel"], name="postingpolicy_unique_channel"
            )
        ]

    def __str__(self):
        return f"{self.channel or 'all channels'}: {self.get_mode_display()}"


class MappingChange(models.Model):
    """One change to a mapping set's rules: who, when, and the row before and after.

    Written by signal handlers (``mappings.history``) for every save and delete,
    whether it came from the admin, an import or a shell, so the trail has no gaps.
    """

    class Kind(models.TextChoices):
        ADDED = "added"
        CHANGED = "changed"
        DELETED = "deleted"

    mapping_set = models.ForeignKey(
        MappingSet, on_delete=models.CASCADE, related_name="changes"
    )
    version = models.PositiveIntegerField(help_text="The set's version after it.")
    model = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    changed_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["mapping_set", "-version"], name="change_idx")]

    def __str__(self):
        return f"v{self.version} {self.kind} {self.model} {self.object_repr}"
