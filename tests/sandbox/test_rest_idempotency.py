"""Idempotency-Key on POST and PATCH: replays answer from cache, reuse is a 409."""

from tests.sandbox.rest_support import *  # noqa: F403  (fixtures)
from tests.sandbox.rest_support import CUSTOMERS, app_error


def test_a_replayed_create_returns_the_first_answer_and_creates_once(api):
    headers = {"Idempotency-Key": "order-1001-customer"}
    first = api.post(CUSTOMERS, json={"name": "Once Only"}, headers=headers)
    assert first.status_code == 201
    assert first.headers["idempotency-key"] == "order-1001-customer"
    again = api.post(CUSTOMERS, json={"name": "Once Only"}, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert "x-ia-idempotency-cached-date" in again.headers
    names = api.query(
        "accounts-receivable/customer",
        ["name"],
        filters=[{"$eq": {"name": "Once Only"}}],
    )
    assert len(names) == 1


def test_the_same_key_with_another_body_is_a_conflict(api):
    headers = {"Idempotency-Key": "k-2"}
    assert (
        api.post(CUSTOMERS, json={"name": "First"}, headers=headers).status_code == 201
    )
    clash = api.post(CUSTOMERS, json={"name": "Second"}, headers=headers)
    assert clash.status_code == 409
    assert app_error(clash)["code"] == "conflict"


def test_keys_cover_patch_and_are_scoped_per_user(api, other_user_api):
    key = api.post(CUSTOMERS, json={"name": "Patch Me"}).json()["ia::result"]["key"]
    headers = {"Idempotency-Key": "patch-1"}
    first = api.patch(f"{CUSTOMERS}/{key}", json={"notes": "one"}, headers=headers)
    assert first.status_code == 200
    api.patch(f"{CUSTOMERS}/{key}", json={"notes": "two"})  # an unkeyed change
    replay = api.patch(f"{CUSTOMERS}/{key}", json={"notes": "one"}, headers=headers)
    assert replay.status_code == 200
    assert api.get(f"{CUSTOMERS}/{key}").json()["ia::result"]["notes"] == "two"
    # Another user's identical key is a different key.
    theirs = other_user_api.post(CUSTOMERS, json={"name": "Theirs"}, headers=headers)
    assert theirs.status_code == 201


def test_failures_are_not_remembered_and_long_keys_are_refused(api):
    headers = {"Idempotency-Key": "retry-after-fix"}
    failed = api.post(
        CUSTOMERS, json={"name": "X", "term": {"id": "NO-SUCH-TERM"}}, headers=headers
    )
    assert failed.status_code == 422
    fixed = api.post(
        CUSTOMERS, json={"name": "X", "term": {"id": "NO-SUCH-TERM"}}, headers=headers
    )
    assert fixed.status_code == 422
    assert "x-ia-idempotency-cached-date" not in fixed.headers
    long_key = api.post(
        CUSTOMERS, json={"name": "Y"}, headers={"Idempotency-Key": "k" * 257}
    )
    assert long_key.status_code == 400
