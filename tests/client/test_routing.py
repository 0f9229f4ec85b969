"""Routing defaults, and fallback when one protocol does not support an action."""

import datetime as dt
from decimal import Decimal

import pytest

from sync.intacct import CreditMemo, Customer, Dimensions, InvoiceLine
from sync.intacct.routing import DEFAULT_ROUTES, Router


def test_defaults_prefer_rest_where_intacct_has_the_object():
    router = Router()
    assert router.order("upsert_customer") == ["rest", "xml"]
    assert router.order("post_credit_memo") == ["xml", "rest"]
    assert router.order("batch") == ["xml", "rest"]
    assert router.order("post_ar_invoice", needs_xml=True) == ["xml"]


def test_missing_credentials_remove_a_protocol():
    assert Router(has_xml=False).order("post_credit_memo") == ["rest"]
    with pytest.raises(ValueError):
        Router({"upsert_customer": "soap"})
    with pytest.raises(ValueError):
        Router({"no_such_action": "rest"})


def test_every_action_has_a_default():
    assert set(DEFAULT_ROUTES) >= {
        "upsert_customer",
        "upsert_item",
        "post_sales_order",
        "post_ar_invoice",
        "post_credit_memo",
        "post_inventory_adjustment",
        "post_journal_entry",
        "reverse_or_void",
        "find",
        "read_dimensions",
        "read_ar_status",
        "read_field_catalog",
        "check_permissions",
    }


def test_rest_not_supported_falls_back_to_xml_and_is_remembered(make_client, sandbox):
    client = make_client(routes={"post_credit_memo": "rest"})
    client.upsert_customer(Customer("C-7", "Seven"), idempotency_key="7" * 32)
    memo = CreditMemo(
        "C-7",
        dt.date(2026, 1, 15),
        (InvoiceLine("4950", Decimal("5"), dimensions=Dimensions(location="110")),),
        adjustment_number="CM-7",
    )
    first = client.post_credit_memo(memo, idempotency_key="8" * 32)
    assert (first.outcome, first.protocol) == ("created", "xml")
    assert client.router.order("post_credit_memo") == ["xml"]
    before = client.requests_sent
    memo2 = CreditMemo(
        memo.customer_id, memo.date, memo.lines, adjustment_number="CM-8"
    )
    assert client.post_credit_memo(memo2, idempotency_key="9" * 32).protocol == "xml"
    assert client.requests_sent - before == 1  # straight to XML, no REST attempt


def test_custom_dimensions_go_over_xml(make_client):
    client = make_client("rest")
    client.upsert_customer(Customer("C-8", "Eight"), idempotency_key="a" * 32)
    from sync.intacct import ARInvoice

    inv = ARInvoice(
        "C-8",
        dt.date(2026, 1, 15),
        (
            InvoiceLine(
                "4000",
                Decimal("10"),
                dimensions=Dimensions(
                    location="110", custom=(("GLDIMCHANNEL", "WEB"),)
                ),
            ),
        ),
        invoice_number="INV-UDD",
    )
    assert client.post_ar_invoice(inv, idempotency_key="b" * 32).protocol == "xml"
