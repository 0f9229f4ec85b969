"""Helpers for the commerce tests: signed deliveries through the real endpoint."""

import json
from pathlib import Path

import pytest
from django_q.conf import Conf

from commerce.sources.shopify import sign
from tests.factories import make_ingest_source, make_shopify_source

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "whsec-test-7f3a9c"


def fixture_bytes(name):
    return (FIXTURES / name).read_bytes()


def fixture_json(name):
    return json.loads(fixture_bytes(name))


@pytest.fixture
def q_sync(monkeypatch):
    """django-q2 runs enqueued tasks in-process, as its own sync mode does for tests."""
    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def shop(db):
    return make_shopify_source(secret=SECRET, slug="test-shop")


@pytest.fixture
def deliver(client, shop, q_sync, django_capture_on_commit_callbacks):
    """POST a signed Shopify webhook; on-commit work (the normalize task) runs too."""
    counter = iter(range(1, 10_000))

    def deliver(
        topic,
        body,
        *,
        webhook_id=None,
        signature=None,
        content_type="application/json",
        source=None,
        extra=None,
    ):
        source = source or shop
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(SECRET, body)
            if signature is None
            else signature,
            "X-Shopify-Shop-Domain": "test-shop.myshopify.com",
            "X-Shopify-Webhook-Id": webhook_id or f"wh-{next(counter)}",
            "X-Shopify-API-Version": "2024-07",
            "X-Shopify-Triggered-At": "2024-05-20T18:02:33Z",
            **(extra or {}),
        }
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/webhooks/shopify/{source.slug}/",
                data=body,
                content_type=content_type,
                headers=headers,
            )

    return deliver


@pytest.fixture
def ingest_source(db):
    return make_ingest_source(slug="saas-tenant")


@pytest.fixture
def ingest(client, ingest_source, django_capture_on_commit_callbacks):
    """POST to the ingest API as the source (or with a given token)."""
    source, token = ingest_source

    def ingest(body, *, token=token, key=None, content_type="application/json"):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/api/v1/sources/{source.slug}/records/",
                data=raw,
                content_type=content_type,
                headers=headers,
            )

    return ingest
