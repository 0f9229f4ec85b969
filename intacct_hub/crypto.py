"""Secrets at rest: AES-256-GCM, each ciphertext tagged with the id of its key.

Stored form: ``enc:v1:<key id>:<base64(nonce || ciphertext+tag)>``. The first key in
``settings.HUB_ENCRYPTION_KEYS`` encrypts; every listed key decrypts, so a key
rotates by putting a new one first and re-encrypting (``manage.py rotate_secrets``). The
column's label is bound in as associated data, so a ciphertext copied into another
column or table does not decrypt.
"""

import base64
import binascii
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "enc:v1:"
NONCE_BYTES = 12


class SecretDecryptionError(Exception):
    """A stored secret could not be decrypted (unknown key id, tampered or moved)."""


def parse_keyring(spec):
    """Parse ``"id:base64key,id2:base64key2"`` into an ordered {id: AESGCM} dict."""
    keyring = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id.isalnum():
            raise ImproperlyConfigured("encryption keys look like id:base64key")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise ImproperlyConfigured(f"key {key_id!r} is not base64") from exc
        if len(raw) != 32:
            raise ImproperlyConfigured(f"key {key_id!r} must be 32 bytes (AES-256)")
        keyring[key_id] = AESGCM(raw)
    if not keyring:
        raise ImproperlyConfigured("HUB_ENCRYPTION_KEYS holds no key")
    return keyring


@lru_cache(maxsize=4)
def _keyring(spec):
    return parse_keyring(spec)


def keyring():
    return _keyring(settings.HUB_ENCRYPTION_KEYS)


def primary_key_id():
    return next(iter(keyring()))


def encrypt(plaintext, *, context):
    """Encrypt ``plaintext`` (str) under the primary key, bound to ``context``."""
    key_id = primary_key_id()
    nonce = os.urandom(NONCE_BYTES)
    sealed = keyring()[key_id].encrypt(nonce, plaintext.encode(), context.encode())
    return f"{PREFIX}{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def key_id_of(token):
    """The key id a stored ciphertext was made with."""
    return token[len(PREFIX) :].split(":", 1)[0]


def decrypt(token, *, context):
    """Decrypt a stored ``enc:v1:`` token made for ``context``."""
    if not token.startswith(PREFIX):
        raise SecretDecryptionError("value is not an encrypted secret")
    key_id, _, encoded = token[len(PREFIX) :].partition(":")
    aead = keyring().get(key_id)
    if aead is None:
        raise SecretDecryptionError(f"no key with id {key_id!r} is configured")
    try:
        blob = base64.b64decode(encoded, validate=True)
        plain = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
    except (binascii.Error, InvalidTag) as exc:
        raise SecretDecryptionError("secret failed authentication") from exc
    return plain.decode()


class EncryptedTextField(models.TextField):
    """A text column holding a secret: plaintext in Python, ciphertext in the database.

    An empty string stays empty (no secret set). Lookups on the column are meaningless
    by design; compare decrypted values in Python if ever needed.
    """

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.context = f"{cls._meta.label}.{name}"

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value, context=self.context)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value, context=self.context)

    def value_to_string(self, obj):
        # Serialization (dumpdata) must never write a secret out in the clear.
        return "" if not self.value_from_object(obj) else "<secret>"
