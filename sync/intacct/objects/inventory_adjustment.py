"""ICTRANSACTION (legacy create_ictransaction) <-> inventory-control/document::<type>.

Stock corrections from the WMS post as an inventory transaction of an
adjustment type ("Inventory Adjustment" by default; tenants name their own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sync.intacct.objects.base import (
    NO_DIMENSIONS,
    Dimensions,
    ObjectSpec,
    iso_date,
    legacy_date,
    money,
    prune,
    qty,
)
from sync.intacct.xmlgw.builder import Function, function

DEFAULT_TYPE = "Inventory Adjustment"

SPEC = ObjectSpec(
    xml_object="ICDOCUMENT",
    rest_object="inventory-control/document::Inventory Adjustment",
    xml_ref="DOCNO",
    rest_ref="documentNumber",
    xml_id="DOCID",
    docparid=DEFAULT_TYPE,
)


@dataclass(frozen=True)
class AdjustmentLine:
    item_id: str
    warehouse_id: str
    quantity: Decimal  # positive adds stock, negative removes it
    cost: Decimal | None = None
    unit: str | None = None
    memo: str | None = None
    dimensions: Dimensions = NO_DIMENSIONS


@dataclass(frozen=True)
class InventoryAdjustment:
    date: dt.date
    lines: tuple[AdjustmentLine, ...]
    document_number: str = ""
    transaction_type: str = DEFAULT_TYPE
    reference_number: str | None = None
    description: str | None = None


def reference(record: InventoryAdjustment, idempotency_key: str) -> str:
    return record.document_number or idempotency_key


def xml_create(record: InventoryAdjustment, controlid: str) -> Function:
    r = record
    body = {
        "transactiontype": r.transaction_type,
        "datecreated": legacy_date(r.date),
        "documentno": reference(r, controlid),
        "referenceno": r.reference_number,
        "message": r.description,
        "ictransitems": {
            "ictransitem": [
                {
                    "itemid": line.item_id,
                    "itemdesc": line.memo,
                    "warehouseid": line.warehouse_id,
                    "quantity": qty(line.quantity),
                    "unit": line.unit,
                    "cost": money(line.cost) if line.cost is not None else None,
                    "locationid": line.dimensions.location,
                    "departmentid": line.dimensions.department,
                    "classid": line.dimensions.class_,
                    **dict(line.dimensions.custom),
                }
                for line in r.lines
            ]
        },
    }
    return function(
        "create_ictransaction", body, controlid=controlid, write=True, billed=1
    )


def rest_object(record: InventoryAdjustment) -> str:
    return f"inventory-control/document::{record.transaction_type}"


def rest_body(record: InventoryAdjustment, idempotency_key: str) -> dict[str, Any]:
    r = record
    return prune(
        {
            "documentNumber": reference(r, idempotency_key),
            # Field names as the inventory-control OpenAPI document has them: line
            # quantity/cost are read-only there; unitQuantity/unitCost are written.
            "transactionDate": iso_date(r.date),
            "referenceNumber": r.reference_number,
            "memo": r.description,
            "lines": [
                prune(
                    {
                        "unitOfMeasure": {"id": line.unit} if line.unit else None,
                        "unitQuantity": qty(line.quantity),
                        "unitCost": money(line.cost) if line.cost is not None else None,
                        "memo": line.memo,
                        "dimensions": Dimensions(
                            **{
                                **line.dimensions.__dict__,
                                "item": line.item_id,
                                "warehouse": line.warehouse_id,
                            }
                        ).rest(),
                    }
                )
                for line in r.lines
            ],
        }
    )


def needs_xml(record: InventoryAdjustment) -> bool:
    return any(line.dimensions.has_custom for line in record.lines)
