"""Every business action, over each protocol, against the sandbox."""

import datetime as dt
from decimal import Decimal

import pytest

from sync.intacct import (
    ARInvoice,
    CreditMemo,
    Customer,
    Dimensions,
    DocumentRef,
    InvoiceLine,
    Item,
    JournalEntry,
    JournalLine,
    OrderLine,
    SalesOrder,
)

DAY = dt.date(2026, 1, 15)


def k(n: int) -> str:
    return f"{n:032x}"


def invoice(number: str, customer: str = "C-100", amount: str = "19.99") -> ARInvoice:
    return ARInvoice(
        customer_id=customer,
        date=DAY,
        invoice_number=number,
        lines=(
            InvoiceLine("4000", Decimal(amount), dimensions=Dimensions(location="110")),
        ),
    )


@pytest.fixture
def customer(client):
    client.upsert_customer(Customer("C-100", "Acme Ltd"), idempotency_key=k(100))
    return "C-100"


def test_upsert_customer_creates_updates_and_links(client, protocol, sandbox):
    made = client.upsert_customer(
        Customer("C-1", "Acme", email="ops@acme.example"), idempotency_key=k(1)
    )
    assert (made.outcome, made.id, made.protocol) == ("created", "C-1", protocol)
    assert made.key.isdigit()
    updated = client.upsert_customer(Customer("C-1", "Acme Two"), idempotency_key=k(2))
    assert (updated.outcome, updated.key) == ("updated", made.key)
    linked = client.upsert_customer(
        Customer("C-1", "Ignored"), idempotency_key=k(3), update=False
    )
    assert (linked.outcome, linked.key) == ("linked", made.key)
    row = sandbox.store.get_by_id("SANDBOX-DEMO", "CUSTOMER", "C-1")
    assert row["NAME"] == "Acme Two"


def test_upsert_item(client, protocol):
    made = client.upsert_item(
        Item("SKU-9", "Thing", base_price=Decimal("3.50")), idempotency_key=k(4)
    )
    assert (made.outcome, made.id) == ("created", "SKU-9")
    again = client.upsert_item(Item("SKU-9", "Thing 2"), idempotency_key=k(5))
    assert again.outcome == "updated"


def test_post_ar_invoice_and_read_its_status(client, customer, protocol):
    made = client.post_ar_invoice(invoice("INV-1"), idempotency_key=k(6))
    assert (made.outcome, made.id, made.protocol) == ("created", "INV-1", protocol)
    statuses = {s.invoice_number: s for s in client.read_ar_status()}
    assert statuses["INV-1"].total == Decimal("19.99")
    assert statuses["INV-1"].due == Decimal("19.99")
    assert not statuses["INV-1"].paid


def test_post_sales_order(client, customer, protocol):
    order = SalesOrder(
        "C-100",
        DAY,
        (
            OrderLine(
                "SKU-1001",
                Decimal(2),
                Decimal("25.00"),
                dimensions=Dimensions(location="110", warehouse="WH-US"),
            ),
        ),
        document_number="SO-77",
    )
    made = client.post_sales_order(order, idempotency_key=k(7))
    assert made.outcome == "created"
    assert made.id == "Sales Order-SO-77"
    found = client.find("SODOCUMENT", ["SO-77"])["SO-77"]
    assert (found.key, found.id) == (made.key, made.id)
    assert made.key.isdigit()  # RECORDNO, even where Intacct answers with the DOCID


def test_post_credit_memo(client, customer, protocol):
    client.post_ar_invoice(invoice("INV-2"), idempotency_key=k(8))
    memo = CreditMemo(
        "C-100",
        DAY,
        (InvoiceLine("4950", Decimal("5.00"), dimensions=Dimensions(location="110")),),
        adjustment_number="CM-1",
        invoice_number="INV-2",
    )
    made = client.post_credit_memo(memo, idempotency_key=k(9))
    assert made.outcome == "created" and made.key


