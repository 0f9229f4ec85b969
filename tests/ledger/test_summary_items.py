"""Items under summary-only posting: no journal line names an item, so the hub
sends (and Intacct bills) an item only once a stock movement names it; in detail
mode every product is sent, as invoices and sales orders name items."""

import pytest

from commerce.records import NormalizedRecord
from mappings.models import PostingPolicy
from mappings.services import mapping_set_ensure_default
from sync.models import Posting
from sync.services.runs import connection_plan, sync_once
from tests.sync.conftest import store

pytestmark = pytest.mark.django_db(transaction=True)


def with_default_rules(connection, mode):
    connection.mapping_set, _ = mapping_set_ensure_default()
    connection.save()
    PostingPolicy.objects.filter(mapping_set=connection.mapping_set).update(mode=mode)
    return connection


def a_product(variant_id, sku):
    return NormalizedRecord(
        "product",
        variant_id,
        {
            "id": variant_id,
            "product_id": "P-1",
            "inventory_item_id": f"INV-{variant_id}",
            "sku": sku,
            "title": f"Shirt {sku}",
            "price": "20.00",
            "cost": None,
            "currency": None,
            "track_inventory": True,
            "taxable": True,
            "barcode": None,
            "status": "active",
            "vendor": "Acme",
            "product_type": "Shirts",
            "created_at": "2024-06-01T09:00:00Z",
            "updated_at": "2024-06-01T09:00:00Z",
        },
    )


def a_stock_movement(variant_id, sku, delta=-2):
    occurred = "2024-06-02T10:00:00Z"
    data = {
        "id": f"INV-{variant_id}@L-1@{occurred}",
        "sku": sku,
        "inventory_item_id": f"INV-{variant_id}",
        "location": "L-1",
        "delta": delta,
        "available": 10,
        "reason": "level_update",
        "occurred_at": occurred,
    }
    return NormalizedRecord("inventory_adjustment", data["id"], data)


def items(connection):
    return Posting.objects.filter(connection=connection, action="upsert_item")


def intacct_items(sandbox, connection):
    return sandbox.counts()[connection.company_id].get("ITEM", 0)


def test_summary_only_sends_just_the_items_a_stock_movement_names(
    connection, sandbox, transport
):
    connection = with_default_rules(connection, "summary")
    before = intacct_items(sandbox, connection)
    store(connection, a_product("V-1", "SHIRT-S"), a_product("V-2", "SHIRT-M"))
    connection_plan(connection=connection)
    assert not items(connection).exists()  # the catalogue alone costs nothing

    store(connection, a_stock_movement("V-1", "SHIRT-S"))
    connection_plan(connection=connection)
    item = items(connection).get()
    assert item.source_record.external_id == "V-1"
    movement = Posting.objects.get(action="post_inventory_adjustment")
    assert movement.depends_on == item  # the item reaches Intacct first

    sync_once(connection=connection, http_transport=transport)
    item.refresh_from_db()
    movement.refresh_from_db()
    assert (item.status, movement.status) == ("posted", "posted")
    assert intacct_items(sandbox, connection) == before + 1


def test_summary_only_sends_an_item_whose_stock_moved_before_it_arrived(connection):
    connection = with_default_rules(connection, "summary")
    store(connection, a_stock_movement("V-1", "SHIRT-S"))
    connection_plan(connection=connection)
    assert not items(connection).exists()  # no product record to send yet

    store(connection, a_product("V-1", "SHIRT-S"), a_product("V-2", "SHIRT-M"))
    connection_plan(connection=connection)
    assert [p.source_record.external_id for p in items(connection)] == ["V-1"]


def test_detail_mode_sends_every_product(connection):
    connection = with_default_rules(connection, "detail")
    store(connection, a_product("V-1", "SHIRT-S"), a_product("V-2", "SHIRT-M"))
    connection_plan(connection=connection)
    assert items(connection).count() == 2
