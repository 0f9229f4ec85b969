"""Bad input (catalogue C): a clear 4xx with the reason; no 500, nothing half-stored."""

import json

import pytest

from commerce.models import InboundDelivery, SourceRecord
from tests.commerce.conftest import fixture_bytes
from tests.commerce.records import customer_data, envelope, order_data

pytestmark = pytest.mark.django_db


def error_of(response):
    return response.json()["error"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (b'{"kind": "order"', 400, "malformed_json"),
        (b'{"a": NaN}', 400, "malformed_json"),
        (b"\xff\xfe{}", 400, "invalid_utf8"),
        (b'{"kind": "caf\xe9"}', 400, "invalid_utf8"),
        (b" ", 400, "malformed_json"),
    ],
)
def test_the_ingest_api_refuses_unreadable_bodies(ingest, body, status, code):
    response = ingest(body)

    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert not SourceRecord.objects.exists()


def test_the_ingest_api_wants_json(ingest):
    body = json.dumps(envelope("customer", "C-1", customer_data())).encode()
    response = ingest(body, content_type="text/plain")

    assert response.status_code == 415
    assert "application/json" in error_of(response)["message"]


def test_the_ingest_api_refuses_bodies_over_the_limit(ingest, settings):
    settings.COMMERCE_MAX_BODY_BYTES = 2000
    batch = {
        "records": [envelope("customer", f"C-{n}", customer_data()) for n in range(20)]
    }

    response = ingest(batch)

    assert response.status_code == 413
    assert error_of(response)["limit"] == 2000
    assert not SourceRecord.objects.exists()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["lines"][0].update(quantity=-1), "data.lines[0].quantity"),
        (lambda d: d["lines"][0].update(quantity="3"), "data.lines[0].quantity"),
        (lambda d: d["lines"][0].update(quantity=1.5), "data.lines[0].quantity"),
        (lambda d: d.update(total_price=39.44), "data.total_price"),
        (lambda d: d.update(total_price="39,44"), "data.total_price"),
        (lambda d: d.update(currency="usd"), "data.currency"),
        (lambda d: d.update(currency="ABC"), "data.currency"),
        (lambda d: d.pop("lines"), "data.lines"),
        (lambda d: d.update(lines=[]), "data.lines"),
        (lambda d: d.pop("created_at"), "data.created_at"),
        (lambda d: d.update(created_at="yesterday"), "data.created_at"),
        (lambda d: d.update(financial_status="maybe"), "data.financial_status"),
        (lambda d: d.update(unexpected=1), "data.unexpected"),
        (lambda d: d["lines"][0].update(colour="red"), "data.lines[0].colour"),
        (lambda d: d.update(taxes_included="no"), "data.taxes_included"),
    ],
)
def test_each_bad_field_is_named(ingest, mutate, field):
    data = order_data()
    mutate(data)

    response = ingest(envelope("order", "1001", data))

    assert response.status_code == 422
    fields = {e["field"] for e in error_of(response)["records"][0]["errors"]}
    assert field in fields
    assert not SourceRecord.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([1, 2, 3], "(record)"),
        ("order", "(record)"),
        ({"kind": "invoice", "external_id": "1", "data": {}}, "kind"),
        ({"kind": "order", "external_id": 1, "data": {}}, "external_id"),
        ({"kind": "order", "external_id": "", "data": {}}, "external_id"),
        ({"kind": "order", "external_id": "1", "data": []}, "data"),
        ({"kind": "order", "external_id": "1"}, "data"),
        ({"kind": "order", "external_id": "1", "data": {"id": "2"}}, "data.id"),
        ({"kind": "order", "external_id": "1", "data": {}, "deleted": "y"}, "deleted"),
        ({"kind": "order", "external_id": "1", "data": {}, "x": 1}, "x"),
    ],
)
def test_bad_envelopes_are_named(ingest, body, field):
    response = ingest(body)

    assert response.status_code == 422
    assert field in {e["field"] for e in error_of(response)["records"][0]["errors"]}


def test_a_bad_batch_shape_is_refused(ingest):
    assert ingest({"records": []}).status_code == 422
    assert ingest({"records": "all"}).status_code == 422
    assert ingest({"records": [], "extra": 1}).status_code == 422


def test_a_bad_idempotency_key_is_refused(ingest):
    response = ingest(envelope("customer", "C-1", customer_data()), key="has space")
    assert response.status_code == 400


def test_the_machine_endpoints_answer_only_their_method(client):
    assert client.get("/webhooks/shopify/x/").status_code == 405
    assert client.get("/api/v1/sources/x/records/").status_code == 405
    assert client.post("/api/v1/openapi.json").status_code == 405


# --- Webhooks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "malformed_json"),
        (b"\xc3\x28", "invalid_utf8"),
        (b"[1, 2]", "not_an_object"),
    ],
)
def test_a_signed_but_unreadable_webhook_is_refused_and_not_stored(deliver, body, code):
    response = deliver("orders/create", body)

    assert response.status_code == 400
    assert error_of(response)["code"] == code
    assert not InboundDelivery.objects.exists()


def test_a_webhook_over_the_limit_is_refused(deliver, settings):
    settings.COMMERCE_MAX_BODY_BYTES = 1000

    response = deliver("orders/create", fixture_bytes("orders_create.json"))

    assert response.status_code == 413
    assert not InboundDelivery.objects.exists()


def test_a_webhook_that_is_not_json_is_refused(deliver):
    response = deliver("orders/create", b"id=1", content_type="text/plain")

    assert response.status_code == 415
    assert not InboundDelivery.objects.exists()


def test_a_webhook_without_a_topic_is_refused(deliver):
    response = deliver("", {"id": 1})

    assert response.status_code == 400
    assert error_of(response)["code"] == "missing_topic"


def test_a_webhook_with_wrong_types_is_kept_and_marked_failed(deliver):
    order = json.loads(fixture_bytes("orders_create.json"))
    order["line_items"][0]["quantity"] = "two"
    order["line_items"][1]["price"] = {"amount": 1}

    response = deliver("orders/create", order)

    assert response.status_code == 200
    delivery = InboundDelivery.objects.get()
    assert delivery.status == "failed"
    assert "'two' is not a quantity" in delivery.error
    assert not SourceRecord.objects.exists()


def test_the_webhook_does_not_need_a_csrf_token_but_the_admin_does(client, shop, db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert (
        strict.post(
            "/webhooks/shopify/test-shop/", data=b"{}", content_type="application/json"
        ).status_code
        == 401
    )
    assert (
        strict.post("/admin/login/", {"username": "x", "password": "y"}).status_code
        == 403
    )
