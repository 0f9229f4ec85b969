"""The reconciliation report: what the source, the hub and Intacct each hold per day
and channel, read from stored results (never from Intacct while a page renders), with
a drill-down to the differing documents and a CSV export."""

import csv
import datetime as dt

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_q.tasks import async_task

from ..models import AuditEvent, Connection, ReconciliationResult
from .context import page_context
from .permissions import RESYNC, VIEW, require

DEFAULT_DAYS = 14
SIDES = ("source", "hub", "intacct")
MEASURES = ("documents", "net_sales", "tax", "refunds")


def _text(query, name):
    """A text parameter; one holding NUL is no value (PostgreSQL refuses NUL)."""
    value = query.get(name, "")
    return "" if "\x00" in value else value


def _day(value, default):
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _filters(request):
    today = timezone.localdate()
    day_to = _day(request.GET.get("to"), today)
    span = dt.timedelta(DEFAULT_DAYS - 1)
    # A "to" in the first days of year 1 has no whole default window before it.
    default_from = day_to - span if day_to - dt.date.min >= span else dt.date.min
    day_from = _day(request.GET.get("from"), default_from)
    return {
        "connection": _text(request.GET, "connection"),
        "from": min(day_from, day_to),
        "to": max(day_from, day_to),
        "only_mismatches": request.GET.get("only") == "mismatches",
    }


def _rows(filters):
    rows = ReconciliationResult.objects.filter(
        day__gte=filters["from"], day__lte=filters["to"]
    ).select_related("connection")
    if filters["connection"]:
        rows = rows.filter(connection__slug=filters["connection"])
    if filters["only_mismatches"]:
        rows = rows.filter(matches=False)
    return rows.order_by("-day", "connection__name", "channel")


@require_GET
@require(VIEW)
def report(request):
    filters = _filters(request)
    rows = list(_rows(filters)[:500])
    context = page_context(
        request,
        "Reconciliation",
        rows=rows,
        filters=filters,
        connections=Connection.objects.order_by("name"),
        mismatched=sum(1 for row in rows if not row.matches),
    )
    return TemplateResponse(request, "dashboard/reconciliation.html", context)


@require_GET
@require(VIEW)
def report_csv(request):
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="reconciliation.csv"'
    writer = csv.writer(response)
    header = ["connection", "day", "channel", "mode", "matches"]
    header += [f"{side}_{what}" for side in SIDES for what in MEASURES]
    writer.writerow(header)
    for row in _rows(_filters(request)).iterator():
        values = [row.connection.slug, row.day, row.channel, row.mode, row.matches]
        values += [getattr(row, f"{s}_{m}") for s in SIDES for m in MEASURES]
        writer.writerow(values)
    return response


@require_GET
@require(VIEW)
def day_detail(request):
    """The documents behind one connection × day × channel that do not agree."""
    row = get_object_or_404(
        ReconciliationResult.objects.select_related("connection"),
        connection__slug=_text(request.GET, "connection"),
        day=_day(request.GET.get("day"), None),
        channel=_text(request.GET, "channel"),
    )
    context = page_context(
        request,
        f"Reconciliation {row.day} {row.channel or '(no channel)'}",
        row=row,
        sides=[
            (side, [getattr(row, f"{side}_{m}") for m in MEASURES]) for side in SIDES
        ],
        documents=row.mismatches,
    )
    return TemplateResponse(request, "dashboard/reconciliation_day.html", context)


@require_POST
@require(RESYNC)  # reads Intacct: spends API transactions
def run(request):
    connection = get_object_or_404(Connection, slug=_text(request.POST, "connection"))
    filters = _filters(request)
    day_from = _day(request.POST.get("from"), filters["from"])
    day_to = _day(request.POST.get("to"), filters["to"])
    async_task(
        "sync.tasks_ledger.reconcile_connection",
        connection.pk,
        day_from.isoformat(),
        day_to.isoformat(),
    )
    AuditEvent.objects.create(
        user=request.user,
        action=AuditEvent.Action.RESYNC,
        details={
            "reconcile": connection.slug,
            "from": str(day_from),
            "to": str(day_to),
        },
    )
    messages.success(
        request,
        f"Reconciliation of {connection} from {day_from} to {day_to} is queued; "
        "this page shows it when the worker is done.",
    )
    query = f"?connection={connection.slug}&from={day_from}&to={day_to}"
    return redirect(reverse("dashboard:reconciliation") + query)
