"""Secrets (catalogue D2): never in logs, responses or stored delivery rows."""

import logging

import pytest

from commerce.models import InboundDelivery, IngestRequest, Source
from commerce.sources.shopify import sign
from tests.commerce.conftest import SECRET, fixture_bytes
from tests.commerce.records import customer_data, envelope

pytestmark = pytest.mark.django_db


def test_a_bad_signature_is_logged_at_warning_without_body_or_secret(deliver, caplog):
    caplog.set_level(logging.DEBUG)
    body = fixture_bytes("customers_create.json")

    deliver("customers/create", body, signature=sign("not-the-secret", body))

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("bad signature" in r.getMessage() for r in warnings)
    assert SECRET not in caplog.text
    assert "maya.lindqvist" not in caplog.text


def test_the_signature_and_secret_are_not_stored_with_the_delivery(deliver):
    body = fixture_bytes("customers_create.json")
    response = deliver("customers/create", body)

    delivery = InboundDelivery.objects.get()
    stored = str(InboundDelivery.objects.filter(pk=delivery.pk).values().get())
    assert sign(SECRET, body) not in stored
    assert SECRET not in stored and SECRET not in response.content.decode()


def test_the_bearer_token_is_never_echoed_logged_or_stored(
    ingest, ingest_source, caplog
):
    caplog.set_level(logging.DEBUG)
    source, token = ingest_source

    ok = ingest(envelope("customer", "C-1", customer_data()), key="k-1")
    bad = ingest(envelope("customer", "C-1", customer_data()), token=token + "x")

    assert token not in ok.content.decode() + bad.content.decode()
    assert token not in caplog.text
    assert token not in str(IngestRequest.objects.values().get())
    assert token not in str(Source.objects.filter(pk=source.pk).values().get())


def test_the_admin_never_renders_secrets(client, shop):
    from tests.factories import make_user

    client.force_login(make_user(superuser=True))
    body = fixture_bytes("customers_create.json")
    client.post(
        f"/webhooks/shopify/{shop.slug}/",
        data=body,
        content_type="application/json",
        headers={
            "X-Shopify-Topic": "customers/create",
            "X-Shopify-Hmac-Sha256": sign(SECRET, body),
        },
    )
    delivery = InboundDelivery.objects.get()
    pages = [
        client.get(f"/admin/commerce/source/{shop.pk}/change/"),
        client.get(f"/admin/commerce/inbounddelivery/{delivery.pk}/change/"),
        client.get("/admin/commerce/inbounddelivery/"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert SECRET not in page.content.decode()
