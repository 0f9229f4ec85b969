"""Several writes in one request, each result mapped back to its own write."""

import datetime as dt
from decimal import Decimal

from sync.intacct import (
    ARInvoice,
    Customer,
    Dimensions,
    InvoiceLine,
    ValidationError,
    Write,
    WriteResult,
)

DAY = dt.date(2026, 1, 15)


def inv(number: str, customer: str) -> ARInvoice:
    line = InvoiceLine("4000", Decimal("12.50"), dimensions=Dimensions(location="110"))
    return ARInvoice(customer, DAY, (line,), invoice_number=number)


def test_one_failing_function_fails_only_its_own_write(make_client, sandbox):
    client = make_client()
    client.upsert_customer(Customer("B-1", "Batch"), idempotency_key="0" * 32)
    writes = [
        Write(
            "post_ar_invoice",
            inv(f"B-INV-{i}", "NO-SUCH" if i == 2 else "B-1"),
            f"{i + 1:032x}",
        )
        for i in range(5)
    ]
    client.xml.session()  # sign in outside the count
    before = client.requests_sent
    outcomes = client.post_many(writes)
    assert client.requests_sent - before == 2  # one batched pre-read, one batch
    assert isinstance(outcomes[2], ValidationError)
    assert outcomes[2].idempotency_key == writes[2].idempotency_key
    for i in (0, 1, 3, 4):
        assert isinstance(outcomes[i], WriteResult), outcomes[i]
        assert outcomes[i].reference == f"B-INV-{i}"
        assert outcomes[i].idempotency_key == writes[i].idempotency_key
        assert outcomes[i].protocol == "xml"
    found = client.find("ARINVOICE", [f"B-INV-{i}" for i in range(5)])
    assert sorted(found) == ["B-INV-0", "B-INV-1", "B-INV-3", "B-INV-4"]
    for i in (0, 1, 3, 4):
        assert found[f"B-INV-{i}"].key == outcomes[i].key


def test_a_replayed_batch_links_instead_of_duplicating(make_client, sandbox):
    client = make_client()
    client.upsert_customer(Customer("B-2", "Batch"), idempotency_key="0" * 32)
    writes = [
        Write("post_ar_invoice", inv(f"R-{i}", "B-2"), f"{i + 100:032x}")
        for i in range(3)
    ]
    first = client.post_many(writes)
    again = client.post_many(writes)
    assert [o.outcome for o in first] == ["created"] * 3
    assert [o.outcome for o in again] == ["linked"] * 3
    assert [o.key for o in again] == [o.key for o in first]


def test_an_atomic_batch_is_all_or_nothing(make_client):
    client = make_client()
    client.upsert_customer(Customer("B-3", "Batch"), idempotency_key="0" * 32)
    writes = [
        Write(
            "post_ar_invoice",
            inv(f"A-{i}", "NO-SUCH" if i == 1 else "B-3"),
            f"{i + 200:032x}",
        )
        for i in range(3)
    ]
    outcomes = client.post_many(writes, atomic=True)
    assert all(isinstance(o, Exception) for o in outcomes)
    assert client.find("ARINVOICE", ["A-0", "A-2"]) == {}


def test_batches_split_at_the_batch_size(make_client):
    client = make_client("xml", batch_size=4)
    writes = [
        Write("upsert_customer", Customer(f"S-{i}", f"Split {i}"), f"{i + 300:032x}")
        for i in range(10)
    ]
    client.xml.session()
    before = client.requests_sent
    outcomes = client.post_many(writes)
    assert [o.outcome for o in outcomes] == ["created"] * 10
    assert client.requests_sent - before == 1 + 3  # pre-read + ceil(10 / 4)
