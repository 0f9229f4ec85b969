"""Storing normalized records: versioned by content, stale-safe, announced on commit."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction

from intacct_hub.rows import rows_insert

from .models import SourceRecord, content_hash
from .schema import SCHEMA_VERSION
from .signals import record_stored, records_stored

logger = logging.getLogger(__name__)

# Concurrent writers of the same record collide on the version constraint; the loser
# re-reads and tries again. More than a handful of collisions means something is wrong.
STORE_ATTEMPTS = 5


@dataclass(frozen=True)
class NormalizedRecord:
    """A record in the normalized schema, ready to store."""

    kind: str
    external_id: str
    data: dict
    tombstone: bool = False

    @property
    def identity(self):
        return (self.kind, self.external_id)

    def payload(self):
        return {"schema_version": SCHEMA_VERSION, **self.data}


@dataclass(frozen=True)
class StoreResult:
    """What happened to one record: created, unchanged (same content) or stale."""

    kind: str
    external_id: str
    outcome: str
    version: int | None
    record_id: int | None

    def as_dict(self):
        return {
            "kind": self.kind,
            "external_id": self.external_id,
            "outcome": self.outcome,
            "version": self.version,
        }


@dataclass
class Known:
    """What the database already holds for one record identity."""

    versions: dict = field(default_factory=dict)  # content hash -> (id, version)
    latest_version: int = 0
    latest_id: int | None = None
    latest_at: datetime | None = None


def source_time(kind, payload, *, tombstone):
    """When the source says this content was current, or None if it does not say."""
    if tombstone:
        value = payload.get("deleted_at")
    elif kind == "inventory_adjustment":
        value = payload.get("occurred_at")
    elif kind == "refund":
        value = payload.get("processed_at") or payload.get("created_at")
    else:
        value = payload.get("updated_at")
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def records_store(*, source, records):
    """Store each record as a new version unless identical or older; return outcomes.

    Runs in one transaction (a savepoint if the caller has one open): either every
    new version is stored or none is.
    """
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _store(source, records)
        except IntegrityError:
            if attempt == STORE_ATTEMPTS:
                raise
            logger.info("record version collision for source %s; retrying", source.pk)
    raise AssertionError("unreachable")


def _store(source, records):
    known = _load_known(source, records)
    results, new_rows = [], []
    for item in records:
        payload = item.payload()
        digest = content_hash(payload)
        state = known.setdefault(item.identity, Known())
        if digest in state.versions:
            row_id, version = state.versions[digest]
            results.append(_result(item, "unchanged", version, row_id))
            continue
        at = source_time(item.kind, payload, tombstone=item.tombstone)
        if at and state.latest_at and _older(at, state.latest_at):
            results.append(_result(item, "stale", state.latest_version, None))
            continue
        row = SourceRecord(
            source=source,
            kind=item.kind,
            external_id=item.external_id,
            payload=payload,
            content_hash=digest,
            version=state.latest_version + 1,
            is_tombstone=item.tombstone,
        )
        new_rows.append(row)
        state.versions[digest] = (None, row.version)
        state.latest_version, state.latest_at = row.version, at or state.latest_at
        results.append(row)
    created = rows_insert(new_rows)  # not bulk_create: see intacct_hub/rows.py
    transaction.on_commit(lambda: _announce(created))
    return [
        r if isinstance(r, StoreResult) else _result(r, "created", r.version, r.pk)
        for r in results
    ]


def _older(a, b):
    # A naive timestamp cannot be ordered against an aware one; then nothing is stale.
    try:
        return a < b
    except TypeError:
        return False


def _result(item, outcome, version, record_id):
    return StoreResult(item.kind, item.external_id, outcome, version, record_id)


def _load_known(source, records):
    kinds = {r.kind for r in records}
    ids = {r.external_id for r in records}
    rows = SourceRecord.objects.filter(
        source=source, kind__in=kinds, external_id__in=ids
    ).values_list("id", "kind", "external_id", "version", "content_hash")
    known = {}
    for row_id, kind, external_id, version, digest in rows:
        state = known.setdefault((kind, external_id), Known())
        state.versions[digest] = (row_id, version)
        if version > state.latest_version:
            state.latest_version, state.latest_id = version, row_id
    latest = SourceRecord.objects.filter(
        pk__in=[s.latest_id for s in known.values()]
    ).values_list("kind", "external_id", "payload", "is_tombstone")
    for kind, external_id, payload, tombstone in latest:
        known[(kind, external_id)].latest_at = source_time(
            kind, payload, tombstone=tombstone
        )
    return known


def _announce(created):
    for record in created:
        _send(record_stored, record.pk, record=record)
    if created:
        _send(records_stored, created[0].pk, records=list(created))


def _send(signal, record_id, **arguments):
    for receiver, error in signal.send_robust(sender=SourceRecord, **arguments):
        if isinstance(error, Exception):
            logger.error(
                "record_stored receiver %r failed for record %s: %s",
                receiver,
                record_id,
                type(error).__name__,
            )


def record_latest(*, source, kind, external_id):
    """The newest version of one record, or None."""
    return (
        SourceRecord.objects.filter(source=source, kind=kind, external_id=external_id)
        .order_by("-version")
        .first()
    )
