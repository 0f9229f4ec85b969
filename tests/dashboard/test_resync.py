import datetime as dt

import pytest

from sync.models import AuditEvent, Failure, Posting, SyncRun
from sync.services.resync import ResyncError, ResyncScope, resync_preview, resync_start
from sync.services.runs import sync_once
from tests.factories import make_user

from .conftest import a_customer, add_sku, an_order, store

pytestmark = pytest.mark.django_db
S = Posting.Status


def posted_order(connection, transport):
    store(connection, a_customer(), an_order())
    sync_once(connection=connection, http_transport=transport)
    assert set(Posting.objects.values_list("status", flat=True)) == {S.POSTED}
    return Posting.objects.get(action="post_ar_invoice").source_record


def test_it_changes_nothing_for_a_posted_record_whose_payload_is_the_same(
    connection, transport, sandbox
):
    record = posted_order(connection, transport)
    before = sandbox.store.counts()
    scope = ResyncScope(kind="record", record_id=record.pk)
    preview = resync_preview(connection=connection, scope=scope)
    assert (preview.unchanged, preview.transactions) == (1, 0)
    assert not preview.changes_anything
    run = resync_start(connection=connection, scope=scope, user=make_user())
    sync_once(connection=connection, http_transport=transport)
    assert run.status == SyncRun.Status.DONE and run.planned == 0
    assert Posting.objects.count() == 2
    assert sandbox.store.counts() == before
    event = AuditEvent.objects.get(action="resync")
    assert event.details["run"] == run.pk and event.details["unchanged"] == 1


def test_it_retries_failures_with_the_remapped_payload(sku_connection, transport):
    connection = sku_connection
    store(connection, a_customer(), an_order())
    sync_once(connection=connection, http_transport=transport)
    failure = Failure.objects.get(resolved_at=None)
    assert failure.category == "missing_mapping"
    scope = ResyncScope(kind="category", category="missing_mapping")
    assert resync_preview(connection=connection, scope=scope).blocked == 1
    add_sku(connection)
    preview = resync_preview(connection=connection, scope=scope)
    assert (preview.to_retry, preview.writes, preview.transactions) == (1, 1, 1)
    user = make_user(group="finance")
    run = resync_start(connection=connection, scope=scope, user=user)
    assert run.planned == 1
    sync_once(connection=connection, http_transport=transport)
    failure.refresh_from_db()
    posting = failure.posting
    posting.refresh_from_db()
    assert posting.status == S.POSTED and posting.run_id == run.pk
    assert posting.payload["lines"][0]["dimensions.item"] == "SKU-1001"
    assert failure.resolution == "edited" and failure.resolved_by == user


def test_a_date_range_plans_what_was_never_planned(connection, transport):
    store(connection, a_customer(), an_order())
    today = dt.date.today()
    scope = ResyncScope(kind="dates", date_from=today, date_to=today)
    preview = resync_preview(connection=connection, scope=scope)
    assert preview.records == 2 and preview.to_post == 2
    assert Posting.objects.count() == 0  # the preview rolled its planning back
    run = resync_start(connection=connection, scope=scope, user=make_user())
    assert run.planned == 2
    sync_once(connection=connection, http_transport=transport)
    assert Posting.objects.filter(run=run, status=S.POSTED).count() == 2


def test_a_changed_customer_is_updated_once(connection, transport, sandbox):
    posted_order(connection, transport)
    rule = connection.mapping_set.field_mappings.get(target_field="name")
    rule.source_expression = "{last_name}, {first_name}"
    rule.save()
    record = Posting.objects.get(action="upsert_customer").source_record
    scope = ResyncScope(kind="record", record_id=record.pk)
    assert resync_preview(connection=connection, scope=scope).to_update == 1
    resync_start(connection=connection, scope=scope, user=make_user())
    sync_once(connection=connection, http_transport=transport)
    assert resync_preview(connection=connection, scope=scope).unchanged == 1
    update = Posting.objects.filter(action="upsert_customer").latest("id")
    assert update.status == S.POSTED
    assert sandbox.store.count(connection.company_id, "CUSTOMER") >= 1


def test_scopes_are_checked():
    with pytest.raises(ResyncError):
        ResyncScope(kind="category", category="nope")
    with pytest.raises(ResyncError):
        ResyncScope(
            kind="dates", date_from=dt.date(2024, 2, 1), date_to=dt.date(2024, 1, 1)
        )
