"""django-q2 tasks for the ledger side: thin, ids in, one service each.

Schedules (add to ``ensure_schedules``):
- ``sync.tasks_ledger.summarize_all``   every 15 minutes (summaries of closed days)
- ``sync.tasks_ledger.readback_all``    every hour (AR status, incremental)
- ``sync.tasks_ledger.reconcile_daily`` daily at 04:00 (yesterday and the 6 days
  before it, so late corrections show up; verifies existence of bound invoices)
"""

import datetime as dt
import logging

from django.utils import timezone
from django_q.tasks import async_task

from .models import Connection
from .services.readback import readback_run
from .services.reconciliation import reconciliation_rows
from .services.summary import summary_plan
from .services.summary_periods import summaries_settle_closed
from .wakes import EXECUTE, wake

log = logging.getLogger(__name__)

RECONCILE_DAYS = 7


def _connections():
    return Connection.objects.filter(
        active=True, paused_at=None, mapping_set__isnull=False
    )


def summarize_all():
    for connection in _connections():
        async_task("sync.tasks_ledger.summarize_connection", connection.pk)


def summarize_connection(connection_id):
    """Plan due summary entries, settle closed-period refusals, wake the executor."""
    connection = Connection.objects.get(pk=connection_id)
    report = summary_plan(connection=connection)
    settled = summaries_settle_closed(connection=connection)
    if report.entries or settled:
        wake(EXECUTE, connection.pk)


def readback_all():
    for connection in _connections():
        async_task("sync.tasks_ledger.readback_connection", connection.pk)


def readback_connection(connection_id, verify_existence=False):
    connection = Connection.objects.get(pk=connection_id)
    report = readback_run(connection=connection, verify_existence=verify_existence)
    log.info("read-back %s: %s", connection.slug, report)


def reconcile_daily():
    """Every day: reconcile the last week of every connection (and read back first,
    with an existence check, so deleted documents are flagged)."""
    for connection in _connections():
        async_task("sync.tasks_ledger.reconcile_connection", connection.pk)


def reconcile_connection(connection_id, day_from=None, day_to=None):
    """On demand or daily: reconcile a range (ISO dates) for one connection."""
    connection = Connection.objects.get(pk=connection_id)
    today = timezone.localdate()
    day_to = dt.date.fromisoformat(day_to) if day_to else today - dt.timedelta(1)
    day_from = (
        dt.date.fromisoformat(day_from)
        if day_from
        else day_to - dt.timedelta(RECONCILE_DAYS - 1)
    )
    readback_run(connection=connection, verify_existence=True)
    rows = reconciliation_rows(connection=connection, day_from=day_from, day_to=day_to)
    log.info(
        "reconciled %s %s..%s: %s of %s rows differ",
        connection.slug,
        day_from,
        day_to,
        sum(not r.matches for r in rows),
        len(rows),
    )
