"""Shopify webhooks through the real endpoint: signed, stored once, normalized."""

from datetime import timedelta

import pytest
from django.utils import timezone

from commerce.deliveries import deliveries_redispatch, deliveries_reprocess
from commerce.models import InboundDelivery, SourceRecord
from commerce.sources.shopify import sign
from tests.commerce.conftest import SECRET, fixture_bytes, fixture_json

pytestmark = pytest.mark.django_db


def payload_of(kind, external_id):
    record = SourceRecord.objects.get(kind=kind, external_id=external_id)
    return record.payload


def test_it_normalizes_the_documented_orders_create_sample_exactly(deliver):
    response = deliver("orders/create", fixture_bytes("orders_create.json"))

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    delivery = InboundDelivery.objects.get()
    assert delivery.status == "processed", delivery.error
    assert payload_of("order", "5820391148601") == {
        "schema_version": 1,
        "id": "5820391148601",
        "number": "#1042",
        "email": "maya.lindqvist@example.com",
        "customer": {
            "id": "7301846620217",
            "email": "maya.lindqvist@example.com",
            "first_name": "Maya",
            "last_name": "Lindqvist",
        },
        "currency": "USD",
        "financial_status": "paid",
        "fulfillment_status": "unfulfilled",
        "cancelled_at": None,
        "cancel_reason": None,
        "closed_at": None,
        "channel": "web",
        "store": "test-shop.myshopify.com",
        "location_id": None,
        "payment_gateways": ["shopify_payments"],
        "lines": [
            {
                "id": "14392011055417",
                "sku": "TEE-BLU-M",
                "product_id": "8820931469369",
                "variant_id": "47120455163961",
                "title": "Harbor Tee - Blue / M",
                "quantity": 2,
                "unit_price": "25.00",
                "discount": "5.00",
                "taxable": True,
                "requires_shipping": True,
                "gift_card": False,
                "tax_lines": [
                    {"title": "CA State Tax", "rate": "0.0725", "amount": "3.26"}
                ],
            },
            {
                "id": "14392011088185",
                "sku": "MUG-BLK",
                "product_id": "8820931502137",
                "variant_id": "47120455196729",
                "title": "Dockside Mug - Black",
                "quantity": 1,
                "unit_price": "12.50",
                "discount": "1.25",
                "taxable": True,
                "requires_shipping": True,
                "gift_card": False,
                "tax_lines": [
                    {"title": "CA State Tax", "rate": "0.0725", "amount": "0.82"}
                ],
            },
        ],
        "shipping_lines": [
            {
                "id": "4790138470457",
                "title": "Standard Shipping",
                "code": "Standard",
                "price": "7.00",
                "discount": "0.00",
                "tax_lines": [],
            }
        ],
        "discounts": [{"code": "SPRING10", "type": "percentage", "amount": "6.25"}],
        "taxes_included": False,
        "subtotal_price": "56.25",
        "total_discounts": "6.25",
        "total_shipping": "7.00",
        "total_tax": "4.08",
        "total_tip": "0.00",
        "total_price": "67.33",
        "billing_address": {
            "name": "Maya Lindqvist",
            "company": None,
            "address1": "480 Harbor View Rd",
            "address2": "Unit 3",
            "city": "San Luis Obispo",
            "province_code": "CA",
            "zip": "93401",
            "country_code": "US",
            "phone": "+1 805-555-0142",
        },
        "shipping_address": {
            "name": "Maya Lindqvist",
            "company": None,
            "address1": "480 Harbor View Rd",
            "address2": "Unit 3",
            "city": "San Luis Obispo",
            "province_code": "CA",
            "zip": "93401",
            "country_code": "US",
            "phone": "+1 805-555-0142",
        },
        "tags": ["spring", "repeat-buyer"],
        "note": "Gift wrap, please",
        "created_at": "2024-05-14T09:21:07-04:00",
        "processed_at": "2024-05-14T09:21:06-04:00",
        "updated_at": "2024-05-14T09:21:09-04:00",
    }


def test_it_normalizes_the_documented_refunds_create_sample_exactly(deliver):
    deliver("refunds/create", fixture_bytes("refunds_create.json"))

    assert payload_of("refund", "1009316438073") == {
        "schema_version": 1,
        "id": "1009316438073",
        "order_id": "5820391148601",
        "currency": "USD",
        "note": "Wrong size",
        "restock": True,
        "lines": [
            {
                "id": "592806817849",
                "line_id": "14392011055417",
                "sku": "TEE-BLU-M",
                "quantity": 1,
                "subtotal": "22.50",
                "tax": "1.63",
                "restock_type": "return",
                "location_id": "71294337081",
            }
        ],
        "shipping": {"amount": "7.00", "tax": "0.00"},
        "transactions": [
            {
                "id": "7002318733369",
                "kind": "refund",
                "gateway": "shopify_payments",
                "status": "success",
                "amount": "31.13",
                "processed_at": "2024-05-20T14:02:32-04:00",
            }
        ],
        "subtotal": "22.50",
        "total_tax": "1.63",
        "adjustment": "0.00",
        "total": "31.13",
        "created_at": "2024-05-20T14:02:33-04:00",
        "processed_at": "2024-05-20T14:02:33-04:00",
    }


