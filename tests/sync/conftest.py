"""A connection wired to a fresh in-process Intacct sandbox, with small rules."""

import httpx
import pytest

from commerce.records import NormalizedRecord, records_store
from mappings.models import FieldMapping, OwnershipRule, PostingPolicy
from sandbox import Sandbox, demo_credentials, make_app
from tests.commerce.records import customer_data, order_data
from tests.factories import make_connection, make_mapping_set, make_source

SANDBOX_URL = "http://sandbox.test"


@pytest.fixture
def sandbox():
    sb = Sandbox()
    yield sb
    sb.close()


@pytest.fixture
def transport(sandbox):
    return httpx.WSGITransport(app=make_app(sandbox))


def small_rules():
    """Just enough mappings for customers and AR invoices."""
    ms = make_mapping_set()
    rows = [
        ("upsert_customer", "", "customer_id", "id", ""),
        ("upsert_customer", "", "name", "{first_name} {last_name}", ""),
        ("upsert_customer", "", "email", "email", ""),
        ("post_ar_invoice", "", "customer_id", "customer.id", ""),
        ("post_ar_invoice", "", "date", "created_at", "date_iso"),
        ("post_ar_invoice", "", "invoice_number", "number", ""),
        ("post_ar_invoice", "lines", "gl_account", "", "default:4000"),
        ("post_ar_invoice", "lines", "amount", "unit_price", "decimal_2dp"),
        ("post_ar_invoice", "lines", "memo", "title", ""),
    ]
    for action, scope, target, source, transform in rows:
        FieldMapping.objects.create(
            mapping_set=ms,
            action=action,
            line_scope=scope,
            target_field=target,
            source_expression=source,
            transform=transform,
            required=target in ("customer_id", "amount"),
        )
    OwnershipRule.objects.create(
        mapping_set=ms,
        object_type="customer",
        master="commerce",
        hub_may="create_update",
    )
    PostingPolicy.objects.create(mapping_set=ms, channel="", finality_event="paid")
    return ms


@pytest.fixture
def connection(transport):
    creds = demo_credentials()
    conn = make_connection(
        api_base_url=SANDBOX_URL,
        company_id=creds["company_id"],
        sender_id=creds["sender_id"],
        sender_password=creds["sender_password"],
        user_id=creds["user_id"],
        user_password=creds["user_password"],
        oauth_client_id=creds["client_id"],
        oauth_client_secret=creds["client_secret"],
        requests_per_second=1000,
        mapping_set=small_rules(),
    )
    conn.sources.add(make_source(slug="shop"))
    return conn


def store(connection, *records):
    source = connection.sources.get()
    return records_store(source=source, records=list(records))


def a_customer(external_id="C-1", **overrides):
    return NormalizedRecord(
        "customer", external_id, {"id": external_id, **customer_data(**overrides)}
    )


def an_order(external_id="O-1", **overrides):
    data = order_data(
        id=external_id,
        number=f"SO-{external_id}",
        lines=[
            {
                "id": "L1",
                "sku": "SKU-1001",
                "title": "Blue T-shirt",
                "quantity": 1,
                "unit_price": "28.50",
                "discount": "0.00",
                "tax_lines": [{"title": "VAT", "rate": "0.21", "amount": "5.99"}],
            }
        ],
        discounts=[],
        total_discounts="0.00",
        **overrides,
    )
    return NormalizedRecord("order", external_id, data)
