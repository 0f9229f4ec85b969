"""Normalise and validate one object row before it is stored (used by rules.py).

`prepare(ctx, spec, row, verb)` turns a candidate row into its stored form:
dates to mm/dd/yyyy, amounts rounded half-up to 2 places, line items to a list
with LINE_NO, derived totals; then enforces required fields, references,
balance, the closed period and object-specific rules. It raises
`errors.ValidationFailed` with the Intacct-shaped details.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sandbox import errors
from sandbox.objects import (
    IC_TRANSACTION_TYPES,
    POSTING_SO_TYPES,
    SO_TRANSACTION_TYPES,
    ObjectSpec,
)

CENT = Decimal("0.01")
_DATE_INPUTS = ("%m/%d/%Y", "%Y-%m-%d", "%m-%d-%Y")


def parse_date(value) -> date | None:
    """Date from 'mm/dd/yyyy', 'yyyy-mm-dd' or {year, month, day}; else None."""
    if isinstance(value, date):
        return value
    if isinstance(value, dict):
        try:
            return date(int(value["year"]), int(value["month"]), int(value["day"]))
        except (KeyError, TypeError, ValueError):
            return None
    text = str(value or "").strip()[:10]
    for fmt in _DATE_INPUTS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def xml_date(value: date) -> str:
    """mm/dd/yyyy, the format Intacct reads and writes for generic objects."""
    return value.strftime("%m/%d/%Y")


def money(value) -> Decimal | None:
    """Decimal rounded half-up to cents, or None when not a number."""
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value) -> Decimal | None:
    """Decimal (unrounded), or None when not a number."""
    try:
        parsed = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return parsed if parsed.is_finite() else None


def blank(value) -> bool:
    """Intacct treats missing and empty elements alike."""
    return (
        value is None or (isinstance(value, str) and not value.strip()) or value == {}
    )


def prepare(ctx, spec: ObjectSpec, row: dict, verb: str = "create") -> dict:
    """Normalise `row` in place for `spec` and validate it; returns the row."""
    _normalise_dates(spec, row, verb)
    _normalise_amounts(spec.amounts, row, spec, verb)
    if spec.lines:
        row[spec.lines[0]] = _normalise_lines(spec, row.get(spec.lines[0]), verb)
    special = _SPECIAL.get(spec.name)
    if special:
        special(ctx, spec, row, verb)
    _check_required(spec, row, verb)
    _check_refs(ctx, spec, spec.refs, row, verb)
    for line in row.get(spec.lines[0], []) if spec.lines else []:
        _check_refs(ctx, spec, spec.line_refs, line, verb)
        _check_line_location(ctx, spec, line, verb)
    _check_open_period(ctx, spec, row, verb)
    return row


# --- normalisation -----------------------------------------------------------------


def _normalise_dates(spec: ObjectSpec, row: dict, verb: str) -> None:
    for name in spec.dates:
        if blank(row.get(name)):
            row.pop(name, None)
            continue
        parsed = parse_date(row[name])
        if parsed is None:
            raise errors.invalid(
                spec.label,
                name,
                f"Invalid date '{row[name]}' for {name}; use mm/dd/yyyy.",
                verb,
            )
        row[name] = xml_date(parsed)


def _normalise_amounts(names, row: dict, spec: ObjectSpec, verb: str) -> None:
    for name in names:
        if blank(row.get(name)):
            continue
        amount = money(row[name])
        if amount is None:
            raise errors.invalid(
                spec.label, name, f"Invalid amount '{row[name]}' for {name}.", verb
            )
        row[name] = str(amount)


def _normalise_lines(spec: ObjectSpec, lines, verb: str) -> list[dict]:
    container, tag = spec.lines
    if isinstance(lines, dict) and len(lines) == 1:
        ((key, inner),) = lines.items()
        if key.lower() == tag.lower():
            lines = inner
    if blank(lines):
        lines = []
    if isinstance(lines, dict):
        lines = [lines]
    if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
        raise errors.invalid(
            spec.label, container, f"{container} must be a list of {tag}.", verb
        )
    result = []
    for number_, line in enumerate(lines, start=1):
        line = {k: v for k, v in line.items() if not blank(v)}
        for required_name in spec.line_required:
            if blank(line.get(required_name)) and not _line_default(
                spec, line, required_name
            ):
                raise errors.required(spec.label, f"{tag}.{required_name}", verb)
        _normalise_amounts(spec.line_amounts, line, spec, verb)
        line["LINE_NO"] = str(number_)
        result.append(line)
    return result


def _line_default(spec: ObjectSpec, line: dict, name: str) -> bool:
    """Fill AMOUNT from TRX_AMOUNT (and back) so either spelling is accepted."""
    twins = {"AMOUNT": "TRX_AMOUNT", "TRX_AMOUNT": "AMOUNT"}
    twin = twins.get(name)
    if twin and not blank(line.get(twin)):
        line[name] = line[twin]
        return True
    return False


# --- object-specific rules ------------------------------------------------------------


def _glbatch(ctx, spec: ObjectSpec, row: dict, verb: str) -> None:
    entries = row["ENTRIES"]
    if not entries:
        raise errors.required(spec.label, "ENTRIES", verb)
    debits = credits = Decimal("0.00")
    for line in entries:
        kind = str(line.get("TR_TYPE", "")).strip().lower()
        if kind in ("1", "debit"):
            line["TR_TYPE"], debits = 1, debits + Decimal(line["TRX_AMOUNT"])
        elif kind in ("-1", "credit"):
            line["TR_TYPE"], credits = -1, credits + Decimal(line["TRX_AMOUNT"])
        else:
            raise errors.invalid(
                spec.label, "TR_TYPE", "TR_TYPE must be 1 (debit) or -1 (credit).", verb
            )
        line.setdefault("AMOUNT", line["TRX_AMOUNT"])
    if debits != credits:
        raise errors.unbalanced(str(debits), str(credits))


def _arinvoice(ctx, spec: ObjectSpec, row: dict, verb: str) -> None:
    _document_lines_required(spec, row, verb)
    row.setdefault("WHENPOSTED", row.get("WHENCREATED"))
    _due_date(ctx, spec, row, verb)
    total = sum(
        (Decimal(line["AMOUNT"]) for line in row["ARINVOICEITEMS"]), Decimal("0.00")
    )
    for line in row["ARINVOICEITEMS"]:
        line.setdefault("TRX_AMOUNT", line["AMOUNT"])
    paid = money(row.get("TOTALPAID") or "0")
    row.update(
        TOTALENTERED=str(total),
        TRX_TOTALENTERED=str(total),
        TOTALPAID=str(paid),
        TOTALDUE=str(total - paid) if row.get("STATE") != "Reversed" else "0.00",
    )
    row["TRX_TOTALDUE"] = row["TOTALDUE"]
    _customer_name(ctx, row, "CUSTOMERID", "CUSTOMERNAME")


def _aradjustment(ctx, spec: ObjectSpec, row: dict, verb: str) -> None:
    _document_lines_required(spec, row, verb)
    row.setdefault("WHENPOSTED", row.get("WHENCREATED"))
    total = sum(
        (Decimal(line["AMOUNT"]) for line in row["ARADJUSTMENTITEMS"]), Decimal("0.00")
    )
    row["TOTALENTERED"] = row["TRX_TOTALENTERED"] = str(total)
    invoice_no = row.get("INVOICENO")
    if not blank(invoice_no) and not _invoice_exists(ctx, invoice_no):
        raise errors.invalid_reference(
            spec.label, "INVOICENO", "Invoice", invoice_no, verb
        )


def _invoice_exists(ctx, invoice_no):
    """Whether an invoice has this RECORDID. Invoices have no unique id column to
    look up, so this scans them: first for the exact text, which is the usual case
    and cheap per row, then with the query filter's looser equality (numbers
    compared as numbers). Evaluating the filter on every invoice for every credit
    memo made the sandbox's CPU per record grow with the ledger."""
    exact, _ = ctx.store.select(
        ctx.company_id, "ARINVOICE", lambda r: r.get("RECORDID") == invoice_no, limit=1
    )
    if exact:
        return True
    found, _ = ctx.store.select(
        ctx.company_id, "ARINVOICE", ("eq", "RECORDID", invoice_no), limit=1
    )
    return bool(found)


