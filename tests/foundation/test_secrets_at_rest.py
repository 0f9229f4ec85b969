import base64
import os

import pytest
from django.db import connection as db
from django.test import override_settings

from intacct_hub import crypto
from sync.models import Connection
from tests.factories import make_connection, make_source

pytestmark = pytest.mark.django_db


def new_key(key_id):
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def raw_column(table, column, pk):
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_the_raw_column_never_holds_the_plaintext():
    conn = make_connection(sender_password="s3nder-PLAINTEXT")
    raw = raw_column("sync_connection", "sender_password", conn.pk)
    assert "s3nder-PLAINTEXT" not in raw
    assert raw.startswith("enc:v1:")
    assert Connection.objects.get(pk=conn.pk).sender_password == "s3nder-PLAINTEXT"


def test_webhook_secrets_are_encrypted_and_api_tokens_only_hashed():
    source = make_source(webhook_secret="whsec-PLAINTEXT")
    token = source.issue_api_token()
    source.save()
    assert "whsec-PLAINTEXT" not in raw_column(
        "commerce_source", "webhook_secret", source.pk
    )
    assert token not in raw_column("commerce_source", "api_token_hash", source.pk)
    assert source.check_api_token(token)
    assert not source.check_api_token(token + "x")


def test_each_ciphertext_names_its_key_and_old_keys_still_decrypt():
    old, new = new_key("old"), new_key("new")
    with override_settings(HUB_ENCRYPTION_KEYS=old):
        conn = make_connection(user_password="rotate-me")
        assert (
            crypto.key_id_of(raw_column("sync_connection", "user_password", conn.pk))
            == "old"
        )
    with override_settings(HUB_ENCRYPTION_KEYS=f"{new},{old}"):
        reloaded = Connection.objects.get(pk=conn.pk)
        assert reloaded.user_password == "rotate-me"
        reloaded.save()
        raw = raw_column("sync_connection", "user_password", conn.pk)
        assert crypto.key_id_of(raw) == "new"
    with override_settings(HUB_ENCRYPTION_KEYS=new):
        assert Connection.objects.get(pk=conn.pk).user_password == "rotate-me"


def test_a_ciphertext_moved_to_another_column_does_not_decrypt():
    token = crypto.encrypt("secret", context="sync.Connection.sender_password")
    with pytest.raises(crypto.SecretDecryptionError):
        crypto.decrypt(token, context="sync.Connection.user_password")


def test_an_unknown_key_id_is_a_clear_error():
    with override_settings(HUB_ENCRYPTION_KEYS=new_key("a")):
        token = crypto.encrypt("x", context="c")
    with (
        override_settings(HUB_ENCRYPTION_KEYS=new_key("b")),
        pytest.raises(crypto.SecretDecryptionError, match="no key with id 'a'"),
    ):
        crypto.decrypt(token, context="c")
