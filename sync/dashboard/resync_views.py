"""Resync from the browser: choose a scope, read what it costs, confirm."""

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from ..services.resync import ResyncError, resync_preview, resync_start
from .context import page_context
from .forms import ResyncForm
from .permissions import RESYNC, require


@require_GET
@require(RESYNC)
def resync(request):
    """The scope form; once it is filled in, the preview of what would happen."""
    form = ResyncForm(request.GET or None)
    preview = None
    if request.GET and form.is_valid():
        try:
            preview = resync_preview(
                connection=form.cleaned_data["connection"], scope=form.scope()
            )
        except (ResyncError, ValueError) as exc:
            form.add_error(None, str(exc))
    context = page_context(request, "Resync", form=form, preview=preview)
    return TemplateResponse(request, "dashboard/resync.html", context)


@require_POST
@require(RESYNC)
def resync_confirm(request):
    form = ResyncForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The resync form was incomplete.")
        return redirect("dashboard:resync")
    try:
        run = resync_start(
            connection=form.cleaned_data["connection"],
            scope=form.scope(),
            user=request.user,
        )
    except (ResyncError, ValueError) as exc:
        messages.error(request, str(exc))
        return redirect("dashboard:resync")
    messages.success(request, f"Resync started: {run.planned} posting(s) queued.")
    return redirect("dashboard:run", pk=run.pk)
