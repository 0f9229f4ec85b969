"""Planning a backlog: records read ahead per batch (each buyer's customer record,
which orders have no document yet) cost a few queries per batch instead of several
per order, and plan exactly what planning one record at a time would."""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from sync.models import Posting
from sync.services.plan_context import context_for
from sync.services.planning import plan_prefetch, record_plan, records_plan_together
from sync.services.runs import connection_plan, records_to_plan
from tests.sync.conftest import a_customer, an_order, store

pytestmark = pytest.mark.django_db(transaction=True)


def backlog(connection, orders, *, first=0):
    """``orders`` paid orders of ten repeat buyers, customers stored alongside."""
    buyers = [a_customer(f"C-{n}") for n in range(10)]
    store(
        connection,
        *buyers,
        *[
            an_order(f"O-{first + n}", customer={"id": f"C-{n % 10}"})
            for n in range(orders)
        ],
    )


def plan_cost(connection, orders, *, first):
    backlog(connection, orders, first=first)
    with CaptureQueriesContext(db) as queries:
        connection_plan(connection=connection)
    return len(queries)


def test_a_backlog_plans_one_invoice_per_order_and_one_customer_per_buyer(
    connection,
):
    backlog(connection, 40)
    connection_plan(connection=connection)

    invoices = Posting.objects.filter(action="post_ar_invoice")
    customers = Posting.objects.filter(action="upsert_customer")
    assert invoices.count() == 40 and customers.count() == 10
    for invoice in invoices.select_related("source_record", "depends_on"):
        buyer = invoice.source_record.payload["customer"]["id"]
        assert invoice.depends_on.source_record.external_id == buyer
    assert not records_to_plan(connection=connection).exists()
    # Planning again finds everything planned: nothing new.
    assert connection_plan(connection=connection) == []
    assert Posting.objects.count() == 50


def test_planning_cost_per_order_stays_small(connection):
    ten = plan_cost(connection, 10, first=0)
    fifty = plan_cost(connection, 50, first=10)
    # Per order: the invoice's insert (no savepoint: nothing was there when read
    # ahead). The customer lookups and the "any document yet?" question are read
    # ahead; the version lock and the transaction are one per hundred records. One
    # record at a time this was twelve or more per order; with a savepoint per
    # insert, six; with a transaction per record, four.
    assert (fifty - ten) / 40 <= 1.5, (ten, fifty)


def test_a_posting_another_planner_made_meanwhile_is_found_not_duplicated(
    connection,
):
    store(connection, a_customer("C-1"), an_order("O-1", customer={"id": "C-1"}))
    ctx = context_for(connection)
    pending = list(records_to_plan(connection=connection))
    plan_prefetch(ctx, pending)
    order = next(r for r in pending if r.kind == "order")
    # Between the read-ahead and this pass's turn, a record_stored task plans it.
    elsewhere = record_plan(ctx=context_for(connection), record=order)
    assert {p.action for p in elsewhere} == {"upsert_customer", "post_ar_invoice"}

    for record in pending:
        record_plan(ctx=ctx, record=record)

    assert Posting.objects.filter(action="post_ar_invoice").count() == 1
    assert Posting.objects.filter(action="upsert_customer").count() == 1


def test_records_planned_together_give_way_to_one_by_one_when_one_was_planned_meanwhile(
    connection,
):
    store(connection, a_customer("C-1"), an_order("O-1", customer={"id": "C-1"}))
    store(connection, an_order("O-2", customer={"id": "C-1"}))
    ctx = context_for(connection)
    ctx.marks = []
    pending = list(records_to_plan(connection=connection))
    plan_prefetch(ctx, pending)
    first = next(r for r in pending if r.external_id == "O-1")
    record_plan(ctx=context_for(connection), record=first)  # another planner's
    planned_elsewhere = set(Posting.objects.values_list("pk", flat=True))

    # The read-ahead said O-1 had no document: the batch is undone, nothing kept.
    assert records_plan_together(ctx, pending) is None
    assert set(Posting.objects.values_list("pk", flat=True)) == planned_elsewhere
    assert ctx.created == [] and ctx.marks == []

    for record in pending:
        record_plan(ctx=ctx, record=record)
    invoices = Posting.objects.filter(action="post_ar_invoice")
    assert sorted(invoices.values_list("source_record__external_id", flat=True)) == [
        "O-1",
        "O-2",
    ]
    assert Posting.objects.filter(action="upsert_customer").count() == 1
