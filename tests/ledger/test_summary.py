"""Summary mode end to end: a day of orders and refunds becomes one balanced entry."""

import datetime as dt
from decimal import Decimal

import pytest

from sync.models import Failure, Posting, SummaryEntry, SummaryMember
from sync.services.summary import ledger_sync
from tests.ledger.conftest import a_refund, set_policy, web_order
from tests.sync.conftest import store

pytestmark = pytest.mark.django_db(transaction=True)

S = Posting.Status
DAY = dt.date(2024, 6, 1)
UNTIL = dt.date(2024, 7, 15)


def test_a_day_becomes_one_balanced_entry_per_channel(
    summary_connection, sandbox, transport
):
    conn = summary_connection
    store(
        conn,
        web_order("1001"),
        web_order("1002"),
        web_order("1003", channel="pos"),
        a_refund("R-1", "1001"),
    )
    ledger_sync(connection=conn, until=UNTIL, http_transport=transport)

    entries = SummaryEntry.objects.filter(connection=conn).order_by("channel")
    assert [(e.channel, e.day, e.sequence) for e in entries] == [
        ("pos", DAY, 1),
        ("web", DAY, 1),
    ]
    assert {e.posting.status for e in entries} == {S.POSTED}
    web = entries.get(channel="web")
    lines = web.posting.payload["lines"]
    debit = sum(Decimal(ln["amount"]) for ln in lines if ln["debit"])
    credit = sum(Decimal(ln["amount"]) for ln in lines if not ln["debit"])
    assert debit == credit
    by_memo = {ln["memo"]: Decimal(ln["amount"]) for ln in lines}
    assert by_memo["Sales collected"] == Decimal("121.06")
    assert by_memo["Sales revenue"] == Decimal("110.00")
    assert by_memo["Sales discounts"] == Decimal("8.00")
    assert by_memo["Sales shipping"] == Decimal("10.00")
    assert by_memo["Sales tax CA State Tax"] == Decimal("6.72")
    assert by_memo["Sales tax LA County Tax"] == Decimal("2.34")
    assert by_memo["Refunds paid"] == Decimal("19.66")
    assert by_memo["Refund of sales"] == Decimal("18.00")
    assert by_memo["Refund tax CA State Tax"] + by_memo[
        "Refund tax LA County Tax"
    ] == Decimal("1.66")
    members = SummaryMember.objects.filter(entry=web)
    assert sorted(members.values_list("external_id", flat=True)) == [
        "1001",
        "1002",
        "R-1",
    ]
    assert intacct_count(sandbox, "GLBATCH") == 2
    assert intacct_count(sandbox, "ARINVOICE") == 0


def intacct_count(sandbox, obj):
    company = next(c for c in sandbox.counts() if not c.startswith("_"))
    return sandbox.counts()[company].get(obj, 0)


def test_running_again_posts_nothing_and_a_late_order_is_an_adjustment(
    summary_connection, sandbox, transport
):
    conn = summary_connection
    store(conn, web_order("1001"))
    ledger_sync(connection=conn, until=UNTIL, http_transport=transport)
    before = intacct_count(sandbox, "GLBATCH")
    ledger_sync(connection=conn, until=UNTIL, http_transport=transport)
    assert intacct_count(sandbox, "GLBATCH") == before == 1

    store(conn, web_order("1002"))  # arrives after the day was posted
    ledger_sync(connection=conn, until=UNTIL, http_transport=transport)
    first, late = SummaryEntry.objects.filter(connection=conn).order_by("sequence")
    assert (first.kind, late.kind, late.day) == ("summary", "adjustment", DAY)
    assert [m.external_id for m in late.members.all()] == ["1002"]
    assert intacct_count(sandbox, "GLBATCH") == 2


