"""ARINVOICE (legacy create_invoice) <-> accounts-receivable/invoice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
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
    ref,
)
from sync.intacct.xmlgw.builder import Function, function

SPEC = ObjectSpec(
    xml_object="ARINVOICE",
    rest_object="accounts-receivable/invoice",
    xml_ref="RECORDID",  # the invoice number
    rest_ref="invoiceNumber",
    xml_id="RECORDID",
    rest_id="invoiceNumber",
)


@dataclass(frozen=True)
class InvoiceLine:
    gl_account: str
    amount: Decimal
    memo: str | None = None
    dimensions: Dimensions = NO_DIMENSIONS


@dataclass(frozen=True)
class ARInvoice:
    """An AR invoice. `invoice_number` is the reference; when empty the write's
    idempotency key is used, so a pre-read can always find it."""

    customer_id: str
    date: dt.date
    lines: tuple[InvoiceLine, ...]
    invoice_number: str = ""
    due_date: dt.date | None = None
    term: str | None = None
    currency: str | None = None
    description: str | None = None
    reference_number: str | None = None  # e.g. the storefront order number
    custom_fields: dict[str, str] = field(default_factory=dict)


def reference(record: ARInvoice, idempotency_key: str) -> str:
    return record.invoice_number or idempotency_key


def xml_create(record: ARInvoice, controlid: str) -> Function:
    r = record
    # Legacy functions are DTD sequences: element order matters.
    body = {
        "customerid": r.customer_id,
        "datecreated": legacy_date(r.date),
        "dateposted": legacy_date(r.date),
        # A due date or a term is required; without either, due on receipt.
        "datedue": legacy_date(r.due_date or (None if r.term else r.date)),
        "termname": r.term,
        "action": "Submit",
        "invoiceno": reference(r, controlid),
        "ponumber": r.reference_number,
        "description": r.description,
        "currency": r.currency,
        "customfields": {
            "customfield": [
                {"customfieldname": k, "customfieldvalue": v}
                for k, v in r.custom_fields.items()
            ]
        }
        if r.custom_fields
        else None,
        "invoiceitems": {
            "lineitem": [
                {
                    "glaccountno": line.gl_account,
                    "amount": money(line.amount),
                    "memo": line.memo,
                    **line.dimensions.legacy(),
                    **dict(line.dimensions.custom),
                }
                for line in r.lines
            ]
        },
    }
    return function("create_invoice", body, controlid=controlid, write=True, billed=1)


def rest_body(record: ARInvoice, idempotency_key: str) -> dict[str, Any]:
    r = record
    return prune(
        {
            "invoiceNumber": reference(r, idempotency_key),
            "customer": {"id": r.customer_id},
            "invoiceDate": iso_date(r.date),
            "dueDate": iso_date(r.due_date or (None if r.term else r.date)),
            "term": ref(r.term),
            "referenceNumber": r.reference_number,
            "description": r.description,
            "currency": {"txnCurrency": r.currency} if r.currency else None,
            "lines": [
                prune(
                    {
                        "glAccount": {"id": line.gl_account},
                        "txnAmount": money(line.amount),
                        "memo": line.memo,
                        "dimensions": line.dimensions.rest(),
                    }
                )
                for line in r.lines
            ],
        }
    )


def needs_xml(record: ARInvoice) -> bool:
    return bool(record.custom_fields) or any(
        line.dimensions.has_custom for line in record.lines
    )
