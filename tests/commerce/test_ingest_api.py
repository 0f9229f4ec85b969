"""The ingest API: records in, versions out, all-or-nothing batches, idempotency."""

import pytest

from commerce.models import IngestRequest, SourceRecord
from commerce.signals import record_stored
from tests.commerce.records import customer_data, envelope, order_data
from tests.factories import make_ingest_source

pytestmark = pytest.mark.django_db


def test_it_stores_one_record_as_version_1(ingest, ingest_source):
    response = ingest(envelope("order", "1001", order_data()))

    assert response.status_code == 201
    assert response.json() == {
        "source": "saas-tenant",
        "received": 1,
        "created": 1,
        "unchanged": 0,
        "stale": 0,
        "records": [
            {"kind": "order", "external_id": "1001", "outcome": "created", "version": 1}
        ],
    }
    record = SourceRecord.objects.get()
    assert record.source == ingest_source[0]
    assert record.payload["id"] == "1001"
    assert record.payload["schema_version"] == 1
    assert record.payload["total_price"] == "39.44"


def test_identical_content_is_not_a_new_version(ingest):
    ingest(envelope("order", "1001", order_data()))
    again = ingest(envelope("order", "1001", order_data()))

    assert again.status_code == 200
    assert again.json()["records"][0]["outcome"] == "unchanged"
    assert SourceRecord.objects.count() == 1


def test_changed_content_is_the_next_version(ingest):
    ingest(envelope("order", "1001", order_data()))
    paid = order_data(financial_status="refunded", updated_at="2024-06-02T10:00:00Z")
    response = ingest(envelope("order", "1001", paid))

    assert response.json()["records"][0] == {
        "kind": "order",
        "external_id": "1001",
        "outcome": "created",
        "version": 2,
    }
    assert SourceRecord.objects.filter(external_id="1001").count() == 2


def test_an_older_change_is_reported_stale_and_not_stored(ingest):
    ingest(envelope("order", "1001", order_data(updated_at="2024-06-05T00:00:00Z")))
    old = order_data(note="old", updated_at="2024-06-04T00:00:00Z")
    response = ingest(envelope("order", "1001", old))

    assert response.json()["records"][0]["outcome"] == "stale"
    assert SourceRecord.objects.count() == 1


def test_a_batch_is_stored_whole(ingest):
    batch = {
        "records": [
            envelope("customer", f"C-{n}", customer_data(email=f"c{n}@example.com"))
            for n in range(250)
        ]
    }
    response = ingest(batch)

    assert response.status_code == 201
    assert response.json()["created"] == 250
    assert SourceRecord.objects.filter(kind="customer").count() == 250


def test_one_bad_record_refuses_the_whole_batch_and_names_every_problem(ingest):
    bad_order = order_data(currency="XYZ")
    bad_order["lines"][0]["quantity"] = -2
    batch = {
        "records": [
            envelope("customer", "C-1", customer_data()),
            envelope("order", "1001", bad_order),
            envelope("customer", "C-2", customer_data(email=None, updated_at=None)),
        ]
    }
    response = ingest(batch)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_records"
    assert "nothing was stored" in error["message"]
    by_index = {r["index"]: r for r in error["records"]}
    assert set(by_index) == {1, 2}
    assert by_index[1]["external_id"] == "1001"
    fields = {e["field"] for e in by_index[1]["errors"]}
    assert "data.lines[0].quantity" in fields
    assert {e["field"] for e in by_index[2]["errors"]} == {"data.updated_at"}
    assert not SourceRecord.objects.exists()


def test_totals_that_do_not_add_up_are_refused(ingest):
    response = ingest(envelope("order", "1001", order_data(total_price="40.00")))

    assert response.status_code == 422
    [problem] = response.json()["error"]["records"][0]["errors"]
    assert problem["field"] == "data.total_price"
    assert "39.44" in problem["message"]


def test_an_unknown_currency_is_refused(ingest):
    response = ingest(envelope("customer", "C-1", customer_data(currency="EUX")))

    assert response.status_code == 422
    assert response.json()["error"]["records"][0]["errors"] == [
        {"field": "data.currency", "message": "'EUX' is not an ISO 4217 currency code"}
    ]


