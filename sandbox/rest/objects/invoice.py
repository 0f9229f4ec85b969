"""accounts-receivable/invoice <-> ARINVOICE (lines: ARINVOICEITEM)."""

from __future__ import annotations

from sandbox.rest.fieldmap import Field, Lines, Ref, RestObject
from sandbox.rest.objects.common import dimensions, gl_account

LINES_XML = "ARINVOICEITEMS"

STATES = {
    "draft": "Draft",
    "posted": "Posted",
    "paid": "Paid",
    "partiallyPaid": "Partially Paid",
    "selected": "Selected",
    "reversed": "Reversed",
    "reversal": "Reversal",
    "noValue": "",
}

INVOICE = RestObject(
    name="accounts-receivable/invoice",
    xml_object="ARINVOICE",
    id_field="RECORDNO",  # REST id of an invoice is its key (WIRE.md B.2)
    id_writable=False,
    specs=(
        Field("invoiceNumber", "RECORDID"),
        Ref(
            "customer",
            "CUSTOMERID",
            target="accounts-receivable/customer",
            xml_object="CUSTOMER",
            id_field="CUSTOMERID",
            name_field="NAME",
        ),
        Field("invoiceDate", "WHENCREATED", kind="date"),
        Field("dueDate", "WHENDUE", kind="date"),
        Ref(
            "term",
            "TERMNAME",
            target="accounts-receivable/term",
            xml_object="ARTERM",
            id_field="NAME",
        ),
        Field("referenceNumber", "DOCNUMBER"),
        Field("description", "DESCRIPTION"),
        Field("action", "STATE", choices={"submit": "Posted", "draft": "Draft"}),
        Field("state", "STATE", choices=STATES, read_only=True),
        Field("currency.txnCurrency", "CURRENCY"),
        Field("currency.baseCurrency", "BASECURR"),
        Field("totalTxnAmount", "TRX_TOTALENTERED", kind="decimal", read_only=True),
        Field("totalBaseAmount", "TOTALENTERED", kind="decimal", read_only=True),
        Field("totalTxnAmountDue", "TRX_TOTALDUE", kind="decimal", read_only=True),
        Field("totalBaseAmountDue", "TOTALDUE", kind="decimal", read_only=True),
        Lines(
            "lines",
            LINES_XML,
            (
                gl_account("glAccount", "ACCOUNTNO"),
                Field("txnAmount", "AMOUNT", kind="decimal"),
                Field("memo", "ENTRYDESCRIPTION"),
                Ref(
                    "accountLabel",
                    "ACCOUNTLABEL",
                    target="accounts-receivable/account-label",
                ),
                *dimensions("dimensions."),
            ),
            object_name="accounts-receivable/invoice-line",
        ),
    ),
)
