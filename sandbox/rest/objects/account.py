"""general-ledger/account <-> GLACCOUNT."""

from __future__ import annotations

from sandbox.rest.fieldmap import Field, RestObject
from sandbox.rest.objects.common import STATUS

ACCOUNT = RestObject(
    name="general-ledger/account",
    xml_object="GLACCOUNT",
    id_field="ACCOUNTNO",
    specs=(
        Field("id", "ACCOUNTNO"),
        Field("name", "TITLE"),
        Field(
            "accountType",
            "ACCOUNTTYPE",
            choices={
                "balanceSheet": "balancesheet",
                "incomeStatement": "incomestatement",
            },
        ),
        Field(
            "normalBalance",
            "NORMALBALANCE",
            choices={"debit": "debit", "credit": "credit"},
        ),
        Field(
            "closingType",
            "CLOSINGTYPE",
            choices={
                "nonClosingAccount": "non-closing account",
                "closingAccount": "closing account",
                "closedToAccount": "closed to account",
            },
        ),
        Field("status", "STATUS", choices=STATUS),
        Field("disallowDirectPosting", "SUBLEDGERCONTROLON", kind="boolean"),
        Field("category", "CATEGORY"),
        Field("isTaxable", "TAXABLE", kind="boolean"),
    ),
)
