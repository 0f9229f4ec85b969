"""Webhook deliveries: stored first (one transaction), normalized later (a task)."""

import hashlib
import json
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .convert import MappingError
from .models import InboundDelivery, SourceRecord
from .records import records_store
from .schema import RecordInvalid, validate_record
from .sources import shopify

logger = logging.getLogger(__name__)

# Headers worth keeping for context. The signature is deliberately not among them.
KEPT_HEADERS = {
    "topic": "HTTP_X_SHOPIFY_TOPIC",
    "shop_domain": "HTTP_X_SHOPIFY_SHOP_DOMAIN",
    "api_version": "HTTP_X_SHOPIFY_API_VERSION",
    "webhook_id": "HTTP_X_SHOPIFY_WEBHOOK_ID",
    "event_id": "HTTP_X_SHOPIFY_EVENT_ID",
    "triggered_at": "HTTP_X_SHOPIFY_TRIGGERED_AT",
}
ERROR_CHARS = 4000


def delivery_id_for(meta, body):
    """The id Shopify gives this delivery, or a hash of the body if it gives none."""
    for key in ("HTTP_X_SHOPIFY_WEBHOOK_ID", "HTTP_X_SHOPIFY_EVENT_ID"):
        value = (meta.get(key) or "").strip()
        if value:
            return value[:255]
    return "sha256:" + hashlib.sha256(body).hexdigest()


def delivery_receive(*, source, topic, body, meta):
    """Store a verified delivery once; return (delivery, created).

    A replay of the same delivery id returns the stored row and changes nothing.
    """
    delivery_id = delivery_id_for(meta, body)
    known = topic in shopify.TOPICS
    headers = {name: meta[key] for name, key in KEPT_HEADERS.items() if key in meta}
    try:
        with transaction.atomic():
            delivery = InboundDelivery.objects.create(
                source=source,
                delivery_id=delivery_id,
                topic=topic[:100],
                headers=headers,
                body=body.decode("utf-8"),
                status=(
                    InboundDelivery.Status.RECEIVED
                    if known
                    else InboundDelivery.Status.IGNORED
                ),
            )
            if known:
                transaction.on_commit(lambda: enqueue_processing(delivery.pk))
    except IntegrityError:
        # A replay (or the same delivery racing in on another connection): the
        # unique (source, delivery id) refused it, and the stored row stands. Insert
        # first, because replays are rare and a lookup before every insert is not.
        existing = InboundDelivery.objects.get(source=source, delivery_id=delivery_id)
        return existing, False
    if not known:
        logger.info("ignored Shopify topic %r for source %s", topic, source.slug)
    return delivery, True


def enqueue_processing(delivery_id):
    from django_q.tasks import async_task

    async_task(
        "commerce.tasks.delivery_process",
        delivery_id,
        task_name=f"commerce.delivery_process:{delivery_id}",
    )


def delivery_process(*, delivery_id):
    """Normalize a stored delivery into records; on failure, say why on the row."""
    delivery = InboundDelivery.objects.select_related("source").get(pk=delivery_id)
    if delivery.status in (
        InboundDelivery.Status.PROCESSED,
        InboundDelivery.Status.IGNORED,
    ):
        return delivery
    delivery.attempts += 1
    try:
        records = delivery_records(delivery)
        with transaction.atomic():
            results = records_store(source=delivery.source, records=records)
            delivery.records_stored = sum(r.outcome == "created" for r in results)
            finish(delivery, InboundDelivery.Status.PROCESSED, "")
    except (MappingError, RecordInvalid) as exc:
        finish(delivery, InboundDelivery.Status.FAILED, f"invalid: {exc}")
    except Exception as exc:
        # Anything else is a bug or an outage; the body is safe either way.
        logger.exception("processing delivery %s failed", delivery.pk)
        finish(delivery, InboundDelivery.Status.FAILED, f"{type(exc).__name__}: {exc}")
    return delivery


def delivery_records(delivery):
    payload = json.loads(delivery.body)
    if delivery.topic.startswith("api2cart/"):
        return api2cart_records(delivery, payload)
    context = shopify.Context(
        store=delivery.headers.get("shop_domain") or delivery.source.slug,
        triggered_at=delivery.headers.get("triggered_at")
        or delivery.received_at.isoformat(),
        lookup=lambda kind, **filters: latest_payloads(delivery.source, kind, filters),
    )
    records = shopify.records_for(delivery.topic, payload, context)
    for record in records:
        validate_record(record.kind, record.data, tombstone=record.tombstone)
    return records


def api2cart_records(delivery, payload):
    # An item the poller could not normalize, kept so it can be retried here.
    from .sources.api2cart import item_record

    entity = delivery.topic.split("/", 1)[1]
    record = item_record(delivery.source, entity, payload, deleted=False)
    validate_record(record.kind, record.data)
    return [record]


def finish(delivery, status, error):
    delivery.status = status
    delivery.error = error[:ERROR_CHARS]
    delivery.processed_at = timezone.now()
    delivery.save(
        update_fields=["status", "error", "attempts", "records_stored", "processed_at"]
    )


def latest_payloads(source, kind, filters, limit=500):
    """Newest payload of each live record of ``kind`` whose payload matches filters."""
    lookups = {f"payload__{key}": value for key, value in filters.items()}
    rows = (
        SourceRecord.objects.filter(source=source, kind=kind, is_tombstone=False)
        .filter(**lookups)
        .order_by("-received_at", "-id")
        .values_list("external_id", "payload")[:limit]
    )
    seen, payloads = set(), []
    for external_id, payload in rows:
        if external_id not in seen:
            seen.add(external_id)
            payloads.append(payload)
    return payloads


def deliveries_redispatch(*, older_than=timedelta(minutes=5)):
    """Re-enqueue deliveries whose task was lost (still received after a grace)."""
    cutoff = timezone.now() - older_than
    ids = list(
        InboundDelivery.objects.filter(
            status=InboundDelivery.Status.RECEIVED, received_at__lt=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
    for delivery_id in ids:
        enqueue_processing(delivery_id)
    return len(ids)


def deliveries_reprocess(*, deliveries):
    """Run failed (or stuck) deliveries again now; return how many ended processed."""
    done = 0
    for delivery in deliveries:
        if delivery.status == InboundDelivery.Status.FAILED:
            InboundDelivery.objects.filter(pk=delivery.pk).update(
                status=InboundDelivery.Status.RECEIVED
            )
        result = delivery_process(delivery_id=delivery.pk)
        done += result.status == InboundDelivery.Status.PROCESSED
    return done
