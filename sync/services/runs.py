"""Running the pipeline for a connection: plan what is new, then post until nothing
is due. ``sync_once`` is the synchronous form used by scripts, demos and tests; the
django-q2 tasks in ``sync.tasks`` do the same work in the background."""

import logging

from django.db.models import Count, Exists, Max, OuterRef, Subquery
from django.utils import timezone

from commerce.models import SourceRecord

from ..models import PlanMark, Posting, SyncRun
from ..outbox import postings_recover_expired
from .execution import postings_execute
from .plan_context import context_for, marks_write
from .planning import plan_prefetch, record_plan

log = logging.getLogger(__name__)

#: Dependencies first: customers and items before the documents that need them.
KIND_ORDER = ["customer", "product", "order", "refund", "inventory_adjustment"]
#: Records read ahead together by the planner (see planning.plan_prefetch).
PLAN_BATCH = 500
FINAL = (Posting.Status.POSTED, Posting.Status.SKIPPED, Posting.Status.FAILED)


def records_to_plan(*, connection):
    """Latest version of every record of the connection's sources not yet planned."""
    latest = (
        SourceRecord.objects.filter(
            source_id=OuterRef("source_id"),
            kind=OuterRef("kind"),
            external_id=OuterRef("external_id"),
        )
        .values("source_id", "kind", "external_id")
        .annotate(top=Max("version"))
        .values("top")
    )
    planned = Posting.objects.filter(
        connection_id=connection.pk, source_record_id=OuterRef("pk")
    )
    marked = PlanMark.objects.filter(
        connection_id=connection.pk, source_record_id=OuterRef("pk")
    )
    return (
        SourceRecord.objects.filter(source__in=connection.sources.all())
        .filter(version=Subquery(latest))
        .exclude(Exists(planned))
        .exclude(Exists(marked))
        .select_related("source")
        .order_by("received_at", "id")
    )


def kind_rank(kind):
    """Planning order of a record kind: dependencies first."""
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def connection_plan(*, connection, run=None):
    """Plan every unplanned record of the connection, dependencies first."""
    ctx = context_for(connection, run=run)
    ctx.marks = []
    pending = list(records_to_plan(connection=connection))
    pending.sort(key=lambda r: kind_rank(r.kind))
    for start in range(0, len(pending), PLAN_BATCH):
        batch = pending[start : start + PLAN_BATCH]
        plan_prefetch(ctx, batch)
        try:
            for record in batch:
                record_plan(ctx=ctx, record=record)
        finally:
            marks_write(ctx)  # the planned ones' marks, even if one record failed
    return ctx.created


def runs_finish():
    """Mark running runs done once every posting they planned is final."""
    finished = 0
    for run in SyncRun.objects.filter(status=SyncRun.Status.RUNNING):
        if not run.postings.exclude(status__in=FINAL).exists():
            counts = run.postings.values("status").annotate(n=Count("id"))
            by_status = {row["status"]: row["n"] for row in counts}
            SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
                status=SyncRun.Status.DONE,
                finished_at=timezone.now(),
                posted=by_status.get(Posting.Status.POSTED, 0),
                failed=by_status.get(Posting.Status.FAILED, 0),
                skipped=by_status.get(Posting.Status.SKIPPED, 0),
            )
            finished += 1
    return finished


def sync_once(*, connection, user=None, max_passes=1000, **client_options):
    """Plan, then execute until nothing is due; returns the SyncRun."""
    run = SyncRun.objects.create(
        connection=connection,
        kind=SyncRun.Kind.INCREMENTAL,
        status=SyncRun.Status.RUNNING,
        requested_by=user,
        started_at=timezone.now(),
    )
    created = connection_plan(connection=connection, run=run)
    run.planned = len(created)
    run.save(update_fields=["planned"])
    for _ in range(max_passes):
        postings_recover_expired()
        report = postings_execute(
            connection_id=connection.pk, worker=f"sync-once-{run.pk}", **client_options
        )
        if report.paused or report.claimed == 0:
            break
    run.refresh_from_db()
    run.status = SyncRun.Status.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return run