def _sodocument(ctx, spec: ObjectSpec, row: dict, verb: str) -> None:
    if not blank(row.get("DOCPARID")) and row["DOCPARID"] not in SO_TRANSACTION_TYPES:
        raise errors.invalid(
            spec.label,
            "DOCPARID",
            f"Invalid transaction definition '{row['DOCPARID']}'.",
            verb,
        )
    _document_lines_required(spec, row, verb)
    subtotal = Decimal("0.00")
    for line in row["SODOCUMENTENTRIES"]:
        quantity = number(line["QUANTITY"])
        if quantity is None:
            raise errors.invalid(
                spec.label, "QUANTITY", f"Invalid quantity '{line['QUANTITY']}'.", verb
            )
        line["QUANTITY"] = (
            str(quantity.normalize())
            if quantity == quantity.to_integral()
            else str(quantity)
        )
        price = Decimal(line.get("PRICE") or _item_price(ctx, line.get("ITEMID")))
        line["PRICE"] = str(price.quantize(CENT))
        line["TOTAL"] = str((quantity * price).quantize(CENT, rounding=ROUND_HALF_UP))
        line.setdefault("UNIT", "Each")
        subtotal += Decimal(line["TOTAL"])
    extras = _subtotals(spec, row, verb)
    row["SUBTOTAL"] = str(subtotal)
    row["TOTAL"] = str(subtotal + extras)
    _due_date(ctx, spec, row, verb, required=False)
    _customer_name(ctx, row, "CUSTVENDID", "CUSTVENDNAME")


