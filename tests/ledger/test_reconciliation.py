"""Reconciliation: zero mismatches after a clean run; exactly the tampered documents
listed after one side changes."""

import datetime as dt

import pytest

from sandbox import rules as sandbox_rules
from sync.clients import client_for
from sync.models import Posting, ReconciliationResult
from sync.services.reconciliation import reconciliation_documents, reconciliation_rows
from sync.services.summary import ledger_sync
from tests.ledger.conftest import a_refund, web_order
from tests.sync.conftest import store

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2024, 6, 1)
UNTIL = dt.date(2024, 7, 15)


def rows_for(conn, transport):
    with client_for(conn, http_transport=transport) as client:
        return reconciliation_rows(
            connection=conn, day_from=DAY, day_to=DAY, client=client
        )


def test_a_clean_detail_run_reconciles_and_a_deleted_invoice_is_listed(
    detail_connection, sandbox, transport
):
    conn = detail_connection
    store(conn, web_order("1001"), web_order("1002"), a_refund("R-1", "1001"))
    ledger_sync(connection=conn, until=UNTIL, http_transport=transport)

    [row] = rows_for(conn, transport)
    assert row.matches, row.documents
    assert row.source.documents == row.hub.documents == row.intacct.documents == 2
    assert row.source_net_sales == row.hub_net_sales == row.intacct_net_sales
    assert str(row.intacct.tax) == "9.06" and str(row.intacct.refunds) == "19.66"
    assert ReconciliationResult.objects.get(connection=conn).matches

    ctx = sandbox.context()
    invoice = Posting.objects.get(
        action="post_ar_invoice", source_record__external_id="1002"
    )
    sandbox_rules.delete(ctx, "ARINVOICE", invoice.result_key)

    [row] = rows_for(conn, transport)
    assert not row.matches
    assert [(d.external_id, d.reason) for d in row.documents] == [
        ("1002", "missing in Intacct (deleted?)")
    ]
    stored = ReconciliationResult.objects.get(connection=conn)
    assert not stored.matches and stored.mismatches[0]["external_id"] == "1002"


def test_a_clean_summary_run_reconciles_and_a_changed_source_record_is_listed(
    summary_connection, sandbox, transport
):
    conn = summary_connection
    store(conn, web_order("1001"), web_order("1002"), a_refund("R-1", "1001"))
    ledger_sync(connection=conn, until=UNTIL, http_transport=transport)

    [row] = rows_for(conn, transport)
    assert row.mode == "summary"
    assert row.matches, row.documents
    assert row.source.documents == row.hub.documents == row.intacct.documents == 2

    store(conn, web_order("1002", cancelled_at="2024-06-02T09:00:00Z"))
    with client_for(conn, http_transport=transport) as client:
        docs = reconciliation_documents(
            connection=conn, day=DAY, channel="web", client=client
        )
    assert [(d.kind, d.external_id) for d in docs] == [("order", "1002")]
    assert "posted" in docs[0].reason
