import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from sync.models import Failure
from tests.factories import make_connection, make_posting, make_source, make_user

pytestmark = pytest.mark.django_db

SECRETS = {
    "sender_password": "sender-PW-visible?",
    "user_password": "user-PW-visible?",
    "oauth_client_secret": "client-SECRET-visible?",
    "oauth_refresh_token": "refresh-TOKEN-visible?",
}


def test_the_admin_shows_every_domain_model_to_a_superuser(client):
    client.force_login(make_user(superuser=True))
    page = client.get(reverse("admin:index")).content.decode()
    for label in ("commerce", "mappings", "sync"):
        for model in apps.get_app_config(label).get_models():
            if model in admin.site._registry:
                url = reverse(f"admin:{label}_{model._meta.model_name}_changelist")
                assert url in page
                assert client.get(url).status_code == 200


def test_connection_secrets_are_never_rendered(client):
    conn = make_connection(**SECRETS)
    client.force_login(make_user(superuser=True))
    pages = [
        client.get(reverse("admin:sync_connection_change", args=[conn.pk])),
        client.get(reverse("admin:sync_connection_changelist")),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        for secret in SECRETS.values():
            assert secret not in body
    assert "sender password: set" in pages[1].content.decode()


def test_saving_the_form_blank_keeps_the_stored_secrets(client):
    conn = make_connection(**SECRETS)
    client.force_login(make_user(superuser=True))
    url = reverse("admin:sync_connection_change", args=[conn.pk])
    form = {
        "name": "Renamed",
        "slug": conn.slug,
        "environment": conn.environment,
        "api_base_url": conn.api_base_url,
        "company_id": conn.company_id,
        "entity_id": "",
        "sender_id": conn.sender_id,
        "user_id": conn.user_id,
        "oauth_client_id": conn.oauth_client_id,
        "routing": "{}",
        "requests_per_second": "2.0",
        "max_concurrency": "2",
        "active": "on",
        "user_password": "a-new-user-password",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    conn.refresh_from_db()
    assert conn.name == "Renamed"
    assert conn.sender_password == SECRETS["sender_password"]
    assert conn.user_password == "a-new-user-password"


def test_a_source_webhook_secret_is_never_rendered(client):
    source = make_source(webhook_secret="whsec-should-not-show")
    client.force_login(make_user(group="ops"))
    page = client.get(reverse("admin:commerce_source_change", args=[source.pk]))
    assert page.status_code == 200
    assert "whsec-should-not-show" not in page.content.decode()


def test_finance_gets_403_on_connection_credentials_and_can_open_failures(client):
    conn = make_connection(**SECRETS)
    posting = make_posting(connection=conn, status="failed")
    failure = Failure.objects.create(posting=posting, category="business", message="x")
    client.force_login(make_user(group="finance"))

    assert client.get(reverse("admin:sync_connection_changelist")).status_code == 403
    change = client.get(reverse("admin:sync_connection_change", args=[conn.pk]))
    assert change.status_code == 403

    assert client.get(reverse("admin:sync_failure_changelist")).status_code == 200
    detail = client.get(reverse("admin:sync_failure_change", args=[failure.pk]))
    assert detail.status_code == 200


@pytest.mark.parametrize("group", ["finance", "ops", "viewer"])
def test_no_group_may_touch_connections(group, client):
    client.force_login(make_user(group=group))
    assert client.get(reverse("admin:sync_connection_add")).status_code == 403


def test_ops_edits_mappings_and_viewer_only_reads(client):
    client.force_login(make_user(group="ops"))
    assert client.get(reverse("admin:mappings_fieldmapping_add")).status_code == 200
    client.force_login(make_user(group="viewer"))
    assert client.get(reverse("admin:mappings_fieldmapping_add")).status_code == 403
    assert (
        client.get(reverse("admin:mappings_fieldmapping_changelist")).status_code == 200
    )


def test_finance_and_ops_hold_the_workflow_permissions():
    finance, ops, viewer = (make_user(group=g) for g in ("finance", "ops", "viewer"))
    assert finance.has_perm("sync.resolve_failure")
    assert finance.has_perm("sync.trigger_resync")
    assert ops.has_perm("sync.trigger_resync")
    assert not ops.has_perm("sync.resolve_failure")
    assert not viewer.has_perm("sync.trigger_resync")
    assert not finance.has_perm("mappings.change_fieldmapping")


def test_rotate_secrets_moves_every_secret_to_the_primary_key(settings):
    from intacct_hub import crypto
    from tests.foundation.test_secrets_at_rest import new_key, raw_column

    old, new = new_key("old"), new_key("new")
    settings.HUB_ENCRYPTION_KEYS = old
    conn = make_connection(**SECRETS)
    settings.HUB_ENCRYPTION_KEYS = f"{new},{old}"
    call_command("rotate_secrets", verbosity=0)
    settings.HUB_ENCRYPTION_KEYS = new
    for field, value in SECRETS.items():
        assert crypto.key_id_of(raw_column("sync_connection", field, conn.pk)) == "new"
        assert getattr(type(conn).objects.get(pk=conn.pk), field) == value


def test_finance_may_add_value_map_entries_but_not_field_mappings():
    finance = make_user(group="finance")
    assert finance.has_perm("mappings.add_valuemapentry")
    assert finance.has_perm("mappings.change_valuemapentry")
    assert not finance.has_perm("mappings.add_fieldmapping")
    assert not finance.has_perm("mappings.change_ownershiprule")