def _icdocument(ctx, spec: ObjectSpec, row: dict, verb: str) -> None:
    """Inventory transactions: known definition, inventory items, line costs."""
    if not blank(row.get("DOCPARID")) and row["DOCPARID"] not in IC_TRANSACTION_TYPES:
        raise errors.invalid(
            spec.label,
            "DOCPARID",
            f"Invalid transaction definition '{row['DOCPARID']}'.",
            verb,
        )
    _document_lines_required(spec, row, verb)
    total = Decimal("0.00")
    for line in row["ICDOCUMENTENTRIES"]:
        quantity = number(line["QUANTITY"])
        if quantity is None or quantity == 0:
            raise errors.invalid(
                spec.label, "QUANTITY", f"Invalid quantity '{line['QUANTITY']}'.", verb
            )
        line["QUANTITY"] = (
            str(quantity.normalize())
            if quantity == quantity.to_integral()
            else str(quantity)
        )
        item = ctx.store.get_by_id(ctx.company_id, "ITEM", line.get("ITEMID"))
        if item is not None and item.get("ITEMTYPE") not in ("Inventory", "Kit"):
            raise errors.invalid(
                spec.label,
                "ITEMID",
                f"Item {line['ITEMID']} is not an inventory item; only inventory "
                f"items can be used in inventory transactions.",
                verb,
            )
        cost = Decimal(line.get("COST") or (item or {}).get("STANDARD_COST") or "0")
        line["COST"] = str(cost.quantize(CENT, rounding=ROUND_HALF_UP))
        line["TOTAL"] = str(
            (quantity * Decimal(line["COST"])).quantize(CENT, rounding=ROUND_HALF_UP)
        )
        line.setdefault("UNIT", "Each")
        total += Decimal(line["TOTAL"])
    row["TOTAL"] = str(total)


