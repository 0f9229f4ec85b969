import json

from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html

from intacct_hub.admin_secrets import SecretFieldsForm, secret_status

from .deliveries import deliveries_reprocess
from .models import InboundDelivery, IngestRequest, Source, SourceRecord


class SourceForm(SecretFieldsForm):
    secret_fields = ("webhook_secret", "poll_api_key", "poll_store_key")

    class Meta:
        model = Source
        fields = [
            "name",
            "slug",
            "kind",
            "active",
            "webhook_secret",
            "poll_api_key",
            "poll_store_key",
            "settings",
        ]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = [
        "name",
        "slug",
        "kind",
        "active",
        "webhook_secret_status",
        "token",
        "csv_import",
    ]
    list_filter = ["kind", "active"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["api_token_hint", "checkpoint", "created_at", "updated_at"]
    actions = ["issue_api_token"]

    def get_urls(self):
        from .csv_admin import csv_import_view

        view = self.admin_site.admin_view(csv_import_view(self))
        return [
            path("<int:source_id>/import-csv/", view, name="commerce_source_csv"),
            *super().get_urls(),
        ]

    @admin.display(description="Webhook secret")
    def webhook_secret_status(self, obj):
        return secret_status(obj.webhook_secret)

    @admin.display(description="API token")
    def token(self, obj):
        return f"{obj.api_token_hint}…" if obj.api_token_hash else "not issued"

    @admin.display(description="CSV")
    def csv_import(self, obj):
        url = reverse("admin:commerce_source_csv", args=[obj.pk])
        return format_html('<a href="{}">Import CSV…</a>', url)

    @admin.action(description="Issue a new API token (shown once)")
    def issue_api_token(self, request, queryset):
        for source in queryset:
            token = source.issue_api_token()
            source.save(update_fields=["api_token_hash", "api_token_hint"])
            self.message_user(
                request,
                f"New API token for {source.slug} (copy it now, it is not stored): "
                f"{token}",
                messages.WARNING,
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs: looked at, never edited by hand."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SourceRecord)
class SourceRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "kind",
        "external_id",
        "version",
        "is_tombstone",
        "received_at",
    ]
    list_filter = ["kind", "is_tombstone", "source"]
    search_fields = ["external_id"]
    list_select_related = ["source"]
    readonly_fields = [f.name for f in SourceRecord._meta.fields]


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "source",
        "topic",
        "status",
        "attempts",
        "records_stored",
        "received_at",
    ]
    list_filter = ["status", "topic", "source"]
    search_fields = ["delivery_id"]
    list_select_related = ["source"]
    date_hierarchy = "received_at"
    fields = [
        "source",
        "delivery_id",
        "topic",
        "status",
        "error",
        "attempts",
        "records_stored",
        "received_at",
        "processed_at",
        "headers",
        "pretty_body",
    ]
    readonly_fields = fields
    actions = ["reprocess"]

    @admin.display(description="Body")
    def pretty_body(self, obj):
        try:
            text = json.dumps(json.loads(obj.body), indent=2, ensure_ascii=False)
        except ValueError:
            text = obj.body
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", text)

    @admin.action(
        description="Reprocess selected deliveries", permissions=["reprocess"]
    )
    def reprocess(self, request, queryset):
        done = deliveries_reprocess(deliveries=list(queryset))
        self.message_user(
            request, f"{done} of {queryset.count()} deliveries processed."
        )

    def has_reprocess_permission(self, request):
        return request.user.has_perm("commerce.reprocess_inbounddelivery")


@admin.register(IngestRequest)
class IngestRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "idempotency_key",
        "source",
        "response_status",
        "record_count",
        "created_at",
    ]
    list_filter = ["source", "response_status"]
    search_fields = ["idempotency_key"]
    list_select_related = ["source"]
    readonly_fields = [f.name for f in IngestRequest._meta.fields]
