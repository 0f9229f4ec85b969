"""Text survives REST unchanged, and both APIs see the same records."""

import pytest

from tests.sandbox.rest_support import *  # noqa: F403  (fixtures)
from tests.sandbox.rest_support import CUSTOMERS

NAMES = [
    "Tom & Jerry <Ltd> \"quoted\" 'single' ]]> end",
    "Émilie Zoë – naïve café",
    "株式会社テスト 😀🚀",
    "שלום עולם مرحبا",
    "Line\ttab",
]


@pytest.mark.parametrize("name", NAMES)
def test_names_round_trip_unchanged(api, name):
    created = api.post(
        CUSTOMERS,
        json={
            "name": name,
            "notes": name,
            "contacts": {"default": {"companyName": name}},
        },
    )
    assert created.status_code == 201, created.text
    key = created.json()["ia::result"]["key"]
    got = api.get(f"{CUSTOMERS}/{key}").json()["ia::result"]
    assert got["name"] == name
    assert got["notes"] == name
    assert got["contacts"]["default"]["companyName"] == name
    found = api.query(
        "accounts-receivable/customer",
        ["key", "name"],
        filters=[{"$eq": {"name": name}}],
    )
    assert found == [{"key": key, "name": name}]


def test_a_customer_created_over_xml_reads_over_rest(api, xml):
    xml.create(
        "CUSTOMER",
        {
            "CUSTOMERID": "C-XML-1",
            "NAME": "Made <in> XML & co",
            "DISPLAYCONTACT": {"EMAIL1": "x@ml.example"},
        },
    )
    found = api.query(
        "accounts-receivable/customer",
        ["key", "id", "name", "contacts.default.email1"],
        filters=[{"$eq": {"id": "C-XML-1"}}],
    )
    assert found[0]["name"] == "Made <in> XML & co"
    assert found[0]["contacts.default.email1"] == "x@ml.example"
    got = api.get(f"{CUSTOMERS}/{found[0]['key']}").json()["ia::result"]
    assert got["id"] == "C-XML-1"


def test_a_customer_created_over_rest_reads_over_xml(api, xml):
    created = api.post(
        CUSTOMERS,
        json={
            "id": "C-REST-1",
            "name": "Made in REST 😀",
            "contacts": {"default": {"email1": "r@est.example"}},
        },
    )
    assert created.status_code == 201
    row = xml.read("CUSTOMER", created.json()["ia::result"]["key"])
    assert row["CUSTOMERID"] == "C-REST-1"
    assert row["NAME"] == "Made in REST 😀"
    assert row["DISPLAYCONTACT"]["EMAIL1"] == "r@est.example"


def test_a_journal_entry_created_over_rest_reads_over_xml(api, xml, payloads):
    body = payloads["objects/general-ledger/journal-entry"]
    key = api.post("objects/general-ledger/journal-entry", json=body).json()[
        "ia::result"
    ]["key"]
    row = xml.read("GLBATCH", key)
    assert row["BATCH_TITLE"] == body["description"]
