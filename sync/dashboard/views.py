"""Home, sync runs and the ops pages (connection test, resume)."""

import time

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from ..clients import client_for
from ..intacct import IntacctError
from ..models import Connection, Failure, SyncRun
from ..services.execution import connection_resume
from . import selectors
from .context import page_context
from .links import ownership_url
from .permissions import RESYNC, SUPERUSER, VIEW, VIEW_RUNS, allowed, require

#: Extra arguments for ``client_for`` (tests put the in-process sandbox here).
CLIENT_OPTIONS = {}


@require_GET
@require(VIEW)
def home(request):
    health = selectors.connections_health()
    context = page_context(
        request,
        "Integration health",
        health=health,
        categories=Failure.Category.choices,
        runs=selectors.running_runs(),
    )
    return TemplateResponse(request, "dashboard/home.html", context)


@require_POST
@require(SUPERUSER)
def resume(request, slug):
    connection = get_object_or_404(Connection, slug=slug)
    connection_resume(connection=connection)
    messages.success(request, f"{connection}: resumed; postings will go out again.")
    return redirect("dashboard:home")


@require(VIEW)
def connection_test(request, slug):
    """Log in, read, time it, and ask which actions this Intacct user may perform."""
    connection = get_object_or_404(Connection, slug=slug)
    result = None
    if request.method == "POST":
        if not allowed(request.user, RESYNC):
            raise PermissionDenied
        result = run_connection_test(connection)
    context = page_context(
        request,
        f"Test connection: {connection}",
        connection=connection,
        result=result,
        usage=selectors.usage_totals(connection),
        ownership_url=ownership_url(connection),
    )
    return TemplateResponse(request, "dashboard/connection_test.html", context)


def run_connection_test(connection):
    steps, permissions = [], None
    try:
        with client_for(connection, **CLIENT_OPTIONS) as client:
            started = time.monotonic()
            dimensions = client.read_dimensions()
            ms = int((time.monotonic() - started) * 1000)
            values = sum(len(d.values) for d in dimensions)
            detail = f"{len(dimensions)} dimensions, {values} values"
            steps.append(("Log in and read dimensions", True, ms, detail))
            started = time.monotonic()
            permissions = sorted(client.check_permissions().items())
            ms = int((time.monotonic() - started) * 1000)
            allowed = sum(1 for _, ok in permissions if ok)
            steps.append(
                ("Check permissions", True, ms, f"{allowed}/{len(permissions)} allowed")
            )
    except IntacctError as exc:
        steps.append(("Intacct refused", False, 0, str(exc)))
    ok = all(step[1] for step in steps)
    latency = max((s[2] for s in steps[:1]), default=0)
    return {"ok": ok, "steps": steps, "permissions": permissions, "latency": latency}


@require_GET
@require(VIEW_RUNS)
def runs(request):
    # Filters come from links and the address bar: anything else is no filter.
    connection_id = _whole_number(request.GET.get("connection"))
    kind = _choice(request.GET.get("kind"), SyncRun.Kind.values)
    status = _choice(request.GET.get("status"), SyncRun.Status.values)
    runs = selectors.run_list(connection_id=connection_id, kind=kind, status=status)
    # Never counted: next/previous only, the runs table only grows.
    number = _whole_number(request.GET.get("page")) or 1
    rows = list(runs[(number - 1) * 50 : number * 50 + 1])
    context = page_context(
        request,
        "Sync runs",
        rows=rows[:50],
        page=number,
        has_next=len(rows) > 50,
        connections=Connection.objects.order_by("name"),
        kinds=SyncRun.Kind.choices,
        statuses=SyncRun.Status.choices,
        filters={"connection": connection_id or "", "kind": kind, "status": status},
    )
    return TemplateResponse(request, "dashboard/runs.html", context)


def _whole_number(text, *, high=10**9):
    """A positive whole number below ``high`` (it stays a database integer as an
    id or a page offset), else None."""
    try:
        number = int(text or "")
    except ValueError:
        return None
    return number if 0 < number < high else None


def _choice(text, allowed):
    return text if text in allowed else ""


@require_GET
@require(VIEW_RUNS)
def run_detail(request, pk):
    run = get_object_or_404(
        SyncRun.objects.select_related("connection", "requested_by"), pk=pk
    )
    context = page_context(
        request,
        f"Sync run #{run.pk}",
        run=run,
        progress_items=[(run, selectors.run_progress(run))],
        by_status=selectors.run_postings_by_status(run),
    )
    return TemplateResponse(request, "dashboard/run_detail.html", context)


@require_GET
@require(VIEW_RUNS)
def run_progress(request, pk):
    """The progress bar's poll: counts only."""
    run = get_object_or_404(SyncRun, pk=pk)
    return JsonResponse(selectors.run_progress(run))
