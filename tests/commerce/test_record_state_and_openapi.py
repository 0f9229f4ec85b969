"""GET a record's sync state, and the OpenAPI document the real responses conform to."""

import pytest
from jsonschema import Draft202012Validator

from commerce.models import SourceRecord
from sync.models import ExternalRef, Failure
from tests.commerce.records import customer_data, envelope, order_data
from tests.factories import make_connection, make_posting

pytestmark = pytest.mark.django_db


@pytest.fixture
def openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def conforms(document, component, instance):
    """Validate ``instance`` against a component, resolving refs inside the document."""
    schema = {
        "$ref": f"#/components/schemas/{component}",
        "components": document["components"],
    }
    errors = list(Draft202012Validator(schema).iter_errors(instance))
    assert not errors, [e.message for e in errors]


def get_state(client, token, slug, kind, external_id):
    return client.get(
        f"/api/v1/sources/{slug}/records/{kind}/{external_id}/",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_it_reports_versions_postings_intacct_keys_and_open_failures(
    client, ingest, ingest_source, openapi
):
    source, token = ingest_source
    ingest(envelope("order", "1001", order_data()))
    ingest(envelope("order", "1001", order_data(note="v2")))
    v1, v2 = SourceRecord.objects.order_by("version")
    connection = make_connection(slug="acme-prod")
    posted = make_posting(
        connection=connection, record=v1, status="posted", result_key="4711"
    )
    failed = make_posting(connection=connection, record=v2, status="failed")
    Failure.objects.create(posting=failed, category="business", message="BL01001973")
    ExternalRef.objects.create(
        connection=connection,
        source=source,
        source_kind="order",
        external_id="1001",
        intacct_object="ARINVOICE",
        intacct_key="4711",
        intacct_id="INV-1001",
    )

    response = get_state(client, token, source.slug, "order", "1001")

    assert response.status_code == 200
    state = response.json()
    conforms(openapi, "RecordState", state)
    assert (state["latest_version"], state["versions"]) == (2, 2)
    assert {(p["id"], p["status"], p["version"]) for p in state["postings"]} == {
        (posted.pk, "posted", 1),
        (failed.pk, "failed", 2),
    }
    assert state["intacct"] == [
        {
            "connection": "acme-prod",
            "object": "ARINVOICE",
            "key": "4711",
            "id": "INV-1001",
            "linked": False,
        }
    ]
    assert [(f["posting"], f["category"]) for f in state["open_failures"]] == [
        (failed.pk, "business")
    ]


def test_an_unknown_record_is_404_and_a_wrong_token_401(client, ingest_source, openapi):
    source, token = ingest_source
    missing = get_state(client, token, source.slug, "order", "nope")
    assert missing.status_code == 404
    conforms(openapi, "Error", missing.json())
    assert get_state(client, "ihs_bad", source.slug, "order", "x").status_code == 401


def test_real_ingest_responses_conform_to_the_document(ingest, openapi):
    created = ingest(envelope("customer", "C-1", customer_data()))
    unchanged = ingest(envelope("customer", "C-1", customer_data()))
    invalid = ingest({"records": [envelope("order", "1", order_data(currency="X"))]})
    malformed = ingest(b"{not json")
    unauthorized = ingest(envelope("customer", "C-1", customer_data()), token="x")

    assert [r.status_code for r in (created, unchanged)] == [201, 200]
    conforms(openapi, "IngestResult", created.json())
    conforms(openapi, "IngestResult", unchanged.json())
    for response in (invalid, malformed, unauthorized):
        conforms(openapi, "Error", response.json())
    assert [invalid.status_code, malformed.status_code, unauthorized.status_code] == [
        422,
        400,
        401,
    ]


def test_the_documented_request_shapes_match_what_the_api_accepts(ingest, openapi):
    single = envelope("order", "1001", order_data())
    batch = {"records": [single]}
    conforms(openapi, "RecordEnvelope", single)
    conforms(openapi, "Batch", batch)
    # The record schemas in the document are the very ones the API validates with.
    conforms(openapi, "Order", {"id": "1001", **order_data()})
    assert ingest(batch).status_code == 201


def test_the_document_describes_every_route_and_status(openapi):
    assert openapi["openapi"] == "3.1.0"
    post = openapi["paths"]["/api/v1/sources/{slug}/records/"]["post"]
    assert set(post["responses"]) == {
        "200",
        "201",
        "400",
        "401",
        "413",
        "415",
        "422",
        "429",
    }
    get = openapi["paths"]["/api/v1/sources/{slug}/records/{kind}/{external_id}/"]
    assert set(get["get"]["responses"]) == {"200", "401", "404"}
    Draft202012Validator.check_schema({"$defs": openapi["components"]["schemas"]})
