"""Reads for the dashboard, shaped for big tables: a fixed number of queries per
page (never one per row), capped or estimated counts, and filters that the existing
indexes serve (posting_status_idx, failure_open_idx, the primary keys)."""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection as db
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from ..models import ApiUsage, AuditEvent, Connection, Failure, Posting, SyncRun

S = Posting.Status
BACKLOG = (S.PENDING, S.IN_FLIGHT, S.UNCERTAIN)
#: Intacct's Tier 1 allowance (TEST-CATALOGUE "Performance limits"); override per
#: connection slug with settings.INTACCT_MONTHLY_TRANSACTIONS = {"slug": n, "*": n}.
DEFAULT_MONTHLY_TRANSACTIONS = 100_000
#: Counts stop here on filtered lists ("10,000+"): exact counts of big filtered
#: sets cost more than they tell.
COUNT_CAP = 10_000
CHART_DAYS = 7
CHART_CACHE_SECONDS = 60


def monthly_allowance(connection):
    configured = getattr(settings, "INTACCT_MONTHLY_TRANSACTIONS", None)
    if isinstance(configured, int):
        return configured
    configured = configured or {}
    return configured.get(
        connection.slug, configured.get("*", DEFAULT_MONTHLY_TRANSACTIONS)
    )


def estimated_count(model):
    """Rows in ``model``'s table: PostgreSQL's planner estimate, else a count."""
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [model._meta.db_table],
            )
            row = cursor.fetchone()
        if row and row[0] >= 0:
            return row[0]
    return model.objects.count()


def capped_count(queryset, cap=COUNT_CAP):
    """(count, capped?) without counting past ``cap``."""
    n = queryset.order_by()[: cap + 1].count()
    return min(n, cap), n > cap


# -- home -----------------------------------------------------------------------------


@dataclass
class Health:
    connection: Connection
    last_posted_at: dt.datetime | None = None
    backlog: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)
    today: int = 0
    month: int = 0
    rate_limited_today: int = 0
    rate_limited_month: int = 0
    allowance: int = DEFAULT_MONTHLY_TRANSACTIONS
    chart: dict | None = None

    @property
    def backlog_total(self):
        return sum(self.backlog.values())

    @property
    def failures_total(self):
        return sum(self.failures.values())

    @property
    def month_percent(self):
        return (
            min(100, round(100 * self.month / self.allowance)) if self.allowance else 0
        )

    @property
    def daily_allowance(self):
        return self.allowance // 30


def connections_health(*, with_chart=True):
    """Health of every connection, in a handful of queries whatever their number."""
    connections = list(Connection.objects.order_by("name"))
    by_id = {c.pk: Health(c, allowance=monthly_allowance(c)) for c in connections}
    if not by_id:
        return []
    _failures_by_category(by_id)
    for health in by_id.values():
        # One connection at a time: an equality on the leading column lets
        # posting_status_idx answer with a short index-only range scan.
        health.backlog = dict(
            Posting.objects.filter(
                connection_id=health.connection.pk, status__in=BACKLOG
            )
            .values("status")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("status", "n")
        )
        # Newest posted by id: the primary key walks backwards from the top and
        # stops at the first posted row, instead of sorting every posted one.
        last = (
            Posting.objects.filter(connection_id=health.connection.pk, status=S.POSTED)
            .order_by("-id")
            .values_list("updated_at", flat=True)
            .first()
        )
        health.last_posted_at = last
    today = timezone.now().date()
    for row in ApiUsage.objects.filter(
        connection_id__in=by_id, day__gte=today.replace(day=1)
    ).values("connection_id", "day", "transactions", "rate_limited"):
        health = by_id[row["connection_id"]]
        health.month += row["transactions"]
        health.rate_limited_month += row["rate_limited"]
        if row["day"] == today:
            health.today = row["transactions"]
            health.rate_limited_today = row["rate_limited"]
    if with_chart:
        charts = postings_charts(connection_ids=list(by_id))
        for pk, health in by_id.items():
            health.chart = charts[pk]
    return list(by_id.values())


#: Above this many open failures, the per-connection split by category (a join of
#: every open failure to its posting) gives way to per-connection totals.
SPLIT_LIMIT = 5_000


