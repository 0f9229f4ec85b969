"""Issue 7's acceptance runs: demo Shopify traffic through the signed webhook endpoint,
normalized, planned and posted into a fresh sandbox with the shipped default rules —
once in detail mode, once in summary mode."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from commerce.demo import UNKNOWN_SKU
from commerce.models import Source
from mappings.models import PostingPolicy
from mappings.services import mapping_set_ensure_default
from sync.models import Failure, Posting
from sync.services.reconciliation import reconciliation_rows
from sync.services.summary import ledger_sync
from tests.sync.demo_expectations import expected_detail_run, final_orders

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = 1000  # the acceptance size


def demo_connection(connection, *, mode):
    call_command("demo_data", orders=ORDERS, seed=7, process=True, verbosity=0)
    connection.sources.set([Source.objects.get(slug="demo-shop")])
    connection.mapping_set, _ = mapping_set_ensure_default()
    connection.save()
    PostingPolicy.objects.filter(mapping_set=connection.mapping_set).update(mode=mode)
    return connection


def intacct(sandbox, connection):
    return sandbox.counts()[connection.company_id]


# Two executors side by side (``workers=2``, as two worker processes would) must
# post exactly what one does.
@pytest.mark.parametrize("workers", [1, 2])
def test_detail_mode_posts_each_document_exactly_once(
    connection, sandbox, transport, workers
):
    connection = demo_connection(connection, mode="detail")
    before = intacct(sandbox, connection)
    ledger_sync(connection=connection, http_transport=transport, workers=workers)
    expected = expected_detail_run()

    assert expected.unknown_sku and expected.guests  # the demo's odd orders are in
    expected.check(intacct(sandbox, connection), before)
    invoices = Posting.objects.filter(action="post_ar_invoice", status="posted")
    assert {p.source_record.external_id for p in invoices} == expected.invoiced
    for invoice in invoices.filter(source_record__external_id__in=expected.guests):
        assert invoice.payload["customer_id"] == "WEB-GUEST"
    for order_id in expected.unknown_sku:
        failure = Failure.objects.get(
            resolved_at=None, posting__source_record__external_id=order_id
        )
        assert failure.category == "business" and UNKNOWN_SKU in failure.message
    assert Failure.objects.filter(resolved_at=None).count() == len(expected.unknown_sku)
    assert not Posting.objects.exclude(
        status__in=["posted", "skipped", "failed", "pending"]
    ).exists()
    # What waits does so only behind a failure a person must resolve first.
    for waiting in Posting.objects.filter(status="pending"):
        assert waiting.depends_on.status == "failed"

    days = {o.payload["created_at"][:10] for o in final_orders()}
    rows = reconciliation_rows(
        connection=connection,
        day_from=dt.date.fromisoformat(min(days)),
        day_to=dt.date.fromisoformat(max(days)),
        http_transport=transport,
    )
    differing = {d.external_id for row in rows for d in row.documents}
    assert differing <= expected.unknown_sku  # zero mismatches for the rest


def test_summary_mode_posts_one_balanced_entry_per_channel_and_day(
    connection, sandbox, transport
):
    connection = demo_connection(connection, mode="summary")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    ledger_sync(connection=connection, until=tomorrow, http_transport=transport)

    entries, _ = sandbox.store.select(connection.company_id, "GLBATCH")
    final = final_orders()
    periods = {
        (o.payload.get("channel") or "", o.payload["created_at"][:10]) for o in final
    }
    assert len(entries) >= len(periods)
    for entry in entries:
        lines = entry["ENTRIES"]
        side = {"1": Decimal(0), "-1": Decimal(0)}
        for line in lines:
            side[str(line["TR_TYPE"])] += Decimal(str(line["TRX_AMOUNT"]))
        assert side["1"] == side["-1"] > 0, entry.get("BATCH_TITLE")
    assert not Posting.objects.filter(action="post_ar_invoice").exists()

    days = sorted({day for _, day in periods})
    rows = reconciliation_rows(
        connection=connection,
        day_from=dt.date.fromisoformat(days[0]),
        day_to=dt.date.fromisoformat(days[-1]),
        http_transport=transport,
    )
    assert rows and all(row.matches for row in rows), [
        (r.day, r.channel, r.documents) for r in rows if not r.matches
    ]
