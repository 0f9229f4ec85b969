from django.contrib import admin

from .models import (
    FieldMapping,
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
