"""Resync from the browser: show what a resync would re-post and what it costs, then
do it through the same idempotent path as every other pass.

A scope is one source record, one sync run, one failure category or a ``received_at``
date range. Within it, each record's latest version is looked at once:

1. never planned -> planned by ``record_plan`` (the planner's own idempotency keys);
2. an open failure -> re-mapped with the current rules and re-queued by
   ``failure_retry`` (with the re-mapped payload when it changed);
3. posted, mapped payload unchanged -> nothing at all: no Intacct call;
4. posted, payload changed -> a customer or item the hub may update gets an update
   posting (its key includes the payload hash, so a second resync finds it); a
   posted document is never re-sent, it is listed as needing a correction;
5. queued, in flight or skipped -> left alone.

The preview plans inside a transaction that is rolled back, so what it shows is what
the planner would do, not a guess.
"""

import datetime as dt
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from commerce.models import SourceRecord
from mappings.engine import map_record
from mappings.models import Action, OwnershipRule

from ..intacct.constants import FIND_BATCH
from ..models import AuditEvent, Failure, Posting, SyncRun
from .failures import ResolutionError, failure_retry
from .plan_context import context_for, source_identity
from .planning import record_plan

S = Posting.Status
UPDATABLE = {Action.UPSERT_CUSTOMER, Action.UPSERT_ITEM}
#: A preview lists this many items one by one; the counts cover everything.
SAMPLE_SIZE = 50


class ResyncError(ValueError):
    """The scope is not something a resync can cover; the message says why."""


