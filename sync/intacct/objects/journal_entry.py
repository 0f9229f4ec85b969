"""GLBATCH <-> general-ledger/journal-entry (the summarized GL posting)."""

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
    money,
    prune,
    us_date,
)
from sync.intacct.xmlgw.builder import Function, generic_write

SPEC = ObjectSpec(
    xml_object="GLBATCH",
    rest_object="general-ledger/journal-entry",
    xml_ref="REFERENCENO",
    rest_ref="referenceNumber",
    xml_id="RECORDNO",
    rest_id="key",
)


@dataclass(frozen=True)
class JournalLine:
    account: str
    amount: Decimal  # positive
    debit: bool  # True = debit, False = credit
    memo: str | None = None
    currency: str | None = None
    dimensions: Dimensions = NO_DIMENSIONS


@dataclass(frozen=True)
class JournalEntry:
    """A balanced journal entry; `reference` is what a pre-read finds it by."""

    journal: str
    date: dt.date
    description: str
    lines: tuple[JournalLine, ...]
    reference: str = ""
    reverse_date: dt.date | None = None
    state: str = "Posted"  # Posted | Draft


def reference(record: JournalEntry, idempotency_key: str) -> str:
    return record.reference or idempotency_key


def _entry(line: JournalLine) -> dict[str, Any]:
    d = line.dimensions
    return {
        "ACCOUNTNO": line.account,
        "TR_TYPE": "1" if line.debit else "-1",
        "TRX_AMOUNT": money(line.amount),
        "CURRENCY": line.currency,
        "LOCATION": d.location,
        "DEPARTMENT": d.department,
        "PROJECTID": d.project,
        "CUSTOMERID": d.customer,
        "ITEMID": d.item,
        "CLASSID": d.class_,
        "WAREHOUSEID": d.warehouse,
        "DESCRIPTION": line.memo,
        **dict(d.custom),
    }


def xml_create(record: JournalEntry, controlid: str) -> Function:
    r = record
    fields = {
        "JOURNAL": r.journal,
        "BATCH_DATE": us_date(r.date),
        "REVERSEDATE": us_date(r.reverse_date),
        "BATCH_TITLE": r.description,
        "REFERENCENO": reference(r, controlid),
        "STATE": r.state,
        "ENTRIES": {"GLENTRY": [_entry(line) for line in r.lines]},
    }
    return generic_write("create", "GLBATCH", fields, controlid=controlid)


def rest_body(record: JournalEntry, idempotency_key: str) -> dict[str, Any]:
    r = record
    return prune(
        {
            "glJournal": {"id": r.journal},
            "postingDate": iso_date(r.date),
            "description": r.description,
            "referenceNumber": reference(r, idempotency_key),
            "automaticReversalDate": iso_date(r.reverse_date),
            "state": r.state.lower(),
            "lines": [
                prune(
                    {
                        "txnType": "debit" if line.debit else "credit",
                        "txnAmount": money(line.amount),
                        "glAccount": {"id": line.account},
                        "description": line.memo,
                        "currency": {"txnCurrency": line.currency}
                        if line.currency
                        else None,
                        "dimensions": line.dimensions.rest(),
                    }
                )
                for line in r.lines
            ],
        }
    )


def needs_xml(record: JournalEntry) -> bool:
    return any(line.dimensions.has_custom for line in record.lines)
