"""general-ledger/journal-entry <-> GLBATCH (lines: GLENTRY)."""

from __future__ import annotations

from sandbox.rest.fieldmap import Field, Lines, Ref, RestObject
from sandbox.rest.objects.common import dimensions, gl_account

LINES_XML = "ENTRIES"

JOURNAL_ENTRY = RestObject(
    name="general-ledger/journal-entry",
    xml_object="GLBATCH",
    id_field="RECORDNO",
    id_writable=False,
    specs=(
        Field("txnNumber", "BATCHNO", kind="integer", read_only=True),
        Ref(
            "glJournal",
            "JOURNAL",
            target="general-ledger/journal",
            xml_object="GLJOURNAL",
            id_field="SYMBOL",
            name_field="TITLE",
        ),
        Field("postingDate", "BATCH_DATE", kind="date"),
        Field("description", "BATCH_TITLE"),
        Field("referenceNumber", "REFERENCENO"),
        Field("automaticReversalDate", "REVERSEDATE", kind="date"),
        Field("moduleName", "MODULE"),
        Field(
            "state",
            "STATE",
            choices={
                "draft": "Draft",
                "posted": "Posted",
                "submitted": "Submitted",
                "approved": "Approved",
                "declined": "Declined",
                "reversed": "Reversed",
            },
        ),
        Lines(
            "lines",
            LINES_XML,
            (
                Field("txnType", "TR_TYPE", choices={"debit": "1", "credit": "-1"}),
                Field("txnAmount", "TRX_AMOUNT", kind="decimal"),
                gl_account("glAccount", "ACCOUNTNO"),
                Field("description", "DESCRIPTION"),
                Field("documentId", "DOCUMENT"),
                Field("currency.txnCurrency", "CURRENCY"),
                *dimensions("dimensions.", style="glentry"),
            ),
            object_name="general-ledger/journal-entry-line",
        ),
    ),
)
