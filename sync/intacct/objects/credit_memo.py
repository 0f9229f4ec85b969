"""ARADJUSTMENT (legacy create_aradjustment) <-> accounts-receivable/adjustment.

A refund posts as an AR adjustment (credit memo) against the customer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sync.intacct.objects.ar_invoice import InvoiceLine
from sync.intacct.objects.base import ObjectSpec, iso_date, legacy_date, money, prune
from sync.intacct.xmlgw.builder import Function, function

SPEC = ObjectSpec(
    xml_object="ARADJUSTMENT",
    rest_object="accounts-receivable/adjustment",
    xml_ref="RECORDID",  # the adjustment number
    rest_ref="adjustmentNumber",
    xml_id="RECORDID",
    rest_id="adjustmentNumber",
)


@dataclass(frozen=True)
class CreditMemo:
    """A credit memo; amounts are positive (Intacct credits the customer)."""

    customer_id: str
    date: dt.date
    lines: tuple[InvoiceLine, ...]
    adjustment_number: str = ""
    invoice_number: str | None = None  # the invoice it refunds, when known
    description: str | None = None
    currency: str | None = None


def reference(record: CreditMemo, idempotency_key: str) -> str:
    return record.adjustment_number or idempotency_key


def xml_create(record: CreditMemo, controlid: str) -> Function:
    r = record
    body = {
        "customerid": r.customer_id,
        "datecreated": legacy_date(r.date),
        "dateposted": legacy_date(r.date),
        "adjustmentno": reference(r, controlid),
        "action": "Submit",
        "invoiceno": r.invoice_number,
        "description": r.description,
        "currency": r.currency,
        "aradjustmentitems": {
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
    return function(
        "create_aradjustment", body, controlid=controlid, write=True, billed=1
    )


def rest_body(record: CreditMemo, idempotency_key: str) -> dict[str, Any]:
    r = record
    return prune(
        {
            "adjustmentNumber": reference(r, idempotency_key),
            "customer": {"id": r.customer_id},
            "adjustmentDate": iso_date(r.date),
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


def needs_xml(record: CreditMemo) -> bool:
    return any(line.dimensions.has_custom for line in record.lines)
