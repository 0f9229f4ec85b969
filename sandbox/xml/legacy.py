"""Legacy (object-specific, lower-case) functions mapped onto the shared rules.

Each returns the value for the result's `<key>` element. [S: WIRE.md A.5]
"""

from __future__ import annotations

from sandbox import rules
from sandbox.objects import UDD_FIELD
from sandbox.xml.parse import as_list, schema_error, to_value

# Line element -> canonical line field, shared by invoice and adjustment lines.
_AR_LINE = {
    "glaccountno": "ACCOUNTNO",
    "amount": "AMOUNT",
    "memo": "ENTRYDESCRIPTION",
    "locationid": "LOCATIONID",
    "departmentid": "DEPARTMENTID",
    "customerid": "CUSTOMERID",
    "itemid": "ITEMID",
    "classid": "CLASSID",
    "warehouseid": "WAREHOUSEID",
    "projectid": "PROJECTID",
    "vendorid": "VENDORID",
    "employeeid": "EMPLOYEEID",
    "contractid": "CONTRACTID",
    UDD_FIELD.lower(): UDD_FIELD,
}

_INVOICE = {
    "customerid": "CUSTOMERID",
    "datecreated": "WHENCREATED",
    "dateposted": "WHENPOSTED",
    "datedue": "WHENDUE",
    "termname": "TERMNAME",
    "invoiceno": "RECORDID",
    "ponumber": "DOCNUMBER",
    "description": "DESCRIPTION",
    "externalid": "EXTERNALID",
    "currency": "CURRENCY",
    "basecurr": "BASECURR",
}

_ADJUSTMENT = {
    "customerid": "CUSTOMERID",
    "datecreated": "WHENCREATED",
    "dateposted": "WHENPOSTED",
    "adjustmentno": "RECORDID",
    "invoiceno": "INVOICENO",
    "description": "DESCRIPTION",
    "externalid": "EXTERNALID",
    "currency": "CURRENCY",
    "basecurr": "BASECURR",
}

_SOTRANSACTION = {
    "transactiontype": "DOCPARID",
    "datecreated": "WHENCREATED",
    "customerid": "CUSTVENDID",
    "documentno": "DOCNO",
    "referenceno": "PONUMBER",
    "termname": "TERMNAME",
    "datedue": "WHENDUE",
    "message": "MESSAGE",
    "currency": "CURRENCY",
    "basecurr": "BASECURR",
    "state": "STATE",
}

_SO_LINE = {
    "itemid": "ITEMID",
    "quantity": "QUANTITY",
    "unit": "UNIT",
    "price": "PRICE",
    "memo": "MEMO",
    "locationid": "LOCATIONID",
    "departmentid": "DEPARTMENTID",
    "classid": "CLASSID",
    "warehouseid": "WAREHOUSEID",
    "customerid": "CUSTOMERID",
    UDD_FIELD.lower(): UDD_FIELD,
}


_ICTRANSACTION = {
    "transactiontype": "DOCPARID",
    "datecreated": "WHENCREATED",
    "documentno": "DOCNO",
    "referenceno": "PONUMBER",
    "message": "MESSAGE",
    "description": "MESSAGE",
    "externalid": "EXTERNALID",
    "basecurr": "BASECURR",
    "currency": "CURRENCY",
    "state": "STATE",
}

_IC_LINE = {
    "itemid": "ITEMID",
    "itemdesc": "ITEMDESC",
    "warehouseid": "WAREHOUSEID",
    "quantity": "QUANTITY",
    "unit": "UNIT",
    "cost": "COST",
    "memo": "MEMO",
    "locationid": "LOCATIONID",
    "departmentid": "DEPARTMENTID",
    "classid": "CLASSID",
    "customerid": "CUSTOMERID",
    "projectid": "PROJECTID",
    "vendorid": "VENDORID",
    "employeeid": "EMPLOYEEID",
    UDD_FIELD.lower(): UDD_FIELD,
}