def test_post_journal_entry(client, protocol):
    entry = JournalEntry(
        "GJ",
        DAY,
        "Shopify payout 2026-01-15",
        (
            JournalLine(
                "1250", Decimal("95.10"), True, dimensions=Dimensions(location="110")
            ),
            JournalLine(
                "6100", Decimal("4.90"), True, dimensions=Dimensions(location="110")
            ),
            JournalLine(
                "4000", Decimal("100.00"), False, dimensions=Dimensions(location="110")
            ),
        ),
        reference="PAYOUT-1",
    )
    made = client.post_journal_entry(entry, idempotency_key=k(10))
    assert made.outcome == "created" and made.key
    assert client.find("GLBATCH", ["PAYOUT-1"])["PAYOUT-1"].key == made.key


def test_reverse_or_void_an_invoice(client, customer, protocol):
    made = client.post_ar_invoice(invoice("INV-3"), idempotency_key=k(11))
    done = client.reverse_or_void(
        DocumentRef("ARINVOICE", made.key, "INV-3"), idempotency_key=k(12), date=DAY
    )
    assert done.outcome in ("reversed", "voided")


def test_find_is_one_query_for_many_references(client, protocol):
    for i in range(5):
        client.upsert_customer(
            Customer(f"F-{i}", f"Find {i}"), idempotency_key=k(200 + i)
        )
    before, billed = client.requests_sent, client.transactions
    hits = client.find("CUSTOMER", [f"F-{i}" for i in range(5)] + ["F-none"])
    assert sorted(hits) == [f"F-{i}" for i in range(5)]
    assert client.transactions - billed == 1
    assert client.requests_sent - before == 1


def test_read_dimensions(client, protocol):
    dims = {d.object: d for d in client.read_dimensions()}
    assert {"LOCATION", "DEPARTMENT", "CLASS"} <= set(dims)
    assert "110" in {v.id for v in dims["LOCATION"].values}
    if protocol == "xml":
        assert any(d.user_defined for d in dims.values())


def test_read_field_catalog(client, protocol):
    names = {f.name for f in client.read_field_catalog("CUSTOMER")}
    assert ({"id", "name"} if protocol == "rest" else {"CUSTOMERID", "NAME"}) <= names


def test_check_permissions_sees_a_revoked_permission(make_client, sandbox):
    client = make_client()
    before = client.check_permissions()
    assert [a for a, ok in before.items() if not ok] == []
    sandbox.revoke_permission("xml_gateway", "ARINVOICE", "create")
    allowed = client.check_permissions()
    assert allowed["post_ar_invoice"] is False
    assert allowed["upsert_customer"] is True


def test_post_inventory_adjustment(client, protocol):
    from sync.intacct import AdjustmentLine, InventoryAdjustment

    adjustment = InventoryAdjustment(
        DAY,
        (AdjustmentLine("SKU-1001", "WH-US", Decimal(3), cost=Decimal("4.5")),),
        document_number="ADJ-1",
    )
    made = client.post_inventory_adjustment(adjustment, idempotency_key=k(13))
    assert made.outcome == "created" and made.protocol == protocol
    found = client.find("ICDOCUMENT", [made.reference])
    assert found[made.reference].key == made.key


def test_read_ar_status_since(client, customer, protocol):
    client.post_ar_invoice(invoice("INV-S1"), idempotency_key=k(14))
    past = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    future = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    assert "INV-S1" in {s.invoice_number for s in client.read_ar_status(since=past)}
    assert list(client.read_ar_status(since=future)) == []


def test_a_journal_entry_without_reference_is_found_by_its_key(client, protocol):
    entry = JournalEntry(
        "GJ",
        DAY,
        "no reference given",
        (JournalLine("1100", Decimal(5), True), JournalLine("4000", Decimal(5), False)),
    )
    made = client.post_journal_entry(entry, idempotency_key=k(15))
    assert made.reference == k(15)
    assert client.find("GLBATCH", [k(15)])[k(15)].key == made.key
