"""The reconciliation report reads stored results: rows, drill-down, CSV, run."""

import datetime as dt

import pytest
from django.urls import reverse
from django_q.models import OrmQ

from sync.models import ReconciliationResult
from sync.services.reconciliation import reconciliation_rows
from sync.services.runs import sync_once
from tests.factories import make_user
from tests.sync.conftest import a_customer, an_order, store

pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 6, 1)  # the day tests.commerce.records' orders are dated


def test_a_real_run_reconciles_and_the_report_shows_it(client, connection, transport):
    # tests/sync's small rules post the order's lines only, without its shipping
    # and tax: Intacct holds what the hub posted, the source says more, and
    # reconciliation must point at the order.
    store(connection, a_customer("C-1"), an_order("O-1", customer={"id": "C-1"}))
    sync_once(connection=connection, http_transport=transport)
    [row] = reconciliation_rows(
        connection=connection, day_from=DAY, day_to=DAY, http_transport=transport
    )
    assert row.hub.key() == row.intacct.key()
    assert (str(row.source.net_sales), str(row.hub.net_sales)) == ("33.45", "28.50")
    assert str(row.source.tax) == "5.99" and not row.hub.tax
    assert not row.matches
    [document] = row.documents
    assert document.external_id == "O-1"
    client.force_login(make_user(group="viewer"))
    page = client.get(
        reverse("dashboard:reconciliation"),
        {"connection": connection.slug, "from": "2024-06-01", "to": "2024-06-01"},
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "1 day-channel rows, 1 with differences" in text
    assert "Reconcile this range now" not in text  # a viewer cannot spend API calls


def test_a_difference_drills_down_to_its_documents_and_exports(client, connection):
    ReconciliationResult.objects.create(
        connection=connection,
        day=DAY,
        channel="web",
        source_documents=2,
        source_net_sales="50.00",
        hub_documents=1,
        hub_net_sales="25.00",
        intacct_documents=1,
        intacct_net_sales="25.00",
        matches=False,
        mismatches=[
            {
                "kind": "order",
                "external_id": "O-7",
                "reason": "in the source, not posted",
                "source": {"net_sales": "25.00"},
                "hub": {},
                "intacct": {},
                "posting_id": None,
            }
        ],
    )
    client.force_login(make_user(group="finance"))
    query = {"connection": connection.slug, "from": "2024-06-01", "to": "2024-06-01"}
    report = client.get(reverse("dashboard:reconciliation"), query).content.decode()
    assert "no: 1 document" in report
    detail = client.get(
        reverse("dashboard:reconciliation-day"),
        {"connection": connection.slug, "day": "2024-06-01", "channel": "web"},
    ).content.decode()
    assert "O-7" in detail and "in the source, not posted" in detail
    csv = client.get(reverse("dashboard:reconciliation-csv"), query).content.decode()
    assert csv.splitlines()[0].startswith("connection,day,channel,mode,matches")
    assert f"{connection.slug},2024-06-01,web" in csv


def test_reconcile_now_queues_the_work_for_a_worker(client, connection):
    client.force_login(make_user(group="finance"))
    response = client.post(
        reverse("dashboard:reconciliation-run"),
        {"connection": connection.slug, "from": "2024-06-01", "to": "2024-06-02"},
    )
    assert response.status_code == 302
    assert OrmQ.objects.count() == 1
