"""Normalized demo records, made exactly as the Shopify webhook endpoint makes them."""

import copy
from functools import lru_cache

from commerce.demo import UNKNOWN_SKU, demo_traffic
from commerce.sources.shopify import Context, records_for


def normalized_demo(orders=40, seed=11):
    """The latest normalized payload of every demo record, by kind."""
    return copy.deepcopy(_normalized(orders, seed))


@lru_cache(maxsize=4)
def _normalized(orders, seed):
    latest = {}
    context = Context(store="demo-shop", triggered_at="2024-06-01T08:00:00Z")
    for delivery in demo_traffic(orders=orders, seed=seed):
        for record in records_for(delivery.topic, delivery.body, context):
            latest[(record.kind, record.external_id)] = record.payload()
    by_kind = {}
    for (kind, _), payload in latest.items():
        by_kind.setdefault(kind, []).append(payload)
    return by_kind


def is_final(order):
    """The default policy's finality: paid (refunds after payment count), not voided."""
    return order["financial_status"] in ("paid", "partially_refunded", "refunded")


def postable(order):
    return is_final(order) and all(ln["sku"] != UNKNOWN_SKU for ln in order["lines"])
