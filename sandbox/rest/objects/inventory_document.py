"""inventory-control/document::<name> <-> ICDOCUMENT (lines: ICDOCUMENTENTRY).

Like order-entry documents, every inventory document type shares one table;
``DOCPARID`` (the transaction definition, e.g. "Inventory Adjustment") says
which type a stored row is. Field names follow the official schema
(``objects.inventory-control.document`` / ``document-line``): the date is
``transactionDate``, a line's writable quantity and cost are ``unitQuantity``
and ``unitCost`` (``quantity`` and ``cost`` are read-only base-unit values) and
its unit is the reference ``unitOfMeasure``.
"""

from __future__ import annotations

import dataclasses

from sandbox.rest.fieldmap import Field, Lines, Ref, RestObject
from sandbox.rest.objects.common import dimensions

LINES_XML = "ICDOCUMENTENTRIES"

STATES = {
    "draft": "Draft",
    "pending": "Pending",
    "closed": "Closed",
    "inProgress": "In Progress",
    "partiallyConverted": "Partially Converted",
    "converted": "Converted",
}

_LINE_DIMENSIONS = tuple(dimensions("dimensions."))

DOCUMENT = RestObject(
    name="inventory-control/document",
    xml_object="ICDOCUMENT",
    id_field="DOCID",
    id_writable=False,
    create_result_extra=("documentType",),
    specs=(
        Field("documentNumber", "DOCNO"),
        Field("documentId", "DOCID", read_only=True),
        Field("documentType", "DOCPARID", read_only=True),
        Field("state", "STATE", choices=STATES),
        Field("transactionDate", "WHENCREATED", kind="date"),
        Field("referenceNumber", "PONUMBER"),
        Field("memo", "MESSAGE"),
        Field("txnCurrency", "CURRENCY"),
        Field("baseCurrency", "BASECURR"),
        Field("total", "TOTAL", kind="decimal", read_only=True),
        Lines(
            "lines",
            LINES_XML,
            (
                Ref(
                    "unitOfMeasure",
                    "UNIT",
                    target="inventory-control/unit-of-measure",
                ),
                Field("unitQuantity", "QUANTITY", kind="decimal"),
                Field("quantity", "QUANTITY", kind="decimal", read_only=True),
                Field("unitCost", "COST", kind="decimal"),
                Field("cost", "COST", kind="decimal", read_only=True),
                Field("extendedCost", "TOTAL", kind="decimal", read_only=True),
                Field("memo", "MEMO"),
                Field("lineDescription", "ITEMDESC"),
                *_LINE_DIMENSIONS,
            ),
            object_name="inventory-control/document-line",
        ),
    ),
)


def document_type(name: str) -> RestObject:
    """The document table for one transaction definition ("Inventory Adjustment")."""
    return dataclasses.replace(
        DOCUMENT,
        doc_type=name,
        defaults={"DOCPARID": name},
        stored_filter=("eq", "DOCPARID", name),
    )
