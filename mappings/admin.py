from django.contrib import admin

from .models import (
    FieldMapping,
    MappingChange,
    MappingSet,
    OwnershipRule,
    PostingPolicy,
    ValueMap,
    ValueMapEntry,
)


class FieldMappingInline(admin.TabularInline):
    model = FieldMapping
    extra = 0


@admin.register(MappingSet)
class MappingSetAdmin(admin.ModelAdmin):
    list_display = ["name", "updated_at"]
    search_fields = ["name"]
    inlines = [FieldMappingInline]


@admin.register(FieldMapping)
class FieldMappingAdmin(admin.ModelAdmin):
    list_display = [
        "target_field",
        "action",
        "line_scope",
        "source_expression",
        "transform",
        "required",
        "active",
    ]
    list_filter = ["mapping_set", "action", "active"]
    search_fields = ["target_field", "source_expression"]


class ValueMapEntryInline(admin.TabularInline):
    model = ValueMapEntry
    extra = 1


@admin.register(ValueMap)
class ValueMapAdmin(admin.ModelAdmin):
    list_display = ["name", "mapping_set", "on_no_match", "default_value"]
    list_filter = ["mapping_set"]
    inlines = [ValueMapEntryInline]


@admin.register(OwnershipRule)
class OwnershipRuleAdmin(admin.ModelAdmin):
    list_display = ["object_type", "mapping_set", "master", "hub_may"]
    list_filter = ["mapping_set", "master", "hub_may"]


@admin.register(PostingPolicy)
class PostingPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "mapping_set", "mode", "finality_event", "cutover_date"]
    list_filter = ["mapping_set", "mode"]


@admin.register(MappingChange)
class MappingChangeAdmin(admin.ModelAdmin):
    """The audit trail: read-only for everyone."""

    list_display = [
        "mapping_set",
        "version",
        "kind",
        "model",
        "object_repr",
        "changed_by",
        "changed_at",
    ]
    list_filter = ["mapping_set", "kind", "model"]
    list_select_related = ["mapping_set", "changed_by"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
