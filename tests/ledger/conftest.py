"""Ledger tests: a connection to a fresh in-process sandbox, summary or detail."""

import pytest

from commerce.records import NormalizedRecord
from mappings.models import FieldMapping, PostingPolicy
from tests.commerce.records import order_data
from tests.sync.conftest import (  # noqa: F401
    a_customer,
    connection,
    sandbox,
    store,
    transport,
)

ACCOUNTS = {
    "revenue_account": "4000",
    "tax_payable_account": "2100",
    "shipping_income_account": "4010",
    "discounts_account": "4900",
    "refunds_account": "4950",
    "clearing_account": "1250",
    "ar_account": "1100",
    "journal": "SJ",
    "default_dimensions": {"location": "110", "department": "SALES"},
}


def set_policy(conn, **fields):
    """Make the catch-all policy say ``fields`` (summary mode by default)."""
    PostingPolicy.objects.filter(mapping_set=conn.mapping_set).delete()
    values = {"channel": "", "mode": "summary", "finality_event": "paid", **ACCOUNTS}
    values.update(fields)
    return PostingPolicy.objects.create(mapping_set=conn.mapping_set, **values)


@pytest.fixture
def summary_connection(connection):  # noqa: F811
    set_policy(connection)
    return connection


def web_order(external_id, *, day="2024-06-01", channel="web", **overrides):
    """An order with two taxed lines (two jurisdictions), a discount and shipping."""
    data = order_data(
        id=external_id,
        number=f"#{external_id}",
        channel=channel,
        store="us-store",
        customer=None,
        lines=[
            {
                "id": f"{external_id}-1",
                "sku": "SKU-1001",
                "title": "Blue T-shirt",
                "quantity": 2,
                "unit_price": "20.00",
                "discount": "4.00",
                "tax_lines": [
                    {"title": "CA State Tax", "rate": "0.06", "amount": "2.16"},
                    {"title": "LA County Tax", "rate": "0.0325", "amount": "1.17"},
                ],
            },
            {
                "id": f"{external_id}-2",
                "sku": "SKU-1002",
                "title": "Cap",
                "quantity": 1,
                "unit_price": "15.00",
                "discount": "0.00",
                "tax_lines": [
                    {"title": "CA State Tax", "rate": "0.06", "amount": "0.90"}
                ],
            },
        ],
        shipping_lines=[
            {
                "title": "Standard",
                "price": "5.00",
                "discount": "0.00",
                "tax_lines": [
                    {"title": "CA State Tax", "rate": "0.06", "amount": "0.30"}
                ],
            }
        ],
        discounts=[{"code": "SAVE10", "type": "percentage", "amount": "4.00"}],
        subtotal_price="51.00",
        total_discounts="4.00",
        total_shipping="5.00",
        total_tax="4.53",
        total_price="60.53",
        created_at=f"{day}T10:00:00Z",
        processed_at=f"{day}T10:00:00Z",
        updated_at=f"{day}T10:00:00Z",
    )
    data.update(overrides)
    return NormalizedRecord("order", external_id, data)


def a_refund(external_id, order_id, *, day="2024-06-01", **overrides):
    """A refund of one T-shirt of ``order_id`` (line 1) with its tax."""
    data = {
        "id": external_id,
        "order_id": order_id,
        "currency": "EUR",
        "restock": True,
        "lines": [
            {
                "line_id": f"{order_id}-1",
                "sku": "SKU-1001",
                "quantity": 1,
                "subtotal": "18.00",
                "tax": "1.66",
            }
        ],
        "shipping": {"amount": "0.00", "tax": "0.00"},
        "transactions": [],
        "subtotal": "18.00",
        "total_tax": "1.66",
        "adjustment": "0.00",
        "total": "19.66",
        "created_at": f"{day}T15:00:00Z",
        "processed_at": f"{day}T15:00:00Z",
    }
    data.update(overrides)
    return NormalizedRecord("refund", external_id, data)


def detail_rules(conn):
    """Invoice and credit memo mappings whose totals add up (like the shipped set)."""
    ms = conn.mapping_set
    FieldMapping.objects.filter(
        mapping_set=ms, action__in=["post_ar_invoice", "post_credit_memo"]
    ).delete()
    memo = "post_credit_memo"
    rows = [
        ("post_ar_invoice", "", "customer_id", "", "default:C-1"),
        ("post_ar_invoice", "", "date", "processed_at || created_at", "date_iso"),
        ("post_ar_invoice", "", "invoice_number", "number", "remove:#|prefix:SHOP-"),
        ("post_ar_invoice", "lines", "gl_account", "", "policy:revenue_account"),
        ("post_ar_invoice", "lines", "amount", "unit_price", "times:quantity"),
        ("post_ar_invoice", "shipping_lines", "gl_account", "", "default:4010"),
        ("post_ar_invoice", "shipping_lines", "amount", "price", "nonzero"),
        ("post_ar_invoice", "$discount", "gl_account", "", "default:4900"),
        ("post_ar_invoice", "$discount", "amount", "total_discounts", "nonzero|negate"),
        ("post_ar_invoice", "$tax", "gl_account", "", "default:2100"),
        ("post_ar_invoice", "$tax", "amount", "total_tax", "nonzero"),
        (memo, "", "customer_id", "", "default:C-1"),
        (memo, "", "adjustment_number", "id", "prefix:RF-"),
        (memo, "", "invoice_number", "order.number", "remove:#|prefix:SHOP-"),
        (memo, "", "date", "processed_at || created_at", "date_iso"),
        (memo, "lines", "gl_account", "", "default:4950"),
        (memo, "lines", "amount", "subtotal", "nonzero"),
        (memo, "$shipping", "gl_account", "", "default:4010"),
        (memo, "$shipping", "amount", "shipping.amount", "nonzero"),
        (memo, "$tax", "gl_account", "", "default:2100"),
        (memo, "$tax", "amount", "total_tax", "nonzero"),
    ]
    for action, scope, target, source, transform in rows:
        FieldMapping.objects.create(
            mapping_set=ms,
            action=action,
            line_scope=scope,
            target_field=target,
            source_expression=source,
            transform=transform,
        )
    set_policy(conn, mode="detail")
    return conn


@pytest.fixture
def detail_connection(connection, transport):  # noqa: F811
    from sync.services.runs import sync_once

    detail_rules(connection)
    store(connection, a_customer("C-1"))
    sync_once(connection=connection, http_transport=transport)
    return connection
