"""A connection wired to an in-process sandbox whose invoices look SKUs up in a value
map (empty at first: every order fails with an unknown SKU until someone adds it)."""

import pytest

from mappings.models import FieldMapping, ValueMap
from tests.sync.conftest import (  # noqa: F401  (fixtures)
    a_customer,
    an_order,
    connection,
    sandbox,
    store,
    transport,
)


@pytest.fixture
def sku_connection(connection):  # noqa: F811  (the imported fixture)
    ms = connection.mapping_set
    ValueMap.objects.create(mapping_set=ms, name="sku_items", on_no_match="fail")
    FieldMapping.objects.create(
        mapping_set=ms,
        action="post_ar_invoice",
        line_scope="lines",
        target_field="dimensions.item",
        source_expression="sku",
        transform="lookup:sku_items",
    )
    return connection


def add_sku(conn, sku="SKU-1001", item="SKU-1001"):
    value_map = conn.mapping_set.value_maps.get(name="sku_items")
    value_map.entries.create(source_value=sku, target_value=item)
