"""django-q2 tasks: thin, ids in, one service call each. The Posting table is the
outbox; these only wake workers, so a lost task never loses a posting — the
dispatcher re-sends whatever is due every minute."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from commerce.models import SourceRecord

from .batching import batches
from .models import Connection
from .outbox import connections_with_due_work, postings_recover_expired
from .services.execution import postings_execute
from .services.plan_context import context_for, marks_write
from .services.planning import plan_prefetch, record_plan, records_plan_together
from .services.runs import (
    connection_plan,
    kind_rank,
    plan_together,
    records_to_plan,
    runs_finish,
)
from .wakes import EXECUTE, PLAN, wake, woken

log = logging.getLogger(__name__)

PASSES_PER_TASK = 20
PLAN_TRIES = 3
PLAN_RECORDS = "sync.tasks.plan_records"
#: Record ids per planning task (an ingest batch holds up to 1,000).
PLAN_TASK_RECORDS = 1000


def plan_records(record_ids):
    """Plan newly stored records (a delivery's, an ingest batch's) for every
    connection they feed, then wake those connections' executors."""
    records = list(
        SourceRecord.objects.filter(pk__in=record_ids).select_related("source")
    )
    records.sort(key=lambda r: (kind_rank(r.kind), r.pk))
    sources = {r.source_id for r in records}
    connections = Connection.objects.filter(
        active=True, sources__in=sources, mapping_set__isnull=False
    ).distinct()
    for connection in connections:
        feeds = set(connection.sources.values_list("pk", flat=True))
        mine = [r for r in records if r.source_id in feeds]
        if mine and _plan_all(connection, mine):
            wake(EXECUTE, connection.pk)


def plan_record(record_id):
    """One record's planning (tasks queued before plan_records existed)."""
    plan_records([record_id])


def _plan_all(connection, records):
    """Plan ``records`` read ahead together; returns whether any posting is new."""
    ctx = context_for(connection)
    ctx.marks = []
    plan_prefetch(ctx, records)
    planned = False
    try:
        for together in batches(records, plan_together()):
            created = records_plan_together(ctx, together)
            if created is not None:
                planned |= bool(created)
                continue
            planned |= _plan_each(connection, ctx, together)
    finally:
        marks_write(ctx)
    return planned


def _plan_each(connection, ctx, records):
    """One record at a time, each in its own transaction; returns whether any
    posting is new."""
    planned = False
    for record in records:
        before = len(ctx.created)
        try:
            planned |= bool(record_plan(ctx=ctx, record=record))
        except OperationalError as exc:
            if "deadlock" not in str(exc):
                raise  # the dispatcher plans what is left unplanned
            # What the aborted transaction made is gone: the context forgets it
            # (the marks of records planned before it are kept).
            ctx.forget(since=before)
            planned |= bool(_plan_with_retries(connection, record))
    return planned


def _plan_with_retries(connection, record):
    """Two planners inserting the same customer posting from both ends (two orders
    of one buyer) can deadlock on PostgreSQL; the database aborts one of them, and
    planning is idempotent, so the loser simply plans again."""
    for attempt in range(1, PLAN_TRIES + 1):
        try:
            return record_plan(ctx=context_for(connection), record=record)
        except OperationalError as exc:
            if attempt == PLAN_TRIES or "deadlock" not in str(exc):
                raise  # the dispatcher plans what is left unplanned
            log.info("record %s: planning deadlocked, trying again", record.pk)
            time.sleep(0.05 * attempt)


def execute_connection(connection_id):
    """Send due postings for one connection: a bounded number of passes, and never
    longer than half of django-q2's task timeout (the next task carries on)."""
    woken(EXECUTE, connection_id)
    budget = settings.Q_CLUSTER["timeout"] / 2
    deadline = time.monotonic() + budget
    for _ in range(PASSES_PER_TASK):
        # A pass claims postings only with time left to send them (its sends stop
        # at the deadline, well before django-q2 would kill the task).
        if deadline - time.monotonic() < budget / 4:
            return
        limit = settings.SYNC_CLAIM_LIMIT
        report = postings_execute(
            connection_id=connection_id,
            worker="qcluster",
            send_by=deadline,
            limit=limit,
        )
        if report.paused or report.claimed == 0:
            return
        if report.claimed >= limit:
            # More may be due than one worker sends: let an idle one (in any
            # cluster) share it. Wakes coalesce, so this queues one task at most.
            wake(EXECUTE, connection_id)


def plan_connection(connection_id):
    """Plan every record of the connection that no task has planned yet."""
    woken(PLAN, connection_id)
    connection = Connection.objects.get(pk=connection_id)
    if connection_plan(connection=connection):
        wake(EXECUTE, connection.pk)


def dispatch_due():
    """Every minute: recover expired leases, plan what a lost task left unplanned,
    and wake a worker per connection with due work."""
    recovered = postings_recover_expired()
    if recovered:
        log.warning(
            "%s in-flight postings lost their worker; verifying them", recovered
        )
    for connection in Connection.objects.filter(active=True, mapping_set__isnull=False):
        if records_to_plan(connection=connection).exists():
            wake(PLAN, connection.pk)
    for connection_id in connections_with_due_work():
        wake(EXECUTE, connection_id)
    runs_finish()


def on_records_stored(sender, records, **kwargs):
    """Receiver of commerce.signals.records_stored (sent after the store committed):
    one planning task per batch of records, not one per record."""
    ids = [record.pk for record in records]
    for start in range(0, len(ids), PLAN_TASK_RECORDS):
        chunk = ids[start : start + PLAN_TASK_RECORDS]
        transaction.on_commit(lambda chunk=chunk: async_task(PLAN_RECORDS, chunk))


def task_results_prune():
    """Drop django-q2 task results older than TASK_RESULTS_KEEP_HOURS (the monitor
    keeps every result, see settings.Q_CLUSTER). Returns how many went."""
    from django_q.models import Task

    cutoff = timezone.now() - timedelta(hours=settings.TASK_RESULTS_KEEP_HOURS)
    deleted, _ = Task.objects.filter(stopped__lt=cutoff).delete()
    return deleted
