"""The audit trail (catalogue D6): every kind of mapping change and every way a
failure is resolved leaves a record naming who, when (UTC) and what.

Mapping rules are audited by ``MappingChange`` (mappings/history.py), failure
resolutions by ``AuditEvent`` (sync/services/failures.py). Each path is exercised
both through the code and through the forms people use: the mapping admin, and the
dashboard's failure page, bulk form and "re-post failed" button.
"""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mappings.history import changes_by
from mappings.models import (
    FieldMapping,
    MappingChange,
    OwnershipRule,
    PostingPolicy,
    ValueMap,
    ValueMapEntry,
)
from mappings.services import mapping_set_export, mapping_set_import
from sync.models import AuditEvent, Failure, Posting
from sync.services.failures import (
    failure_assign,
    failure_ignore,
    failure_link,
    failure_record,
    failure_retry,
    failures_bulk,
)
from sync.services.runs import sync_once
from tests.factories import make_connection, make_mapping_set, make_posting, make_user
from tests.sync.conftest import a_customer, an_order, store

pytestmark = pytest.mark.django_db
S = Posting.Status


def is_utc_now(when):
    assert when.utcoffset() == dt.timedelta(0)
    assert abs(when - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    return True


# --- mapping changes ---------------------------------------------------------------


def changes_since(mark, mapping_set=None):
    found = MappingChange.objects.filter(pk__gt=mark).order_by("pk")
    return list(found.filter(mapping_set=mapping_set) if mapping_set else found)


def last_change_id():
    last = MappingChange.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def assert_recorded(change, *, user, model, kind):
    assert change.changed_by == user
    assert change.model == f"mappings.{model}"
    assert change.kind == kind
    assert is_utc_now(change.changed_at)
    if kind == "added":
        assert change.before is None and change.after
    elif kind == "changed":
        assert change.before and change.after and change.before != change.after
    else:
        assert change.before and change.after is None


def rule_rows(mapping_set):
    """One row of every kind of rule, created in this order, with one change to
    make to each."""
    rows = [
        (
            FieldMapping.objects.create(
                mapping_set=mapping_set,
                action="upsert_customer",
                target_field="name",
                source_expression="name",
            ),
            {"transform": "upper"},
        )
    ]
    value_map = ValueMap.objects.create(mapping_set=mapping_set, name="channels")
    rows.append((value_map, {"default_value": "WEB"}))
    entry = ValueMapEntry.objects.create(
        value_map=value_map, source_value="web", target_value="WEB"
    )
    rows.append((entry, {"target_value": "ONLINE"}))
    rule = OwnershipRule.objects.create(
        mapping_set=mapping_set,
        object_type="customer",
        master="commerce",
        hub_may="create_update",
        identity_order=["email"],
    )
    rows.append((rule, {"hub_may": "create_only"}))
    policy = PostingPolicy.objects.create(mapping_set=mapping_set, channel="web")
    rows.append((policy, {"mode": "summary"}))
    return rows


def test_every_kind_of_rule_change_made_in_code_is_recorded():
    mapping_set = make_mapping_set()
    user = make_user(group="ops")
    mark = last_change_id()
    with changes_by(user):
        rows = rule_rows(mapping_set)
        for row, change in rows:
            for name, value in change.items():
                setattr(row, name, value)
            row.save()
        for row, _ in reversed(rows):
            row.delete()

    changes = changes_since(mark, mapping_set)
    models = [type(row).__name__ for row, _ in rows]
    expected = (
        [(m, "added") for m in models]
        + [(m, "changed") for m in models]
        + [(m, "deleted") for m in reversed(models)]
    )
    assert [(c.model.split(".")[1], c.kind) for c in changes] == expected
    for change, (model, kind) in zip(changes, expected, strict=True):
        assert_recorded(change, user=user, model=model, kind=kind)
    # Each change is a new version of the set: postings name the rules they used.
    assert [c.version for c in changes] == list(range(2, 2 + len(changes)))


def test_importing_a_set_records_every_rule_it_creates():
    source = make_mapping_set()
    with changes_by(make_user(group="ops")):
        rule_rows(source)
    user = make_user(group="ops")
    mark = last_change_id()

    with changes_by(user):
        imported = mapping_set_import(
            data=mapping_set_export(mapping_set=source), name="promoted"
        )

    changes = changes_since(mark, imported)
    assert sorted(c.model for c in changes) == sorted(
        f"mappings.{m}"
        for m in (
            "FieldMapping",
            "ValueMap",
            "ValueMapEntry",
            "OwnershipRule",
            "PostingPolicy",
        )
    )
    for change in changes:
        assert_recorded(change, user=user, model=change.model[9:], kind="added")


@pytest.fixture
def ops(client):
    user = make_user(group="ops")
    client.force_login(user)
    return user


def admin_post(client, url, data):
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]