@dataclass(frozen=True)
class ResyncScope:
    """What to resync: exactly one of a record, a run, a category or a date range."""

    kind: str  # "record" | "run" | "category" | "dates"
    record_id: int | None = None
    run_id: int | None = None
    category: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    KINDS = ("record", "run", "category", "dates")

    def __post_init__(self):
        if self.kind not in self.KINDS:
            raise ResyncError(f"unknown resync scope {self.kind!r}")
        missing = {
            "record": self.record_id is None,
            "run": self.run_id is None,
            "category": self.category not in Failure.Category.values,
            "dates": not (self.date_from and self.date_to),
        }[self.kind]
        if missing:
            raise ResyncError(f"a {self.kind} resync needs its {self.kind}")
        if self.kind == "dates" and self.date_from > self.date_to:
            raise ResyncError("the date range ends before it starts")

    def to_dict(self):
        data = {"kind": self.kind}
        for name in ("record_id", "run_id", "category"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        if self.kind == "dates":
            data["date_from"] = self.date_from.isoformat()
            data["date_to"] = self.date_to.isoformat()
        return data

    def describe(self):
        return {
            "record": f"source record #{self.record_id}",
            "run": f"sync run #{self.run_id}",
            "category": f"open {self.category} failures",
            "dates": f"records received {self.date_from} to {self.date_to}",
        }[self.kind]


@dataclass
class ResyncItem:
    record_id: int | None
    label: str
    action: str
    outcome: str  # post | retry | update | unchanged | correction | blocked | busy
    note: str = ""


@dataclass
class ResyncPreview:
    scope: ResyncScope
    records: int = 0
    to_post: int = 0
    to_retry: int = 0
    to_update: int = 0
    unchanged: int = 0
    needs_correction: int = 0
    blocked: int = 0
    busy: int = 0
    writes: int = 0
    pre_reads: int = 0
    items: list = field(default_factory=list)

    @property
    def transactions(self):
        """Billed Intacct API transactions: one per write, plus batched pre-reads."""
        return self.writes + self.pre_reads

    @property
    def changes_anything(self):
        return bool(self.to_post or self.to_retry or self.to_update)

    def add(self, item):
        if len(self.items) < SAMPLE_SIZE:
            self.items.append(item)

    def summary(self):
        data = asdict(self)
        data.pop("items")
        data["scope"] = self.scope.to_dict()
        data["transactions"] = self.transactions
        return data


@dataclass
class _Plan:
    """What a scope calls for, before anything is done."""

    unplanned: list = field(default_factory=list)  # SourceRecords
    retries: list = field(default_factory=list)  # (Failure, payload or None)
    updates: list = field(default_factory=list)  # (Posting, new payload, version)
    verify_objects: dict = field(default_factory=dict)  # object -> pre-read count


def _latest_versions(records):
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
    return records.filter(version=Subquery(latest))


def scope_records(*, connection, scope):
    """The latest version of every source record the scope covers."""
    own = SourceRecord.objects.filter(source__in=connection.sources.all())
    if scope.kind == "record":
        record = own.filter(pk=scope.record_id).first()
        if record is None:
            raise ResyncError("no such source record for this connection")
        same = own.filter(
            source_id=record.source_id, kind=record.kind, external_id=record.external_id
        )
        return same.order_by("-version")[:1]
    if scope.kind == "run":
        if not SyncRun.objects.filter(pk=scope.run_id, connection=connection).exists():
            raise ResyncError("no such run for this connection")
        ids = Posting.objects.filter(run_id=scope.run_id).values("source_record_id")
        records = own.filter(pk__in=ids)
    elif scope.kind == "category":
        ids = Posting.objects.filter(
            connection=connection,
            failures__resolved_at=None,
            failures__category=scope.category,
        ).values("source_record_id")
        records = own.filter(pk__in=ids)
    else:
        start = dt.datetime.combine(scope.date_from, dt.time.min, tzinfo=dt.UTC)
        end = dt.datetime.combine(scope.date_to, dt.time.min, tzinfo=dt.UTC)
        records = own.filter(
            received_at__gte=start, received_at__lt=end + dt.timedelta(days=1)
        )
    return _latest_versions(records).order_by("received_at", "id")


def _label(record):
    return f"{record.kind} {record.external_id} v{record.version}"


def _body_hash(body):
    text = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _classify(connection, scope, preview):
    """Fill ``preview`` with the existing postings' fate; return what to do."""
    ctx = context_for(connection)
    rules = ctx.rules
    plan = _Plan()
    records = list(scope_records(connection=connection, scope=scope))
    preview.records = len(records)
    postings_of = {}
    postings = (
        Posting.objects.filter(
            connection=connection, source_record__in=[r.pk for r in records]
        )
        .exclude(action=Action.REVERSE_OR_VOID)
        .order_by("id")
    )
    for posting in postings:
        # The newest posting per action is what Intacct last got for it.
        postings_of.setdefault(posting.source_record_id, {})[posting.action] = posting
    open_failures = {
        f.posting_id: f
        for f in Failure.objects.filter(
            resolved_at=None,
            posting__in=[p.pk for ps in postings_of.values() for p in ps.values()],
        )
    }
    for record in records:
        mine = postings_of.get(record.pk)
        if not mine:
            plan.unplanned.append(record)
            continue
        for posting in mine.values():
            failure = open_failures.get(posting.pk)
            item, counter = _classify_posting(record, posting, failure, rules, plan)
            setattr(preview, counter, getattr(preview, counter) + 1)
            preview.add(item)
    if scope.kind == "category":
        # Summaries and other postings without a source record: plain retries.
        for failure in Failure.objects.filter(
            resolved_at=None,
            category=scope.category,
            posting__connection=connection,
            posting__source_record=None,
        ).select_related("posting"):
            plan.retries.append((failure, None))
            preview.to_retry += 1
            label = f"posting #{failure.posting_id}"
            preview.add(ResyncItem(None, label, failure.posting.action, "retry"))
    return ctx, plan


def _classify_posting(record, posting, failure, rules, plan):
    label = _label(record)
    if posting.status in (S.PENDING, S.IN_FLIGHT, S.UNCERTAIN):
        return (
            ResyncItem(record.pk, label, posting.action, "busy", "already queued"),
            "busy",
        )
    if posting.status == S.SKIPPED:
        return (
            ResyncItem(record.pk, label, posting.action, "busy", posting.skip_reason),
            "busy",
        )
    mapped = map_record(record.payload, rules, action=posting.action)
    if posting.status == S.FAILED:
        if failure is None:
            note = "failed, but its failure is already resolved"
            return (
                ResyncItem(record.pk, label, posting.action, "busy", note),
                "busy",
            )
        if not mapped.ok:
            note = "; ".join(f"{e.target}: {e.message}" for e in mapped.errors)
            return (
                ResyncItem(record.pk, label, posting.action, "blocked", note),
                "blocked",
            )
        body = mapped.body()
        changed = body != posting.payload
        plan.retries.append((failure, body if changed else None))
        if posting.attempt_count > 0:
            obj = posting.intacct_object
            plan.verify_objects[obj] = plan.verify_objects.get(obj, 0) + 1
        note = "with the re-mapped payload" if changed else "same payload"
        return (
            ResyncItem(record.pk, label, posting.action, "retry", note),
            "to_retry",
        )
    # Posted.
    if not mapped.ok or mapped.body() == posting.payload:
        note = "mapped payload unchanged" if mapped.ok else "mapping now fails"
        return (
            ResyncItem(record.pk, label, posting.action, "unchanged", note),
            "unchanged",
        )
    hub_may = rules.ownership_for(posting.action).hub_may
    if (
        posting.action in UPDATABLE
        and hub_may == OwnershipRule.HubMay.CREATE_AND_UPDATE
    ):
        plan.updates.append((posting, mapped.body(), mapped.mapping_version))
        return (
            ResyncItem(record.pk, label, posting.action, "update", "payload changed"),
            "to_update",
        )
    note = "posted document differs; correct it in Intacct (never re-sent)"
    return (
        ResyncItem(record.pk, label, posting.action, "correction", note),
        "needs_correction",
    )


class _DryRun(Exception):
    pass


def _dry_plan(ctx, records, preview):
    """Plan inside a transaction that is then rolled back; count what it made."""
    try:
        with transaction.atomic():
            for record in records:
                for posting in record_plan(ctx=ctx, record=record):
                    posting.refresh_from_db(fields=["status"])
                    _count_planned(record, posting, preview)
            raise _DryRun
    except _DryRun:
        pass


def _count_planned(record, posting, preview):
    if posting.status == S.PENDING:
        preview.to_post += 1
        preview.add(ResyncItem(record.pk, _label(record), posting.action, "post"))
    elif posting.status == S.FAILED:
        preview.blocked += 1
        failure = posting.failures.filter(resolved_at=None).first()
        note = failure.message if failure else "fails when planned"
        preview.add(
            ResyncItem(record.pk, _label(record), posting.action, "blocked", note)
        )


def _costs(plan, preview):
    preview.writes = preview.to_post + preview.to_retry + preview.to_update
    preview.pre_reads = sum(
        math.ceil(n / FIND_BATCH) for n in plan.verify_objects.values()
    )


def resync_preview(*, connection, scope) -> ResyncPreview:
    """What a resync of ``scope`` would re-post, and the API transactions it costs."""
    preview = ResyncPreview(scope=scope)
    ctx, plan = _classify(connection, scope, preview)
    _dry_plan(ctx, plan.unplanned, preview)
    _costs(plan, preview)
    return preview


def resync_start(*, connection, scope, user) -> SyncRun:
    """Do the resync of ``scope`` as one audited run; workers send what it queued."""
    from ..wakes import EXECUTE, wake

    preview = ResyncPreview(scope=scope)
    with transaction.atomic():
        ctx, plan = _classify(connection, scope, preview)
        run = SyncRun.objects.create(
            connection=connection,
            kind=SyncRun.Kind.RESYNC,
            status=SyncRun.Status.RUNNING,
            scope=scope.to_dict(),
            requested_by=user,
            started_at=timezone.now(),
        )
        ctx.run = run
        for record in plan.unplanned:
            for posting in record_plan(ctx=ctx, record=record):
                posting.refresh_from_db(fields=["status"])
                _count_planned(record, posting, preview)
        queued = [p.pk for p in ctx.created if p.status != S.FAILED]
        retried = []
        for failure, payload in plan.retries:
            try:
                posting = failure_retry(failure=failure, user=user, payload=payload)
            except ResolutionError:
                preview.to_retry -= 1
                continue
            retried.append(posting.pk)
        for posting, body, version in plan.updates:
            queued.append(_update_posting(run, posting, body, version).pk)
        Posting.objects.filter(pk__in=retried).update(run=run)
        _costs(plan, preview)
        run.planned = len(queued) + len(retried)
        run.save(update_fields=["planned"])
        AuditEvent.objects.create(
            user=user,
            action=AuditEvent.Action.RESYNC,
            details={"run": run.pk, "connection": connection.slug, **preview.summary()},
        )
        if run.planned == 0:
            run.status = SyncRun.Status.DONE
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "finished_at"])
        else:
            transaction.on_commit(lambda: wake(EXECUTE, connection.pk))
    return run


def _update_posting(run, posting, body, version):
    """A new posting that updates a customer or item with a changed payload."""
    record = posting.source_record
    key = Posting.make_idempotency_key(
        connection_id=posting.connection_id,
        action=posting.action,
        source_identity=source_identity(record),
        version=f"{record.version}/resync-{_body_hash(body)}",
    )
    try:
        with transaction.atomic():
            return Posting.objects.create(
                connection_id=posting.connection_id,
                run=run,
                source_record=record,
                action=posting.action,
                intacct_object=posting.intacct_object,
                idempotency_key=key,
                payload=body,
                mapping_version=version,
            )
    except IntegrityError:
        return Posting.objects.get(idempotency_key=key)
