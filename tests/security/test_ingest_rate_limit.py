"""The ingest API's rate limit: N requests a minute per API token, shared through the
database, 429 with Retry-After and a JSON error above it, the refused request never
stored."""

import datetime as dt
import json
import threading

import pytest
from django.db import connection as db
from django.test import Client

from commerce import ratelimit
from commerce.models import IngestRateWindow, IngestRequest, SourceRecord
from tests.commerce.records import envelope, order_data
from tests.factories import make_ingest_source

LIMIT = 3


def post(client, source, token, external_id, *, key=None):
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return client.post(
        f"/api/v1/sources/{source.slug}/records/",
        data=json.dumps(envelope("order", external_id, order_data())),
        content_type="application/json",
        headers=headers,
    )


class Clock:
    """Holds the limiter's clock still (half-way through a minute) unless moved, so
    no test depends on where in the real minute it happens to run."""

    def __init__(self):
        self.now = dt.datetime(2024, 6, 3, 12, 0, 30, tzinfo=dt.UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    held = Clock()
    monkeypatch.setattr(ratelimit, "clock", held)
    return held


@pytest.fixture
def limited(settings, clock):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = LIMIT
    return clock


@pytest.mark.django_db
def test_the_request_over_the_limit_gets_429_and_is_not_stored(client, limited):
    source, token = make_ingest_source()
    for n in range(LIMIT):
        assert post(client, source, token, f"O-{n}").status_code == 201

    refused = post(client, source, token, "O-over", key="key-over")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"  # the rest of the held minute
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["limit"] == LIMIT and error["retry_after"] == 30
    assert f"{LIMIT} requests a minute" in error["message"]
    assert not SourceRecord.objects.filter(external_id="O-over").exists()
    assert SourceRecord.objects.count() == LIMIT
    assert not IngestRequest.objects.filter(idempotency_key="key-over").exists()


@pytest.mark.django_db
def test_the_limit_is_per_token(client, limited):
    busy, busy_token = make_ingest_source()
    other, other_token = make_ingest_source()
    for n in range(LIMIT):
        post(client, busy, busy_token, f"B-{n}")
    assert post(client, busy, busy_token, "B-over").status_code == 429

    assert post(client, other, other_token, "X-1").status_code == 201


@pytest.mark.django_db
def test_a_new_token_starts_a_new_count(client, limited):
    source, token = make_ingest_source()
    for n in range(LIMIT):
        post(client, source, token, f"O-{n}")
    assert post(client, source, token, "O-over").status_code == 429

    fresh = source.issue_api_token()
    source.save()

    assert post(client, source, fresh, "O-fresh").status_code == 201


@pytest.mark.django_db
def test_the_next_minute_is_allowed_again_and_old_windows_are_dropped(client, limited):
    source, token = make_ingest_source()
    for n in range(LIMIT):
        post(client, source, token, f"O-{n}")
    assert post(client, source, token, "O-over").status_code == 429
    limited.now += dt.timedelta(seconds=30)  # the next minute begins

    assert post(client, source, token, "O-later").status_code == 201
    assert list(
        IngestRateWindow.objects.filter(token_hash=source.api_token_hash).values_list(
            "count", flat=True
        )
    ) == [1]


@pytest.mark.django_db
def test_unauthenticated_requests_are_not_counted_against_the_token(client, limited):
    source, token = make_ingest_source()
    for n in range(LIMIT * 2):
        assert post(client, source, "ihs_wrong", f"W-{n}").status_code == 401
    assert not IngestRateWindow.objects.exists()
    assert post(client, source, token, "O-1").status_code == 201


@pytest.mark.django_db
def test_zero_turns_the_limit_off(client, settings, clock):
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 0
    source, token = make_ingest_source()
    for n in range(5):
        assert post(client, source, token, f"O-{n}").status_code == 201
    assert not IngestRateWindow.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_clients_on_their_own_connections_share_one_count(settings, clock):
    """Each thread has its own database connection, as separate web processes do:
    together they get exactly the limit, however their requests interleave."""
    settings.INGEST_RATE_LIMIT_PER_MINUTE = 6
    source, token = make_ingest_source()
    statuses, lock = [], threading.Lock()

    def worker(n):
        try:
            client = Client()
            for i in range(4):
                status = post(client, source, token, f"T{n}-{i}").status_code
                with lock:
                    statuses.append(status)
        finally:
            db.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] * 6 + [429] * 6
    assert SourceRecord.objects.count() == 6
