"""Business-rule failures over REST: 422 with details, 409 duplicates, 403, 429."""

import pytest

from tests.sandbox.rest_support import *  # noqa: F403  (fixtures)
from tests.sandbox.rest_support import CUSTOMERS, JOURNAL_ENTRIES, app_error


def _details(response):
    error = app_error(response)
    assert error["details"], error
    return error, error["details"]


def test_a_missing_required_field_is_422_naming_the_rest_field(api):
    response = api.post(CUSTOMERS, json={"id": "C-NONAME"})
    assert response.status_code == 422
    error, details = _details(response)
    assert error["code"] == "operationFailed"
    assert details[0]["target"] == "/name"
    assert "BL" in details[0]["code"]


def test_an_unknown_reference_is_422(api, payloads):
    body = {
        **payloads["objects/accounts-receivable/invoice"],
        "customer": {"id": "NO-SUCH-CUSTOMER"},
    }
    response = api.post("objects/accounts-receivable/invoice", json=body)
    assert response.status_code == 422
    _, details = _details(response)
    assert details[0]["target"] == "/customer/id"
    assert "NO-SUCH-CUSTOMER" in details[0]["message"]


def test_an_unknown_reference_by_key_is_422(api, payloads):
    body = {
        **payloads["objects/accounts-receivable/invoice"],
        "customer": {"key": "987654"},
    }
    assert api.post("objects/accounts-receivable/invoice", json=body).status_code == 422


def test_a_duplicate_id_is_409_with_intacct_numbers(api):
    assert api.post(CUSTOMERS, json={"id": "C-DUP", "name": "One"}).status_code == 201
    response = api.post(CUSTOMERS, json={"id": "C-DUP", "name": "Two"})
    assert response.status_code == 409
    error, details = _details(response)
    assert error["code"] == "duplicateValue"
    assert details[0]["code"] == "BL34000061"
    assert "already exists" in details[0]["message"]


def test_an_unbalanced_journal_entry_is_422(api, payloads):
    body = payloads[JOURNAL_ENTRIES]
    lines = [dict(body["lines"][0]), dict(body["lines"][1], txnAmount="199.99")]
    response = api.post(JOURNAL_ENTRIES, json={**body, "lines": lines})
    assert response.status_code == 422
    _, details = _details(response)
    assert details[0]["target"] == "/lines"
    assert "200.00" in details[0]["message"]
    assert "199.99" in details[0]["message"]


def test_a_closed_period_is_422(api, payloads, closed_before):
    body = {**payloads[JOURNAL_ENTRIES], "postingDate": closed_before}
    response = api.post(JOURNAL_ENTRIES, json=body)
    assert response.status_code == 422
    _, details = _details(response)
    assert details[0]["target"] == "/postingDate"


def test_amounts_are_rounded_to_cents(api, payloads):
    body = payloads[JOURNAL_ENTRIES]
    lines = [dict(line, txnAmount="10.005") for line in body["lines"]]
    created = api.post(JOURNAL_ENTRIES, json={**body, "lines": lines})
    assert created.status_code == 201, created.text
    got = api.get(f"{JOURNAL_ENTRIES}/{created.json()['ia::result']['key']}")
    amounts = {line["txnAmount"] for line in got.json()["ia::result"]["lines"]}
    assert amounts <= {"10.01", "10.00"}


def test_a_user_without_permission_gets_403(readonly_api):
    listed = readonly_api.get(CUSTOMERS)
    assert listed.status_code == 200
    response = readonly_api.post(CUSTOMERS, json={"name": "Not Allowed"})
    assert response.status_code == 403
    error = app_error(response)
    assert error["code"] == "forbidden"
    assert "permission" in (error["message"] + str(error.get("details"))).lower()


def test_rate_limited_calls_get_429_with_retry_headers(api, throttle):
    throttle()
    assert api.get(CUSTOMERS).status_code == 200
    response = api.get(CUSTOMERS)
    assert response.status_code == 429
    assert response.json()["ia::error"]["code"] == "GW-0010"
    assert int(response.headers["retry-after"]) >= 1
    assert (
        response.headers["x-ia-throttle-limit-retryafter"]
        == response.headers["retry-after"]
    )


@pytest.mark.parametrize("verb", ["patch", "delete"])
def test_writes_to_a_missing_record_are_404(api, verb):
    response = getattr(api, verb)(
        f"{CUSTOMERS}/424242", **({"json": {"name": "x"}} if verb == "patch" else {})
    )
    assert response.status_code == 404
