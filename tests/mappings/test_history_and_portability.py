import json

import pytest
from django.urls import reverse

from mappings.engine import map_record
from mappings.history import changes_by
from mappings.models import (
    FieldMapping,
    MappingChange,
    OwnershipRule,
    PostingPolicy,
    ValueMap,
    ValueMapEntry,
)
from mappings.selectors import mapping_rules
from mappings.services import mapping_set_export, mapping_set_import
from tests.factories import make_mapping_set, make_user

pytestmark = pytest.mark.django_db

ORDER = {
    "order_number": "1001",
    "channel": "web",
    "processed_at": "2026-11-20",
    "customer": {"external_id": "C-9"},
    "lines": [{"sku": "SKU-1", "price": "10"}, {"sku": "SKU-2", "price": "2.5"}],
}


def build_set():
    ms = make_mapping_set()
    FieldMapping.objects.create(
        mapping_set=ms, action="post_ar_invoice", target_field="customer_id",
        source_expression="customer.external_id", required=True,
    )  # fmt: skip
    FieldMapping.objects.create(
        mapping_set=ms, action="post_ar_invoice", target_field="description",
        source_expression="channel", transform="lookup:channels",
    )  # fmt: skip
    FieldMapping.objects.create(
        mapping_set=ms, action="post_ar_invoice", target_field="amount",
        source_expression="price", transform="decimal_2dp", line_scope="lines",
    )  # fmt: skip
    channels = ValueMap.objects.create(mapping_set=ms, name="channels")
    ValueMapEntry.objects.create(
        value_map=channels, source_value="web", target_value="WEB"
    )
    OwnershipRule.objects.create(
        mapping_set=ms, object_type="customer", master="commerce",
        hub_may="create_only", identity_order=["external_id", "email"],
    )  # fmt: skip
    PostingPolicy.objects.create(
        mapping_set=ms, channel="web", mode="summary", clearing_account="1010",
        cutover_date="2026-01-01",
    )  # fmt: skip
    return ms


def test_every_change_is_kept_with_who_when_before_and_after():
    ms = make_mapping_set()
    user = make_user(group="ops")
    with changes_by(user):
        rule = FieldMapping.objects.create(
            mapping_set=ms, action="upsert_customer", target_field="NAME",
            source_expression="name",
        )  # fmt: skip
        rule.transform = "upper"
        rule.save()
        rule.delete()
    changes = list(MappingChange.objects.filter(mapping_set=ms).order_by("version"))
    assert [c.kind for c in changes] == ["added", "changed", "deleted"]
    assert all(c.changed_by == user for c in changes)
    assert (
        changes[1].before["transform"] == ""
        and changes[1].after["transform"] == "upper"
    )
    assert changes[2].after is None
    ms.refresh_from_db()
    assert ms.version == changes[-1].version == 4  # starts at 1, +1 per change


def test_saving_an_unchanged_row_writes_no_history():
    ms = make_mapping_set()
    rule = FieldMapping.objects.create(
        mapping_set=ms, action="upsert_customer", target_field="NAME"
    )
    rule.save()
    assert MappingChange.objects.filter(mapping_set=ms).count() == 1


def test_value_map_entries_are_tracked_against_their_set():
    ms = make_mapping_set()
    vm = ValueMap.objects.create(mapping_set=ms, name="channels")
    ValueMapEntry.objects.create(value_map=vm, source_value="web", target_value="WEB")
    assert MappingChange.objects.filter(
        mapping_set=ms, model="mappings.ValueMapEntry"
    ).exists()


def test_deleting_a_whole_set_is_possible():
    ms = build_set()
    ms.delete()
    assert not MappingChange.objects.filter(mapping_set_id=ms.pk).exists()


def test_admin_edits_are_attributed_to_the_user(client):
    ms = make_mapping_set()
    user = make_user(group="ops")
    client.force_login(user)
    response = client.post(
        reverse("admin:mappings_fieldmapping_add"),
        {
            "mapping_set": ms.pk,
            "action": "upsert_customer",
            "line_scope": "",
            "target_field": "name",
            "source_expression": "name",
            "transform": "",
            "active": "on",
            "order": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    change = MappingChange.objects.get(mapping_set=ms)
    assert change.changed_by == user


def test_export_then_import_yields_identical_payloads():
    original = build_set()
    exported = json.loads(json.dumps(mapping_set_export(mapping_set=original)))
    copy = mapping_set_import(data=exported, name="Promoted to production")

    before = map_record(ORDER, mapping_rules(original), action="post_ar_invoice")
    after = map_record(ORDER, mapping_rules(copy), action="post_ar_invoice")
    assert before.ok
    assert (
        before.body()
        == after.body()
        == {
            "customer_id": "C-9",
            "description": "WEB",
            "lines": [{"amount": "10.00"}, {"amount": "2.50"}],
        }
    )
    copied = mapping_rules(copy)
    assert copied.ownership["customer"].identity_order == ("external_id", "email")
    assert copied.policies[0]["mode"] == "summary"
    assert copied.policies[0]["cutover_date"] == "2026-01-01"
    assert mapping_set_export(mapping_set=copy)["fields"] == exported["fields"]


def test_import_refuses_unknown_transforms_and_foreign_files():
    data = mapping_set_export(mapping_set=build_set())
    data["fields"][0]["transform"] = "frobnicate"
    with pytest.raises(ValueError, match="unknown transform 'frobnicate'"):
        mapping_set_import(data=data, name="broken")
    with pytest.raises(ValueError, match="not an Intacct Hub mapping set"):
        mapping_set_import(data={"name": "x"}, name="foreign")


def test_finance_can_view_but_not_change_mappings(client):
    ms = build_set()
    rule = ms.field_mappings.first()
    client.force_login(make_user(group="finance"))
    url = reverse("admin:mappings_fieldmapping_change", args=[rule.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"target_field": "X"}).status_code == 403
    assert (
        client.get(reverse("admin:mappings_mappingchange_changelist")).status_code
        == 200
    )
