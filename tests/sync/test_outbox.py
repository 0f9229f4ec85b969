from datetime import timedelta

import pytest
from django.utils import timezone

from sync.models import Posting
from sync.outbox import (
    connections_with_due_work,
    postings_claim,
    postings_recover_expired,
)
from sync.retry import MAX_ATTEMPTS, retry_delay
from tests.concurrency import side_by_side
from tests.factories import make_connection, make_posting

S = Posting.Status


@pytest.mark.django_db
def test_it_claims_due_rows_once_and_leaves_the_rest():
    conn = make_connection()
    due = [make_posting(connection=conn) for _ in range(3)]
    now = timezone.now()
    later = make_posting(connection=conn, next_attempt_at=now + timedelta(hours=1))
    claimed = postings_claim(connection_id=conn.pk, limit=10, now=now)
    assert {p.pk for p in claimed} == {p.pk for p in due}
    assert all(p.status == S.IN_FLIGHT and p.attempt_count == 1 for p in claimed)
    assert postings_claim(connection_id=conn.pk, limit=10, now=now) == []
    later.refresh_from_db()
    assert later.status == S.PENDING


@pytest.mark.django_db
def test_a_dependent_posting_waits_for_its_dependency():
    conn = make_connection()
    customer = make_posting(connection=conn, action="upsert_customer")
    invoice = make_posting(connection=conn, depends_on=customer)
    first = postings_claim(connection_id=conn.pk, limit=10)
    assert [p.pk for p in first] == [customer.pk]
    Posting.objects.filter(pk=customer.pk).update(status=S.POSTED)
    second = postings_claim(connection_id=conn.pk, limit=10)
    assert [p.pk for p in second] == [invoice.pk]


@pytest.mark.django_db
def test_an_expired_lease_makes_the_posting_uncertain_not_pending():
    conn = make_connection()
    make_posting(connection=conn)
    now = timezone.now()
    [claimed] = postings_claim(connection_id=conn.pk, limit=1, now=now)
    assert postings_recover_expired(now=now) == 0  # lease still valid
    assert postings_recover_expired(now=now + timedelta(hours=1)) == 1
    claimed.refresh_from_db()
    assert claimed.status == S.UNCERTAIN
    assert connections_with_due_work() == [conn.pk]


@pytest.mark.django_db
def test_paused_connections_get_no_work():
    conn = make_connection(paused_at=timezone.now(), pause_reason="auth")
    make_posting(connection=conn)
    assert connections_with_due_work() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_never_share_a_posting():
    conn = make_connection()
    for _ in range(60):
        make_posting(connection=conn)
    claims = []

    def claim():
        while batch := postings_claim(connection_id=conn.pk, limit=7):
            claims.append([p.pk for p in batch])

    assert side_by_side(claim, 4) == []
    claimed = [pk for batch in claims for pk in batch]
    assert len(claimed) == len(set(claimed)) == 60


def test_retry_delays_grow_are_jittered_and_end():
    assert retry_delay(1, rng=lambda: 1.0) == timedelta(seconds=30)
    assert retry_delay(3, rng=lambda: 1.0) == timedelta(seconds=120)
    assert retry_delay(3, rng=lambda: 0.0) == timedelta(0)
    assert retry_delay(2, retry_after=90, rng=lambda: 0.5) == timedelta(seconds=90)
    assert retry_delay(MAX_ATTEMPTS) is None


@pytest.mark.django_db
def test_work_blocked_behind_a_failure_wakes_no_worker():
    conn = make_connection()
    failed = make_posting(connection=conn, status=S.FAILED)
    make_posting(connection=conn, depends_on=failed)
    assert connections_with_due_work() == []
