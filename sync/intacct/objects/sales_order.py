"""SODOCUMENT (legacy create_sotransaction) <-> order-entry/document::<type>."""

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
    ref,
)
from sync.intacct.xmlgw.builder import Function, function

DEFAULT_TYPE = "Sales Order"

SPEC = ObjectSpec(
    xml_object="SODOCUMENT",
    rest_object="order-entry/document::Sales Order",
    xml_ref="DOCNO",  # the document number
    rest_ref="documentNumber",
    xml_id="DOCID",
    docparid=DEFAULT_TYPE,
)


@dataclass(frozen=True)
class OrderLine:
    item_id: str
    quantity: Decimal
    price: Decimal
    unit: str | None = None
    memo: str | None = None
    dimensions: Dimensions = NO_DIMENSIONS


@dataclass(frozen=True)
class SalesOrder:
    """An order entry document (Sales Order by default)."""

    customer_id: str
    date: dt.date
    lines: tuple[OrderLine, ...]
    document_number: str = ""
    transaction_type: str = DEFAULT_TYPE
    due_date: dt.date | None = None
    term: str | None = None
    reference_number: str | None = None
    currency: str | None = None
    memo: str | None = None
    state: str = "Pending"  # Draft | Pending | Closed


def reference(record: SalesOrder, idempotency_key: str) -> str:
    return record.document_number or idempotency_key


def xml_create(record: SalesOrder, controlid: str) -> Function:
    r = record
    body = {
        "transactiontype": r.transaction_type,
        "datecreated": legacy_date(r.date),
        "customerid": r.customer_id,
        "documentno": reference(r, controlid),
        "referenceno": r.reference_number,
        "termname": r.term,
        "datedue": legacy_date(r.due_date),
        "message": r.memo,
        "currency": r.currency,
        "state": r.state,
        "sotransitems": {
            "sotransitem": [
                {
                    "itemid": line.item_id,
                    "memo": line.memo,
                    "quantity": qty(line.quantity),
                    "unit": line.unit,
                    "price": money(line.price),
                    "locationid": line.dimensions.location,
                    "departmentid": line.dimensions.department,
                    "projectid": line.dimensions.project,
                    "customerid": line.dimensions.customer,
                    "classid": line.dimensions.class_,
                    "warehouseid": line.dimensions.warehouse,
                    **dict(line.dimensions.custom),
                }
                for line in r.lines
            ]
        },
    }
    return function(
        "create_sotransaction", body, controlid=controlid, write=True, billed=1
    )


def rest_object(record: SalesOrder) -> str:
    return f"order-entry/document::{record.transaction_type}"


def rest_body(record: SalesOrder, idempotency_key: str) -> dict[str, Any]:
    r = record
    return prune(
        {
            "documentNumber": reference(r, idempotency_key),
            "customer": {"id": r.customer_id},
            "txnDate": iso_date(r.date),
            "dueDate": iso_date(r.due_date),
            "paymentTerm": ref(r.term),
            "referenceNumber": r.reference_number,
            "memo": r.memo,
            "txnCurrency": r.currency,
            "state": {"Pending": "submitted"}.get(r.state, r.state.lower()),
            "lines": [
                prune(
                    {
                        "unit": line.unit,
                        "unitQuantity": qty(line.quantity),
                        "unitPrice": money(line.price),
                        "memo": line.memo,
                        "dimensions": Dimensions(
                            **{
                                **line.dimensions.__dict__,
                                "item": line.item_id,
                            }
                        ).rest(),
                    }
                )
                for line in r.lines
            ],
        }
    )


def needs_xml(record: SalesOrder) -> bool:
    return any(line.dimensions.has_custom for line in record.lines)