def field_mapping_form(mapping_set, **changes):
    return {
        "mapping_set": mapping_set.pk,
        "action": "upsert_customer",
        "line_scope": "",
        "target_field": "name",
        "source_expression": "name",
        "transform": "",
        "active": "on",
        "order": "0",
        **changes,
    }


def test_field_mapping_add_change_and_delete_in_the_admin_are_recorded(client, ops):
    mapping_set = make_mapping_set()
    mark = last_change_id()
    admin_post(
        client,
        reverse("admin:mappings_fieldmapping_add"),
        field_mapping_form(mapping_set),
    )
    rule = FieldMapping.objects.get(mapping_set=mapping_set)
    admin_post(
        client,
        reverse("admin:mappings_fieldmapping_change", args=[rule.pk]),
        field_mapping_form(mapping_set, transform="upper"),
    )
    admin_post(
        client,
        reverse("admin:mappings_fieldmapping_delete", args=[rule.pk]),
        {"post": "yes"},
    )

    added, changed, deleted = changes_since(mark, mapping_set)
    assert_recorded(added, user=ops, model="FieldMapping", kind="added")
    assert_recorded(changed, user=ops, model="FieldMapping", kind="changed")
    assert (changed.before["transform"], changed.after["transform"]) == ("", "upper")
    assert_recorded(deleted, user=ops, model="FieldMapping", kind="deleted")


def test_a_bulk_delete_from_the_changelist_records_each_rule(client, ops):
    mapping_set = make_mapping_set()
    rules = [
        FieldMapping.objects.create(
            mapping_set=mapping_set, action="upsert_customer", target_field=target
        )
        for target in ("name", "email")
    ]
    mark = last_change_id()
    admin_post(
        client,
        reverse("admin:mappings_fieldmapping_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [r.pk for r in rules],
            "post": "yes",
        },
    )
    changes = changes_since(mark, mapping_set)
    assert len(changes) == 2
    for change in changes:
        assert_recorded(change, user=ops, model="FieldMapping", kind="deleted")


def test_a_rule_edited_inline_on_its_mapping_set_is_recorded(client, ops):
    mapping_set = make_mapping_set(name="inline set")
    rule = FieldMapping.objects.create(
        mapping_set=mapping_set,
        action="upsert_customer",
        target_field="name",
        source_expression="name",
    )
    mark = last_change_id()
    prefix = "field_mappings"
    data = {
        "name": mapping_set.name,
        "description": "",
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-id": rule.pk,
        f"{prefix}-0-mapping_set": mapping_set.pk,
        **{
            f"{prefix}-0-{k}": v
            for k, v in field_mapping_form(mapping_set, transform="lower").items()
            if k != "mapping_set"
        },
    }
    admin_post(
        client, reverse("admin:mappings_mappingset_change", args=[mapping_set.pk]), data
    )
    (change,) = changes_since(mark, mapping_set)
    assert_recorded(change, user=ops, model="FieldMapping", kind="changed")
    assert change.after["transform"] == "lower"


def test_a_value_map_and_its_entries_saved_in_the_admin_are_recorded(client, ops):
    mapping_set = make_mapping_set()
    mark = last_change_id()
    admin_post(
        client,
        reverse("admin:mappings_valuemap_add"),
        {
            "mapping_set": mapping_set.pk,
            "name": "sku_items",
            "on_no_match": "fail",
            "default_value": "",
            "entries-TOTAL_FORMS": "2",
            "entries-INITIAL_FORMS": "0",
            "entries-MIN_NUM_FORMS": "0",
            "entries-MAX_NUM_FORMS": "1000",
            "entries-0-source_value": "TEE-1",
            "entries-0-target_value": "SKU-1001",
            "entries-1-source_value": "TEE-2",
            "entries-1-target_value": "SKU-1002",
        },
    )
    changes = changes_since(mark, mapping_set)
    assert [c.model for c in changes] == [
        "mappings.ValueMap",
        "mappings.ValueMapEntry",
        "mappings.ValueMapEntry",
    ]
    for change in changes:
        assert_recorded(change, user=ops, model=change.model[9:], kind="added")
    assert {c.after.get("target_value") for c in changes[1:]} == {
        "SKU-1001",
        "SKU-1002",
    }


