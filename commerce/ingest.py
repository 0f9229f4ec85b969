"""The ingest API's work: parse a record or a batch, validate all, store all or none.

Batches are all-or-nothing: if any record is invalid the answer is 422 listing every
bad record and field, and nothing is stored. A valid batch is stored in one
transaction. Either way no record is ever half-stored.
"""

import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction

from .http import HttpProblem
from .models import IngestRequest
from .records import NormalizedRecord, records_store
from .schema import KINDS, FieldError, record_errors

ENVELOPE_FIELDS = {"kind", "external_id", "deleted", "data"}


def max_batch():
    return settings.COMMERCE_INGEST_MAX_BATCH


def envelope_errors(item):
    if not isinstance(item, dict):
        return [FieldError("(record)", "must be a JSON object")]
    errors = []
    for name in sorted(set(item) - ENVELOPE_FIELDS):
        errors.append(FieldError(name, "is not a known field"))
    if item.get("kind") not in KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(KINDS)}"))
    external_id = item.get("external_id")
    if not isinstance(external_id, str) or not 0 < len(external_id) <= 255:
        errors.append(FieldError("external_id", "must be a string of 1-255 characters"))
    if not isinstance(item.get("deleted", False), bool):
        errors.append(FieldError("deleted", "must be true or false"))
    data = item.get("data")
    if not isinstance(data, dict):
        errors.append(FieldError("data", "must be a JSON object"))
    elif isinstance(external_id, str) and data.get("id", external_id) != external_id:
        errors.append(FieldError("data.id", "must equal external_id"))
    return errors


def parse_record(item):
    """(NormalizedRecord, []) for a valid envelope, else (None, [FieldError…])."""
    errors = envelope_errors(item)
    if errors:
        return None, errors
    data = {"id": item["external_id"], **item["data"]}
    data.pop("schema_version", None)
    deleted = item.get("deleted", False)
    errors = [
        FieldError("data" if e.field == "(record)" else f"data.{e.field}", e.message)
        for e in record_errors(item["kind"], data, tombstone=deleted)
    ]
    if errors:
        return None, errors
    return NormalizedRecord(item["kind"], item["external_id"], data, deleted), []


def ingest_parse(body):
    """Every record of a request body, or an HttpProblem(422) naming each bad one."""
    items = (
        body.get("records") if isinstance(body, dict) and "records" in body else None
    )
    if items is None:
        items = [body]
    elif not isinstance(items, list) or not 0 < len(items) <= max_batch():
        raise HttpProblem(
            422,
            "invalid_batch",
            f"records must be a list of 1 to {max_batch()} records",
        )
    elif set(body) != {"records"}:
        raise HttpProblem(422, "invalid_batch", "a batch holds only 'records'")
    records, bad = [], []
    for index, item in enumerate(items):
        record, errors = parse_record(item)
        if errors:
            bad.append(bad_record(index, item, errors))
        else:
            records.append(record)
    if bad:
        raise HttpProblem(
            422,
            "invalid_records",
            f"{len(bad)} of {len(items)} records are invalid; nothing was stored",
            records=bad,
        )
    return records


def bad_record(index, item, errors):
    item = item if isinstance(item, dict) else {}
    return {
        "index": index,
        "kind": item.get("kind") if isinstance(item.get("kind"), str) else None,
        "external_id": item.get("external_id")
        if isinstance(item.get("external_id"), str)
        else None,
        "errors": [e.as_dict() for e in errors],
    }


def request_hash(body):
    return hashlib.sha256(body).hexdigest()


def prior_response(*, source, key, digest):
    """The stored (status, body) for a reused Idempotency-Key, or None if new."""
    prior = IngestRequest.objects.filter(source=source, idempotency_key=key).first()
    if prior is None:
        return None
    if prior.request_hash != digest:
        raise HttpProblem(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different body",
        )
    return prior.response_status, prior.response_body


def ingest_store(*, source, records, key=None, digest=None):
    """Store the records (and the answer, under the key) atomically; (status, body)."""
    try:
        with transaction.atomic():
            results = records_store(source=source, records=records)
            status, body = summary(source, results)
            if key:
                IngestRequest.objects.create(
                    source=source,
                    idempotency_key=key,
                    request_hash=digest,
                    response_status=status,
                    response_body=body,
                    record_count=len(records),
                )
            return status, body
    except IntegrityError:
        # A concurrent request with the same key won; answer as it did.
        if key and (prior := prior_response(source=source, key=key, digest=digest)):
            return prior
        raise


def summary(source, results):
    counts = {"created": 0, "unchanged": 0, "stale": 0}
    for result in results:
        counts[result.outcome] += 1
    body = {
        "source": source.slug,
        "received": len(results),
        **counts,
        "records": [r.as_dict() for r in results],
    }
    return (201 if counts["created"] else 200), body
