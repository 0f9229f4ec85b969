"""What a planning pass carries (``PlanContext``) and the small rules every planner
shares: a record's identity, its business date, whether an order is final, the
policy of a channel, the lock on a record's versions and batched PlanMarks."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection as db

from mappings.selectors import mapping_rules

from ..models import PlanMark

PAID = {"paid", "partially_refunded", "refunded"}


class ReadAheadStale(Exception):
    """A posting read ahead as missing was planned meanwhile by another worker."""


@dataclass
class PlanContext:
    connection: object
    rules: object
    run: object = None
    created: list = field(default_factory=list)
    #: Postings this context created or found, by idempotency key (a repeat buyer's
    #: customer posting is looked up once per planning pass, not once per order).
    known: dict = field(default_factory=dict)
    #: Read ahead for a batch of records (``plan_prefetch``): the newest customer
    #: record by (source id, external id), and the orders known to have no document
    #: posting of any version.
    customers: dict = field(default_factory=dict)
    without_documents: set = field(default_factory=set)
    #: Records that had no posting of their own when read: their postings are
    #: inserted without a lookup or a savepoint (a concurrent planner's row still
    #: wins, by the unique idempotency key, and record_plan plans the record again).
    unplanned: set = field(default_factory=set)
    #: A batch planner's PlanMarks, written together by ``marks_write``; None
    #: writes each as its record is planned.
    marks: list | None = None

    def forget(self, *, since):
        """After a rolled-back planning attempt: drop what it made and everything
        read ahead (records it stored, postings it believed missing)."""
        del self.created[since:]
        self.known.clear()
        self.customers.clear()
        self.without_documents.clear()
        self.unplanned.clear()


def source_identity(record):
    return f"{record.source_id}/{record.kind}/{record.external_id}"


def policy_for(rules, channel):
    """The posting policy of ``channel``, else the catch-all (blank channel) one."""
    by_channel = {p["channel"]: p for p in rules.policies}
    return by_channel.get(channel or "") or by_channel.get("")


def is_final(order, finality):
    if order.get("cancelled_at"):
        return False
    if finality == "paid":
        return order.get("financial_status") in PAID
    if finality == "fulfilled":
        return order.get("fulfillment_status") == "fulfilled"
    return bool(order.get("closed_at"))


def business_date(payload):
    stamp = payload.get("processed_at") or payload.get("created_at") or ""
    try:
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def context_for(connection, *, run=None):
    if connection.mapping_set_id is None:
        raise ValueError(f"connection {connection.slug} has no mapping set")
    return PlanContext(connection, mapping_rules(connection.mapping_set), run)


def marks_write(ctx):
    """Write the PlanMarks a batch planner collected (``PlanContext.marks``) in one
    insert. A mark only saves planning again: lost in a crash before this, its
    record is planned again, to the same postings (none, for a summary order)."""
    if ctx.marks:
        PlanMark.objects.bulk_create(ctx.marks, ignore_conflicts=True)
        ctx.marks = []


# Every stored version of one record, for the lock planners of that record share.
VERSIONS_SQL = (
    "SELECT version FROM commerce_sourcerecord"
    " WHERE source_id = %s AND kind = %s AND external_id = %s"
)


def newest_version_locked(record):
    """The newest stored version of ``record``, with its versions locked until the
    transaction ends (SQLite's write lock serializes planners there). Raw SQL:
    it runs once per record planned, and the ORM's query building cost more CPU
    than the query (issue 7 bench)."""
    locking = db.features.has_select_for_update
    with db.cursor() as cursor:
        cursor.execute(
            VERSIONS_SQL + (" FOR UPDATE" if locking else ""),
            [record.source_id, record.kind, record.external_id],
        )
        return max(version for (version,) in cursor.fetchall())


def newest_versions_locked(records):
    """``newest_version_locked`` for many records in one statement: the newest
    stored version of each, by (source id, kind, external id). Rows are locked in
    id order, so two batches that share records wait for each other instead of
    deadlocking."""
    identities = sorted({(r.source_id, r.kind, r.external_id) for r in records})
    if not identities:
        return {}
    placeholders = ", ".join(["(%s, %s, %s)"] * len(identities))  # values go apart
    sql = (
        "SELECT source_id, kind, external_id, version"  # noqa: S608
        " FROM commerce_sourcerecord"
        f" WHERE (source_id, kind, external_id) IN ({placeholders}) ORDER BY id"
    )
    if db.features.has_select_for_update:
        sql += " FOR UPDATE"
    with db.cursor() as cursor:
        cursor.execute(sql, [value for identity in identities for value in identity])
        newest = {}
        for source_id, kind, external_id, version in cursor.fetchall():
            key = (source_id, kind, external_id)
            newest[key] = max(version, newest.get(key, version))
    return newest
