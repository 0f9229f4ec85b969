"""Multi-entity: the X-IA-API-Param-Entity header and entity tokens."""

from tests.sandbox.rest_support import *  # noqa: F403  (fixtures)
from tests.sandbox.rest_support import CUSTOMERS, app_error, form_token


def test_records_created_in_an_entity_show_it(api, entity_ids):
    entity = entity_ids[0]
    created = api.post(
        CUSTOMERS, json={"name": "In Entity"}, headers={"X-IA-API-Param-Entity": entity}
    )
    assert created.status_code == 201, created.text
    got = api.get(
        f"{CUSTOMERS}/{created.json()['ia::result']['key']}",
        headers={"X-IA-API-Param-Entity": entity},
    ).json()["ia::result"]
    assert got["entity"]["id"] == entity


def test_the_header_spelling_without_a_dash_is_accepted(api, entity_ids):
    response = api.get(CUSTOMERS, headers={"X-IA-API-ParamEntity": entity_ids[0]})
    assert response.status_code == 200


def test_an_unknown_entity_is_refused(api):
    response = api.get(CUSTOMERS, headers={"X-IA-API-Param-Entity": "NO-SUCH-ENTITY"})
    assert response.status_code in (400, 401)
    assert app_error(response)["code"] == "invalidRequest"


def test_an_entity_token_scopes_like_the_header(rest, creds, entity_ids):
    token = form_token(
        rest,
        creds,
        username=f"{creds['user_id']}@{creds['company_id']}|{entity_ids[0]}",
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = rest.post(CUSTOMERS, json={"name": "Entity Token"}, headers=headers)
    assert created.status_code == 201
    got = rest.get(
        f"{CUSTOMERS}/{created.json()['ia::result']['key']}", headers=headers
    )
    assert got.json()["ia::result"]["entity"]["id"] == entity_ids[0]
