from django.contrib import admin, messages

from intacct_hub.admin_secrets import SecretFieldsForm, secret_status

from .models import Source, SourceRecord


class SourceForm(SecretFieldsForm):
    secret_fields = ("webhook_secret",)

    class Meta:
        model = Source
        fields = ["name", "slug", "kind", "active", "webhook_secret", "settings"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ["name", "slug", "kind", "active", "webhook_secret_status", "token"]
    list_filter = ["kind", "active"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["api_token_hint", "checkpoint", "created_at", "updated_at"]
    actions = ["issue_api_token"]

    @admin.display(description="Webhook secret")
    def webhook_secret_status(self, obj):
        return secret_status(obj.webhook_secret)

    @admin.display(description="API token")
    def token(self, obj):
        return f"{obj.api_token_hint}…" if obj.api_token_hash else "not issued"

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


@admin.register(SourceRecord)
class SourceRecordAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "external_id", "version", "received_at"]
    list_filter = ["kind", "source"]
    search_fields = ["external_id"]
    list_select_related = ["source"]
    show_full_result_count = False
    readonly_fields = [f.name for f in SourceRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
