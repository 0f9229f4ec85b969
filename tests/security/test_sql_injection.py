"""SQL injection through the filters and searches people type into: the values reach
the database only as bound parameters (the ORM), so an injection attempt filters
for that literal text, matches nothing extra, and destroys nothing."""

import pytest
from django.urls import reverse

from sync.models import Failure, Posting
from sync.services.failures import failure_record
from tests.factories import make_connection, make_posting, make_user

pytestmark = pytest.mark.django_db

ATTACKS = [
    "' OR '1'='1",
    "1 OR 1=1",
    "x' OR 1=1 --",
    "1; DROP TABLE sync_failure; --",
    "') UNION SELECT id, sender_password FROM sync_connection --",
    '" OR ""="',
]


@pytest.fixture
def world(client):
    client.force_login(make_user(superuser=True))
    connection = make_connection()
    for n in range(3):
        posting = make_posting(
            connection=connection, status=Posting.Status.IN_FLIGHT, result_id=f"R{n}"
        )
        failure_record(posting=posting, category="business", message=f"refused {n}")
    return connection


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize(
    "field", ["connection", "category", "action", "age", "assignee", "state", "page"]
)
def test_the_failure_queue_filters_take_injection_as_plain_text(
    client, world, field, attack
):
    response = client.get(reverse("dashboard:failures"), {field: attack})
    assert response.status_code == 200
    # Never more than the whole queue; a refused filter value is no filter at all.
    assert len(response.context["rows"]) <= 3
    assert Failure.objects.count() == 3  # the table is still there, untouched


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_run_list_filters_take_injection_as_plain_text(client, world, attack):
    for field in ("connection", "kind", "status", "page"):
        assert client.get(reverse("dashboard:runs"), {field: attack}).status_code == 200


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize(
    "changelist",
    [
        "admin:sync_failure_changelist",
        "admin:sync_posting_changelist",
        "admin:sync_externalref_changelist",
        "admin:mappings_fieldmapping_changelist",
    ],
)
def test_admin_searches_match_injection_literally(client, world, changelist, attack):
    response = client.get(reverse(changelist), {"q": attack})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0  # no row contains that text
    assert Failure.objects.count() == 3 and Posting.objects.count() == 3


def test_a_search_still_finds_what_it_should(client, world):
    """The control: the same search box does match real text."""
    response = client.get(reverse("admin:sync_failure_changelist"), {"q": "refused 1"})
    assert response.context["cl"].result_count == 1
