"""The admin page that previews and imports a CSV of customers or orders."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .csv_import import CsvUnreadable, csv_import, csv_preview
from .models import Source

PREVIEW_ROWS = 10
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=[("customer", "Customers"), ("order", "Orders")])
    file = forms.FileField(help_text="UTF-8 CSV with a header row; see the columns.")


class ConfirmForm(forms.Form):
    kind = forms.ChoiceField(choices=[("customer", "Customers"), ("order", "Orders")])
    content = forms.CharField(widget=forms.HiddenInput, strip=False)


def csv_import_view(model_admin):
    """Build the view bound to SourceAdmin (for its context and permissions)."""

    def view(request, source_id):
        source = get_object_or_404(Source, pk=source_id)
        if not request.user.has_perm("commerce.add_sourcerecord") and not (
            request.user.has_perm("commerce.change_source")
        ):
            raise PermissionDenied
        context = {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "source": source,
            "title": f"Import CSV into {source.name}",
        }
        if request.method == "POST" and "confirm" in request.POST:
            return confirm(request, source)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            return preview(request, source, form, context)
        context["form"] = form
        return TemplateResponse(
            request, "admin/commerce/source/csv_import.html", context
        )

    return view


def preview(request, source, form, context):
    upload = form.cleaned_data["file"]
    kind = form.cleaned_data["kind"]
    if upload.size > MAX_UPLOAD_BYTES:
        form.add_error("file", f"the file is larger than {MAX_UPLOAD_BYTES} bytes")
        context["form"] = form
        return TemplateResponse(
            request, "admin/commerce/source/csv_import.html", context
        )
    content = upload.read()
    try:
        report = csv_preview(kind=kind, content=content)
        text = content.decode("utf-8-sig")
    except (CsvUnreadable, UnicodeDecodeError) as exc:
        form.add_error("file", str(exc))
        context["form"] = form
        return TemplateResponse(
            request, "admin/commerce/source/csv_import.html", context
        )
    context.update(
        report=report,
        preview_rows=[
            [row.get(col, "") for col in report.header]
            for row in report.rows[:PREVIEW_ROWS]
        ],
        confirm_form=ConfirmForm(initial={"kind": kind, "content": text}),
    )
    return TemplateResponse(
        request, "admin/commerce/source/csv_import_preview.html", context
    )


def confirm(request, source):
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The import form was incomplete; upload again.")
        return redirect(reverse("admin:commerce_source_csv", args=[source.pk]))
    try:
        report = csv_import(
            source=source,
            kind=form.cleaned_data["kind"],
            content=form.cleaned_data["content"],
        )
    except CsvUnreadable as exc:
        messages.error(request, str(exc))
        return redirect(reverse("admin:commerce_source_csv", args=[source.pk]))
    messages.success(
        request,
        f"{report.stored} new record versions stored from {len(report.valid)} valid "
        f"records; {len(report.invalid)} refused (nothing stored for them).",
    )
    url = reverse("admin:commerce_sourcerecord_changelist")
    return redirect(f"{url}?source__id__exact={source.pk}")