def test_ownership_rules_and_posting_policies_saved_in_the_admin_are_recorded(
    client, ops
):
    mapping_set = make_mapping_set()
    mark = last_change_id()
    ownership = {
        "mapping_set": mapping_set.pk,
        "object_type": "customer",
        "master": "commerce",
        "hub_may": "create_update",
        "identity_order": '["email"]',
        "intacct_owned_fields": "[]",
    }
    admin_post(client, reverse("admin:mappings_ownershiprule_add"), ownership)
    rule = OwnershipRule.objects.get(mapping_set=mapping_set)
    admin_post(
        client,
        reverse("admin:mappings_ownershiprule_change", args=[rule.pk]),
        {**ownership, "hub_may": "link_only"},
    )
    policy = {
        "mapping_set": mapping_set.pk,
        "channel": "web",
        "mode": "detail",
        "detail_documents": "ar_invoice",
        "summary_period": "day",
        "finality_event": "paid",
        "revenue_account": "4000",
        "default_dimensions": "{}",
        "cutover_date": "",
        "closed_period_behaviour": "shift",
    }
    admin_post(client, reverse("admin:mappings_postingpolicy_add"), policy)
    saved = PostingPolicy.objects.get(mapping_set=mapping_set)
    admin_post(
        client,
        reverse("admin:mappings_postingpolicy_change", args=[saved.pk]),
        {**policy, "mode": "summary"},
    )

    changes = changes_since(mark, mapping_set)
    assert [(c.model[9:], c.kind) for c in changes] == [
        ("OwnershipRule", "added"),
        ("OwnershipRule", "changed"),
        ("PostingPolicy", "added"),
        ("PostingPolicy", "changed"),
    ]
    for change in changes:
        assert_recorded(change, user=ops, model=change.model[9:], kind=change.kind)
    assert changes[1].after["hub_may"] == "link_only"
    assert changes[3].after["mode"] == "summary"


def test_an_import_through_the_admin_is_recorded_under_the_user(client, ops):
    source = make_mapping_set()
    rule_rows(source)
    export = json.dumps(mapping_set_export(mapping_set=source)).encode()
    mark = last_change_id()
    admin_post(
        client,
        reverse("admin:mappings_mappingset_import"),
        {"name": "from file", "file": SimpleUploadedFile("set.json", export)},
    )
    changes = changes_since(mark)
    assert len(changes) == 5
    for change in changes:
        assert_recorded(change, user=ops, model=change.model[9:], kind="added")


# --- failure resolutions -------------------------------------------------------------


def a_failure(conn=None, *, intacct_object="ARINVOICE"):
    posting = make_posting(
        connection=conn or make_connection(),
        status=S.IN_FLIGHT,
        intacct_object=intacct_object,
        payload={"invoice_number": "SO-1"},
    )
    return failure_record(posting=posting, category="business", message="refused")


def the_event(failure, action):
    event = AuditEvent.objects.get(failure=failure)
    assert event.action == action
    assert event.posting_id == failure.posting_id
    assert is_utc_now(event.at)
    failure.refresh_from_db()
    assert not failure.is_open and is_utc_now(failure.resolved_at)
    return event


def test_each_resolution_in_code_is_audited():
    user = make_user(group="finance")

    retried = a_failure()
    failure_retry(failure=retried, user=user)
    assert the_event(retried, "retried").user == user

    edited = a_failure()
    failure_retry(failure=edited, user=user, payload={"invoice_number": "SO-1b"})
    event = the_event(edited, "edited")
    assert event.user == user
    assert event.details == {
        "before": {"invoice_number": "SO-1"},
        "after": {"invoice_number": "SO-1b"},
    }

    linked = a_failure()
    failure_link(failure=linked, user=user, intacct_key="42", verify=lambda p, k: "INV")
    event = the_event(linked, "linked")
    assert event.user == user and event.details["intacct_key"] == "42"

    ignored = a_failure()
    failure_ignore(failure=ignored, user=user, reason="a test order")
    event = the_event(ignored, "ignored")
    assert event.user == user and event.details == {"reason": "a test order"}
    assert ignored.resolved_by == user


def test_assigning_is_audited_though_it_resolves_nothing():
    user, assignee = make_user(group="finance"), make_user(group="finance")
    failure = a_failure()
    failure_assign(failure=failure, user=user, assignee=assignee)
    event = AuditEvent.objects.get(failure=failure)
    assert (event.action, event.user) == ("assigned", user)
    assert event.details == {"assignee": assignee.get_username()} and is_utc_now(
        event.at
    )


@pytest.mark.parametrize(
    ("action", "kwargs", "audited"),
    [
        ("retry", {}, "retried"),
        ("ignore", {"reason": "duplicates"}, "ignored"),
        ("assign", {}, "assigned"),
    ],
)
def test_a_bulk_resolution_in_code_audits_each_failure(action, kwargs, audited):
    user = make_user(group="finance")
    if action == "assign":
        kwargs = {"assignee": user}
    failures = [a_failure() for _ in range(3)]
    done, refused = failures_bulk(failures=failures, user=user, action=action, **kwargs)
    assert (done, refused) == (3, {})
    for failure in failures:
        event = AuditEvent.objects.get(failure=failure)
        assert (event.action, event.user) == (audited, user) and is_utc_now(event.at)


