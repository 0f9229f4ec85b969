"""The sandbox's REST request parsing under arbitrary input (issue 9, "Proof").

The XML gateway's counterpart (test_xml_parser_properties.py): arbitrary bytes,
mutated JSON bodies and hostile sizes at the REST API answer with Intacct's error
envelope (``ia::result`` / ``ia::error``) and a 4xx, never a 500, and change nothing.
"""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sandbox import demo_credentials, make_app

BASE_URL = "http://sandbox.test/ia/api/v1/"
CUSTOMERS = "objects/accounts-receivable/customer"
QUERY = "services/core/query"
JSON_TYPE = {"Content-Type": "application/json"}
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def api(sandbox):
    creds = demo_credentials()
    transport = httpx.WSGITransport(app=make_app(sandbox))
    with httpx.Client(transport=transport, base_url=BASE_URL) as client:
        token = client.post(
            "oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                "username": f"{creds['user_id']}@{creds['company_id']}",
            },
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def assert_intacct_error(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    error = response.json()["ia::result"]["ia::error"]
    assert error["code"] and error["message"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda kids: (
        st.lists(kids, max_size=3)
        | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=12,
)


@SETTINGS
@given(body=st.binary(max_size=300))
@example(body=b"[" * 100_000)
@example(body=b'{"id": "X", "name": "a", "notes": ' + b"[" * 50_000 + b"}")
@example(body=b"\xff\xfe{}")
@example(body=b'{"id": NaN}')
def test_arbitrary_bytes_get_an_intacct_error(api, sandbox, body):
    before = sandbox.store.counts()

    for path in (CUSTOMERS, QUERY):
        response = api.post(
            path, content=body, headers={"Content-Type": "application/json"}
        )
        assert_intacct_error(response)
    assert sandbox.store.counts() == before


@SETTINGS
@given(
    changes=st.dictionaries(
        st.sampled_from(["id", "name", "status", "notes", "contacts", "term", "x"]),
        JSON,
        min_size=1,
    )
)
@example(changes={"name": float("nan")})
@example(changes={"status": []})  # unhashable: a TypeError behind a 500
@example(changes={"contacts": {"default": {"printAs": [1, {"a": None}]}}})
def test_mutated_customer_bodies_are_created_or_refused(api, changes):
    body = {"id": "PROP-R1", "name": "Prop", **changes}
    raw = json.dumps(body).encode()  # NaN and Infinity as Python writes them

    response = api.post(
        CUSTOMERS, content=raw, headers={"Content-Type": "application/json"}
    )

    if response.status_code >= 400:
        assert_intacct_error(response)
    else:
        assert response.status_code == 201
        key = response.json()["ia::result"]["key"]
        assert api.delete(f"{CUSTOMERS}/{key}").status_code < 300


@SETTINGS
@given(query=st.dictionaries(
    st.sampled_from(["object", "fields", "filters", "orderBy", "size", "start"]), JSON
))  # fmt: skip
@example(query={"object": "accounts-receivable/customer", "size": 10**30})
@example(query={"object": "accounts-receivable/customer", "start": -(10**30)})
def test_arbitrary_queries_answer_or_get_an_intacct_error(api, query):
    response = api.post(QUERY, content=json.dumps(query), headers=JSON_TYPE)

    if response.status_code != 200:
        assert_intacct_error(response)


def test_a_10_mb_body_is_refused_with_413(api, sandbox):
    before = sandbox.store.counts()
    body = b'{"id": "BIG", "name": "' + b"A" * (10 * 1024 * 1024) + b'"}'

    response = api.post(
        CUSTOMERS, content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert_intacct_error(response)
    assert sandbox.store.counts() == before
