"""The dashboard in a real browser: finance fixes an unknown SKU, ops changes a
mapping and resyncs, a viewer can only look."""

import pytest

from sync.models import Connection, Failure, Posting
from sync.services.runs import sync_once
from tests.factories import make_user

from .conftest import a_customer, an_order, login, shot, store

pytestmark = pytest.mark.django_db(transaction=True)
S = Posting.Status


def over_loopback(connection, sandbox):
    Connection.objects.filter(pk=connection.pk).update(api_base_url=sandbox.url)
    connection.refresh_from_db()
    return connection


def test_finance_fixes_an_unknown_sku_and_retries(
    page, groups, sku_connection, sandbox
):
    connection = over_loopback(sku_connection, sandbox)
    store(connection, a_customer(), an_order())
    sync_once(connection=connection)
    failure = Failure.objects.get(resolved_at=None)
    assert failure.category == "missing_mapping"
    user = make_user(group="finance")  # may add value-map entries (sync 0010)
    login(page, user)
    shot(page, "home")
    page.click("text=Failed postings")
    page.select_option("#id_category", "missing_mapping")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url("**category=missing_mapping**")
    shot(page, "queue-filtered")
    page.click(f"#failure-queue a[href$='/failures/{failure.pk}/']")
    assert "SKU-1001" in page.inner_text("#failure-message")
    shot(page, "failure-detail")
    page.click("a.fix-mapping")
    page.wait_for_url("**/valuemap/**")
    page.fill("input[name=entries-0-source_value]", "SKU-1001")
    page.fill("input[name=entries-0-target_value]", "SKU-1001")
    shot(page, "value-map-edit")
    page.click("input[name=_save]")
    page.wait_for_url("**/valuemap/")
    page.goto(f"/dashboard/failures/{failure.pk}/")
    page.click("button[data-action=retry]")
    page.wait_for_selector("text=re-mapped payload")
    sync_once(connection=connection)  # the worker's pass, in-process
    page.reload()
    assert page.inner_text("#posting-status") == "Posted"
    assert "Edited and retried" in page.inner_text("#failure-state")
    shot(page, "failure-resolved")


def test_ops_changes_a_mapping_previews_saves_and_resyncs(
    page, groups, connection, sandbox
):
    connection = over_loopback(connection, sandbox)
    store(connection, a_customer(), an_order())
    sync_once(connection=connection)
    customer = Posting.objects.get(action="upsert_customer")
    rule = connection.mapping_set.field_mappings.get(target_field="name")
    login(page, make_user(group="ops"))
    page.goto(f"/admin/mappings/fieldmapping/{rule.pk}/change/")
    page.fill("#id_source_expression", "{last_name}, {first_name}")
    preview = page.locator("button[name=_preview], input[name=_preview]")
    if preview.count():
        preview.first.click()
        page.wait_for_load_state()
        shot(page, "mapping-impact-preview")
        assert "Preview" in page.title()
        page.go_back()
        page.fill("#id_source_expression", "{last_name}, {first_name}")
    page.click("input[name=_save]")
    page.wait_for_url("**/fieldmapping/**")
    record = customer.source_record_id
    page.goto(
        f"/dashboard/resync/?connection={connection.pk}&kind=record&record={record}"
    )
    assert "1" in page.inner_text("#resync-cost")
    shot(page, "resync-preview")
    page.click("button[data-action=resync]")
    page.wait_for_url("**/dashboard/runs/**")
    shot(page, "resync-run")
    sync_once(connection=connection)
    update = Posting.objects.filter(action="upsert_customer").latest("id")
    assert update.pk != customer.pk and update.status == S.POSTED
    assert update.payload["name"] == "Okafor, Ada"


def test_a_viewer_can_look_but_not_act(page, groups, connection, sandbox):
    connection = over_loopback(connection, sandbox)
    store(connection, a_customer(), an_order(financial_status="paid"))
    sync_once(connection=connection)
    posting = Posting.objects.get(action="post_ar_invoice")
    from sync.services.failures import failure_record

    Posting.objects.filter(pk=posting.pk).update(status=S.IN_FLIGHT)
    posting.refresh_from_db()
    failure = failure_record(posting=posting, category="business", message="nope")
    login(page, make_user(group="viewer"))
    for name, url in [
        ("viewer-home", "/dashboard/"),
        ("viewer-queue", "/dashboard/failures/"),
        ("viewer-failure", f"/dashboard/failures/{failure.pk}/"),
        ("viewer-runs", "/dashboard/runs/"),
        ("viewer-test", f"/dashboard/connections/{connection.slug}/test/"),
    ]:
        page.goto(url)
        assert page.locator("[data-action]").count() == 0, url
        shot(page, name)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {"X-CSRFToken": token, "Referer": page.url}
    for url in [
        f"/dashboard/failures/{failure.pk}/retry/",
        f"/dashboard/failures/{failure.pk}/ignore/",
        "/dashboard/resync/start/",
        f"/dashboard/connections/{connection.slug}/resume/",
    ]:
        assert page.request.post(url, headers=headers).status == 403, url
    assert Failure.objects.get(pk=failure.pk).is_open
