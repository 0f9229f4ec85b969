"""The client's meter of billed transactions agrees with what Intacct counts."""

import datetime as dt
from decimal import Decimal

from sync.intacct import ARInvoice, Customer, Dimensions, InvoiceLine, Write


def test_metered_transactions_match_the_sandbox(make_client, sandbox, protocol):
    client = make_client(protocol)
    customers = [
        Write("upsert_customer", Customer(f"M-{i}", f"Meter {i}"), f"{i + 1:032x}")
        for i in range(30)
    ]
    line = InvoiceLine("4000", Decimal("3"), dimensions=Dimensions(location="110"))
    invoices = [
        Write(
            "post_ar_invoice",
            ARInvoice(
                f"M-{i}", dt.date(2026, 1, 15), (line,), invoice_number=f"MI-{i}"
            ),
            f"{i + 100:032x}",
        )
        for i in range(30)
    ]
    client.post_many(customers)
    client.post_many(invoices)
    client.post_many(invoices)  # a replay: pre-read and link, no creates
    client.upsert_customer(Customer("M-0", "Renamed"), idempotency_key="f" * 32)
    list(client.read_ar_status())
    billed = sandbox.counts()["_billed"]["SANDBOX-DEMO"]
    assert client.transactions == billed
    # 60 creates, 1 update, 3 batched pre-reads, 1 upsert pre-read, 1 status query
    assert billed == 66


def test_concurrency_cap_holds_at_the_server(make_client, sandbox):
    from concurrent.futures import ThreadPoolExecutor

    from sync.intacct import SemaphoreLimiter

    sandbox.set_latency(20)
    client = make_client("xml", concurrency=SemaphoreLimiter(2))
    client.xml.session()
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda i: client.find("CUSTOMER", [f"CC-{i}"]), range(12)))
    assert sandbox.counts()["_peak_concurrency"]["SANDBOX-DEMO"] == 2
