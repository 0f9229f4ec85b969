"""CSV import of customers and orders (columns in docs/csv-import.md).

Every row is checked against the normalized schema; rows that fail are reported and
nothing of them is stored. An order spans several rows (one per line); if any of its
rows is bad, the whole order is refused.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from .convert import MappingError, money, money_sum, rate
from .records import NormalizedRecord, records_store
from .schema import record_errors

CUSTOMER_COLUMNS = [
    "customer_id",
    "email",
    "first_name",
    "last_name",
    "company",
    "phone",
    "currency",
    "tax_exempt",
    "address1",
    "address2",
    "city",
    "province_code",
    "zip",
    "country_code",
    "created_at",
    "updated_at",
]
ORDER_COLUMNS = [
    "order_id",
    "order_number",
    "created_at",
    "updated_at",
    "currency",
    "financial_status",
    "fulfillment_status",
    "customer_id",
    "email",
    "payment_gateway",
    "channel",
    "taxes_included",
    "line_id",
    "sku",
    "title",
    "quantity",
    "unit_price",
    "line_discount",
    "tax_title",
    "tax_rate",
    "line_tax",
    "shipping_title",
    "shipping_price",
    "shipping_tax",
    "total_price",
]
REQUIRED = {
    "customer": {"customer_id", "updated_at"},
    "order": {"order_id", "order_number", "created_at", "currency", "title"},
}
MAX_ROWS = 50_000


@dataclass
class Outcome:
    """The rows one record came from, and the record or the reasons it was refused."""

    rows: list
    external_id: str
    record: NormalizedRecord | None = None
    errors: list = field(default_factory=list)


@dataclass
class Report:
    kind: str
    header: list
    rows: list
    outcomes: list
    stored: int = 0

    @property
    def valid(self):
        return [o for o in self.outcomes if o.record is not None]

    @property
    def invalid(self):
        return [o for o in self.outcomes if o.record is None]


class CsvUnreadable(ValueError):
    """The file is not a CSV we can read at all (encoding, header)."""


def read_rows(content, kind):
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CsvUnreadable(f"the file is not UTF-8 (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(content))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = REQUIRED[kind] - set(header)
    if missing:
        raise CsvUnreadable(f"missing columns: {', '.join(sorted(missing))}")
    rows = []
    for row in reader:
        rows.append({(k or "").strip(): (v or "").strip() for k, v in row.items()})
        if len(rows) > MAX_ROWS:
            raise CsvUnreadable(f"more than {MAX_ROWS} rows; split the file")
    return header, rows


def csv_preview(*, kind, content):
    """Parse and check every row; nothing is stored."""
    header, rows = read_rows(content, kind)
    build = customer_outcomes if kind == "customer" else order_outcomes
    return Report(kind, header, rows, build(rows))


def csv_import(*, source, kind, content):
    """Store every valid record of the file (in one transaction); report the rest."""
    report = csv_preview(kind=kind, content=content)
    records = [o.record for o in report.valid]
    if records:
        results = records_store(source=source, records=records)
        report.stored = sum(r.outcome == "created" for r in results)
    return report


def check(outcome, kind):
    if outcome.errors:
        outcome.record = None
        return outcome
    errors = record_errors(kind, outcome.record.data)
    if errors:
        outcome.errors = [f"{e.field}: {e.message}" for e in errors]
        outcome.record = None
    return outcome


def flag(value):
    return value.strip().lower() in ("1", "true", "yes", "y")


def customer_outcomes(rows):
    outcomes = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        external_id = row.get("customer_id", "")
        outcome = Outcome([number], external_id)
        if not external_id:
            outcome.errors.append("customer_id: is required")
        data = {
            "id": external_id,
            "email": row.get("email") or None,
            "first_name": row.get("first_name") or None,
            "last_name": row.get("last_name") or None,
            "company": row.get("company") or None,
            "phone": row.get("phone") or None,
            "currency": row.get("currency") or None,
            "tax_exempt": flag(row.get("tax_exempt", "")),
            "default_address": {
                "name": " ".join(
                    p for p in (row.get("first_name"), row.get("last_name")) if p
                )
                or None,
                "company": row.get("company") or None,
                "address1": row.get("address1") or None,
                "address2": row.get("address2") or None,
                "city": row.get("city") or None,
                "province_code": row.get("province_code") or None,
                "zip": row.get("zip") or None,
                "country_code": row.get("country_code") or None,
                "phone": row.get("phone") or None,
            },
            "created_at": row.get("created_at") or None,
            "updated_at": row.get("updated_at", ""),
        }
        outcome.record = NormalizedRecord("customer", external_id, data)
        outcomes.append(check(outcome, "customer"))
    return outcomes


def order_outcomes(rows):
    groups = {}
    for number, row in enumerate(rows, start=2):
        groups.setdefault(row.get("order_id", ""), []).append((number, row))
    outcomes = []
    for order_id, members in groups.items():
        outcome = Outcome([n for n, _ in members], order_id)
        if not order_id:
            outcome.errors.append("order_id: is required")
        else:
            try:
                outcome.record = order_record(order_id, [r for _, r in members])
            except MappingError as exc:
                outcome.errors.append(str(exc))
        outcomes.append(check(outcome, "order"))
    return outcomes


def cell_money(row, column, number, default="0"):
    try:
        return money(row.get(column) or default)
    except MappingError:
        raise MappingError(
            f"row {number}: {column} {row.get(column)!r} is not an amount"
        ) from None


def cell_quantity(row, number):
    value = row.get("quantity", "")
    if not value.lstrip("-").isdigit():
        raise MappingError(f"row {number}: quantity {value!r} is not a whole number")
    return int(value)


def order_record(order_id, rows):
    first = rows[0]
    lines = []
    for number, row in enumerate(rows, start=1):
        tax = cell_money(row, "line_tax", number)
        tax_lines = []
        if Decimal(tax):
            tax_lines.append(
                {
                    "title": row.get("tax_title") or "Tax",
                    "rate": rate(row.get("tax_rate")),
                    "amount": tax,
                }
            )
        lines.append(
            {
                "id": row.get("line_id") or f"{order_id}-{number}",
                "sku": row.get("sku") or None,
                "title": row.get("title", ""),
                "quantity": cell_quantity(row, number),
                "unit_price": cell_money(row, "unit_price", number, default=""),
                "discount": cell_money(row, "line_discount", number),
                "tax_lines": tax_lines,
            }
        )
    shipping = []
    if first.get("shipping_price"):
        shipping_tax = cell_money(first, "shipping_tax", 1)
        shipping.append(
            {
                "title": first.get("shipping_title") or "Shipping",
                "price": cell_money(first, "shipping_price", 1),
                "discount": "0.00",
                "tax_lines": (
                    [{"title": "Shipping tax", "amount": shipping_tax}]
                    if Decimal(shipping_tax)
                    else []
                ),
            }
        )
    every = [*lines, *shipping]
    data = {
        "id": order_id,
        "number": first.get("order_number", ""),
        "email": first.get("email") or None,
        "customer": {"id": first["customer_id"], "email": first.get("email") or None}
        if first.get("customer_id")
        else None,
        "currency": first.get("currency", ""),
        "financial_status": first.get("financial_status") or "paid",
        "fulfillment_status": first.get("fulfillment_status") or "unfulfilled",
        "channel": first.get("channel") or "csv",
        "payment_gateways": [first["payment_gateway"]]
        if first.get("payment_gateway")
        else [],
        "lines": lines,
        "shipping_lines": shipping,
        "discounts": [],
        "taxes_included": flag(first.get("taxes_included", "")),
        "subtotal_price": money_sum(
            ln["quantity"] * Decimal(ln["unit_price"]) - Decimal(ln["discount"])
            for ln in lines
        ),
        "total_discounts": money_sum(x["discount"] for x in every),
        "total_shipping": money_sum(x["price"] for x in shipping),
        "total_tax": money_sum(t["amount"] for x in every for t in x["tax_lines"]),
        "total_price": cell_money(first, "total_price", 1, default=""),
        "created_at": first.get("created_at", ""),
        "updated_at": first.get("updated_at") or first.get("created_at", ""),
    }
    return NormalizedRecord("order", order_id, data)