def _map(source: dict, mapping: dict) -> dict:
    """Rename known elements; custom fields become top-level fields."""
    result = {}
    for name, value in source.items():
        if name in mapping:
            result[mapping[name]] = value
        elif name == "customfields":
            for custom in as_list(
                value.get("customfield") if isinstance(value, dict) else None
            ):
                result[str(custom.get("customfieldname", "")).upper()] = custom.get(
                    "customfieldvalue", ""
                )
    return result


def _lines(container, item_tag: str, mapping: dict) -> list[dict]:
    items = container.get(item_tag) if isinstance(container, dict) else None
    return [_map(item, mapping) for item in as_list(items) if isinstance(item, dict)]


def _state(action: str) -> str:
    return "Draft" if action.strip().lower() == "draft" else "Posted"


def create_invoice(ctx: rules.Context, element) -> str:
    """<create_invoice> -> ARINVOICE; key = RECORDNO."""
    source = _dict(element)
    fields = _map(source, _INVOICE)
    fields["STATE"] = _state(str(source.get("action", "")))
    fields["ARINVOICEITEMS"] = _lines(source.get("invoiceitems"), "lineitem", _AR_LINE)
    return str(rules.create(ctx, "ARINVOICE", fields)["RECORDNO"])


def create_aradjustment(ctx: rules.Context, element) -> str:
    """<create_aradjustment> -> ARADJUSTMENT; key = RECORDNO."""
    source = _dict(element)
    fields = _map(source, _ADJUSTMENT)
    fields["STATE"] = _state(str(source.get("action", "")))
    fields["ARADJUSTMENTITEMS"] = _lines(
        source.get("aradjustmentitems"), "lineitem", _AR_LINE
    )
    return str(rules.create(ctx, "ARADJUSTMENT", fields)["RECORDNO"])


def create_sotransaction(ctx: rules.Context, element) -> str:
    """<create_sotransaction> -> SODOCUMENT; key = DOCID ('Sales Order-SO00001')."""
    source = _dict(element)
    fields = _map(source, _SOTRANSACTION)
    fields["SODOCUMENTENTRIES"] = _lines(
        source.get("sotransitems"), "sotransitem", _SO_LINE
    )
    subtotals = source.get("subtotals")
    if isinstance(subtotals, dict):
        fields["SUBTOTALS"] = [
            {"DESCRIPTION": s.get("description", ""), "TOTAL": s.get("total", "")}
            for s in as_list(subtotals.get("subtotal"))
        ]
    return rules.create(ctx, "SODOCUMENT", fields)["DOCID"]


def create_ictransaction(ctx: rules.Context, element) -> str:
    """<create_ictransaction> -> ICDOCUMENT; key = DOCID ('Inventory Adjustment-…')."""
    source = _dict(element)
    fields = _map(source, _ICTRANSACTION)
    fields["ICDOCUMENTENTRIES"] = _lines(
        source.get("ictransitems"), "ictransitem", _IC_LINE
    )
    return rules.create(ctx, "ICDOCUMENT", fields)["DOCID"]


def reverse_invoice(ctx: rules.Context, element) -> str:
    """<reverse_invoice key="…"><datereversed/><description/> -> STATE Reversed."""
    key = element.get("key", "").strip()
    if not key:
        raise schema_error("reverse_invoice requires a key attribute")
    source = _dict(element)
    rules.reverse_invoice(
        ctx, key, source.get("datereversed"), source.get("description")
    )
    return key


def delete_invoice(ctx: rules.Context, element) -> str:
    """<delete_invoice key="…"/> -> delete the ARINVOICE."""
    key = element.get("key", "").strip()
    if not key:
        raise schema_error("delete_invoice requires a key attribute")
    rules.delete(ctx, "ARINVOICE", key)
    return key


def _dict(element) -> dict:
    value = to_value(element)
    return value if isinstance(value, dict) else {}


LEGACY = {
    "create_invoice": create_invoice,
    "create_aradjustment": create_aradjustment,
    "create_sotransaction": create_sotransaction,
    "create_ictransaction": create_ictransaction,
    "reverse_invoice": reverse_invoice,
    "delete_invoice": delete_invoice,
}
