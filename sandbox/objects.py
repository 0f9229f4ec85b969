"""What the sandbox knows about each Intacct object: ID field, required fields,
references, line items, amounts and dates. Both APIs and the rules read this.

Field names are the upper-case XML names. Line items are stored as a list under
`lines[0]`; in XML each line is wrapped in an element named `lines[1]`
(`<ENTRIES><GLENTRY>…</GLENTRY></ENTRIES>`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Reference targets for dimension-like fields, used on headers and lines alike.
DIMENSION_REFS = {
    "ACCOUNTNO": "GLACCOUNT",
    "GLACCOUNTNO": "GLACCOUNT",
    "LOCATIONID": "LOCATION",
    "LOCATION": "LOCATION",
    "DEPARTMENTID": "DEPARTMENT",
    "DEPARTMENT": "DEPARTMENT",
    "CLASSID": "CLASS",
    "ITEMID": "ITEM",
    "WAREHOUSEID": "WAREHOUSE",
    "CUSTOMERID": "CUSTOMER",
}

# The user-defined dimension every company has (platform object + GLDIM field).
UDD_OBJECT = "CHANNEL"
UDD_FIELD = "GLDIMCHANNEL"
DIMENSION_REFS[UDD_FIELD] = UDD_OBJECT


@dataclass(frozen=True)
class ObjectSpec:
    """Static description of one Intacct object."""

    name: str
    label: str
    id_field: str | None = None
    required: tuple[str, ...] = ()
    refs: dict[str, str] = field(default_factory=dict)
    lines: tuple[str, str] | None = None
    line_required: tuple[str, ...] = ()
    line_refs: dict[str, str] = field(default_factory=dict)
    amounts: tuple[str, ...] = ()
    line_amounts: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    posting_date: str | None = None  # checked against the closed-through date
    writable: bool = True
    defaults: dict[str, object] = field(default_factory=dict)
    fields: tuple[str, ...] = ()  # advertised by `lookup` (plus RECORDNO etc.)

    @property
    def element(self) -> str:
        """Lower-case element name used in XML results (`customer`)."""
        return self.name.lower()

    def ref_label(self, obj: str) -> str:
        """Human label of a referenced object."""
        return SPECS[obj].label if obj in SPECS else obj.title()


_LINE_DIMS = {k: v for k, v in DIMENSION_REFS.items() if k not in ("GLACCOUNTNO",)}

SPECS: dict[str, ObjectSpec] = {}


def _add(spec: ObjectSpec) -> None:
    SPECS[spec.name] = spec


_add(
    ObjectSpec(
        "CUSTOMER",
        "Customer",
        id_field="CUSTOMERID",
        required=("NAME",),
        refs={"TERMNAME": "ARTERM", "PARENTID": "CUSTOMER"},
        defaults={
            "STATUS": "active",
            "CURRENCY": "USD",
            "TOTALDUE": "0.00",
            "ONHOLD": "false",
        },
        fields=(
            "CUSTOMERID",
            "NAME",
            "STATUS",
            "TERMNAME",
            "CURRENCY",
            "DISPLAYCONTACT",
            "TOTALDUE",
            "ONHOLD",
            "PARENTID",
            "EMAIL1",
        ),
    )
)
_add(
    ObjectSpec(
        "ITEM",
        "Item",
        id_field="ITEMID",
        required=("ITEMID", "NAME"),
        amounts=("BASEPRICE", "STANDARD_COST"),
        defaults={"STATUS": "active", "ITEMTYPE": "Inventory"},
        fields=(
            "ITEMID",
            "NAME",
            "STATUS",
            "ITEMTYPE",
            "BASEPRICE",
            "STANDARD_COST",
            "UOMGRP",
        ),
    )
)
_add(
    ObjectSpec(
        "LOCATION",
        "Location",
        id_field="LOCATIONID",
        required=("LOCATIONID", "NAME"),
        refs={"PARENTID": "LOCATION"},
        defaults={"STATUS": "active"},
        fields=("LOCATIONID", "NAME", "STATUS", "PARENTID", "ENTITY"),
    )
)
_add(
    ObjectSpec(
        "DEPARTMENT",
        "Department",
        id_field="DEPARTMENTID",
        required=("DEPARTMENTID", "TITLE"),
        refs={"PARENTID": "DEPARTMENT"},
        defaults={"STATUS": "active"},
        fields=("DEPARTMENTID", "TITLE", "STATUS", "PARENTID"),
    )
)
_add(
    ObjectSpec(
        "CLASS",
        "Class",
        id_field="CLASSID",
        required=("CLASSID", "NAME"),
        refs={"PARENTID": "CLASS"},
        defaults={"STATUS": "active"},
        fields=("CLASSID", "NAME", "STATUS", "PARENTID"),
    )
)
_add(
    ObjectSpec(
        UDD_OBJECT,
        "Channel",
        id_field="ID",
        required=("ID", "NAME"),
        defaults={"STATUS": "active"},
        fields=("ID", "NAME", "STATUS"),
    )
)
_add(
    ObjectSpec(
        "GLACCOUNT",
        "GL Account",
        id_field="ACCOUNTNO",
        required=("ACCOUNTNO", "TITLE"),
        defaults={
            "STATUS": "active",
            "ACCOUNTTYPE": "incomestatement",
            "NORMALBALANCE": "debit",
        },
        fields=("ACCOUNTNO", "TITLE", "STATUS", "ACCOUNTTYPE", "NORMALBALANCE"),
    )
)
_add(
    ObjectSpec(
        "GLJOURNAL",
        "Journal",
        id_field="SYMBOL",
        required=("SYMBOL", "TITLE"),
        defaults={"STATUS": "active"},
        fields=("SYMBOL", "TITLE", "STATUS"),
    )
)
_add(
    ObjectSpec(
        "ARTERM",
        "Term",
        id_field="NAME",
        required=("NAME",),
        defaults={"STATUS": "active", "DUEDAYS": "30"},
        fields=("NAME", "DESCRIPTION", "STATUS", "DUEDAYS"),
    )
)
_add(
    ObjectSpec(
        "WAREHOUSE",
        "Warehouse",
        id_field="WAREHOUSEID",
        required=("WAREHOUSEID", "NAME"),
        refs={"LOCATIONID": "LOCATION"},
        defaults={"STATUS": "active"},
        fields=("WAREHOUSEID", "NAME", "STATUS", "LOCATIONID"),
    )
)
_add(
    ObjectSpec(
        "GLBATCH",
        "Journal entry",
        required=("JOURNAL", "BATCH_DATE", "BATCH_TITLE"),
        refs={"JOURNAL": "GLJOURNAL"},
        lines=("ENTRIES", "GLENTRY"),
        line_required=("ACCOUNTNO", "TR_TYPE", "TRX_AMOUNT"),
        line_refs=_LINE_DIMS,
        line_amounts=("TRX_AMOUNT", "AMOUNT"),
        dates=("BATCH_DATE", "REVERSEDATE"),
        posting_date="BATCH_DATE",
        defaults={"STATE": "Posted"},
        fields=(
            "JOURNAL",
            "BATCHNO",
            "BATCH_DATE",
            "BATCH_TITLE",
            "REFERENCENO",
            "STATE",
            "REVERSEDATE",
            "ENTRIES",
        ),
    )
)
_add(
    ObjectSpec(
        "ARINVOICE",
        "Invoice",
        required=("CUSTOMERID", "WHENCREATED"),
        refs={"CUSTOMERID": "CUSTOMER", "TERMNAME": "ARTERM"},
        lines=("ARINVOICEITEMS", "arinvoiceitem"),
        line_required=("ACCOUNTNO", "AMOUNT"),
        line_refs=_LINE_DIMS,
        line_amounts=("AMOUNT", "TRX_AMOUNT"),
        dates=("WHENCREATED", "WHENPOSTED", "WHENDUE"),
        posting_date="WHENPOSTED",
        defaults={"STATE": "Posted", "CURRENCY": "USD", "BASECURR": "USD"},
        fields=(
            "RECORDID",
            "CUSTOMERID",
            "CUSTOMERNAME",
            "WHENCREATED",
            "WHENPOSTED",
            "WHENDUE",
            "TERMNAME",
            "DOCNUMBER",
            "DESCRIPTION",
            "CURRENCY",
            "STATE",
            "TOTALENTERED",
            "TOTALPAID",
            "TOTALDUE",
            "ARINVOICEITEMS",
        ),
    )
)
_add(
    ObjectSpec(
        "ARADJUSTMENT",
        "AR Adjustment",
        required=("CUSTOMERID", "WHENCREATED"),
        refs={"CUSTOMERID": "CUSTOMER"},
        lines=("ARADJUSTMENTITEMS", "aradjustmentitem"),
        line_required=("ACCOUNTNO", "AMOUNT"),
        line_refs=_LINE_DIMS,
        line_amounts=("AMOUNT", "TRX_AMOUNT"),
        dates=("WHENCREATED", "WHENPOSTED"),
        posting_date="WHENPOSTED",
        defaults={"STATE": "Posted", "CURRENCY": "USD", "BASECURR": "USD"},
        fields=(
            "RECORDID",
            "CUSTOMERID",
            "WHENCREATED",
            "WHENPOSTED",
            "INVOICENO",
            "DESCRIPTION",
            "DOCNUMBER",
            "CURRENCY",
            "STATE",
            "TOTALENTERED",
            "ARADJUSTMENTITEMS",
        ),
    )
)
_add(
    ObjectSpec(
        "SODOCUMENT",
        "Sales transaction",
        id_field="DOCID",
        required=("DOCPARID", "CUSTVENDID", "WHENCREATED"),
        refs={"CUSTVENDID": "CUSTOMER", "TERMNAME": "ARTERM"},
        lines=("SODOCUMENTENTRIES", "sodocumententry"),
        line_required=("ITEMID", "QUANTITY"),
        line_refs=_LINE_DIMS,
        line_amounts=("PRICE", "TOTAL"),
        amounts=("SUBTOTAL", "TOTAL"),
        dates=("WHENCREATED", "WHENDUE"),
        posting_date="WHENCREATED",
        defaults={"STATE": "Pending", "CURRENCY": "USD", "BASECURR": "USD"},
        fields=(
            "DOCPARID",
            "DOCNO",
            "DOCID",
            "CUSTVENDID",
            "CUSTVENDNAME",
            "WHENCREATED",
            "WHENDUE",
            "TERMNAME",
            "PONUMBER",
            "MESSAGE",
            "CURRENCY",
            "STATE",
            "SUBTOTAL",
            "TOTAL",
            "SODOCUMENTENTRIES",
            "SUBTOTALS",
        ),
    )
)
_add(
    ObjectSpec(
        "ICDOCUMENT",
        "Inventory transaction",
        id_field="DOCID",
        required=("DOCPARID", "WHENCREATED"),
        lines=("ICDOCUMENTENTRIES", "icdocumententry"),
        line_required=("ITEMID", "WAREHOUSEID", "QUANTITY"),
        line_refs=_LINE_DIMS,
        line_amounts=("COST", "TOTAL"),
        amounts=("TOTAL",),
        dates=("WHENCREATED",),
        posting_date="WHENCREATED",
        defaults={"STATE": "Pending", "CURRENCY": "USD", "BASECURR": "USD"},
        fields=(
            "DOCPARID",
            "DOCNO",
            "DOCID",
            "WHENCREATED",
            "PONUMBER",
            "MESSAGE",
            "CURRENCY",
            "BASECURR",
            "STATE",
            "TOTAL",
            "ICDOCUMENTENTRIES",
        ),
    )
)
_add(
    ObjectSpec(
        "ARPYMT",
        "AR Payment",
        refs={"CUSTOMERID": "CUSTOMER"},
        writable=False,
        dates=("WHENCREATED", "WHENPAID"),
        fields=(
            "CUSTOMERID",
            "WHENCREATED",
            "WHENPAID",
            "PAYMENTMETHOD",
            "TOTALENTERED",
            "STATE",
            "INVOICEKEY",
            "DOCNUMBER",
        ),
    )
)

# Objects whose posting date must be open; SODOCUMENT only for posting types.
POSTING_SO_TYPES = {"Sales Invoice", "Sales Return"}

SO_TRANSACTION_TYPES = ("Sales Order", "Sales Invoice", "Sales Quote", "Sales Return")


# Inventory transaction definitions the sandbox knows (Intacct's standard ones plus
# "Inventory Adjustment", the hub's default adjustment type; tenants name their own).
IC_TRANSACTION_TYPES = (
    "Inventory Adjustment",
    "Adjustment Increase",
    "Adjustment Decrease",
    "Beginning Balance",
    "Inventory Receipt",
    "Inventory Transfer In",
    "Inventory Transfer Out",
    "Inventory Scrap or Spoilage",
    "Inventory Damaged Goods",
)

# Other names for a covered object: Intacct's XML name for inventory transactions
# is INVDOCUMENT (query/read/lookup); the sandbox stores them as ICDOCUMENT.
ALIASES = {"INVDOCUMENT": "ICDOCUMENT"}


def spec_for(name: str) -> ObjectSpec | None:
    """The spec for an object name (case-insensitive), or None."""
    upper = (name or "").upper()
    return SPECS.get(ALIASES.get(upper, upper))


ID_FIELDS = {name: spec.id_field for name, spec in SPECS.items()}