def test_it_normalizes_the_documented_customers_create_sample_exactly(deliver):
    deliver("customers/create", fixture_bytes("customers_create.json"))

    assert payload_of("customer", "7301846620217") == {
        "schema_version": 1,
        "id": "7301846620217",
        "email": "maya.lindqvist@example.com",
        "first_name": "Maya",
        "last_name": "Lindqvist",
        "company": "Lindqvist Design",
        "phone": "+18055550142",
        "currency": "USD",
        "tax_exempt": False,
        "accepts_marketing": True,
        "state": "enabled",
        "tags": ["newsletter", "west-coast"],
        "note": "Prefers email",
        "default_address": {
            "name": "Maya Lindqvist",
            "company": "Lindqvist Design",
            "address1": "480 Harbor View Rd",
            "address2": "Unit 3",
            "city": "San Luis Obispo",
            "province_code": "CA",
            "zip": "93401",
            "country_code": "US",
            "phone": "+1 805-555-0142",
        },
        "created_at": "2023-11-02T16:40:12-04:00",
        "updated_at": "2023-11-02T16:40:13-04:00",
    }


def test_it_makes_one_product_per_variant_from_products_update(deliver):
    deliver("products/update", fixture_bytes("products_update.json"))

    assert payload_of("product", "47120455163961") == {
        "schema_version": 1,
        "id": "47120455163961",
        "product_id": "8820931469369",
        "inventory_item_id": "49213377085753",
        "sku": "TEE-BLU-M",
        "title": "Harbor Tee - Blue / M",
        "price": "25.00",
        "cost": None,
        "currency": None,
        "track_inventory": True,
        "taxable": True,
        "barcode": "0840012345671",
        "status": "active",
        "vendor": "Harbor Goods",
        "product_type": "Apparel",
        "created_at": "2024-02-01T10:00:00-05:00",
        "updated_at": "2024-05-10T12:30:45-04:00",
    }
    xl = payload_of("product", "47120455229497")
    assert (xl["sku"], xl["price"], xl["track_inventory"]) == (
        "TEE-BLU-XL",
        "27.50",
        False,
    )


def test_a_one_byte_change_to_the_body_is_refused_and_nothing_is_stored(deliver):
    body = fixture_bytes("orders_create.json")
    signature = sign(SECRET, body)
    tampered = body.replace(b'"67.33"', b'"67.32"', 1)

    response = deliver("orders/create", tampered, signature=signature)

    assert response.status_code == 401
    assert not InboundDelivery.objects.exists()
    assert not SourceRecord.objects.exists()


def test_a_missing_or_foreign_signature_is_refused(deliver):
    body = fixture_bytes("customers_create.json")
    assert deliver("customers/create", body, signature="").status_code == 401
    assert deliver("customers/create", body, signature="bm90LWl0").status_code == 401
    assert not InboundDelivery.objects.exists()


def test_a_replayed_webhook_id_is_stored_once(deliver):
    body = fixture_bytes("orders_create.json")
    first = deliver("orders/create", body, webhook_id="b54557e4-8a5f")
    again = deliver("orders/create", body, webhook_id="b54557e4-8a5f")
    third = deliver("orders/create", body, webhook_id="b54557e4-8a5f")

    assert [r.status_code for r in (first, again, third)] == [200, 200, 200]
    assert [r.json()["status"] for r in (first, again, third)] == [
        "accepted",
        "duplicate",
        "duplicate",
    ]
    assert InboundDelivery.objects.count() == 1
    assert SourceRecord.objects.filter(kind="order").count() == 1


def test_the_same_order_under_a_new_webhook_id_is_not_a_new_version(deliver):
    body = fixture_bytes("orders_create.json")
    deliver("orders/create", body)
    deliver("orders/updated", body)

    assert InboundDelivery.objects.count() == 2
    assert SourceRecord.objects.filter(kind="order").count() == 1


def test_a_cancellation_is_a_new_version_of_the_order(deliver):
    order = fixture_json("orders_create.json")
    deliver("orders/create", order)
    order.update(
        cancelled_at="2024-05-15T08:00:00-04:00",
        cancel_reason="customer",
        financial_status="voided",
        updated_at="2024-05-15T08:00:01-04:00",
    )
    deliver("orders/cancelled", order)

    versions = SourceRecord.objects.filter(kind="order").order_by("version")
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].payload["cancelled_at"] == "2024-05-15T08:00:00-04:00"
    assert versions[1].payload["financial_status"] == "voided"


