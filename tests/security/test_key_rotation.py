"""Secrets at rest under key rotation: add a new primary key and every stored secret
still decrypts while new writes carry the new key; `rotate_secrets` re-encrypts every
encrypted column of every model, after which the old key can be removed."""

import base64
import os

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection as db

from intacct_hub import crypto
from intacct_hub.crypto import EncryptedTextField
from sync.models import Connection
from tests.factories import make_api2cart_source, make_connection, make_shopify_source

pytestmark = pytest.mark.django_db

CONNECTION_SECRETS = {
    "sender_password": "rot-sender-pw",
    "user_password": "rot-user-pw",
    "oauth_client_secret": "rot-client-secret",
    "oauth_refresh_token": "rot-refresh-token",
}


def new_key(key_id):
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def stored_ciphertexts():
    """Every non-empty encrypted column value in the database, read raw (no model
    decryption): [(table, column, pk, stored text)]."""
    found = []
    for model in apps.get_models():
        for field in model._meta.fields:
            if not isinstance(field, EncryptedTextField):
                continue
            table, column = model._meta.db_table, field.column
            with db.cursor() as cursor:
                cursor.execute(
                    f"SELECT id, {column} FROM {table} WHERE {column} <> ''"  # noqa: S608
                )
                found += [(table, column, pk, raw) for pk, raw in cursor.fetchall()]
    return found


def every_secret_kind():
    """One row of each model holding secrets, encrypted under the current key."""
    conn = make_connection(**CONNECTION_SECRETS)
    shop = make_shopify_source(secret="rot-webhook-secret")
    a2c = make_api2cart_source(api_key="rot-a2c-api-key", store_key="rot-a2c-store")
    return conn, shop, a2c


def plaintexts(conn, shop, a2c):
    conn = Connection.objects.get(pk=conn.pk)
    shop.refresh_from_db()
    a2c.refresh_from_db()
    return {
        **{name: getattr(conn, name) for name in CONNECTION_SECRETS},
        "webhook_secret": shop.webhook_secret,
        "poll_api_key": a2c.poll_api_key,
        "poll_store_key": a2c.poll_store_key,
    }


EXPECTED = {
    **CONNECTION_SECRETS,
    "webhook_secret": "rot-webhook-secret",
    "poll_api_key": "rot-a2c-api-key",
    "poll_store_key": "rot-a2c-store",
}


def test_rotation_keeps_old_secrets_readable_and_then_retires_the_old_key(settings):
    old, new = new_key("old"), new_key("new")
    settings.HUB_ENCRYPTION_KEYS = old
    rows = every_secret_kind()
    before = stored_ciphertexts()
    assert len(before) == len(EXPECTED)
    assert {crypto.key_id_of(raw) for *_, raw in before} == {"old"}
    for *_, raw in before:
        assert not any(value in raw for value in EXPECTED.values())

    # 1. A new primary key: everything stored under the old one still decrypts.
    settings.HUB_ENCRYPTION_KEYS = f"{new},{old}"
    assert plaintexts(*rows) == EXPECTED
    assert stored_ciphertexts() == before  # reading re-encrypts nothing

    # 2. New writes carry the new key id; untouched rows keep the old one.
    conn, shop, a2c = rows
    Connection.objects.filter(pk=conn.pk).update(oauth_refresh_token="rot-rotated")
    by_column = {(t, c): crypto.key_id_of(raw) for t, c, _, raw in stored_ciphertexts()}
    assert by_column[("sync_connection", "oauth_refresh_token")] == "new"
    assert by_column[("sync_connection", "sender_password")] == "old"
    expected_now = {**EXPECTED, "oauth_refresh_token": "rot-rotated"}

    # 3. rotate_secrets re-encrypts every encrypted column of every model...
    call_command("rotate_secrets", verbosity=0)
    after = stored_ciphertexts()
    assert len(after) == len(EXPECTED)
    assert {crypto.key_id_of(raw) for *_, raw in after} == {"new"}
    # ...with fresh ciphertexts (new nonces), not copies of the old ones.
    assert not {raw for *_, raw in after} & {raw for *_, raw in before}

    # 4. ...so the old key can go, and nothing needs it any more.
    settings.HUB_ENCRYPTION_KEYS = new
    assert plaintexts(*rows) == expected_now


def test_once_the_old_key_is_removed_its_ciphertexts_no_longer_decrypt(settings):
    old, new = new_key("old"), new_key("new")
    settings.HUB_ENCRYPTION_KEYS = old
    conn = make_connection(**CONNECTION_SECRETS)
    [raw] = [raw for _, col, _, raw in stored_ciphertexts() if col == "sender_password"]

    # Retiring the old key without rotating first: the value is unreadable, loudly.
    settings.HUB_ENCRYPTION_KEYS = new
    with pytest.raises(crypto.SecretDecryptionError, match="no key with id 'old'"):
        Connection.objects.get(pk=conn.pk)
    with pytest.raises(crypto.SecretDecryptionError):
        crypto.decrypt(raw, context="sync.Connection.sender_password")
