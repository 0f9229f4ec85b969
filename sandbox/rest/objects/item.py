"""inventory-control/item <-> ITEM."""

from __future__ import annotations

from sandbox.rest.fieldmap import Field, Ref, RestObject
from sandbox.rest.objects.common import STATUS

ITEM_TYPES = {
    "inventory": "Inventory",
    "nonInventory": "Non-Inventory",
    "purchaseOnlyNonInventory": "Non-Inventory (Purchase only)",
    "salesOnlyNonInventory": "Non-Inventory (Sales only)",
    "kit": "Kit",
    "stockableKit": "Stockable Kit",
}

ITEM = RestObject(
    name="inventory-control/item",
    xml_object="ITEM",
    id_field="ITEMID",
    specs=(
        Field("id", "ITEMID"),
        Field("name", "NAME"),
        Field("status", "STATUS", choices=STATUS),
        Field("itemType", "ITEMTYPE", choices=ITEM_TYPES),
        Field("extendedDescription", "EXTENDED_DESCRIPTION"),
        Field("soDescription", "SODESCRIPTION"),
        Field("poDescription", "PODESCRIPTION"),
        Field("notes", "NOTE"),
        Field(
            "costMethod",
            "COST_METHOD",
            choices={
                "standard": "Standard",
                "average": "Average",
                "FIFO": "FIFO",
                "LIFO": "LIFO",
            },
        ),
        Field("quantityOnHand", "QTY_ONHAND", read_only=True),
        Field("sales.basePrice", "BASEPRICE", kind="decimal"),
        Field("sales.isTaxable", "TAXABLE", kind="boolean"),
        Field("purchasing.standardCost", "STANDARD_COST", kind="decimal"),
        Field("precision.upc", "UPC"),
        Ref("productLine", "PRODUCTLINEID", target="inventory-control/product-line"),
        Ref(
            "unitOfMeasureGroup",
            "UOMGRP",
            target="inventory-control/unit-of-measure-group",
        ),
        Ref("inventory.glGroup", "GLGROUP", target="inventory-control/item-gl-group"),
    ),
)