def test_an_older_update_arriving_late_does_not_become_the_latest(deliver):
    order = fixture_json("orders_create.json")
    newer = {**order, "note": "newer", "updated_at": "2024-05-14T10:00:00-04:00"}
    older = {**order, "note": "older", "updated_at": "2024-05-14T09:30:00-04:00"}
    deliver("orders/updated", newer)
    deliver("orders/updated", older)

    latest = SourceRecord.objects.filter(kind="order").order_by("-version").first()
    assert latest.payload["note"] == "newer"
    assert SourceRecord.objects.filter(kind="order").count() == 1


def test_deletions_become_tombstones(deliver):
    deliver("customers/create", fixture_bytes("customers_create.json"))
    deliver("products/update", fixture_bytes("products_update.json"))
    deliver("customers/delete", {"id": 7301846620217})
    deliver("products/delete", {"id": 8820931469369})

    assert InboundDelivery.objects.filter(status="processed").count() == 4
    tombstones = SourceRecord.objects.filter(is_tombstone=True)
    assert sorted((t.kind, t.external_id) for t in tombstones) == [
        ("customer", "7301846620217"),
        ("product", "47120455163961"),
        ("product", "47120455229497"),
    ]
    assert tombstones[0].payload["reason"] == "deleted"
    assert tombstones[0].payload["deleted_at"] == "2024-05-20T18:02:33Z"


def test_inventory_levels_become_adjustments_with_a_delta(deliver):
    deliver("products/update", fixture_bytes("products_update.json"))
    level = {
        "inventory_item_id": 49213377085753,
        "location_id": 71294337081,
        "available": 37,
        "updated_at": "2024-05-11T09:00:00-04:00",
    }
    deliver("inventory_levels/update", level)
    deliver(
        "inventory_levels/update",
        {**level, "available": 34, "updated_at": "2024-05-11T10:00:00-04:00"},
    )

    adjustments = SourceRecord.objects.filter(kind="inventory_adjustment").order_by(
        "id"
    )
    assert [(a.payload["sku"], a.payload["delta"]) for a in adjustments] == [
        ("TEE-BLU-M", None),
        ("TEE-BLU-M", -3),
    ]
    assert adjustments[1].payload["available"] == 34


def test_an_unknown_topic_is_acknowledged_and_not_processed(deliver, caplog):
    response = deliver("carts/create", {"id": 1, "token": "abc"})

    assert response.status_code == 200
    delivery = InboundDelivery.objects.get()
    assert delivery.status == "ignored"
    assert not SourceRecord.objects.exists()
    assert "carts/create" in caplog.text


def test_a_delivery_that_cannot_be_normalized_is_kept_with_its_error(deliver):
    order = fixture_json("orders_create.json")
    order["currency"] = "ZZZ"

    response = deliver("orders/create", order)

    assert response.status_code == 200  # Shopify must not retry: we have it.
    delivery = InboundDelivery.objects.get()
    assert delivery.status == "failed"
    assert "currency" in delivery.error and "ZZZ" in delivery.error
    assert '"ZZZ"' in delivery.body
    assert not SourceRecord.objects.exists()


def test_reprocessing_a_failed_delivery_records_each_attempt(deliver):
    deliver("inventory_levels/update", {"inventory_item_id": 1, "location_id": 2})
    delivery = InboundDelivery.objects.get()
    assert delivery.status == "failed"
    assert "delta or available must be set" in delivery.error

    assert deliveries_reprocess(deliveries=[delivery]) == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)


def test_a_delivery_whose_task_was_lost_is_redispatched(client, shop, q_sync):
    from commerce.sources.shopify import sign as shopify_sign

    body = fixture_bytes("customers_create.json")
    # No on-commit capture: the enqueue never happens, as if the worker lost it.
    client.post(
        f"/webhooks/shopify/{shop.slug}/",
        data=body,
        content_type="application/json",
        headers={
            "X-Shopify-Topic": "customers/create",
            "X-Shopify-Hmac-Sha256": shopify_sign(SECRET, body),
            "X-Shopify-Webhook-Id": "lost-1",
        },
    )
    InboundDelivery.objects.update(received_at=timezone.now() - timedelta(hours=1))

    assert deliveries_redispatch() == 1

    assert InboundDelivery.objects.get().status == "processed"
    assert SourceRecord.objects.filter(kind="customer").count() == 1


def test_a_mismatched_total_is_a_recorded_failure_not_a_silent_record(deliver):
    order = fixture_json("orders_create.json")
    order["total_price"] = "99.99"

    deliver("orders/create", order)

    delivery = InboundDelivery.objects.get()
    assert delivery.status == "failed"
    assert "total_price" in delivery.error


def test_the_webhook_is_for_shopify_sources_only(client, db):
    from tests.factories import make_ingest_source

    source, _ = make_ingest_source()
    response = client.post(
        f"/webhooks/shopify/{source.slug}/", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
