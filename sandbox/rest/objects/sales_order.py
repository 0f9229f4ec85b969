"""order-entry/document::<name> <-> SODOCUMENT (lines: SODOCUMENTENTRY).

Every document type shares one table; ``DOCPARID`` (the transaction definition
name, e.g. "Sales Order") says which type a stored row is.
"""

from __future__ import annotations

import dataclasses

from sandbox.rest.fieldmap import Field, Lines, Ref, RestObject
from sandbox.rest.objects.common import dimensions

LINES_XML = "SODOCUMENTENTRIES"

# "submitted" is what REST clients send to post a document; it is stored as
# Pending, which reads back as "pending" (later keys win when reading).
STATES = {
    "submitted": "Pending",
    "draft": "Draft",
    "pending": "Pending",
    "closed": "Closed",
    "partiallyConverted": "Partially Converted",
    "converted": "Converted",
    "inProgress": "In Progress",
}

_LINE_DIMENSIONS = tuple(d for d in dimensions("dimensions."))

DOCUMENT = RestObject(
    name="order-entry/document",
    xml_object="SODOCUMENT",
    id_field="DOCID",
    id_writable=False,
    create_result_extra=("documentType",),
    specs=(
        Field("documentNumber", "DOCNO"),
        Field("documentType", "DOCPARID", read_only=True),
        Field("state", "STATE", choices=STATES),
        Ref(
            "customer",
            "CUSTVENDID",
            target="accounts-receivable/customer",
            xml_object="CUSTOMER",
            id_field="CUSTOMERID",
            name_field="NAME",
        ),
        Field("txnDate", "WHENCREATED", kind="date"),
        Field("dueDate", "WHENDUE", kind="date"),
        Ref(
            "paymentTerm",
            "TERMNAME",
            target="accounts-receivable/term",
            xml_object="ARTERM",
            id_field="NAME",
        ),
        Field("referenceNumber", "PONUMBER"),
        Field("memo", "MESSAGE"),
        Field("notes", "NOTE"),
        Field("txnCurrency", "CURRENCY"),
        Field("baseCurrency", "BASECURR"),
        Field("subtotal", "SUBTOTAL", kind="decimal", read_only=True),
        Field("total", "TOTAL", kind="decimal", read_only=True),
        Lines(
            "lines",
            LINES_XML,
            (
                Field("unit", "UNIT"),
                Field("unitQuantity", "QUANTITY", kind="decimal"),
                Field("unitPrice", "PRICE", kind="decimal"),
                Field("price", "TOTAL", kind="decimal", read_only=True),
                Field("memo", "MEMO"),
                Field("lineDescription", "ITEMDESC"),
                *_LINE_DIMENSIONS,
            ),
            object_name="order-entry/document-line",
        ),
    ),
)


def document_type(name: str) -> RestObject:
    """The document table for one transaction definition, e.g. "Sales Order"."""
    return dataclasses.replace(
        DOCUMENT,
        doc_type=name,
        defaults={"DOCPARID": name},
        stored_filter=("eq", "DOCPARID", name),
    )
