"""Summary entries held for a closed period (policy "hold"): the list, and the
controller's release, dated into an open period."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from ..models import SummaryEntry
from ..services.failures import ResolutionError
from ..services.summary_periods import first_open_day, summaries_held, summary_release
from .context import page_context
from .permissions import RESOLVE, VIEW, require

SHOWN = 500


class ReleaseForm(forms.Form):
    date = forms.DateField(
        required=False,
        help_text="Posting date in Intacct; empty keeps the entry's own date.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@require_GET
@require(VIEW)
def held(request):
    rows = list(summaries_held()[: SHOWN + 1])
    open_days = {}
    for entry in rows[:SHOWN]:
        if entry.connection_id not in open_days:
            open_days[entry.connection_id] = first_open_day(entry.connection_id)
        entry.suggested_date = open_days[entry.connection_id]
        entry.total = _debits(entry.posting.payload)
    context = page_context(
        request, "Held summaries", rows=rows[:SHOWN], more=len(rows) > SHOWN
    )
    return TemplateResponse(request, "dashboard/held_summaries.html", context)


@require_POST
@require(RESOLVE)
def release(request, pk):
    entry = get_object_or_404(SummaryEntry, pk=pk)
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the posting date as YYYY-MM-DD, or none.")
        return redirect("dashboard:held-summaries")
    date = form.cleaned_data["date"]
    try:
        summary_release(entry=entry, user=request.user, date=date)
    except ResolutionError as exc:
        messages.error(request, str(exc))
    else:
        when = f", dated {date}" if date else ""
        messages.success(request, f"Released {entry}{when}: it is sent next.")
    return redirect("dashboard:held-summaries")


def _debits(payload):
    """The entry's total (its debit side), for a controller to recognise it."""
    total = Decimal(0)
    for line in payload.get("lines") or ():
        if isinstance(line, dict) and line.get("debit"):
            try:
                total += Decimal(str(line.get("amount") or 0))
            except InvalidOperation:
                continue
    return total
