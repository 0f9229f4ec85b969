"""ITEM <-> inventory-control/item."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sync.intacct.objects.base import ObjectSpec, money, prune
from sync.intacct.xmlgw.builder import Function, generic_write

SPEC = ObjectSpec(
    xml_object="ITEM",
    rest_object="inventory-control/item",
    xml_ref="ITEMID",
    rest_ref="id",
    xml_id="ITEMID",
)

# REST enum -> XML ITEMTYPE label
ITEM_TYPES = {
    "inventory": "Inventory",
    "nonInventory": "Non-Inventory",
    "nonInventoryPurchase": "Non-Inventory (Purchase only)",
    "nonInventorySales": "Non-Inventory (Sales only)",
    "kit": "Kit",
}
REST_TYPES = {
    "inventory": "inventory",
    "nonInventory": "nonInventory",
    "nonInventoryPurchase": "purchaseOnlyNonInventory",
    "nonInventorySales": "salesOnlyNonInventory",
    "kit": "kit",
}


@dataclass(frozen=True)
class Item:
    """A product; `item_id` (usually the SKU) is the reference."""

    item_id: str
    name: str
    item_type: str = "inventory"  # a key of ITEM_TYPES
    base_price: Decimal | None = None
    standard_cost: Decimal | None = None
    status: str = "active"
    description: str | None = None
    upc: str | None = None

    def __post_init__(self) -> None:
        if self.item_type not in ITEM_TYPES:
            known = ", ".join(ITEM_TYPES)
            raise ValueError(f"item_type {self.item_type!r} is not one of {known}")


def reference(record: Item, idempotency_key: str) -> str:
    return record.item_id


def _xml_fields(i: Item) -> dict[str, Any]:
    return {
        "ITEMID": i.item_id,
        "NAME": i.name,
        "STATUS": i.status,
        "ITEMTYPE": ITEM_TYPES[i.item_type],
        "EXTENDED_DESCRIPTION": i.description,
        "BASEPRICE": money(i.base_price) if i.base_price is not None else None,
        "STANDARD_COST": money(i.standard_cost)
        if i.standard_cost is not None
        else None,
        "UPC": i.upc,
    }


def xml_create(record: Item, controlid: str) -> Function:
    return generic_write("create", "ITEM", _xml_fields(record), controlid=controlid)


def xml_update(record: Item, key: str, controlid: str) -> Function:
    # ITEM is addressed by ITEMID on update; RECORDNO is not writable there.
    return generic_write("update", "ITEM", _xml_fields(record), controlid=controlid)


def rest_body(record: Item, idempotency_key: str) -> dict[str, Any]:
    i = record
    return prune(
        {
            "id": i.item_id,
            "name": i.name,
            "status": i.status,
            "itemType": REST_TYPES[i.item_type],
            "extendedDescription": i.description,
            "sales": {"basePrice": money(i.base_price)}
            if i.base_price is not None
            else None,
            "purchasing": {"standardCost": money(i.standard_cost)}
            if i.standard_cost is not None
            else None,
            "precision": {"upc": i.upc} if i.upc else None,
        }
    )