@pytest.fixture
def finance(client):
    user = make_user(group="finance")
    client.force_login(user)
    return user


def act(client, failure, action, data=None):
    url = reverse("dashboard:failure-act", args=[failure.pk, action])
    assert client.post(url, data or {}).status_code == 302


def test_each_resolution_on_the_failure_page_is_audited(client, finance):
    retried, edited, ignored, assigned = (a_failure() for _ in range(4))

    act(client, retried, "retry")
    act(client, edited, "edit", {"payload": '{"invoice_number": "SO-9"}'})
    act(client, ignored, "ignore", {"reason": "test order"})
    act(client, assigned, "assign", {"assignee": finance.pk})

    assert the_event(retried, "retried").user == finance
    event = the_event(edited, "edited")
    assert event.user == finance and event.details["after"] == {
        "invoice_number": "SO-9"
    }
    assert the_event(ignored, "ignored").details == {"reason": "test order"}
    event = AuditEvent.objects.get(failure=assigned)
    assert (event.action, event.user) == ("assigned", finance)


def test_a_refused_resolution_leaves_no_audit_record(client, finance):
    failure = a_failure()
    act(client, failure, "ignore", {"reason": "  "})  # a reason is required
    act(client, failure, "edit", {"payload": "[1, 2]"})  # not a JSON object
    assert not AuditEvent.objects.filter(failure=failure).exists()
    failure.refresh_from_db()
    assert failure.is_open


def test_linking_on_the_failure_page_is_audited(
    client, finance, connection, transport, monkeypatch
):
    from sync.dashboard import views

    monkeypatch.setitem(views.CLIENT_OPTIONS, "http_transport", transport)
    failure = a_failure(connection, intacct_object="CUSTOMER")

    act(client, failure, "link", {"reference": "WEB-GUEST"})  # read from Intacct

    event = the_event(failure, "linked")
    assert event.user == finance and event.details["intacct_id"] == "WEB-GUEST"


@pytest.mark.parametrize(
    ("action", "extra", "audited"),
    [
        ("retry", {}, "retried"),
        ("ignore", {"reason": "duplicates"}, "ignored"),
        ("assign", {"assignee": "me"}, "assigned"),
    ],
)
def test_the_bulk_form_audits_each_failure(client, finance, action, extra, audited):
    failures = [a_failure() for _ in range(3)]
    if extra.get("assignee") == "me":
        extra = {"assignee": finance.pk}
    ids = ",".join(str(f.pk) for f in failures)
    url = reverse("dashboard:failures-bulk")
    form = {"action": action, "ids": ids, **extra}
    assert client.post(url, form).status_code == 200  # the confirmation page
    assert not AuditEvent.objects.exists()

    assert client.post(url, {**form, "confirm": "yes"}).status_code == 302

    for failure in failures:
        event = AuditEvent.objects.get(failure=failure)
        assert (event.action, event.user) == (audited, finance) and is_utc_now(event.at)


def test_re_posting_failures_after_a_mapping_fix_is_audited(
    client, connection, transport
):
    """The mapping admin's "re-post failed postings": each retried failure is audited
    as an edit by the person who pressed it, with the payload before and after."""
    rule = connection.mapping_set.field_mappings.get(
        action="post_ar_invoice", line_scope="lines", target_field="memo"
    )
    rule.source_expression = "nonexistent"
    rule.required = True
    rule.save()
    store(connection, a_customer(), an_order())
    sync_once(connection=connection, http_transport=transport)
    failure = Failure.objects.get(resolved_at=None, posting__action="post_ar_invoice")
    rule.source_expression, rule.required = "title", False  # the fix
    rule.save()
    ops = make_user(group="ops")
    client.force_login(ops)

    response = client.post(reverse("mapping-repost", args=[connection.mapping_set.pk]))

    assert response.status_code == 302
    event = the_event(failure, "edited")
    assert event.user == ops and event.details["before"] != event.details["after"]


def test_deleting_a_value_map_records_the_entries_it_took_with_it(client, ops):
    mapping_set = make_mapping_set()
    value_map = ValueMap.objects.create(mapping_set=mapping_set, name="sku_items")
    for sku in ("TEE-1", "TEE-2"):
        value_map.entries.create(source_value=sku, target_value=f"SKU-{sku}")
    mark = last_change_id()

    admin_post(
        client,
        reverse("admin:mappings_valuemap_delete", args=[value_map.pk]),
        {"post": "yes"},
    )

    changes = changes_since(mark, mapping_set)
    assert sorted(c.model for c in changes) == [
        "mappings.ValueMap",
        "mappings.ValueMapEntry",
        "mappings.ValueMapEntry",
    ]
    for change in changes:
        assert_recorded(change, user=ops, model=change.model[9:], kind="deleted")
    assert {c.before.get("source_value") for c in changes} >= {"TEE-1", "TEE-2"}