@pytest.mark.parametrize("behaviour", ["shift", "hold", "fail"])
def test_a_closed_period_follows_the_policy(
    summary_connection, sandbox, transport, behaviour
):
    conn = summary_connection
    set_policy(conn, closed_period_behaviour=behaviour)
    sandbox.set_closed_through("2024-06-30")
    store(conn, web_order("1001"))
    ledger_sync(connection=conn, until=UNTIL, http_transport=transport)
    entry = SummaryEntry.objects.get(connection=conn)
    if behaviour == "shift":
        assert entry.posting.status == S.POSTED
        assert entry.posting_date == dt.date(2024, 7, 1)
        assert "shifted to 2024-07-01" in entry.note
        assert intacct_count(sandbox, "GLBATCH") == 1
    elif behaviour == "hold":
        assert entry.posting.status == S.SKIPPED
        assert entry.posting.skip_reason.startswith("held for approval")
        assert intacct_count(sandbox, "GLBATCH") == 0
    else:
        assert entry.posting.status == S.FAILED
        assert Failure.objects.get(posting=entry.posting, resolved_at=None)
        assert intacct_count(sandbox, "GLBATCH") == 0


def test_nothing_before_the_cutover_date_posts(summary_connection, sandbox, transport):
    conn = summary_connection
    set_policy(conn, cutover_date=dt.date(2024, 6, 2))
    store(conn, web_order("1001"), web_order("1002", day="2024-06-02"))
    ledger_sync(connection=conn, until=UNTIL, http_transport=transport)
    entry = SummaryEntry.objects.get(connection=conn)
    assert entry.day == dt.date(2024, 6, 2)
    assert [m.external_id for m in entry.members.all()] == ["1002"]
    assert intacct_count(sandbox, "GLBATCH") == 1


def summary_plan_cost(conn, orders, *, first):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from sync.services.summary import summary_plan

    store(
        conn,
        *[web_order(f"{first + n}") for n in range(orders)],
        *[a_refund(f"R{first + n}", f"{first + n}") for n in range(0, orders, 2)],
    )
    with CaptureQueriesContext(db) as queries:
        summary_plan(connection=conn, until=UNTIL)
    return len(queries)


def test_planning_a_summary_reads_the_ledger_once_per_batch_not_per_record(
    summary_connection,
):
    conn = summary_connection
    small = summary_plan_cost(conn, 10, first=1000)
    large = summary_plan_cost(conn, 100, first=2000)
    # Each run makes one adjustment entry for the day, whatever its size: what
    # grows with the records is read in batches (what earlier entries hold for
    # them, the orders their refunds refer to), not a query per record.
    assert large - small < 10, (small, large)
    first, adjustment = SummaryEntry.objects.filter(connection=conn).order_by(
        "sequence"
    )
    assert first.members.count() == 15 and adjustment.members.count() == 150


def test_an_edited_order_adjusts_by_what_its_earlier_version_contributed(
    summary_connection, sandbox, transport
):
    conn = summary_connection
    store(conn, web_order("1001"), a_refund("R1", "1001"))
    ledger_sync(connection=conn, until=UNTIL, http_transport=transport)
    store(
        conn,
        web_order(
            "1001",
            updated_at="2024-06-02T08:00:00Z",
            cancelled_at=("2024-06-02T08:00:00Z"),
        ),
    )
    ledger_sync(connection=conn, until=UNTIL, http_transport=transport)

    first, adjustment = SummaryEntry.objects.filter(connection=conn).order_by(
        "sequence"
    )
    [member] = adjustment.members.all()
    [held] = first.members.filter(external_id="1001")
    # The cancellation takes out exactly what the order contributed, nothing else.
    assert member.external_id == "1001"
    assert (member.net_sales, member.tax) == (-held.net_sales, -held.tax)


def test_summary_orders_are_marked_planned_in_one_insert_per_batch(
    summary_connection,
):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from sync.models import PlanMark
    from sync.services.runs import connection_plan, records_to_plan

    conn = summary_connection
    store(conn, *[web_order(f"{3000 + n}") for n in range(30)])

    with CaptureQueriesContext(db) as queries:
        assert connection_plan(connection=conn) == []  # no posting of their own

    inserts = [
        q
        for q in queries
        if q["sql"].startswith("INSERT") and "sync_planmark" in q["sql"]
    ]
    assert len(inserts) == 1
    assert PlanMark.objects.filter(connection=conn).count() == 30
    assert not records_to_plan(connection=conn).exists()
