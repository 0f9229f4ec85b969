"""What finance and ops see and do, without a browser; and bounded query counts."""

import pytest
from django.urls import reverse

from sync.models import ApiUsage, Failure, Posting, SyncRun
from sync.services.failures import failure_record
from sync.services.runs import sync_once
from tests.factories import make_connection, make_posting, make_user

from .conftest import a_customer, add_sku, an_order, store

pytestmark = pytest.mark.django_db
S = Posting.Status


def many_failures(n, connection=None):
    connection = connection or make_connection()
    for i in range(n):
        posting = make_posting(
            connection=connection, status=S.IN_FLIGHT, intacct_object="ARINVOICE"
        )
        failure_record(posting=posting, category="business", message=f"bad {i}")
    return connection


def test_home_and_queue_take_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    for _ in range(3):
        conn = many_failures(5)
        ApiUsage.objects.create(connection=conn, day="2024-01-01", transactions=3)
        SyncRun.objects.create(connection=conn, kind="incremental", status="running")
    client.force_login(make_user(group="finance"))
    with django_assert_max_num_queries(45):
        assert client.get(reverse("dashboard:home")).status_code == 200
    with django_assert_max_num_queries(12):
        response = client.get(reverse("dashboard:failures"))
    assert response.status_code == 200 and len(response.context["rows"]) == 15
    failure = Failure.objects.first()
    with django_assert_max_num_queries(20):
        client.get(reverse("dashboard:failure", args=[failure.pk]))


def test_queue_filters_and_csv(client):
    conn = many_failures(3)
    other = many_failures(2)
    client.force_login(make_user(group="viewer"))
    url = reverse("dashboard:failures")
    assert client.get(url, {"connection": other.pk}).context["count"] == 2
    assert client.get(url, {"category": "auth"}).context["count"] == 0
    assert client.get(url, {"age": "1h", "assignee": "none"}).context["count"] == 5
    body = b"".join(
        client.get(reverse("dashboard:failures-csv"), {"connection": conn.pk})
    ).decode()
    assert body.count("\n") == 4 and "bad 0" in body


def test_unknown_sku_links_to_the_value_map_and_retry_remaps(
    client, sku_connection, transport
):
    store(sku_connection, a_customer(), an_order())
    sync_once(connection=sku_connection, http_transport=transport)
    failure = Failure.objects.get(resolved_at=None)
    client.force_login(make_user(group="finance"))
    page = client.get(reverse("dashboard:failure", args=[failure.pk]))
    (link,) = page.context["fix_links"]
    assert link["value"] == "SKU-1001" and "/valuemap/" in link["url"]
    add_sku(sku_connection)
    client.post(reverse("dashboard:failure-act", args=[failure.pk, "retry"]))
    sync_once(connection=sku_connection, http_transport=transport)
    failure.refresh_from_db()
    assert failure.resolution == "edited"
    assert Posting.objects.get(pk=failure.posting_id).status == S.POSTED


def test_link_reads_intacct_first(client, connection, transport, monkeypatch):
    from sync.dashboard import views

    monkeypatch.setitem(views.CLIENT_OPTIONS, "http_transport", transport)
    store(connection, a_customer(), an_order())
    sync_once(connection=connection, http_transport=transport)
    customer = Posting.objects.get(action="upsert_customer")
    posting = make_posting(
        connection=connection, status=S.IN_FLIGHT, intacct_object="CUSTOMER"
    )
    failure = failure_record(posting=posting, category="business", message="dup")
    client.force_login(make_user(group="finance"))
    act = reverse("dashboard:failure-act", args=[failure.pk, "link"])
    client.post(act, {"reference": "NOPE-404"})
    failure.refresh_from_db()
    assert failure.is_open
    client.post(act, {"reference": customer.result_id})  # bound to C-1 already
    failure.refresh_from_db()
    assert failure.is_open
    client.post(act, {"reference": "WEB-GUEST"})
    failure.refresh_from_db()
    assert failure.resolution == "linked"
    assert Posting.objects.get(pk=posting.pk).result_id == "WEB-GUEST"


def test_bulk_ignore_confirms_first(client):
    many_failures(2)
    ids = ",".join(str(pk) for pk in Failure.objects.values_list("pk", flat=True))
    client.force_login(make_user(group="finance"))
    url = reverse("dashboard:failures-bulk")
    page = client.post(url, {"action": "ignore", "ids": ids, "reason": "dupes"})
    assert page.status_code == 200 and len(page.context["failures"]) == 2
    assert Failure.objects.filter(resolved_at=None).count() == 2
    client.post(
        url, {"action": "ignore", "ids": ids, "reason": "dupes", "confirm": "yes"}
    )
    assert Failure.objects.filter(resolution="ignored").count() == 2


def test_no_secret_on_any_page(client, connection, transport, monkeypatch):
    from sync.dashboard import views

    monkeypatch.setitem(views.CLIENT_OPTIONS, "http_transport", transport)
    client.force_login(make_user(superuser=True))
    pages = [
        client.get(reverse("dashboard:home")),
        client.post(reverse("dashboard:test", args=[connection.slug])),
    ]
    assert b"allowed" in pages[1].content
    for page in pages:
        for secret in connection.secret_values():
            assert secret.encode() not in page.content
