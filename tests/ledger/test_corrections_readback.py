"""Detail corrections with lineage, and read-back of AR status, against the sandbox."""

import datetime as dt

import pytest

from sandbox import rules as sandbox_rules
from sync.clients import client_for
from sync.models import Correction, IntacctDocumentState, Posting
from sync.services.readback import readback_run
from sync.services.summary import ledger_sync
from tests.ledger.conftest import a_refund, web_order
from tests.sync.conftest import store

pytestmark = pytest.mark.django_db(transaction=True)

S = Posting.Status
UNTIL = dt.date(2024, 7, 15)


def intacct_rows(sandbox, obj):
    ctx = sandbox.context()
    count = sandbox.counts()[ctx.company_id].get(obj, 0)
    rows = [sandbox.store.get(ctx.company_id, obj, n) for n in range(1, count + 50)]
    return [r for r in rows if r]


def run(conn, transport):
    return ledger_sync(connection=conn, until=UNTIL, http_transport=transport)


def test_a_refund_becomes_one_credit_memo_linked_to_its_invoice(
    detail_connection, sandbox, transport
):
    conn = detail_connection
    store(conn, web_order("1001"), a_refund("R-1", "1001"))
    run(conn, transport)
    run(conn, transport)
    invoice = Posting.objects.get(action="post_ar_invoice")
    memo = Posting.objects.get(action="post_credit_memo")
    assert memo.status == S.POSTED and memo.depends_on == invoice
    assert memo.payload["invoice_number"] == invoice.result_id == "SHOP-1001"
    assert Correction.objects.filter(
        original=invoice, correction=memo, kind="credit_memo"
    ).exists()
    [row] = intacct_rows(sandbox, "ARADJUSTMENT")
    assert row["RECORDID"] == "RF-R-1"


def test_a_cancellation_after_posting_reverses_the_invoice_exactly_once(
    detail_connection, sandbox, transport
):
    conn = detail_connection
    store(conn, web_order("1001"))
    run(conn, transport)
    store(conn, web_order("1001", cancelled_at="2024-06-03T09:00:00Z"))
    run(conn, transport)
    store(
        conn,
        web_order(
            "1001", cancelled_at="2024-06-03T09:00:00Z", cancel_reason="customer"
        ),
    )
    run(conn, transport)
    invoice = Posting.objects.get(action="post_ar_invoice")
    reversal = Posting.objects.get(action="reverse_or_void")
    assert reversal.status == S.POSTED and reversal.depends_on == invoice
    assert Correction.objects.get(correction=reversal).kind == "reversal"
    [row] = intacct_rows(sandbox, "ARINVOICE")
    assert row["STATE"] == "Reversed"


def test_an_edit_after_posting_reverses_and_reposts_with_lineage(
    detail_connection, sandbox, transport
):
    conn = detail_connection
    store(conn, web_order("1001"))
    run(conn, transport)
    original = Posting.objects.get(action="post_ar_invoice")
    # Only a status changed: the ledger would show nothing new, so nothing happens.
    store(conn, web_order("1001", fulfillment_status="fulfilled"))
    run(conn, transport)
    assert Posting.objects.filter(action="post_ar_invoice").count() == 1
    # The shipping price changed: reverse and re-post.
    edited = web_order("1001", fulfillment_status="fulfilled")
    edited.data["shipping_lines"][0]["price"] = "7.00"
    edited.data.update(total_shipping="7.00", total_price="62.53")
    store(conn, edited)
    run(conn, transport)
    links = {c.kind: c.correction for c in Correction.objects.filter(original=original)}
    assert set(links) == {"reversal", "repost"}
    assert links["repost"].status == links["reversal"].status == S.POSTED
    assert links["repost"].result_id == "SHOP-1001-R3"
    states = {r["RECORDID"]: r["STATE"] for r in intacct_rows(sandbox, "ARINVOICE")}
    assert states == {"SHOP-1001": "Reversed", "SHOP-1001-R3": "Posted"}
    run(conn, transport)
    assert Posting.objects.filter(action="reverse_or_void").count() == 1


def test_read_back_brings_payment_state_incrementally_and_flags_a_deleted_invoice(
    detail_connection, sandbox, transport
):
    conn = detail_connection
    store(conn, web_order("1001"), web_order("1002"), web_order("1003"))
    run(conn, transport)
    first, second, third = Posting.objects.filter(action="post_ar_invoice").order_by(
        "id"
    )

    def read_back(**options):
        with client_for(conn, http_transport=transport) as client:
            return readback_run(connection=conn, client=client, **options)

    def doc(posting):
        return IntacctDocumentState.objects.get(binding__intacct_key=posting.result_key)

    sandbox.clock.advance(60)
    sandbox_rules.apply_payment(sandbox.context(), first.result_key, "60.53")
    assert read_back().read == 3
    assert doc(first).payment == "paid" and str(doc(first).due) == "0.00"
    assert doc(second).payment == "open" and str(doc(second).due) == "60.53"
    untouched = doc(third).read_at

    sandbox.clock.advance(60)
    sandbox_rules.apply_payment(sandbox.context(), second.result_key, "10.00")
    report = read_back()
    # Only rows modified at or after the checkpoint (the first payment's second):
    # the first invoice again and the second; the third is not read again.
    assert report.read == 2
    assert doc(second).payment == "partially_paid" and str(doc(second).due) == "50.53"
    assert doc(third).read_at == untouched

    sandbox_rules.delete(sandbox.context(), "ARINVOICE", third.result_key)
    report = read_back(verify_existence=True)
    assert report.missing == 1
    gone = doc(third)
    assert gone.needs_review and gone.payment == "missing"
    assert list(IntacctDocumentState.objects.filter(needs_review=True)) == [gone]
