from django import forms
from django.contrib import admin

from intacct_hub.admin_secrets import SecretFieldsForm, secret_status

from .models import (
    AuditEvent,
    Connection,
    ExternalRef,
    Failure,
    Posting,
    PostingAttempt,
    SyncRun,
)


class ConnectionForm(SecretFieldsForm):
    secret_fields = Connection.SECRET_FIELDS
    api_base_url = forms.URLField(max_length=300, assume_scheme="https")

    class Meta:
        model = Connection
        exclude = []


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    """Credentials live here; only superusers get model permissions on it."""

    form = ConnectionForm
    list_display = ["name", "slug", "environment", "company_id", "entity_id", "secrets"]
    list_filter = ["environment", "active"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description="Secrets")
    def secrets(self, obj):
        return ", ".join(
            f"{name.replace('_', ' ')}: {secret_status(getattr(obj, name))}"
            for name in Connection.SECRET_FIELDS
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the hub writes and people only read."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExternalRef)
class ExternalRefAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "connection", "intacct_object", "intacct_id", "linked"]
    list_filter = ["connection", "intacct_object", "linked"]
    search_fields = ["external_id", "intacct_key", "intacct_id"]
    list_select_related = ["connection"]


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "connection",
        "kind",
        "status",
        "planned",
        "posted",
        "failed",
    ]
    list_filter = ["connection", "kind", "status"]
    list_select_related = ["connection"]


class PostingAttemptInline(admin.TabularInline):
    model = PostingAttempt
    extra = 0
    can_delete = False
    fields = [
        "number",
        "protocol",
        "outcome",
        "http_status",
        "error_code",
        "duration_ms",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "connection",
        "action",
        "status",
        "attempt_count",
        "updated_at",
    ]
    list_filter = ["connection", "status", "action"]
    search_fields = ["idempotency_key", "result_key", "result_id"]
    list_select_related = ["connection"]
    raw_id_fields = ["source_record", "depends_on", "run"]
    inlines = [PostingAttemptInline]


@admin.register(PostingAttempt)
class PostingAttemptAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "protocol", "outcome", "http_status", "duration_ms"]
    list_filter = ["outcome", "protocol"]
    list_select_related = ["posting"]


@admin.register(Failure)
class FailureAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "category", "errorno", "created_at", "resolution"]
    list_filter = ["category", "resolution"]
    search_fields = ["message", "errorno", "support_id"]
    list_select_related = ["posting"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "failure", "posting"]
    list_filter = ["action"]
    list_select_related = ["user", "failure", "posting"]
    raw_id_fields = ["failure", "posting"]