def _failures_by_category(by_id):
    """Open failures by category per connection. Each failed posting has exactly one
    open failure, so per-connection totals come from posting_status_idx; the split
    by category comes from failure_open_idx alone when it cannot be per connection."""
    open_failures = Failure.objects.filter(resolved_at=None)
    by_category = dict(
        open_failures.values("category")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("category", "n")
    )
    if len(by_id) == 1:
        (only,) = by_id.values()
        only.failures = by_category
        return
    if sum(by_category.values()) > SPLIT_LIMIT:
        for health in by_id.values():
            total = Posting.objects.filter(
                connection_id=health.connection.pk, status=S.FAILED
            ).count()
            health.failures = {"all categories": total} if total else {}
        return
    rows = (
        open_failures.values("posting__connection_id", "category")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        by_id[row["posting__connection_id"]].failures[row["category"]] = row["n"]


def first_id_since(model, field_name, since):
    """The smallest id whose ``field_name`` >= ``since``, by bisection on the primary
    key (ids grow with the auto-now timestamp): ~20 index probes, no table scan."""
    ids = model.objects.order_by()
    low = ids.order_by("id").values_list("id", flat=True).first()
    high = ids.order_by("-id").values_list("id", flat=True).first()
    if low is None:
        return None
    while low < high:
        mid = (low + high) // 2
        stamp = (
            ids.filter(id__gte=mid)
            .order_by("id")
            .values_list(field_name, flat=True)
            .first()
        )
        if stamp is not None and stamp >= since:
            high = mid
        else:
            low = mid + 1
    return low


def postings_charts(*, connection_ids, days=CHART_DAYS, now=None):
    """Per connection: postings posted and failed per hour over ``days``, cached for a
    minute. One bisection and one grouped query, whatever the number of connections.

    Rows are picked by id from the first one created in the window: a posting
    created before it and settled inside it is not drawn (rare, and a chart)."""
    now = now or timezone.now()
    end = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    key = f"dashboard:charts:{days}:{end:%Y%m%d%H}"
    charts = cache.get(key) or {}
    missing = [pk for pk in connection_ids if pk not in charts]
    if not missing:
        return charts
    start = end - dt.timedelta(days=days)
    hours = [start + dt.timedelta(hours=h) for h in range(days * 24)]
    counts = {pk: {S.POSTED: {}, S.FAILED: {}} for pk in missing}
    first = first_id_since(Posting, "created_at", start)
    if first is not None:
        rows = (
            Posting.objects.filter(
                id__gte=first,
                connection_id__in=missing,
                status__in=[S.POSTED, S.FAILED],
                updated_at__gte=start,
            )
            .annotate(hour=TruncHour("updated_at"))
            .values("connection_id", "hour", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            counts[row["connection_id"]][row["status"]][row["hour"]] = row["n"]
    for pk in missing:
        charts[pk] = _chart_shape(hours, counts[pk][S.POSTED], counts[pk][S.FAILED])
    cache.set(key, charts, CHART_CACHE_SECONDS)
    return charts


def _chart_shape(hours, posted, failed, width=672, height=120):
    """Bars for an inline SVG: one slot per hour, failed stacked on posted."""
    posted = {h: posted.get(h, 0) for h in hours}
    failed = {h: failed.get(h, 0) for h in hours}
    peak = max([posted[h] + failed[h] for h in hours] + [1])
    slot = width / len(hours)
    bars = []
    for i, hour in enumerate(hours):
        p = posted[hour] * height / peak
        f = failed[hour] * height / peak
        bars.append(
            {
                "x": round(i * slot, 2),
                "w": round(max(slot - 0.5, 0.5), 2),
                "posted_y": round(height - p, 2),
                "posted_h": round(p, 2),
                "failed_y": round(height - p - f, 2),
                "failed_h": round(f, 2),
                "title": f"{hour:%a %H:00}: {posted[hour]} posted, "
                f"{failed[hour]} failed",
            }
        )
    days = [
        {"x": round(i * slot, 2), "label": f"{hour:%a %d}"}
        for i, hour in enumerate(hours)
        if hour.hour == 0
    ]
    return {
        "bars": bars,
        "days": days,
        "width": width,
        "height": height,
        "peak": peak,
        "posted": sum(posted.values()),
        "failed": sum(failed.values()),
    }


# -- runs -----------------------------------------------------------------------------


def run_progress(run):
    """Counts of a run for the progress bar; ``remaining`` from its postings."""
    remaining = 0
    if run.status == SyncRun.Status.RUNNING:
        remaining = Posting.objects.filter(run_id=run.pk, status__in=BACKLOG).count()
    settled = run.posted + run.failed + run.skipped
    total = max(run.planned, settled + remaining)
    done = total - remaining
    return {
        "id": run.pk,
        "status": run.status,
        "planned": run.planned,
        "posted": run.posted,
        "failed": run.failed,
        "skipped": run.skipped,
        "remaining": remaining,
        "percent": 100 if not total else round(100 * done / total),
        "api_transactions": run.api_transactions,
        "finished": run.status != SyncRun.Status.RUNNING or remaining == 0,
    }


def running_runs():
    runs = list(
        SyncRun.objects.filter(status=SyncRun.Status.RUNNING)
        .select_related("connection")
        .order_by("-created_at")[:20]
    )
    if not runs:
        return []
    remaining = dict(
        Posting.objects.filter(run_id__in=[r.pk for r in runs], status__in=BACKLOG)
        .values("run_id")
        .annotate(n=Count("id"))
        .values_list("run_id", "n")
    )
    out = []
    for run in runs:
        progress = run_progress_from(run, remaining.get(run.pk, 0))
        out.append((run, progress))
    return out


def run_progress_from(run, remaining):
    settled = run.posted + run.failed + run.skipped
    total = max(run.planned, settled + remaining)
    return {
        "percent": 100 if not total else round(100 * (total - remaining) / total),
        "remaining": remaining,
    }


def run_list(*, connection_id=None, kind="", status=""):
    runs = SyncRun.objects.select_related("connection", "requested_by")
    if connection_id:
        runs = runs.filter(connection_id=connection_id)
    if kind:
        runs = runs.filter(kind=kind)
    if status:
        runs = runs.filter(status=status)
    return runs.order_by("-created_at", "-id")


def run_postings_by_status(run):
    return dict(
        Posting.objects.filter(run_id=run.pk)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("status", "n")
    )


# -- the failure queue ----------------------------------------------------------------

AGES = {
    "1h": ("Last hour", dt.timedelta(hours=1), None),
    "24h": ("Last 24 hours", dt.timedelta(days=1), None),
    "7d": ("Last 7 days", dt.timedelta(days=7), None),
    "old": ("Older than 7 days", None, dt.timedelta(days=7)),
}


def failure_queue(
    *,
    user,
    connection_id=None,
    category="",
    action="",
    age="",
    assignee="",
    state="open",
    now=None,
):
    """Failures, newest first, with everything a row shows joined in."""
    now = now or timezone.now()
    failures = Failure.objects.select_related(
        "posting", "posting__connection", "posting__source_record", "assigned_to"
    ).defer("posting__payload", "posting__source_record__payload", "details")
    if state == "resolved":
        failures = failures.filter(resolved_at__isnull=False)
    elif state != "all":
        failures = failures.filter(resolved_at=None)
    if connection_id:
        failures = failures.filter(posting__connection_id=connection_id)
    if category:
        failures = failures.filter(category=category)
    if action:
        failures = failures.filter(posting__action=action)
    if age in AGES:
        _, newer, older = AGES[age]
        if newer:
            failures = failures.filter(created_at__gte=now - newer)
        if older:
            failures = failures.filter(created_at__lt=now - older)
    if assignee == "me":
        failures = failures.filter(assigned_to=user)
    elif assignee == "none":
        failures = failures.filter(assigned_to=None)
    elif assignee.isdigit():
        failures = failures.filter(assigned_to_id=int(assignee))
    if category and state == "open":
        return failures.order_by("-created_at")  # failure_open_idx order
    return failures.order_by("-id")  # ids grow with created_at; the pk serves


def failure_for_detail(pk):
    return Failure.objects.select_related(
        "posting",
        "posting__connection",
        "posting__connection__mapping_set",
        "posting__source_record",
        "posting__source_record__source",
        "posting__run",
        "assigned_to",
        "resolved_by",
    ).get(pk=pk)


def failure_history(failure):
    attempts = list(failure.posting.attempts.order_by("number")[:100])
    events = list(
        AuditEvent.objects.filter(Q(failure=failure) | Q(posting=failure.posting_id))
        .select_related("user")
        .order_by("at", "id")[:100]
    )
    return attempts, events


VALUE_MAP_MISS = re.compile(r"value map '([^']+)' has no entry for '([^']*)'")


def mapping_problems(failure):
    """Which mapping caused ``failure``: [{target, value_map, value, message}]."""
    errors = (failure.details or {}).get("errors") or []
    if not errors and failure.category == Failure.Category.MISSING_MAPPING:
        errors = [{"target": "", "message": failure.message}]
    problems = []
    for error in errors:
        message = error.get("message", "")
        miss = VALUE_MAP_MISS.search(message)
        if error.get("category", "missing_mapping") != "missing_mapping" and not miss:
            continue
        problems.append(
            {
                "target": error.get("target", ""),
                "line_scope": error.get("line_scope", ""),
                "value_map": miss.group(1) if miss else "",
                "value": miss.group(2) if miss else "",
                "message": message,
            }
        )
    return problems


def usage_totals(connection):
    """Billed transactions and 429s this month (used by the connection test page)."""
    today = timezone.now().date()
    return ApiUsage.objects.filter(
        connection=connection, day__gte=today.replace(day=1)
    ).aggregate(transactions=Sum("transactions"), rate_limited=Sum("rate_limited"))
