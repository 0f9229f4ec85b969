"""Webhook deliveries: stored first (one transaction), normalized later, in batches,
by one task per source at a time."""

import hashlib
import json
import logging
from collections import defaultdict
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from intacct_hub.rows import row_insert

from .convert import MappingError
from .models import InboundDelivery, Source, SourceRecord
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
# Deliveries normalized and stored together (one transaction, their rows locked).
DELIVERY_BATCH = 200
# Then a task queues its successor, so a busy source shares the workers.
BATCHES_PER_TASK = 25


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
    known = topic in shopify.TOPICS
    delivery = InboundDelivery(
        source=source,
        delivery_id=delivery_id_for(meta, body),
        topic=topic[:100],
        headers={name: meta[key] for name, key in KEPT_HEADERS.items() if key in meta},
        body=body.decode("utf-8"),
        status=(
            InboundDelivery.Status.RECEIVED if known else InboundDelivery.Status.IGNORED
        ),
    )
    # Insert first: replays are rare, a lookup before every insert is not. A replay
    # (or the same delivery racing in on another connection) inserts nothing, and
    # the stored row stands; no error, so no savepoint even inside a transaction.
    if not row_insert(delivery, unique=("source_id", "delivery_id")):
        existing = InboundDelivery.objects.get(
            source=source, delivery_id=delivery.delivery_id
        )
        return existing, False
    if known:
        # After the commit: the task must be able to see this delivery.
        transaction.on_commit(lambda: processing_queue(source.pk))
    else:
        logger.info("ignored Shopify topic %r for source %s", topic, source.slug)
    return delivery, True


