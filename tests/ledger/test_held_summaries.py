"""A summary held for a closed period (policy "hold") is listed in the dashboard and
released by a controller, dated into an open period; then it posts, once."""

import datetime as dt

import pytest
from django.urls import reverse

from sync.models import AuditEvent, Posting, SummaryEntry
from sync.services.summary import ledger_sync
from tests.factories import make_user, role_groups_restore
from tests.ledger.conftest import set_policy, web_order
from tests.sync.conftest import store

pytestmark = pytest.mark.django_db(transaction=True)

S = Posting.Status
UNTIL = dt.date(2024, 7, 15)


@pytest.fixture
def held_entry(summary_connection, sandbox, transport):
    role_groups_restore()
    set_policy(summary_connection, closed_period_behaviour="hold")
    sandbox.set_closed_through("2024-06-30")
    store(summary_connection, web_order("1001"))
    ledger_sync(connection=summary_connection, until=UNTIL, http_transport=transport)
    entry = SummaryEntry.objects.get(connection=summary_connection)
    assert entry.posting.status == S.SKIPPED
    return entry


def glbatches(sandbox, connection):
    return sandbox.counts()[connection.company_id].get("GLBATCH", 0)


def test_a_held_summary_is_listed_with_the_first_open_day(client, held_entry):
    client.force_login(make_user(group="finance"))
    url = reverse("dashboard:held-summaries")

    text = client.get(url).content.decode()

    assert "2024-06-01" in text and "held for approval" in text
    assert 'value="2024-07-01"' in text  # the day after the closed-through date
    client.force_login(make_user(group="viewer"))
    seen = client.get(url).content.decode()
    assert "held for approval" in seen and "Release</button>" not in seen


def test_a_released_summary_posts_once_dated_as_the_controller_chose(
    client, held_entry, sandbox, transport
):
    user = make_user(group="finance")
    client.force_login(user)

    answer = client.post(
        reverse("dashboard:summary-release", args=[held_entry.pk]),
        {"date": "2024-07-01"},
        follow=True,
    )

    assert "Released" in answer.content.decode()
    posting = Posting.objects.get(pk=held_entry.posting_id)
    assert posting.status == S.PENDING and posting.payload["date"] == "2024-07-01"
    audit = AuditEvent.objects.get(posting=posting, user=user)
    assert audit.details["released"] is True
    assert audit.details["after"]["date"] == "2024-07-01"
    connection = held_entry.connection
    ledger_sync(connection=connection, until=UNTIL, http_transport=transport)
    ledger_sync(connection=connection, until=UNTIL, http_transport=transport)
    posting.refresh_from_db()
    assert posting.status == S.POSTED
    assert glbatches(sandbox, connection) == 1


def test_releasing_what_is_not_held_changes_nothing(client, held_entry):
    client.force_login(make_user(group="finance"))
    url = reverse("dashboard:summary-release", args=[held_entry.pk])
    client.post(url, {"date": "2024-07-01"})

    again = client.post(url, {"date": "2024-07-02"}, follow=True)
    bad_date = client.post(url, {"date": "July"}, follow=True)

    assert "not held" in again.content.decode()
    assert "YYYY-MM-DD" in bad_date.content.decode()
    posting = Posting.objects.get(pk=held_entry.posting_id)
    assert posting.payload["date"] == "2024-07-01"
    assert AuditEvent.objects.filter(posting=posting, user__isnull=False).count() == 1
