"""Deliveries are normalized by one task per source at a time, in batches stored
together: one queued task per busy spell, not one per webhook (issue 7)."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ

from commerce import deliveries
from commerce.deliveries import deliveries_process, deliveries_redispatch
from commerce.models import InboundDelivery, Source, SourceRecord
from commerce.sources.shopify import sign
from tests.commerce.conftest import SECRET, fixture_bytes, fixture_json
from tests.concurrency import side_by_side

pytestmark = pytest.mark.django_db

LEVEL = {
    "inventory_item_id": 49213377085753,
    "location_id": 71294337081,
    "available": 37,
    "updated_at": "2024-05-11T09:00:00-04:00",
}


@pytest.fixture
def post(client, shop, django_capture_on_commit_callbacks):
    """POST a signed webhook; its on-commit work runs, so the processing task is
    queued on the ORM broker (not run: the worker would run it)."""
    counter = iter(range(1, 10_000))

    def post(topic, body):
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/webhooks/shopify/{shop.slug}/",
                data=body,
                content_type="application/json",
                headers={
                    "X-Shopify-Topic": topic,
                    "X-Shopify-Hmac-Sha256": sign(SECRET, body),
                    "X-Shopify-Webhook-Id": f"batch-{next(counter)}",
                },
            )
        assert response.status_code == 200, response.content
        return InboundDelivery.objects.get(pk=response.json()["delivery"])

    return post


def queued_tasks():
    return OrmQ.objects.count()


def test_a_busy_source_queues_one_task_not_one_per_webhook(post, shop):
    for _ in range(3):
        post("customers/create", fixture_bytes("customers_create.json"))

    assert queued_tasks() == 1
    shop.refresh_from_db()
    assert shop.deliveries_queued_at is not None

    assert deliveries_process(source_id=shop.pk) == 3

    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {
        "processed"
    }
    shop.refresh_from_db()
    assert shop.deliveries_queued_at is None
    # The task has started: the next delivery queues the next one.
    post("customers/update", fixture_bytes("customers_create.json"))
    assert queued_tasks() == 2


def test_a_task_hands_a_long_backlog_to_a_successor(post, shop, monkeypatch):
    monkeypatch.setattr(deliveries, "DELIVERY_BATCH", 2)
    monkeypatch.setattr(deliveries, "BATCHES_PER_TASK", 2)
    for _ in range(5):
        post("customers/create", fixture_bytes("customers_create.json"))
    OrmQ.objects.all().delete()

    assert deliveries_process(source_id=shop.pk) == 4
    # The rest waits for the next task, queued by this one (other sources get a
    # turn at the workers meanwhile).
    assert queued_tasks() == 1
    assert InboundDelivery.objects.filter(status="received").count() == 1
    assert deliveries_process(source_id=shop.pk) == 1


def test_one_bad_delivery_fails_alone_and_the_rest_of_its_batch_is_stored(post, shop):
    good = post("orders/create", fixture_bytes("orders_create.json"))
    broken_order = {**fixture_json("orders_create.json"), "total_price": "99.99"}
    broken = post("orders/updated", broken_order)
    customer = post("customers/create", fixture_bytes("customers_create.json"))

    assert deliveries_process(source_id=shop.pk) == 3

    for delivery in (good, broken, customer):
        delivery.refresh_from_db()
    assert (good.status, good.records_stored, good.attempts) == ("processed", 1, 1)
    assert (customer.status, customer.records_stored) == ("processed", 1)
    assert broken.status == "failed"
    assert "total_price" in broken.error
    assert sorted(SourceRecord.objects.values_list("kind", flat=True)) == [
        "customer",
        "order",
    ]


def test_a_delivery_that_reads_stored_records_sees_the_ones_before_it(post, shop):
    # A level's movement is the difference from the last stored level; the first
    # level and the product it names arrive in the same batch as the second level.
    post("products/update", fixture_bytes("products_update.json"))
    post("inventory_levels/update", LEVEL)
    later = {**LEVEL, "available": 34, "updated_at": "2024-05-11T10:00:00-04:00"}
    post("inventory_levels/update", later)

    assert deliveries_process(source_id=shop.pk) == 3

    adjustments = SourceRecord.objects.filter(kind="inventory_adjustment")
    assert [
        (a.payload["sku"], a.payload["delta"]) for a in adjustments.order_by("id")
    ] == [("TEE-BLU-M", None), ("TEE-BLU-M", -3)]


def test_versions_of_one_record_in_one_batch_are_stored_in_order(post, shop):
    order = fixture_json("orders_create.json")
    post("orders/create", order)
    post(
        "orders/updated",
        {**order, "note": "gift", "updated_at": "2030-01-01T00:00:00Z"},
    )

    deliveries_process(source_id=shop.pk)

    versions = SourceRecord.objects.filter(kind="order").order_by("version")
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].payload["updated_at"].startswith("2030-01-01")


def test_a_lost_task_is_queued_again_by_the_sweeper(post, shop):
    post("customers/create", fixture_bytes("customers_create.json"))
    OrmQ.objects.all().delete()  # the task was lost; the source's mark stays set
    post("customers/update", fixture_bytes("customers_create.json"))
    assert queued_tasks() == 0  # the mark says a task is queued: no new one

    InboundDelivery.objects.update(received_at=timezone.now() - timedelta(hours=1))
    assert deliveries_redispatch() == 1

    assert queued_tasks() == 1
    deliveries_process(source_id=shop.pk)
    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {
        "processed"
    }


def test_a_mark_older_than_the_brokers_retry_is_taken_over(post, shop, settings):
    post("customers/create", fixture_bytes("customers_create.json"))
    OrmQ.objects.all().delete()  # lost
    lost_at = timezone.now() - timedelta(seconds=settings.Q_CLUSTER["retry"] + 1)
    Source.objects.filter(pk=shop.pk).update(deliveries_queued_at=lost_at)

    post("customers/update", fixture_bytes("customers_create.json"))

    assert queued_tasks() == 1
    assert deliveries_process(source_id=shop.pk) == 2


def test_a_source_saved_from_a_stale_form_keeps_the_pipelines_mark(shop):
    stale = Source.objects.get(pk=shop.pk)  # read before the mark was set
    marked = timezone.now()
    Source.objects.filter(pk=shop.pk).update(deliveries_queued_at=marked)

    stale.name = "Renamed shop"
    stale.save()

    shop.refresh_from_db()
    assert (shop.name, shop.deliveries_queued_at) == ("Renamed shop", marked)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL refuses a NUL in JSON"
)
def test_a_delivery_the_database_refuses_fails_alone_with_the_reason(post, shop):
    good = post("customers/create", fixture_bytes("customers_create.json"))
    customer = {
        **fixture_json("customers_create.json"),
        "id": 99,
        "first_name": "a\u0000b",
    }
    refused = post("customers/create", customer)

    deliveries_process(source_id=shop.pk)

    good.refresh_from_db()
    refused.refresh_from_db()
    assert (good.status, good.records_stored) == ("processed", 1)
    assert refused.status == "failed"
    assert refused.error.startswith(("DataError", "UntranslatableCharacter"))


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SKIP LOCKED claims need PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_two_tasks_of_one_source_never_normalize_the_same_delivery(shop):
    customer = fixture_json("customers_create.json")
    InboundDelivery.objects.bulk_create(
        InboundDelivery(
            source=shop,
            delivery_id=f"c-{n}",
            topic="customers/create",
            body=json.dumps({**customer, "id": 1000 + n}),
        )
        for n in range(450)
    )
    done = []

    def task():
        done.append(deliveries_process(source_id=shop.pk))

    assert side_by_side(task, 2) == []
    assert sum(done) == 450  # each delivery counted by the one task that claimed it
    assert set(InboundDelivery.objects.values_list("status", "attempts")) == {
        ("processed", 1)
    }
    assert SourceRecord.objects.filter(kind="customer").count() == 450


@pytest.mark.django_db(transaction=True)
def test_a_replay_in_autocommit_is_answered_as_a_duplicate(client, shop):
    # As in production: no transaction around the request, so the insert commits
    # by itself and the replay's refused insert leaves the connection usable.
    body = fixture_bytes("customers_create.json")
    headers = {
        "X-Shopify-Topic": "customers/create",
        "X-Shopify-Hmac-Sha256": sign(SECRET, body),
        "X-Shopify-Webhook-Id": "replayed-1",
    }
    answers = [
        client.post(
            f"/webhooks/shopify/{shop.slug}/",
            data=body,
            content_type="application/json",
            headers=headers,
        ).json()["status"]
        for _ in range(2)
    ]

    assert answers == ["accepted", "duplicate"]
    assert InboundDelivery.objects.count() == 1
    assert queued_tasks() == 1