def processing_queue(source_id):
    """Queue the task that normalizes the source's waiting deliveries, unless one is
    queued already.

    The source's mark says a task is queued and has not started yet. The task clears
    it before it looks for waiting deliveries, so a delivery committed before that
    look is found by it, and one committed after finds the mark clear and queues
    the next task: one task per busy spell, not one per webhook. A mark older than
    django-q2's ``retry`` belongs to a task the broker lost, and is taken over (the
    five-minute sweeper also queues for any delivery left waiting).
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.Q_CLUSTER["retry"])
    adapt = connection.ops.adapt_datetimefield_value
    # Raw SQL: it runs for every webhook, and the ORM's query building cost more
    # CPU than the statement (issue 7 bench).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE commerce_source SET deliveries_queued_at = %s WHERE id = %s"
            " AND (deliveries_queued_at IS NULL OR deliveries_queued_at < %s)",
            [adapt(now), source_id, adapt(stale)],
        )
        queued = cursor.rowcount == 1
    if queued:
        _enqueue(source_id)


def _enqueue(source_id):
    from django_q.tasks import async_task

    try:
        async_task(
            "commerce.tasks.deliveries_process",
            source_id,
            task_name=f"commerce.deliveries_process:{source_id}",
        )
    except Exception:
        # Not queued (the broker is down): the next delivery, or the sweeper, tries
        # again. The delivery itself is stored either way.
        Source.objects.filter(pk=source_id).update(deliveries_queued_at=None)
        raise


def deliveries_process(*, source_id):
    """Normalize the source's waiting deliveries, oldest first, in batches that are
    stored together; return how many were processed."""
    Source.objects.filter(pk=source_id).update(deliveries_queued_at=None)
    source = Source.objects.get(pk=source_id)
    done = 0
    for _ in range(BATCHES_PER_TASK):
        with transaction.atomic():
            # Locked, and skipped by a second task, until this batch commits.
            deliveries = list(
                InboundDelivery.objects.filter(
                    source=source, status=InboundDelivery.Status.RECEIVED
                )
                .order_by("pk")
                .select_for_update(skip_locked=True)[:DELIVERY_BATCH]
            )
            batch = DeliveryBatch(source)
            for delivery in deliveries:
                batch.add(delivery)
            batch.finish()
        done += len(deliveries)
        if len(deliveries) < DELIVERY_BATCH:
            return done
    processing_queue(source_id)  # more are waiting: a successor takes them
    return done


def delivery_process(*, delivery_id):
    """Normalize one stored delivery into records; on failure, say why on the row."""
    with transaction.atomic():
        delivery = (
            InboundDelivery.objects.select_related("source")
            .select_for_update(of=("self",))
            .get(pk=delivery_id)
        )
        if delivery.status in (
            InboundDelivery.Status.PROCESSED,
            InboundDelivery.Status.IGNORED,
        ):
            return delivery
        batch = DeliveryBatch(delivery.source)
        batch.add(delivery)
        batch.finish()
    return delivery


class DeliveryBatch:
    """Deliveries of one source, normalized one by one and stored together: one
    read of what is known, one insert and one planning task for the lot."""

    def __init__(self, source):
        self.source = source
        self.waiting = []  # (delivery, records) normalized, not yet stored
        self.outcomes = []  # (delivery, status, error)

    def add(self, delivery):
        delivery.source = self.source
        delivery.attempts += 1
        reads_stored = delivery.topic in shopify.READS_STORED_TOPICS
        if reads_stored:
            self.store()  # its mapping reads what the deliveries before it store
        try:
            # A failed lookup must not abort the batch's transaction.
            with transaction.atomic() if reads_stored else nullcontext():
                records = delivery_records(delivery)
        except (MappingError, RecordInvalid) as exc:
            self.outcomes.append(
                (delivery, InboundDelivery.Status.FAILED, f"invalid: {exc}")
            )
            return
        except Exception as exc:
            self._broken(delivery, exc)
            return
        self.waiting.append((delivery, records))

    def store(self):
        waiting, self.waiting = self.waiting, []
        if len(waiting) > 1:
            together = [record for _, records in waiting for record in records]
            try:
                results = records_store(source=self.source, records=together)
            except Exception:
                # One delivery's records broke the shared store: store each on its
                # own, so only that one fails.
                logger.info("a batch of %d deliveries stored one by one", len(waiting))
            else:
                for delivery, records in waiting:
                    self._stored(delivery, results[: len(records)])
                    results = results[len(records) :]
                return
        for delivery, records in waiting:
            try:
                results = records_store(source=self.source, records=records)
            except Exception as exc:
                self._broken(delivery, exc)
            else:
                self._stored(delivery, results)

    def finish(self):
        """Store what is waiting and write every delivery's outcome."""
        self.store()
        now, groups = timezone.now(), defaultdict(list)
        for delivery, status, error in self.outcomes:
            delivery.status, delivery.error = status, error[:ERROR_CHARS]
            delivery.processed_at = now
            key = (status, delivery.error, delivery.records_stored, delivery.attempts)
            groups[key].append(delivery.pk)
        for (status, error, stored, attempts), ids in groups.items():
            InboundDelivery.objects.filter(pk__in=ids).update(
                status=status,
                error=error,
                records_stored=stored,
                attempts=attempts,
                processed_at=now,
            )

    def _stored(self, delivery, results):
        delivery.records_stored = sum(r.outcome == "created" for r in results)
        self.outcomes.append((delivery, InboundDelivery.Status.PROCESSED, ""))

    def _broken(self, delivery, exc):
        # Anything else is a bug or an outage; the body is safe either way.
        logger.exception("processing delivery %s failed", delivery.pk)
        error = f"{type(exc).__name__}: {exc}"
        self.outcomes.append((delivery, InboundDelivery.Status.FAILED, error))


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
    """Queue processing again for each source with a delivery still waiting after a
    grace (its task was lost, or its mark outlived it); return how many sources."""
    cutoff = timezone.now() - older_than
    source_ids = list(
        InboundDelivery.objects.filter(
            status=InboundDelivery.Status.RECEIVED, received_at__lt=cutoff
        )
        .order_by()
        .values_list("source_id", flat=True)
        .distinct()
    )
    for source_id in source_ids:
        Source.objects.filter(pk=source_id).update(deliveries_queued_at=timezone.now())
        _enqueue(source_id)
    return len(source_ids)


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
