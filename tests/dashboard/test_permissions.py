"""Every dashboard view × every role: allowed (2xx/3xx) or 403, as designed."""

import pytest
from django.urls import reverse

from sync.dashboard import views
from sync.models import ReconciliationResult, SummaryEntry, SyncRun
from sync.services.failures import failure_record
from tests.factories import make_posting, make_user

pytestmark = pytest.mark.django_db

ROLES = ["viewer", "finance", "ops", "superuser"]
ALL = set(ROLES)
RESOLVERS = {"finance", "superuser"}
RESYNCERS = {"finance", "ops", "superuser"}


@pytest.fixture
def world(connection, transport, monkeypatch):
    monkeypatch.setitem(views.CLIENT_OPTIONS, "http_transport", transport)
    posting = make_posting(
        connection=connection, status="in_flight", intacct_object="ARINVOICE"
    )
    failure = failure_record(posting=posting, category="business", message="nope")
    run = SyncRun.objects.create(connection=connection, kind="incremental")
    summary = SummaryEntry.objects.create(
        connection=connection,
        day="2026-11-20",
        sequence=1,
        kind="summary",
        posting=make_posting(connection=connection, intacct_object="GLBATCH"),
        posting_date="2026-11-20",
    )
    ReconciliationResult.objects.create(
        connection=connection, day="2026-11-20", channel="web", matches=False
    )
    return {
        "connection": connection,
        "failure": failure,
        "run": run,
        "summary": summary,
    }


def matrix(w):
    slug, f, run = w["connection"].slug, w["failure"].pk, w["run"].pk
    conn = w["connection"].pk
    return [
        ("get", reverse("dashboard:home"), {}, ALL),
        ("get", reverse("dashboard:failures"), {}, ALL),
        ("get", reverse("dashboard:failures") + "?category=business", {}, ALL),
        ("get", reverse("dashboard:failures-csv"), {}, ALL),
        ("get", reverse("dashboard:failure", args=[f]), {}, ALL),
        ("get", reverse("dashboard:runs"), {}, ALL),
        ("get", reverse("dashboard:held-summaries"), {}, ALL),
        (
            "post",
            reverse("dashboard:summary-release", args=[w["summary"].pk]),
            {"date": ""},
            RESOLVERS,
        ),
        ("get", reverse("dashboard:run", args=[run]), {}, ALL),
        ("get", reverse("dashboard:run-progress", args=[run]), {}, ALL),
        ("get", reverse("dashboard:test", args=[slug]), {}, ALL),
        ("post", reverse("dashboard:test", args=[slug]), {}, RESYNCERS),
        ("get", reverse("dashboard:resync"), {}, RESYNCERS),
        (
            "post",
            reverse("dashboard:resync-start"),
            {"connection": conn, "kind": "category", "category": "business"},
            RESYNCERS,
        ),
        ("post", reverse("dashboard:resume", args=[slug]), {}, {"superuser"}),
        (
            "post",
            reverse("dashboard:failure-act", args=[f, "assign"]),
            {"assignee": ""},
            RESOLVERS,
        ),
        (
            "post",
            reverse("dashboard:failures-bulk"),
            {"action": "retry", "ids": str(f)},
            RESOLVERS,
        ),
        ("post", reverse("dashboard:failure-act", args=[f, "retry"]), {}, RESOLVERS),
        ("get", reverse("dashboard:reconciliation"), {}, ALL),
        ("get", reverse("dashboard:reconciliation-csv"), {}, ALL),
        (
            "get",
            reverse("dashboard:reconciliation-day"),
            {"connection": slug, "day": "2026-11-20", "channel": "web"},
            ALL,
        ),
        (
            "post",
            reverse("dashboard:reconciliation-run"),
            {"connection": slug},
            RESYNCERS,
        ),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_view_for_every_role(client, world, role):
    user = make_user(superuser=True) if role == "superuser" else make_user(group=role)
    client.force_login(user)
    for method, url, data, allowed in matrix(world):
        response = getattr(client, method)(url, data)
        if role in allowed:
            assert response.status_code in (200, 302), (method, url, role)
        else:
            assert response.status_code == 403, (method, url, role)


def test_anonymous_users_go_to_the_login_page(client, world):
    for method, url, data, _ in matrix(world):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_posts_need_a_csrf_token_and_gets_to_actions_are_refused(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(superuser=True))
    for method, url, data, _ in matrix(world):
        if method == "post":
            assert client.post(url, data).status_code == 403, url
    start = reverse("dashboard:resync-start")
    assert client.get(start).status_code == 405
    act = reverse("dashboard:failure-act", args=[world["failure"].pk, "retry"])
    assert client.get(act).status_code == 405
