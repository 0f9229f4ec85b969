"""Property tests: arbitrary JSON and bytes at the machine endpoints.

Whatever arrives, the answer is never a 500, and every stored record is a complete,
valid normalized record (never a partial one). Example counts stay modest: the suite
runs twice in CI on two cores.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commerce.models import InboundDelivery, SourceRecord
from commerce.schema import record_errors
from commerce.sources.shopify import TOPICS, sign
from tests.commerce.conftest import SECRET, fixture_json
from tests.commerce.records import customer_data, envelope, order_data

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def mutated(base):
    """A valid record with one field (top level or in the first line) replaced."""
    keys = sorted(base)
    return st.tuples(st.sampled_from(keys), json_values, st.booleans()).map(
        lambda t: replace(base, *t)
    )


def replace(base, key, value, in_line):
    data = json.loads(json.dumps(base))
    if in_line and data.get("lines"):
        line_key = sorted(data["lines"][0])[hash(key) % len(data["lines"][0])]
        data["lines"][0][line_key] = value
    else:
        data[key] = value
    return data


def assert_every_stored_record_is_complete():
    for record in SourceRecord.objects.all():
        data = {k: v for k, v in record.payload.items() if k != "schema_version"}
        assert not record_errors(record.kind, data, tombstone=record.is_tombstone)


envelopes = st.one_of(
    json_values,
    st.builds(
        envelope,
        st.sampled_from(["order", "customer", "refund", "thing"]),
        st.text(min_size=1, max_size=8),
        json_values,
    ),
    mutated(order_data()).map(lambda d: envelope("order", "P-1", d)),
    mutated(customer_data()).map(lambda d: envelope("customer", "P-2", d)),
)


@PROPERTY_SETTINGS
@given(
    body=st.one_of(
        envelopes, st.lists(envelopes, max_size=3).map(lambda items: {"records": items})
    )
)
def test_arbitrary_json_at_the_ingest_api_never_breaks_or_half_stores(ingest, body):
    before = SourceRecord.objects.count()

    response = ingest(body)

    assert response.status_code in (200, 201, 400, 422), response.content
    if response.status_code >= 400:
        assert SourceRecord.objects.count() == before
        assert response.json()["error"]["message"]
    assert_every_stored_record_is_complete()


@PROPERTY_SETTINGS
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes_at_the_ingest_api_never_break_it(ingest, raw):
    before = SourceRecord.objects.count()

    response = ingest(raw)

    # 415 only for an empty body, which the test client sends without a content type.
    assert response.status_code in (200, 201, 400, 415, 422)
    if response.status_code >= 400:
        assert SourceRecord.objects.count() == before


@PROPERTY_SETTINGS
@given(raw=st.binary(max_size=300), topic=st.sampled_from(sorted(TOPICS)))
def test_arbitrary_bytes_at_the_webhook_never_break_it(deliver, raw, topic):
    before = InboundDelivery.objects.count()

    signed = deliver(topic, raw)
    unsigned = deliver(topic, raw, signature="AAAA")

    assert signed.status_code in (200, 400, 415)
    assert unsigned.status_code == 401
    if signed.status_code != 200:
        assert InboundDelivery.objects.count() == before
    assert_every_stored_record_is_complete()


shopify_bodies = st.one_of(
    st.dictionaries(st.text(max_size=10), json_values, max_size=6),
    mutated(fixture_json("customers_create.json")),
    st.tuples(
        st.sampled_from(sorted(fixture_json("orders_create.json"))), json_values
    ).map(lambda t: {**fixture_json("orders_create.json"), t[0]: t[1]}),
)


@PROPERTY_SETTINGS
@given(body=shopify_bodies, topic=st.sampled_from(sorted(TOPICS)))
def test_arbitrary_signed_json_is_stored_and_either_normalized_or_failed(
    deliver, body, topic
):
    raw = json.dumps(body).encode()

    response = deliver(topic, raw)

    assert response.status_code == 200
    delivery = InboundDelivery.objects.get(pk=response.json()["delivery"])
    assert delivery.body.encode() == raw  # kept byte for byte
    assert delivery.status in ("processed", "failed")
    assert (delivery.status == "failed") == bool(delivery.error)
    assert sign(SECRET, delivery.body.encode()) == sign(SECRET, raw)
    assert_every_stored_record_is_complete()
