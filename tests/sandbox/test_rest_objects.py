"""Create, read, list, patch and delete every covered object over REST."""

import pytest

from tests.sandbox.rest_support import *  # noqa: F403  (fixtures)
from tests.sandbox.rest_support import CASES, CUSTOMERS, app_error


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rest_path)
def test_each_object_round_trips(api, case, payloads):
    body = payloads[case.rest_path]
    created = api.post(case.rest_path, json=body)
    assert created.status_code == 201, created.text
    ref = created.json()["ia::result"]
    assert ref["href"].endswith(f"/{ref['key']}")
    assert created.json()["ia::meta"] == {
        "totalCount": 1,
        "totalSuccess": 1,
        "totalError": 0,
    }

    got = api.get(f"{case.rest_path}/{ref['key']}").json()["ia::result"]
    assert got["key"] == ref["key"]
    assert got["id"] == ref["id"]
    for path, value in case.echo(body).items():
        assert _at(got, path) == value, path
    assert got["audit"]["createdDateTime"].endswith("Z")

    listed = api.get(case.rest_path).json()
    assert {"key": ref["key"], "id": ref["id"], "href": ref["href"]} in listed[
        "ia::result"
    ]
    assert listed["ia::meta"]["totalCount"] == len(listed["ia::result"])

    patched = api.patch(f"{case.rest_path}/{ref['key']}", json=case.patch)
    assert patched.status_code == 200, patched.text
    assert patched.json()["ia::result"]["key"] == ref["key"]
    again = api.get(f"{case.rest_path}/{ref['key']}").json()["ia::result"]
    for path, value in case.echo(case.patch).items():
        assert _at(again, path) == value, path

    assert api.delete(f"{case.rest_path}/{ref['key']}").status_code == 204
    assert api.get(f"{case.rest_path}/{ref['key']}").status_code == 404
    assert api.delete(f"{case.rest_path}/{ref['key']}").status_code == 404


def _at(obj, path):
    for part in path.split("."):
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    return obj


def test_a_customer_reads_back_with_contacts_and_references(api):
    body = {
        "id": "C-REF-1",
        "name": "Referenced",
        "creditLimit": 1500.5,
        "isOnHold": True,
        "contacts": {
            "default": {
                "email1": "a@b.example",
                "mailingAddress": {
                    "addressLine1": "1 Main St",
                    "city": "Leeds",
                    "postCode": "LS1",
                },
            }
        },
    }
    key = api.post(CUSTOMERS, json=body).json()["ia::result"]["key"]
    child = api.post(CUSTOMERS, json={"name": "Child", "parent": {"key": key}})
    assert child.status_code == 201, child.text
    got = api.get(f"{CUSTOMERS}/{child.json()['ia::result']['key']}").json()[
        "ia::result"
    ]
    assert got["parent"] == {
        "id": "C-REF-1",
        "key": key,
        "name": "Referenced",
        "href": f"/objects/accounts-receivable/customer/{key}",
    }
    parent = api.get(f"{CUSTOMERS}/{key}").json()["ia::result"]
    assert parent["creditLimit"] == 1500.5
    assert parent["isOnHold"] is True
    assert parent["contacts"]["default"]["mailingAddress"]["city"] == "Leeds"


def test_get_with_fields_returns_just_those(api):
    key = api.post(CUSTOMERS, json={"name": "Few Fields"}).json()["ia::result"]["key"]
    got = api.get(f"{CUSTOMERS}/{key}", params={"fields": "id,name"}).json()[
        "ia::result"
    ]
    assert set(got) == {"id", "name"}


def test_list_pages_like_the_query_service(api):
    for n in range(5):
        api.post(CUSTOMERS, json={"name": f"Paged {n}"})
    total = api.get(CUSTOMERS).json()["ia::meta"]["totalCount"]
    page = api.get(CUSTOMERS, params={"start": 2, "size": 2}).json()
    assert page["ia::meta"] == {
        "totalCount": total,
        "start": 2,
        "pageSize": 2,
        "next": 4,
        "previous": 1,
    }


def test_unknown_keys_are_404_in_the_error_shape(api):
    response = api.get(f"{CUSTOMERS}/999999")
    assert response.status_code == 404
    assert app_error(response)["code"] == "notFound"
    assert api.patch(f"{CUSTOMERS}/999999", json={"name": "x"}).status_code == 404


def test_patching_lines_updates_keyed_lines_appends_new_and_deletes(api, payloads):
    body = payloads["objects/accounts-receivable/invoice"]
    body = {
        **body,
        "lines": [*body["lines"], {"txnAmount": "5.00", "glAccount": {"id": "4010"}}],
    }
    path = "objects/accounts-receivable/invoice"
    key = api.post(path, json=body).json()["ia::result"]["key"]
    patched = api.patch(
        f"{path}/{key}",
        json={
            "lines": [
                {"key": "1", "txnAmount": "120.00"},
                {"key": "2", "ia::operation": "delete"},
                {"txnAmount": "7.50", "glAccount": {"id": "4010"}, "memo": "Shipping"},
            ]
        },
    )
    assert patched.status_code == 200, patched.text
    got = api.get(f"{path}/{key}").json()["ia::result"]
    assert [(line["txnAmount"], line["glAccount"]["id"]) for line in got["lines"]] == [
        ("120.00", "4000"),
        ("7.50", "4010"),
    ]
    assert got["lines"][0]["memo"] == "Goods"  # untouched fields stay
    assert got["totalTxnAmount"] == "127.50"


def test_a_draft_invoice_and_read_only_fields(api, payloads):
    path = "objects/accounts-receivable/invoice"
    body = {
        **payloads[path],
        "action": "draft",
        "totalTxnAmount": "999.99",
        "state": "paid",
    }
    key = api.post(path, json=body).json()["ia::result"]["key"]
    got = api.get(f"{path}/{key}").json()["ia::result"]
    assert got["state"] == "draft"
    assert got["totalTxnAmount"] == "100.40"


def test_a_sales_order_is_numbered_and_typed(api, payloads):
    path = "objects/order-entry/document::Sales Order"
    created = api.post(path, json=payloads[path]).json()["ia::result"]
    assert created["documentType"] == "Sales Order"
    assert created["id"].startswith("Sales Order-SO")
    assert (
        created["href"]
        == f"/objects/order-entry/document::Sales%20Order/{created['key']}"
    )
    got = api.get(created["href"].removeprefix("/")).json()["ia::result"]
    assert got["total"] == "50.00"
    assert got["state"] == "pending"
    other = api.get(f"objects/order-entry/document::Sales Quote/{created['key']}")
    assert other.status_code == 404
