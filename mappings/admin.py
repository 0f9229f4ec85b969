import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import slugify

from . import strict_json
from .catalog import rule_problems
from .models import (
    FieldMapping,
    MappingChange,
    MappingSet,
    OwnershipRule,
    PostingPolicy,
    ValueMap,
    ValueMapEntry,
)
from .ownership_page import ownership_rows
from .services import mapping_set_export, mapping_set_import
from .strict_json import StrictJSONField


class FieldMappingForm(forms.ModelForm):
    """Refuses target fields the action's Intacct object lacks, unknown transforms
    and lookups of value maps the set does not have."""

    class Meta:
        model = FieldMapping
        fields = [
            "mapping_set",
            "action",
            "line_scope",
            "target_field",
            "source_expression",
            "transform",
            "required",
            "only_on_create",
            "active",
            "order",
        ]

    def clean(self):
        data = super().clean()
        mapping_set = data.get("mapping_set") or getattr(
            self.instance, "mapping_set", None
        )
        if "mapping_set" not in self.fields and self.instance.mapping_set_id:
            mapping_set = self.instance.mapping_set
        action = data.get("action")
        if not action or not data.get("target_field"):
            return data
        names = (
            set(mapping_set.value_maps.values_list("name", flat=True))
            if mapping_set is not None and mapping_set.pk
            else set()
        )
        problems = rule_problems(
            action=action,
            target_field=data["target_field"],
            line_scope=data.get("line_scope", ""),
            transform=data.get("transform", ""),
            value_map_names=names,
            mapping_set=mapping_set if mapping_set and mapping_set.pk else None,
        )
        for problem in problems:
            field = (
                "transform" if "transform" in problem or "lookup" in problem else None
            )
            self.add_error(field or "target_field", problem)
        return data


class FieldMappingInline(admin.TabularInline):
    model = FieldMapping
    form = FieldMappingForm
    extra = 0
    fields = [
        "action",
        "line_scope",
        "target_field",
        "source_expression",
        "transform",
        "required",
        "only_on_create",
        "active",
        "order",
    ]


class ImportForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="Name of the new mapping set.")
    file = forms.FileField(help_text="A mapping set exported from Intacct Hub (JSON).")


@admin.register(MappingSet)
class MappingSetAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "updated_at"]
    search_fields = ["name"]
    readonly_fields = ["version"]
    inlines = [FieldMappingInline]
    change_form_template = "admin/mappings/mappingset/change_form.html"
    change_list_template = "admin/mappings/mappingset/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/ownership/",
                view(self.ownership_view),
                name="mappings_mappingset_ownership",
            ),
            path(
                "<int:pk>/export/",
                view(self.export_view),
                name="mappings_mappingset_export",
            ),
            path(
                "import/",
                view(self.import_view),
                name="mappings_mappingset_import",
            ),
            *super().get_urls(),
        ]

    def ownership_view(self, request, pk):
        mapping_set = get_object_or_404(MappingSet, pk=pk)
        if not self.has_view_permission(request, mapping_set):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Record ownership: {mapping_set}",
            "mapping_set": mapping_set,
            "rows": ownership_rows(mapping_set),
        }
        return TemplateResponse(request, "admin/mappings/ownership.html", context)

    def export_view(self, request, pk):
        mapping_set = get_object_or_404(MappingSet, pk=pk)
        if not self.has_view_permission(request, mapping_set):
            raise PermissionDenied
        data = mapping_set_export(mapping_set=mapping_set)
        response = HttpResponse(
            json.dumps(data, indent=1, sort_keys=True),
            content_type="application/json",
        )
        filename = f"{slugify(mapping_set.name) or 'mapping-set'}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                # Strict: deep nesting, NaN and NUL are refused, not a 500.
                data = strict_json.loads(
                    form.cleaned_data["file"].read().decode("utf-8")
                )
                mapping_set = mapping_set_import(
                    data=data, name=form.cleaned_data["name"]
                )
            except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
                form.add_error("file", f"Not imported: {exc}")
            else:
                self.message_user(
                    request, f"Imported mapping set {mapping_set}.", messages.SUCCESS
                )
                return redirect(
                    reverse("admin:mappings_mappingset_change", args=[mapping_set.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import a mapping set",
            "form": form,
        }
        return TemplateResponse(request, "admin/mappings/import.html", context)


@admin.register(FieldMapping)
class FieldMappingAdmin(admin.ModelAdmin):
    form = FieldMappingForm
    change_form_template = "admin/mappings/fieldmapping/change_form.html"
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


class OwnershipRuleForm(forms.ModelForm):
    identity_order = StrictJSONField(kind=list, required=False)
    intacct_owned_fields = StrictJSONField(kind=list, required=False)

    class Meta:
        model = OwnershipRule
        fields = [
            "mapping_set",
            "object_type",
            "master",
            "hub_may",
            "identity_order",
            "intacct_owned_fields",
        ]


class PostingPolicyForm(forms.ModelForm):
    default_dimensions = StrictJSONField(
        kind=dict,
        required=False,
        help_text=PostingPolicy._meta.get_field("default_dimensions").help_text,
    )

    class Meta:
        model = PostingPolicy
        fields = [
            "mapping_set",
            "channel",
            "mode",
            "detail_documents",
            "summary_period",
            "finality_event",
            "revenue_account",
            "tax_payable_account",
            "shipping_income_account",
            "discounts_account",
            "refunds_account",
            "clearing_account",
            "ar_account",
            "journal",
            "default_dimensions",
            "cutover_date",
            "closed_period_behaviour",
        ]


@admin.register(OwnershipRule)
class OwnershipRuleAdmin(admin.ModelAdmin):
    form = OwnershipRuleForm
    list_display = ["object_type", "mapping_set", "master", "hub_may"]
    list_filter = ["mapping_set", "master", "hub_may"]


@admin.register(PostingPolicy)
class PostingPolicyAdmin(admin.ModelAdmin):
    form = PostingPolicyForm
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
