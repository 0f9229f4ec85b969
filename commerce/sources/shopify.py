"""Shopify webhooks: signature check and payload → normalized records, per topic.

Field names follow Shopify's REST webhook payloads (API 2024-x and later): money is a
string on orders ("199.00") but a number on refund lines (199.0); ids are integers.
"""

import base64
import hashlib
import hmac
from decimal import Decimal

from ..convert import (
    MappingError,
    ident,
    money,
    money_sum,
    quantity,
    rate,
    required_ident,
    tags,
    text,
)
from ..records import NormalizedRecord

ORDER_TOPICS = {"orders/create", "orders/updated", "orders/paid", "orders/cancelled"}
CUSTOMER_TOPICS = {"customers/create", "customers/update"}
PRODUCT_TOPICS = {"products/create", "products/update"}
TOPICS = (
    ORDER_TOPICS
    | CUSTOMER_TOPICS
    | PRODUCT_TOPICS
    | {
        "refunds/create",
        "customers/delete",
        "products/delete",
        "inventory_levels/update",
    }
)

# Topics whose mapping reads records already stored (a product's variants, the last
# inventory level): the deliveries before them must be stored first.
READS_STORED_TOPICS = {"products/delete", "inventory_levels/update"}


def sign(secret, body):
    """Shopify's signature: base64 of HMAC-SHA256 over the raw body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_valid(secret, body, presented):
    """Constant-time comparison of the presented signature with the expected one."""
    if not secret or not presented:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), presented.encode())


class Context:
    """What a mapper may need beyond the payload: the store, the time, lookups."""

    def __init__(self, *, store, triggered_at=None, lookup=None):
        self.store = store
        self.triggered_at = triggered_at
        # lookup(kind, **payload_filters) -> list of latest payloads (read-only).
        self.lookup = lookup or (lambda kind, **filters: [])


def records_for(topic, payload, context):
    """The normalized records one delivery of ``topic`` stands for."""
    if not isinstance(payload, dict):
        raise MappingError("the body is not a JSON object")
    if topic in ORDER_TOPICS:
        return [order_record(payload, context)]
    if topic == "refunds/create":
        return [refund_record(payload, context)]
    if topic in CUSTOMER_TOPICS:
        return [customer_record(payload)]
    if topic in PRODUCT_TOPICS:
        return product_records(payload)
    if topic == "customers/delete":
        return [tombstone("customer", required_ident(payload, "id"), context)]
    if topic == "products/delete":
        return product_tombstones(payload, context)
    if topic == "inventory_levels/update":
        return [inventory_record(payload, context)]
    raise MappingError(f"topic {topic!r} is not mapped")


# --- Orders --------------------------------------------------------------------------


def tax_lines(items):
    return [
        {
            "title": text(t.get("title")) or "Tax",
            "rate": rate(t.get("rate")),
            "amount": money(t.get("price"), "0"),
        }
        for t in items or []
    ]


def allocated(item):
    """Every discount allocated to a line or shipping line (order-level included)."""
    allocations = item.get("discount_allocations")
    if allocations:
        return money_sum(money(a.get("amount"), "0") for a in allocations)
    return money(item.get("total_discount"), "0")


def order_line(line):
    return {
        "id": required_ident(line, "id"),
        "sku": text(line.get("sku")) or None,
        "product_id": ident(line.get("product_id")),
        "variant_id": ident(line.get("variant_id")),
        "title": text(line.get("name") or line.get("title")) or "",
        "quantity": quantity(line.get("quantity")),
        "unit_price": money(line.get("price")),
        "discount": allocated(line),
        "taxable": bool(line.get("taxable", True)),
        "requires_shipping": bool(line.get("requires_shipping", True)),
        "gift_card": bool(line.get("gift_card", False)),
        "tax_lines": tax_lines(line.get("tax_lines")),
    }


def shipping_line(line):
    return {
        "id": ident(line.get("id")),
        "title": text(line.get("title")) or "Shipping",
        "code": text(line.get("code")),
        "price": money(line.get("price"), "0"),
        "discount": allocated(line) if line.get("discount_allocations") else "0.00",
        "tax_lines": tax_lines(line.get("tax_lines")),
    }


def address(value):
    if not isinstance(value, dict):
        return None
    name = value.get("name") or " ".join(
        p for p in (value.get("first_name"), value.get("last_name")) if p
    )
    return {
        "name": text(name) or None,
        "company": text(value.get("company")),
        "address1": text(value.get("address1")),
        "address2": text(value.get("address2")),
        "city": text(value.get("city")),
        "province_code": text(value.get("province_code")),
        "zip": text(value.get("zip")),
        "country_code": text(value.get("country_code")),
        "phone": text(value.get("phone")),
    }


def order_customer(value):
    if not isinstance(value, dict) or value.get("id") is None:
        return None
    return {
        "id": ident(value["id"]),
        "email": text(value.get("email")) or None,
        "first_name": text(value.get("first_name")),
        "last_name": text(value.get("last_name")),
    }


def order_discounts(codes):
    return [
        {
            "code": text(c.get("code")) or "",
            "type": c.get("type") if c.get("type") in DISCOUNT_TYPES else None,
            "amount": money(c.get("amount"), "0"),
        }
        for c in codes or []
    ]


DISCOUNT_TYPES = {"fixed_amount", "percentage", "shipping"}


def order_record(payload, context):
    lines = [order_line(line) for line in payload.get("line_items") or []]
    shipping = [shipping_line(s) for s in payload.get("shipping_lines") or []]
    subtotal = money_sum(
        q * Decimal(p) - Decimal(d)
        for q, p, d in (
            (ln["quantity"], ln["unit_price"], ln["discount"]) for ln in lines
        )
    )
    every = [*lines, *shipping]
    data = {
        "id": required_ident(payload, "id"),
        "number": text(payload.get("name") or payload.get("order_number")) or "",
        "email": text(payload.get("email") or payload.get("contact_email")) or None,
        "customer": order_customer(payload.get("customer")),
        "currency": text(payload.get("currency")),
        "financial_status": payload.get("financial_status") or "pending",
        "fulfillment_status": payload.get("fulfillment_status") or "unfulfilled",
        "cancelled_at": payload.get("cancelled_at"),
        "cancel_reason": text(payload.get("cancel_reason")),
        "closed_at": payload.get("closed_at"),
        "channel": text(payload.get("source_name")),
        "store": context.store,
        "location_id": ident(payload.get("location_id")),
        "payment_gateways": [
            str(g) for g in payload.get("payment_gateway_names") or []
        ],
        "lines": lines,
        "shipping_lines": shipping,
        "discounts": order_discounts(payload.get("discount_codes")),
        "taxes_included": bool(payload.get("taxes_included", False)),
        "subtotal_price": subtotal,
        "total_discounts": money_sum(x["discount"] for x in every),
        "total_shipping": money_sum(
            Decimal(s["price"]) - Decimal(s["discount"]) for s in shipping
        ),
        "total_tax": money_sum(t["amount"] for x in every for t in x["tax_lines"]),
        "total_tip": money(payload.get("total_tip_received"), "0"),
        # Shopify's own total, not ours: the schema check proves the parts add up.
        "total_price": money(payload.get("total_price")),
        "billing_address": address(payload.get("billing_address")),
        "shipping_address": address(payload.get("shipping_address")),
        "tags": tags(payload.get("tags")),
        "note": text(payload.get("note")),
        "created_at": payload.get("created_at"),
        "processed_at": payload.get("processed_at"),
        "updated_at": payload.get("updated_at") or payload.get("created_at"),
    }
    return NormalizedRecord("order", data["id"], data)


# --- Refunds -------------------------------------------------------------------------


def refund_line(item):
    line_item = item.get("line_item") or {}
    return {
        "id": ident(item.get("id")),
        "line_id": required_ident(item, "line_item_id"),
        "sku": text(line_item.get("sku")) or None,
        "quantity": quantity(item.get("quantity")),
        "subtotal": money(item.get("subtotal"), "0"),
        "tax": money(item.get("total_tax"), "0"),
        "restock_type": item.get("restock_type")
        if item.get("restock_type") in RESTOCK_TYPES
        else None,
        "location_id": ident(item.get("location_id")),
    }


RESTOCK_TYPES = {"no_restock", "cancel", "return", "legacy_restock"}
TRANSACTION_KINDS = {"refund", "void", "change"}


def refund_transaction(t):
    return {
        "id": required_ident(t, "id"),
        "kind": t.get("kind") if t.get("kind") in TRANSACTION_KINDS else "refund",
        "gateway": text(t.get("gateway")),
        "status": t.get("status") or "success",
        "amount": money(t.get("amount"), "0"),
        "processed_at": t.get("processed_at") or t.get("created_at"),
    }


def refund_shipping(payload):
    """Shipping refunded: refund_shipping_lines, or shipping_refund adjustments."""
    amount, tax = Decimal(0), Decimal(0)
    for line in payload.get("refund_shipping_lines") or []:
        amount += Decimal(money(shop_amount(line.get("subtotal_amount_set")), "0"))
        tax += Decimal(money(shop_amount(line.get("tax_amount_set")), "0"))
    for adj in payload.get("order_adjustments") or []:
        if adj.get("kind") == "shipping_refund":
            # Shopify records a shipping refund as a negative adjustment.
            amount += abs(Decimal(money(adj.get("amount"), "0")))
            tax += abs(Decimal(money(adj.get("tax_amount"), "0")))
    return {"amount": money(amount), "tax": money(tax)}


def shop_amount(money_set):
    if isinstance(money_set, dict):
        return (money_set.get("shop_money") or {}).get("amount")
    return None


def refund_record(payload, context):
    lines = [refund_line(item) for item in payload.get("refund_line_items") or []]
    transactions = [refund_transaction(t) for t in payload.get("transactions") or []]
    shipping = refund_shipping(payload)
    subtotal = money_sum(line["subtotal"] for line in lines)
    total_tax = money_sum([*(line["tax"] for line in lines), shipping["tax"]])
    returned = money_sum(
        t["amount"]
        for t in transactions
        if t["status"] == "success" and t["kind"] != "void"
    )
    itemised = Decimal(subtotal) + Decimal(total_tax) + Decimal(shipping["amount"])
    currency = next(
        (
            t.get("currency")
            for t in payload.get("transactions") or []
            if t.get("currency")
        ),
        None,
    )
    data = {
        "id": required_ident(payload, "id"),
        "order_id": required_ident(payload, "order_id"),
        "currency": text(currency or context_currency(payload)),
        "note": text(payload.get("note")),
        "restock": bool(payload.get("restock"))
        or any(
            line["restock_type"] in ("return", "cancel", "legacy_restock")
            for line in lines
        ),
        "lines": lines,
        "shipping": shipping,
        "transactions": transactions,
        "subtotal": subtotal,
        "total_tax": total_tax,
        "adjustment": money(Decimal(returned) - itemised),
        "total": returned,
        "created_at": payload.get("created_at"),
        "processed_at": payload.get("processed_at"),
    }
    return NormalizedRecord("refund", data["id"], data)


def context_currency(payload):
    for item in payload.get("refund_line_items") or []:
        code = ((item.get("subtotal_set") or {}).get("shop_money") or {}).get(
            "currency_code"
        )
        if code:
            return code
    return None


# --- Customers, products, inventory -------------------------------------------------


def customer_record(payload):
    consent = payload.get("email_marketing_consent") or {}
    accepts = consent.get("state") == "subscribed" or bool(
        payload.get("accepts_marketing")
    )
    data = {
        "id": required_ident(payload, "id"),
        "email": text(payload.get("email")) or None,
        "first_name": text(payload.get("first_name")),
        "last_name": text(payload.get("last_name")),
        "company": text((payload.get("default_address") or {}).get("company")),
        "phone": text(payload.get("phone")),
        "currency": text(payload.get("currency")),
        "tax_exempt": bool(payload.get("tax_exempt", False)),
        "accepts_marketing": accepts,
        "state": text(payload.get("state")),
        "tags": tags(payload.get("tags")),
        "note": text(payload.get("note")),
        "default_address": address(payload.get("default_address")),
        "created_at": payload.get("created_at"),
        "updated_at": payload.get("updated_at") or payload.get("created_at"),
    }
    return NormalizedRecord("customer", data["id"], data)


def product_records(payload):
    """One Product record per variant: a variant is what carries a SKU and a price."""
    product_id = required_ident(payload, "id")
    variants = payload.get("variants") or []
    if not variants:
        raise MappingError("the product has no variants")
    records = []
    for variant in variants:
        title = payload.get("title") or ""
        if variant.get("title") and variant["title"] != "Default Title":
            title = f"{title} - {variant['title']}"
        data = {
            "id": required_ident(variant, "id"),
            "product_id": product_id,
            "inventory_item_id": ident(variant.get("inventory_item_id")),
            "sku": text(variant.get("sku")) or None,
            "title": text(title) or "(untitled)",
            "price": money(variant.get("price"), "0"),
            "cost": None,  # Shopify keeps cost on the inventory item, not in this hook.
            "currency": None,
            "track_inventory": variant.get("inventory_management") == "shopify"
            or bool(variant.get("tracked")),
            "taxable": bool(variant.get("taxable", True)),
            "barcode": text(variant.get("barcode")),
            "status": payload.get("status")
            if payload.get("status") in ("active", "draft", "archived")
            else None,
            "vendor": text(payload.get("vendor")),
            "product_type": text(payload.get("product_type")),
            "created_at": variant.get("created_at") or payload.get("created_at"),
            "updated_at": variant.get("updated_at") or payload.get("updated_at"),
        }
        records.append(NormalizedRecord("product", data["id"], data))
    return records


def tombstone(kind, external_id, context):
    data = {"id": external_id, "reason": "deleted", "deleted_at": context.triggered_at}
    return NormalizedRecord(kind, external_id, data, tombstone=True)


def product_tombstones(payload, context):
    """products/delete names only the product: tombstone every variant we know of."""
    product_id = required_ident(payload, "id")
    variants = context.lookup("product", product_id=product_id)
    return [tombstone("product", v["id"], context) for v in variants]


def inventory_record(payload, context):
    item_id = required_ident(payload, "inventory_item_id")
    location = required_ident(payload, "location_id")
    available = payload.get("available")
    available = None if available is None else quantity_signed(available)
    known = context.lookup("product", inventory_item_id=item_id)
    previous = context.lookup(
        "inventory_adjustment", inventory_item_id=item_id, location=location
    )
    # Shopify reports the new level, not the movement: the delta is the difference
    # from the last level we stored, when we have one.
    last = next(
        (p.get("available") for p in previous if p.get("available") is not None), None
    )
    delta = None if available is None or last is None else available - last
    occurred = payload.get("updated_at") or context.triggered_at
    data = {
        "id": f"{item_id}@{location}@{occurred}",
        "sku": known[0].get("sku") if known else None,
        "inventory_item_id": item_id,
        "location": location,
        "delta": delta,
        "available": available,
        "reason": "level_update",
        "occurred_at": occurred,
    }
    return NormalizedRecord("inventory_adjustment", data["id"], data)


def quantity_signed(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise MappingError(f"{value!r} is not a whole quantity")
    return value