def _subtotals(spec: ObjectSpec, row: dict, verb: str) -> Decimal:
    items = row.get("SUBTOTALS") or []
    if isinstance(items, dict):
        items = items.get("subtotal", items.get("SUBTOTAL", items))
    if isinstance(items, dict):
        items = [items]
    total = Decimal("0.00")
    cleaned = []
    for item in items:
        amount = money(item.get("TOTAL"))
        if amount is None:
            raise errors.invalid(
                spec.label, "SUBTOTALS", "Invalid subtotal amount.", verb
            )
        cleaned.append({**item, "TOTAL": str(amount)})
        total += amount
    row["SUBTOTALS"] = cleaned
    return total


def _document_lines_required(spec: ObjectSpec, row: dict, verb: str) -> None:
    if not row[spec.lines[0]]:
        raise errors.required(spec.label, spec.lines[0], verb)


def _due_date(
    ctx, spec: ObjectSpec, row: dict, verb: str, required: bool = True
) -> None:
    if not blank(row.get("WHENDUE")):
        return
    term = ctx.store.get_by_id(ctx.company_id, "ARTERM", row.get("TERMNAME"))
    created = parse_date(row.get("WHENCREATED"))
    if term and created:
        row["WHENDUE"] = xml_date(
            created + timedelta(days=int(term.get("DUEDAYS") or 0))
        )
    elif required and blank(row.get("TERMNAME")):
        raise errors.required(spec.label, "WHENDUE", verb)


def _customer_name(ctx, row: dict, id_field: str, name_field: str) -> None:
    customer = ctx.store.get_by_id(ctx.company_id, "CUSTOMER", row.get(id_field))
    if customer:
        row[name_field] = customer.get("NAME", "")


def _item_price(ctx, item_id) -> str:
    item = ctx.store.get_by_id(ctx.company_id, "ITEM", item_id)
    return (item or {}).get("BASEPRICE") or "0"


_SPECIAL = {
    "GLBATCH": _glbatch,
    "ARINVOICE": _arinvoice,
    "ARADJUSTMENT": _aradjustment,
    "SODOCUMENT": _sodocument,
    "ICDOCUMENT": _icdocument,
}


# --- checks ---------------------------------------------------------------------------


def _check_required(spec: ObjectSpec, row: dict, verb: str) -> None:
    for name in spec.required:
        if blank(row.get(name)):
            raise errors.required(spec.label, name, verb)


def _check_refs(ctx, spec: ObjectSpec, refs: dict, row: dict, verb: str) -> None:
    for name, target in refs.items():
        value = row.get(name)
        if blank(value) or (target == spec.name and value == row.get(spec.id_field)):
            continue
        found = ctx.store.get_by_id(ctx.company_id, target, value)
        if found is None or found.get("STATUS") == "inactive":
            raise errors.invalid_reference(
                spec.label, name, spec.ref_label(target), value, verb
            )


def _check_line_location(ctx, spec: ObjectSpec, line: dict, verb: str) -> None:
    if not ctx.company.line_location_required or ctx.entity:
        return
    if blank(line.get("LOCATIONID")) and blank(line.get("LOCATION")):
        raise errors.required(spec.label, f"{spec.lines[1]}.LOCATIONID", verb)


def posting_date(spec: ObjectSpec, row: dict) -> date | None:
    """The date that must be in an open period; None if the object does not post."""
    if not spec.posting_date:
        return None
    if spec.name == "SODOCUMENT" and row.get("DOCPARID") not in POSTING_SO_TYPES:
        return None
    return parse_date(row.get(spec.posting_date))


def check_open(ctx, spec: ObjectSpec, row: dict, verb: str) -> None:
    """Refuse when the row's posting date is on or before the closed-through date."""
    closed = ctx.company.closed_through
    when = posting_date(spec, row)
    if not closed or when is None:
        return
    closed_date = parse_date(closed)
    if when <= closed_date:
        err = errors.closed_period(
            spec.label, spec.posting_date, xml_date(when), xml_date(closed_date)
        )
        err.errors[-1] = errors.could_not(verb, spec.label)
        raise err


_check_open_period = check_open
