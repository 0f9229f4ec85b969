"""Running the pipeline for a connection: plan what is new, then post until nothing
is due. ``sync_once`` is the synchronous form used by scripts, demos and tests; the
django-q2 tasks in ``sync.tasks`` do the same work in the background."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django import db
from django.db.models import Count, Exists, Max, OuterRef, Subquery
from django.utils import timezone

from commerce.models import SourceRecord

from ..batching import batches
from ..models import PlanMark, Posting, SyncRun
from ..outbox import postings_recover_expired
from .execution import postings_execute
from .plan_context import context_for, marks_write
from .planning import plan_prefetch, record_plan, records_plan_together

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


def plan_together():
    """Records planned in one transaction (planning.records_plan_together). On
    PostgreSQL it locks only those records' rows. On SQLite it holds the database's
    one write lock, which webhooks, claims and the shared rate limiter's slots wait
    for: a hundred records' hold delays requests that already have their rate
    slot, and delayed requests reach Intacct bunched (the scale-out rate test
    once saw 12 in a second at a limit of 10 on SQLite)."""
    return 100 if db.connection.vendor == "postgresql" else 10


def kind_rank(kind):
    """Planning order of a record kind: dependencies first."""
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def connection_plan(*, connection, run=None):
    """Plan every unplanned record of the connection, dependencies first."""
    ctx = context_for(connection, run=run)
    ctx.marks = []
    pending = list(records_to_plan(connection=connection))
    pending.sort(key=lambda r: kind_rank(r.kind))
    for batch in batches(pending, PLAN_BATCH):
        plan_prefetch(ctx, batch)
        try:
            for together in batches(batch, plan_together()):
                if records_plan_together(ctx, together) is None:
                    for record in together:  # and a record that fails says why
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


def sync_once(*, connection, user=None, max_passes=1000, workers=1, **client_options):
    """Plan, then execute until nothing is due; returns the SyncRun.

    ``workers`` executors claim and send side by side, each on its own thread and
    database connection, as that many worker processes would: up to the
    connection's concurrency cap they have requests in flight at once. In one
    process they share one interpreter lock, so this overlaps waiting on Intacct
    and the database, not the hub's own CPU.
    """
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
    team = _Executors(connection, max_passes, client_options)
    names = [f"sync-once-{run.pk}-{n}" for n in range(1, workers + 1)]
    if workers == 1:
        team.execute_until_idle(names[0])
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="sync-once") as pool:
            passes = [pool.submit(team.on_own_connection, name) for name in names]
            for executed in passes:
                executed.result()  # an executor's error is the caller's
    run.refresh_from_db()
    run.status = SyncRun.Status.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return run


class _Executors:
    """The executors of one ``sync_once``. One stops when it finds nothing due and
    no other is in the middle of a pass; while one is, what it settles may make
    more due (a credit memo once its invoice is posted), so the idle one waits for
    that pass to end and looks again."""

    def __init__(self, connection, max_passes, client_options):
        self.connection = connection
        self.max_passes = max_passes
        self.client_options = client_options
        self.in_pass = 0
        self.pass_ended = threading.Condition()

    def on_own_connection(self, worker):
        """``execute_until_idle`` on this thread's own database connection."""
        try:
            self.execute_until_idle(worker)
        finally:
            db.connections.close_all()

    def execute_until_idle(self, worker):
        for _ in range(self.max_passes):
            postings_recover_expired()
            with self.pass_ended:
                self.in_pass += 1
            try:
                report = postings_execute(
                    connection_id=self.connection.pk,
                    worker=worker,
                    **self.client_options,
                )
            finally:
                with self.pass_ended:
                    self.in_pass -= 1
                    self.pass_ended.notify_all()
            if report.paused:
                return
            if report.claimed == 0:
                with self.pass_ended:
                    if self.in_pass == 0:
                        return
                    self.pass_ended.wait(timeout=5)
