"""Test data in one place: small functions that make valid rows."""

import importlib
import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from commerce.models import Source, SourceRecord, content_hash
from mappings.models import Action, MappingSet
from sync.models import Connection, Posting

_seq = itertools.count(1)


def make_user(*, group=None, superuser=False, password="pw-for-tests-1"):
    n = next(_seq)
    user = get_user_model().objects.create_user(
        username=f"user{n}",
        password=password,
        is_staff=True,
        is_superuser=superuser,
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def role_groups_restore():
    """The role groups and their permissions, as the migrations made them: a
    transactional test's flush deletes those rows."""
    migration = importlib.import_module("sync.migrations.0002_permission_groups")
    finance_maps = importlib.import_module(
        "sync.migrations.0010_finance_edits_value_maps"
    ).CODENAMES
    for name in migration.GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        codenames = migration.wanted_permissions(name) + [("sync", "view_auditevent")]
        if name == "finance":
            codenames += [("mappings", codename) for codename in finance_maps]
        for app_label, codename in codenames:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
            )


def make_mapping_set(**fields):
    fields.setdefault("name", f"set-{next(_seq)}")
    return MappingSet.objects.create(**fields)


def make_connection(**fields):
    n = next(_seq)
    defaults = {
        "name": f"Tenant {n}",
        "slug": f"tenant-{n}",
        "company_id": f"COMPANY{n}",
        "sender_id": "sender",
        "sender_password": "sender-secret-pw",
        "user_id": "xml_user",
        "user_password": "user-secret-pw",
        "oauth_client_id": "client.app.sage.com",
        "oauth_client_secret": "oauth-client-secret",
    }
    defaults.update(fields)
    return Connection.objects.create(**defaults)


def make_source(**fields):
    n = next(_seq)
    defaults = {"name": f"Shop {n}", "slug": f"shop-{n}", "kind": Source.Kind.SHOPIFY}
    defaults.update(fields)
    return Source.objects.create(**defaults)


def make_record(
    *, source=None, kind="order", external_id=None, payload=None, version=1
):
    payload = payload if payload is not None else {"id": next(_seq)}
    return SourceRecord.objects.create(
        source=source or make_source(),
        kind=kind,
        external_id=external_id or str(next(_seq)),
        payload=payload,
        content_hash=content_hash(payload),
        version=version,
    )


def make_posting(
    *, connection=None, record=None, action=Action.POST_AR_INVOICE, **fields
):
    connection = connection or make_connection()
    record = record or make_record()
    key = Posting.make_idempotency_key(
        connection_id=connection.pk,
        action=action,
        source_identity=f"{record.source_id}/{record.kind}/{record.external_id}",
        version=record.version,
    )
    return Posting.objects.create(
        connection=connection,
        source_record=record,
        action=action,
        idempotency_key=key,
        **fields,
    )


# --- Commerce inbound (issue 5) ------------------------------------------------------


def make_shopify_source(*, secret="whsec-test-secret", **fields):
    """A Shopify source whose webhooks are signed with ``secret``."""
    return make_source(kind=Source.Kind.SHOPIFY, webhook_secret=secret, **fields)


def make_ingest_source(**fields):
    """An ingest-API source and its bearer token (the token is only returned here)."""
    source = make_source(kind=Source.Kind.INGEST, **fields)
    token = source.issue_api_token()
    source.save()
    return source, token


def make_api2cart_source(*, api_key="a2c-account-key", store_key="a2c-store-key", **f):
    """An API2Cart source with its (encrypted) keys."""
    return make_source(
        kind=Source.Kind.API2CART, poll_api_key=api_key, poll_store_key=store_key, **f
    )
