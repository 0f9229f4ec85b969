"""Webhook and ingest authentication: the cases tests/commerce does not already cover
(see docs/SECURITY.md for the full list). Every refusal stores nothing."""

import base64
import hashlib
import hmac
import json
import logging

import pytest

from commerce.models import InboundDelivery, IngestRequest, SourceRecord
from commerce.sources.shopify import sign
from tests.commerce.conftest import fixture_bytes
from tests.commerce.records import envelope, order_data
from tests.factories import make_ingest_source, make_shopify_source

pytestmark = pytest.mark.django_db

SECRET = "whsec-auth-tests-51d0"


def webhook(client, source, body, *, signature, webhook_id="wh-1", topic=None):
    headers = {
        "X-Shopify-Topic": topic or "customers/create",
        "X-Shopify-Shop-Domain": "auth-shop.myshopify.com",
    }
    if signature is not None:
        headers["X-Shopify-Hmac-Sha256"] = signature
    if webhook_id:
        headers["X-Shopify-Webhook-Id"] = webhook_id
    return client.post(
        f"/webhooks/shopify/{source.slug}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def nothing_stored():
    return not (
        InboundDelivery.objects.exists()
        or SourceRecord.objects.exists()
        or IngestRequest.objects.exists()
    )


@pytest.fixture
def shop():
    return make_shopify_source(secret=SECRET, slug="auth-shop")


@pytest.fixture
def body():
    return fixture_bytes("customers_create.json")


# --- Shopify webhooks: HMAC-SHA256 of the raw body ----------------------------------


def test_a_missing_signature_header_is_refused(client, shop, body):
    response = webhook(client, shop, body, signature=None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert nothing_stored()


def test_a_body_re_serialised_after_signing_is_refused(client, shop, body):
    """Same JSON, other bytes: the HMAC covers the raw body, not its meaning."""
    signature = sign(SECRET, body)
    reserialised = json.dumps(json.loads(body), sort_keys=True).encode()
    assert reserialised != body and json.loads(reserialised) == json.loads(body)

    assert webhook(client, shop, reserialised, signature=signature).status_code == 401
    assert nothing_stored()


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda b: sign("another-shops-secret", b), id="other-secret"),
        pytest.param(
            lambda b: hmac.new(SECRET.encode(), b, hashlib.sha256).hexdigest(),
            id="hex-not-base64",
        ),
        pytest.param(
            lambda b: base64.b64encode(
                hmac.new(SECRET.encode(), b, hashlib.sha1).digest()
            ).decode(),
            id="sha1",
        ),
        pytest.param(lambda b: sign(SECRET, b)[:-4], id="truncated"),
        pytest.param(lambda b: sign(SECRET, b) + "AA==", id="padded"),
        pytest.param(lambda b: sign(SECRET, b).lower(), id="case-changed"),
        pytest.param(lambda b: sign(SECRET, b + b" "), id="signs-other-bytes"),
    ],
)
def test_a_wrong_hmac_is_refused_and_nothing_is_stored(client, shop, body, forge):
    response = webhook(client, shop, body, signature=forge(body))
    assert response.status_code == 401
    assert nothing_stored()


def test_a_source_without_a_secret_accepts_no_signature(client, body):
    """An empty secret must not make HMAC(key="") a valid signature."""
    bare = make_shopify_source(secret="", slug="bare-shop")
    assert webhook(client, bare, body, signature=sign("", body)).status_code == 401
    assert nothing_stored()


def test_a_deactivated_source_accepts_nothing(client, shop, body):
    shop.active = False
    shop.save()
    assert webhook(client, shop, body, signature=sign(SECRET, body)).status_code == 404
    assert nothing_stored()


def test_the_refusal_echoes_neither_signature_nor_secret(client, shop, body, caplog):
    caplog.set_level(logging.DEBUG)
    forged = sign("another-shops-secret", body)
    response = webhook(client, shop, body, signature=forged)
    text = response.content.decode() + caplog.text
    assert forged not in text and SECRET not in text


def test_a_replay_without_a_webhook_id_is_stored_once(client, shop, body):
    """The design has no timestamp window: replays are de-duplicated by the delivery
    id, or, when a sender gives none, by the SHA-256 of the signed body."""
    signature = sign(SECRET, body)
    first = webhook(client, shop, body, signature=signature, webhook_id=None)
    again = webhook(client, shop, body, signature=signature, webhook_id=None)
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["status"], again.json()["status"]) == ("accepted", "duplicate")
    assert InboundDelivery.objects.count() == 1


# --- Ingest API: bearer tokens -------------------------------------------------------


def ingest(client, source, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    return client.post(
        f"/api/v1/sources/{source.slug}/records/",
        data=json.dumps(envelope("order", "A-1", order_data())),
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-header"),
        pytest.param("", id="empty-header"),
        pytest.param("Bearer", id="bearer-without-token"),
        pytest.param("Bearer ", id="empty-token"),
        pytest.param("Basic {token}", id="basic-scheme"),
        pytest.param("Token {token}", id="other-scheme"),
        pytest.param("{token}", id="no-scheme"),
        pytest.param("Bearer {token}x", id="extended-token"),
        pytest.param("Bearer {hash}", id="the-stored-hash"),
        pytest.param("Bearer {hint}", id="the-shown-hint"),
    ],
)
def test_a_missing_or_wrong_token_is_refused(client, authorization):
    source, token = make_ingest_source()
    if authorization is not None:
        authorization = authorization.format(
            token=token, hash=source.api_token_hash, hint=source.api_token_hint
        )
    response = ingest(client, source, authorization)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthorized"
    assert nothing_stored()


def test_a_revoked_token_is_refused_and_its_replacement_works(client):
    source, old = make_ingest_source()
    new = source.issue_api_token()  # replaces the only stored hash: old is revoked
    source.save()

    refused = ingest(client, source, f"Bearer {old}")
    assert refused.status_code == 401
    assert nothing_stored()
    assert ingest(client, source, f"Bearer {new}").status_code == 201


def test_a_deactivated_sources_token_is_refused(client):
    source, token = make_ingest_source()
    source.active = False
    source.save()
    assert ingest(client, source, f"Bearer {token}").status_code == 401
    assert nothing_stored()


def test_the_token_scheme_is_case_insensitive_but_the_token_is_not(client):
    source, token = make_ingest_source()
    assert ingest(client, source, f"Bearer {token.swapcase()}").status_code == 401
    assert nothing_stored()
    assert ingest(client, source, f"bearer {token}").status_code == 201
