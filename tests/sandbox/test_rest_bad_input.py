"""Bad requests get a clear 4xx in Intacct's error shape, never a crash."""

import pytest

from tests.sandbox.rest_support import *  # noqa: F403  (fixtures)
from tests.sandbox.rest_support import CUSTOMERS, app_error

pytestmark = pytest.mark.usefixtures("rest")


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "invalidRequest"),
        (b'{"name": NaN}', "application/json", 400, "invalidRequest"),
        (b"[1, 2]", "application/json", 400, "invalidRequest"),
        (b'"just a string"', "application/json", 400, "invalidRequest"),
        (b"\xff\xfe\x00", "application/json", 400, "invalidRequest"),
        (b"", "application/json", 400, "invalidRequest"),
        (b'{"name": "x"}', "text/plain", 415, "invalidRequest"),
        (b'{"name": "x"}', "", 415, "invalidRequest"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "invalidRequest"),
    ],
)
def test_it_refuses_unusable_bodies(api, content, content_type, status, code):
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.post(CUSTOMERS, content=content, headers=headers)
    assert response.status_code == status
    assert app_error(response)["code"] == code
    assert response.json()["ia::meta"] == {
        "totalCount": 1,
        "totalSuccess": 0,
        "totalError": 1,
    }


def test_an_empty_post_names_the_missing_payload(api):
    response = api.post(
        CUSTOMERS, content=b"", headers={"Content-Type": "application/json"}
    )
    assert app_error(response)["errorId"] == "REST-1028"


def test_xml_sent_to_rest_is_the_gateway_content_type_error(api):
    response = api.post(
        CUSTOMERS, content=b"<create/>", headers={"Content-Type": "application/xml"}
    )
    assert response.status_code == 415
    assert response.json()["ia::error"]["code"] == "GW-0014"


def test_an_oversized_body_is_413(api):
    big = b'{"name": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = api.post(
        CUSTOMERS, content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert app_error(response)["code"] == "invalidRequest"


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"name": "X", "newDate": "2024-01-01"}, "/newDate"),
        (
            {"name": "X", "contacts": {"default": {"favouriteColour": "red"}}},
            "/contacts/default/favouriteColour",
        ),
    ],
)
def test_unknown_fields_are_named_like_intacct_does(api, body, target):
    response = api.post(CUSTOMERS, json=body)
    assert response.status_code == 400
    error = app_error(response)
    assert error["details"][0]["target"] == target
    assert error["details"][0]["message"] == f"{target} is not a valid field"


@pytest.mark.parametrize(
    "body",
    [
        {"name": 12},
        {"name": "X", "creditLimit": "lots"},
        {"name": "X", "isOnHold": "yes"},
        {"name": "X", "status": "sleeping"},
        {"name": "X", "term": "N30"},
    ],
)
def test_wrongly_typed_values_are_400(api, body):
    response = api.post(CUSTOMERS, json=body)
    assert response.status_code == 400
    assert app_error(response)["code"] == "invalidRequest"


def test_unknown_paths_and_methods(api):
    assert api.get("objects/accounts-receivable/no-such-thing").status_code == 404
    assert api.get("nothing-here").status_code == 404
    assert api.put(f"{CUSTOMERS}/1", json={}).status_code == 405
    assert api.delete(CUSTOMERS).status_code == 405
    assert api.get("services/core/query").status_code == 405
