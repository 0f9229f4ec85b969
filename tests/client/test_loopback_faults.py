"""Unknown outcomes over a real socket: the server commits, then the connection
drops (or a 524 arrives). The client must not re-send blindly; a pre-read finds
the committed record and the retry links it (TEST-CATALOGUE A2, A3)."""

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from sync.intacct import (
    ARInvoice,
    Credentials,
    Customer,
    Dimensions,
    IntacctClient,
    InvoiceLine,
    OutcomeUnknown,
)


@pytest.fixture
def remote(loopback_url):
    from sandbox import demo_credentials

    creds = Credentials.from_dict(demo_credentials(), base_url=loopback_url)
    controls = httpx.Client(base_url=f"{loopback_url}/_sandbox")
    with IntacctClient(creds, sleep=lambda s: None) as client:
        yield client, controls
    controls.post("/faults", json={"status": 200, "count": 0})
    controls.close()


def test_commit_then_drop_then_find_then_link(remote, protocol):
    client, controls = remote
    client.router.routes["post_ar_invoice"] = protocol
    client.upsert_customer(Customer("LD-1", "Loopback"), idempotency_key="1" * 32)
    line = InvoiceLine("4000", Decimal("7.00"), dimensions=Dimensions(location="110"))
    number = f"LD-{protocol}"
    invoice = ARInvoice("LD-1", dt.date(2026, 1, 15), (line,), invoice_number=number)
    key = ("2" if protocol == "rest" else "3") * 32
    client.xml.session()  # signed in already: the drop hits the write itself
    controls.post("/drop", json={"count": 1}).raise_for_status()
    with pytest.raises(OutcomeUnknown) as info:
        client.post_ar_invoice(invoice, idempotency_key=key)
    assert info.value.idempotency_key == key
    found = client.find("ARINVOICE", [number])
    assert number in found
    again = client.post_ar_invoice(invoice, idempotency_key=key, pre_read=True)
    assert (again.outcome, again.key) == ("linked", found[number].key)
    invoices = [
        row
        for row in client.xml.read_by_query("ARINVOICE", "", fields="RECORDID")
        if row["RECORDID"] == number
    ]
    assert len(invoices) == 1


def test_an_upsert_whose_create_was_lost_retries_as_an_update(remote):
    client, controls = remote
    client.router.routes["upsert_customer"] = "rest"
    client.router.routes["find"] = "xml"  # the pre-read goes over XML…
    client.find("CUSTOMER", ["warm"])
    client.tokens.access_token()
    # …so a drop armed for REST hits the create itself.
    controls.post("/drop", json={"count": 1, "api": "rest"}).raise_for_status()
    with pytest.raises(OutcomeUnknown) as info:
        client.upsert_customer(Customer("LU-1", "Lost"), idempotency_key="5" * 32)
    assert info.value.idempotency_keys == ("5" * 32,)
    again = client.upsert_customer(Customer("LU-1", "Lost"), idempotency_key="5" * 32)
    assert again.outcome == "updated"
    assert len(client.find("CUSTOMER", ["LU-1"])) == 1
