"""API2Cart polling: list what changed since the checkpoint, store it, move on.

The checkpoint is the newest ``modified_at`` actually seen (never "now"), and each poll
re-reads an overlap window behind it: content hashing makes re-reads free, and
records whose timestamps land late are still caught. A pass that crashes, or that saw
fewer distinct items than the store counted (an edit during pagination shifts items
between pages), does not move the checkpoint, so the next poll reads them again.
"""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from django.conf import settings
from django.db import transaction

from ..convert import MappingError, ident, money, money_sum, quantity, rate, text
from ..models import InboundDelivery, Source
from ..records import NormalizedRecord, records_store
from ..schema import RecordInvalid, validate_record

logger = logging.getLogger(__name__)


class Api2CartError(Exception):
    """API2Cart answered with an HTTP error or a non-zero return_code."""


@dataclass(frozen=True)
class Entity:
    name: str
    method: str
    result_key: str
    count_key: str


ENTITIES = [
    Entity("customer", "customer.list", "customer", "customers_count"),
    Entity("product", "product.list", "product", "products_count"),
    Entity("order", "order.list", "order", "orders_count"),
]


class Api2CartClient:
    """One httpx.Client for one store; keys travel in headers, never in URLs."""

    def __init__(self, *, base_url, api_key, store_key, transport=None, timeout=30):
        self.http = httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            headers={
                "x-api-key": api_key,
                "x-store-key": store_key,
                "Accept": "application/json",
            },
        )

    def close(self):
        self.http.close()

    def call(self, method, **params):
        """One API call; the decoded body, or Api2CartError."""
        response = self.http.get(f"{method}.json", params=params)
        if response.status_code >= 400:
            raise Api2CartError(f"{method}: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise Api2CartError(f"{method}: the answer is not JSON") from None
        if not isinstance(body, dict) or body.get("return_code") != 0:
            code = body.get("return_code") if isinstance(body, dict) else None
            message = body.get("return_message") if isinstance(body, dict) else ""
            raise Api2CartError(f"{method}: return_code {code}: {message}")
        return body

    def pages(self, method, **filters):
        """Every page of a list call, following pagination.next."""
        body = self.call(method, **filters)
        while True:
            yield body
            cursor = (body.get("pagination") or {}).get("next")
            if not cursor:
                return
            body = self.call(method, page_cursor=cursor, count=filters.get("count"))


def client_for(source, transport=None):
    return Api2CartClient(
        base_url=source.settings.get("api_url") or settings.COMMERCE_API2CART_URL,
        api_key=source.poll_api_key,
        store_key=source.poll_store_key,
        transport=transport,
    )


def source_poll(*, source_id, transport=None):
    """Poll one API2Cart source for every entity; return counts of new versions."""
    source = Source.objects.get(pk=source_id, kind=Source.Kind.API2CART)
    client = client_for(source, transport)
    try:
        return {e.name: entity_poll(source, client, e) for e in ENTITIES}
    finally:
        client.close()


def entity_poll(source, client, entity):
    checkpoint = source.checkpoint.get(entity.name) or {}
    newest = parse_time(checkpoint.get("modified_at"))
    overlap = timedelta(seconds=settings.COMMERCE_API2CART_OVERLAP_SECONDS)
    since = newest - overlap if newest else None
    created, complete, seen = 0, True, []
    for deleted in (False, True):
        stored, newest_seen, whole = list_pass(source, client, entity, since, deleted)
        created += stored
        complete = complete and whole
        seen += [newest_seen] if newest_seen else []
    if not complete:
        logger.warning(
            "API2Cart %s for %s changed during the poll; checkpoint kept to re-read",
            entity.name,
            source.slug,
        )
    elif seen:
        checkpoint_save(source, entity.name, max(seen))
    return created


def list_pass(source, client, entity, since, deleted):
    """One paginated listing; (new versions, newest modified_at, complete?)."""
    filters = {
        "count": settings.COMMERCE_API2CART_PAGE_SIZE,
        "params": "force_all",
        "sort_by": "modified_at",
        "sort_direction": "asc",
    }
    if since:
        filters["modified_from"] = since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if deleted:
        filters["is_deleted"] = "true"
    counted, seen, newest, created = None, set(), None, 0
    for body in client.pages(entity.method, **filters):
        result = body.get("result") or {}
        if counted is None:
            counted = result.get(entity.count_key)
        items = result.get(entity.result_key) or []
        created += page_store(source, entity, items, deleted)
        for item in items:
            seen.add(str(item.get("id")))
            moment = parse_time(a2c_value(item.get("modified_at")))
            if moment and (newest is None or moment > newest):
                newest = moment
    complete = counted is None or len(seen) >= counted
    return created, newest, complete


def page_store(source, entity, items, deleted):
    """Store one page; an item that cannot be normalized is kept as a failed one."""
    records = []
    for item in items:
        try:
            record = item_record(source, entity.name, item, deleted)
            validate_record(record.kind, record.data, tombstone=record.tombstone)
            records.append(record)
        except (MappingError, RecordInvalid, TypeError, AttributeError) as exc:
            keep_failed(source, entity.name, item, exc)
    if not records:
        return 0
    with transaction.atomic():
        results = records_store(source=source, records=records)
    return sum(r.outcome == "created" for r in results)


def keep_failed(source, entity_name, item, exc):
    body = json.dumps(item, sort_keys=True)
    delivery_id = f"api2cart:{entity_name}:{item.get('id')}:{hash_of(body)}"
    InboundDelivery.objects.get_or_create(
        source=source,
        delivery_id=delivery_id[:255],
        defaults={
            "topic": f"api2cart/{entity_name}",
            "body": body,
            "status": InboundDelivery.Status.FAILED,
            "error": f"invalid: {exc}"[:4000],
            "attempts": 1,
        },
    )


def hash_of(text_value):
    import hashlib

    return hashlib.sha256(text_value.encode()).hexdigest()[:16]


def checkpoint_save(source, entity_name, newest):
    if newest is None:
        return
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        current = parse_time(
            (locked.checkpoint.get(entity_name) or {}).get("modified_at")
        )
        # Two overlapping polls must never move the checkpoint backwards.
        if current and current >= newest:
            return
        locked.checkpoint[entity_name] = {"modified_at": newest.isoformat()}
        locked.save(update_fields=["checkpoint", "updated_at"])
        source.checkpoint = locked.checkpoint


def a2c_value(value):
    """The string inside an A2CDateTime ({"value": …, "format": …}), or as given."""
    if isinstance(value, dict):
        return value.get("value")
    return value


def parse_time(value):
    if not value or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def timestamp(value):
    """A normalized timestamp from an A2CDateTime, or None."""
    moment = parse_time(a2c_value(value))
    return moment.isoformat() if moment else None


# --- Mapping API2Cart's unified shapes to the normalized schema ---------------------


def item_record(source, entity_name, item, deleted):
    if not isinstance(item, dict):
        raise MappingError("an item is not an object")
    external_id = ident(item.get("id"))
    if external_id is None:
        raise MappingError("id is missing")
    if deleted:
        data = {
            "id": external_id,
            "reason": "deleted",
            "deleted_at": timestamp(item.get("modified_at")),
        }
        return NormalizedRecord(entity_name, external_id, data, tombstone=True)
    mapper = {"customer": customer_data, "product": product_data, "order": order_data}
    return NormalizedRecord(entity_name, external_id, mapper[entity_name](source, item))


def customer_data(source, item):
    book = item.get("address_book") or []
    default = next((a for a in book if a.get("default")), book[0] if book else None)
    return {
        "id": ident(item["id"]),
        "email": text(item.get("email")) or None,
        "first_name": text(item.get("first_name")),
        "last_name": text(item.get("last_name")),
        "company": text(item.get("company")),
        "phone": text(item.get("phone")),
        "default_address": a2c_address(default),
        "created_at": timestamp(item.get("created_time")),
        "updated_at": timestamp(item.get("modified_time") or item.get("modified_at")),
    }


def a2c_address(value):
    if not isinstance(value, dict):
        return None
    country = value.get("country") or {}
    state = value.get("state") or {}
    name = " ".join(p for p in (value.get("first_name"), value.get("last_name")) if p)
    return {
        "name": name or None,
        "company": text(value.get("company")),
        "address1": text(value.get("address1")),
        "address2": text(value.get("address2")),
        "city": text(value.get("city")),
        "province_code": text(state.get("code")) if isinstance(state, dict) else None,
        "zip": text(value.get("postcode")),
        "country_code": text(country.get("code2"))
        if isinstance(country, dict)
        else None,
        "phone": text(value.get("phone")),
    }


def product_data(source, item):
    manage = item.get("manage_stock")
    return {
        "id": ident(item["id"]),
        "sku": text(item.get("u_sku") or item.get("u_model")) or None,
        "title": text(item.get("name")) or "(untitled)",
        "price": money(item.get("price"), "0"),
        "cost": money(item["cost_price"])
        if item.get("cost_price") is not None
        else None,
        "currency": None,
        "track_inventory": manage in (True, "True", "true", "1", 1, "yes"),
        "created_at": timestamp(item.get("create_at")),
        "updated_at": timestamp(item.get("modified_at")),
    }


PAID = {"complete", "completed", "paid", "processing", "shipped", "closed"}
CANCELLED = {"canceled", "cancelled", "voided"}


def order_data(source, item):
    status = ((item.get("status") or {}).get("name") or "").strip().lower()
    totals = item.get("totals") or {}
    lines = [order_line(n, p) for n, p in enumerate(item.get("order_products") or [])]
    allocate(lines, money(totals.get("discount"), "0"))
    shipping_price = money(totals.get("shipping"), "0")
    shipping = []
    if Decimal(shipping_price):
        method = (item.get("shipping_method") or {}).get("name") or "Shipping"
        shipping.append(
            {
                "title": method,
                "price": shipping_price,
                "discount": "0.00",
                "tax_lines": [],
            }
        )
    every = [*lines, *shipping]
    customer = item.get("customer") or {}
    modified = timestamp(item.get("modified_at"))
    return {
        "id": ident(item["id"]),
        "number": text(item.get("order_id") or item["id"]),
        "email": text(customer.get("email")) or None,
        "customer": {
            "id": ident(customer["id"]),
            "email": text(customer.get("email")) or None,
            "first_name": text(customer.get("first_name")),
            "last_name": text(customer.get("last_name")),
        }
        if customer.get("id")
        else None,
        "currency": text((item.get("currency") or {}).get("iso3")),
        "financial_status": "voided"
        if status in CANCELLED
        else (
            "refunded"
            if status == "refunded"
            else "paid"
            if status in PAID
            else "pending"
        ),
        "fulfillment_status": "fulfilled"
        if status in ("shipped", "complete", "completed", "closed")
        else "unfulfilled",
        "cancelled_at": modified if status in CANCELLED else None,
        "channel": text(item.get("channel_id")) or "api2cart",
        "store": text(item.get("store_id")) or source.slug,
        "payment_gateways": [
            g for g in [text((item.get("payment_method") or {}).get("name"))] if g
        ],
        "lines": lines,
        "shipping_lines": shipping,
        "discounts": [
            {"code": text(d.get("code")) or "", "amount": money(d.get("value"), "0")}
            for d in item.get("discounts") or []
            if isinstance(d, dict)
        ],
        "taxes_included": False,
        "subtotal_price": money_sum(
            ln["quantity"] * Decimal(ln["unit_price"]) - Decimal(ln["discount"])
            for ln in lines
        ),
        "total_discounts": money_sum(x["discount"] for x in every),
        "total_shipping": shipping_price,
        "total_tax": money_sum(t["amount"] for x in every for t in x["tax_lines"]),
        "total_price": money(totals.get("total")),
        "created_at": timestamp(item.get("create_at")),
        "updated_at": modified,
    }


def order_line(number, product):
    tax = money(product.get("tax_value"), "0")
    percent = product.get("tax_percent")
    return {
        "id": ident(product.get("order_product_id")) or str(number + 1),
        "sku": text(product.get("model")) or None,
        "product_id": ident(product.get("product_id")),
        "variant_id": ident(product.get("variant_id")),
        "title": text(product.get("name")) or "",
        "quantity": quantity(product.get("quantity")),
        "unit_price": money(product.get("price")),
        "discount": money(product.get("discount_amount"), "0"),
        "tax_lines": [
            {
                "title": "Tax",
                "rate": rate(Decimal(str(percent)) / 100) if percent else None,
                "amount": tax,
            }
        ]
        if Decimal(tax)
        else [],
    }


def allocate(lines, order_discount):
    """Spread an order-level discount the lines do not carry over them, by value."""
    missing = Decimal(order_discount) - sum(Decimal(ln["discount"]) for ln in lines)
    gross = [ln["quantity"] * Decimal(ln["unit_price"]) for ln in lines]
    if missing <= 0 or not lines or not sum(gross):
        return
    remaining = missing
    for line, value in zip(lines[:-1], gross[:-1], strict=True):
        share = (missing * value / sum(gross)).quantize(Decimal("0.01"))
        line["discount"] = money(Decimal(line["discount"]) + share)
        remaining -= share
    lines[-1]["discount"] = money(Decimal(lines[-1]["discount"]) + remaining)