def test_a_batch_over_the_limit_is_refused(ingest, settings):
    settings.COMMERCE_INGEST_MAX_BATCH = 5
    batch = {
        "records": [envelope("customer", f"C-{n}", customer_data()) for n in range(6)]
    }

    response = ingest(batch)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_batch"
    assert not SourceRecord.objects.exists()


def test_a_deletion_is_stored_as_a_tombstone(ingest):
    ingest(envelope("customer", "C-1", customer_data()))
    response = ingest(
        envelope(
            "customer",
            "C-1",
            {"reason": "redacted", "deleted_at": "2024-06-03T00:00:00Z"},
            deleted=True,
        )
    )

    assert response.status_code == 201
    latest = SourceRecord.objects.order_by("-version").first()
    assert latest.is_tombstone and latest.version == 2
    assert latest.payload["reason"] == "redacted"


def test_the_same_idempotency_key_and_body_replays_the_first_answer(ingest):
    body = envelope("order", "1001", order_data())
    first = ingest(body, key="req-7c1d")
    second = ingest(body, key="req-7c1d")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert SourceRecord.objects.count() == 1
    assert IngestRequest.objects.get().record_count == 1


def test_reusing_an_idempotency_key_with_another_body_is_refused(ingest):
    ingest(envelope("order", "1001", order_data()), key="req-7c1d")
    response = ingest(envelope("order", "1002", order_data()), key="req-7c1d")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert not SourceRecord.objects.filter(external_id="1002").exists()


def test_a_refused_request_does_not_use_up_its_idempotency_key(ingest):
    bad = envelope("order", "1001", order_data(total_price="1.00"))
    assert ingest(bad, key="k-1").status_code == 422
    assert not IngestRequest.objects.exists()


def test_a_wrong_token_is_refused(ingest):
    response = ingest(envelope("order", "1001", order_data()), token="ihs_wrong")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not SourceRecord.objects.exists()


def test_another_sources_token_is_refused(client, ingest_source):
    _, other_token = make_ingest_source()
    source, _ = ingest_source
    response = client.post(
        f"/api/v1/sources/{source.slug}/records/",
        data=envelope("order", "1", order_data()),
        content_type="application/json",
        headers={"Authorization": f"Bearer {other_token}"},
    )
    assert response.status_code == 401


def test_an_unknown_source_answers_like_a_wrong_token(client):
    response = client.post(
        "/api/v1/sources/nope/records/",
        data={},
        content_type="application/json",
        headers={"Authorization": "Bearer ihs_x"},
    )
    assert response.status_code == 401


def test_it_announces_each_new_version_after_commit(ingest):
    seen = []

    def receiver(sender, record, **kwargs):
        seen.append((record.external_id, record.version, record.pk is not None))

    record_stored.connect(receiver)
    try:
        ingest(envelope("order", "1001", order_data()))
        ingest(envelope("order", "1001", order_data()))  # unchanged: no signal
        ingest(envelope("customer", "C-1", customer_data()))
    finally:
        record_stored.disconnect(receiver)

    assert seen == [("1001", 1, True), ("C-1", 1, True)]


def test_a_failing_receiver_does_not_undo_or_break_the_request(ingest):
    def broken(sender, record, **kwargs):
        raise RuntimeError("subscriber bug")

    record_stored.connect(broken)
    try:
        response = ingest(envelope("order", "1001", order_data()))
    finally:
        record_stored.disconnect(broken)

    assert response.status_code == 201
    assert SourceRecord.objects.count() == 1


def test_nothing_is_announced_when_the_transaction_rolls_back(
    ingest_source, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from commerce.records import NormalizedRecord, records_store

    seen = []

    def receiver(sender, record, **kwargs):
        seen.append(record)

    record_stored.connect(receiver)
    try:
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            records_store(
                source=ingest_source[0],
                records=[NormalizedRecord("customer", "C-9", customer_data())],
            )
            raise RuntimeError("caller failed after storing")
    finally:
        record_stored.disconnect(receiver)
    assert seen == []
    assert not SourceRecord.objects.exists()
