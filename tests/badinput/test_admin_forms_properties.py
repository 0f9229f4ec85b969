"""Property tests over the forms ops and finance submit (issue 9, "Proof").

Mapping rules, value maps and posting policies in the admin; on the dashboard the
failure resolutions (incl. "retry with edited payload" JSON), bulk actions, resync
and the reconciliation filters. Whatever is typed in, the answer is never a 500: it
is saved valid (and audited once), or re-rendered or redirected with a clear error
and nothing changed. Logged in as a superuser; example counts stay modest.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mappings.models import (
    FieldMapping,
    MappingChange,
    MappingSet,
    OwnershipRule,
    PostingPolicy,
    ValueMap,
    ValueMapEntry,
)
from sync.intacct.xmlgw.builder import NOT_XML_CHAR
from sync.models import AuditEvent, Failure, Posting, SyncRun
from sync.services.failures import failure_record
from tests.factories import make_connection, make_mapping_set, make_posting, make_user

pytestmark = pytest.mark.django_db

FORMS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BIG = str(10**30)

TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", " ", "\x00", "a\x00b", "\x0b", "<script>x</script>", "' OR 1=1 --", BIG,
         "-1", "0", "9" * 400, "x" * 300, "{", "lookup:nope", "truncate:-1",
         "date:%Y\x00", "😀" * 70, "NaN", "2026-02-30", "0001-01-01",
         "9999-12-31", "10000-01-01"]
    ),
)  # fmt: skip


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(superuser=True))
    return client


def status_ok(response):
    assert response.status_code < 500, response.status_code
    assert response.status_code in (200, 302, 400, 403, 404, 405), response.status_code


def audit_counts():
    return (
        MappingChange.objects.count(),
        AuditEvent.objects.count(),
        list(MappingSet.objects.order_by("pk").values_list("version", flat=True)),
    )


# --- mapping admin ----------------------------------------------------------------


@FORMS
@given(
    action=st.sampled_from(["post_ar_invoice", "upsert_customer"]) | TEXT,
    line_scope=st.sampled_from(["", "lines", "$tax"]) | TEXT,
    target_field=st.sampled_from(["customer_id", "amount", "memo"]) | TEXT,
    source_expression=TEXT,
    transform=st.sampled_from(["", "upper|truncate:5", "decimal_2dp"]) | TEXT,
    order=TEXT | st.integers(-(2**70), 2**70).map(str),
    flags=st.lists(st.sampled_from(["required", "only_on_create", "active"])),
)
@example(
    action="post_ar_invoice", line_scope="", target_field="memo",
    source_expression="a\x0bb", transform="", order="0", flags=["active"],
)  # fmt: skip
def test_the_field_mapping_form_saves_valid_rules_or_says_why(
    admin_client,
    action,
    line_scope,
    target_field,
    source_expression,
    transform,
    order,
    flags,
):
    mapping_set = MappingSet.objects.first() or make_mapping_set()
    before_rows, before_audit = FieldMapping.objects.count(), audit_counts()
    data = {
        "mapping_set": mapping_set.pk,
        "action": action,
        "line_scope": line_scope,
        "target_field": target_field,
        "source_expression": source_expression,
        "transform": transform,
        "order": order,
        **{flag: "on" for flag in flags},
    }

    response = admin_client.post(reverse("admin:mappings_fieldmapping_add"), data)

    status_ok(response)
    if response.status_code == 302:
        saved = FieldMapping.objects.latest("pk")
        assert saved.source_expression == source_expression
        assert FieldMapping.objects.count() == before_rows + 1
        assert MappingChange.objects.count() == before_audit[0] + 1
    else:
        assert b"errornote" in response.content or b"errorlist" in response.content
        assert FieldMapping.objects.count() == before_rows
        assert audit_counts() == before_audit


@FORMS
@given(
    name=st.sampled_from(["channels", "sku_items"]) | TEXT,
    on_no_match=st.sampled_from(ValueMap.OnNoMatch.values) | TEXT,
    default_value=TEXT,
    entries=st.lists(st.tuples(TEXT, TEXT), max_size=3),
)
def test_the_value_map_form_saves_valid_maps_or_says_why(
    admin_client, name, on_no_match, default_value, entries
):
    mapping_set = MappingSet.objects.first() or make_mapping_set()
    before = (ValueMap.objects.count(), ValueMapEntry.objects.count(), audit_counts())
    data = {
        "mapping_set": mapping_set.pk,
        "name": name,
        "on_no_match": on_no_match,
        "default_value": default_value,
        "entries-TOTAL_FORMS": str(len(entries)),
        "entries-INITIAL_FORMS": "0",
        "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "1000",
    }
    for i, (source, target) in enumerate(entries):
        data[f"entries-{i}-source_value"] = source
        data[f"entries-{i}-target_value"] = target

    response = admin_client.post(reverse("admin:mappings_valuemap_add"), data)

    status_ok(response)
    if response.status_code != 302:
        after = (ValueMap.objects.count(), ValueMapEntry.objects.count())
        assert after == before[:2] and audit_counts() == before[2]


@FORMS
@given(
    channel=TEXT,
    mode=st.sampled_from(["detail", "summary"]) | TEXT,
    revenue_account=TEXT,
    default_dimensions=st.one_of(
        TEXT,
        st.dictionaries(st.text(max_size=5), st.text(max_size=5)).map(json.dumps),
        st.sampled_from(
            ["[" * 100_000, '{"a": NaN}', '{"a": Infinity}', '{"a": "\\u0000"}',
             '{"a": "\\ud800"}', "null", "[]", '"x"', "1e999"]
        ),
    ),
    cutover_date=TEXT,
)  # fmt: skip
@example(
    channel="web", mode="detail", revenue_account="4000",
    default_dimensions="[" * 100_000, cutover_date="",
)  # fmt: skip
@example(
    channel="pos", mode="detail", revenue_account="4000",
    default_dimensions='{"LOCATIONID": NaN}', cutover_date="",
)  # fmt: skip
def test_the_posting_policy_form_saves_valid_policies_or_says_why(
    admin_client, channel, mode, revenue_account, default_dimensions, cutover_date
):
    mapping_set = make_mapping_set()
    before = (PostingPolicy.objects.count(), audit_counts())
    data = {
        "mapping_set": mapping_set.pk,
        "channel": channel,
        "mode": mode,
        "detail_documents": "ar_invoice",
        "summary_period": "day",
        "finality_event": "paid",
        "revenue_account": revenue_account,
        "default_dimensions": default_dimensions,
        "cutover_date": cutover_date,
        "closed_period_behaviour": "shift",
    }

    response = admin_client.post(reverse("admin:mappings_postingpolicy_add"), data)

    status_ok(response)
    if response.status_code == 302:
        saved = PostingPolicy.objects.latest("pk")
        json.dumps(saved.default_dimensions, allow_nan=False)  # storable anywhere
    else:
        assert (PostingPolicy.objects.count(), audit_counts()) == before


@FORMS
@given(
    object_type=st.sampled_from(["customer", "ar_invoice"]) | TEXT,
    identity_order=st.one_of(
        TEXT,
        st.lists(st.text(max_size=8), max_size=3).map(json.dumps),
        st.sampled_from(["[" * 100_000, "[NaN]", '["a\\u0000"]', '{"a": 1}']),
    ),
    owned=st.lists(st.sampled_from(["term", "credit_limit"]), max_size=2).map(
        json.dumps
    )
    | TEXT,
)
@example(object_type="customer", identity_order="[" * 100_000, owned="[]")
def test_the_ownership_rule_form_saves_valid_rules_or_says_why(
    admin_client, object_type, identity_order, owned
):
    mapping_set = make_mapping_set()
    before = (OwnershipRule.objects.count(), audit_counts())
    data = {
        "mapping_set": mapping_set.pk,
        "object_type": object_type,
        "master": "commerce",
        "hub_may": "create_update",
        "identity_order": identity_order,
        "intacct_owned_fields": owned,
    }

    response = admin_client.post(reverse("admin:mappings_ownershiprule_add"), data)

    status_ok(response)
    if response.status_code == 302:
        saved = OwnershipRule.objects.latest("pk")
        assert isinstance(saved.identity_order, list)
        assert isinstance(saved.intacct_owned_fields, list)
    else:
        assert (OwnershipRule.objects.count(), audit_counts()) == before


EXPORT = b'{"format": "intacct-hub.mapping-set/1", "name": "x", "fields": [%s]}'


@FORMS
@given(
    upload=st.one_of(
        st.binary(max_size=200),
        st.sampled_from(
            [b"[" * 100_000, b'{"format": "intacct-hub.mapping-set/1"}',
             b'{"format": "intacct-hub.mapping-set/1", "name": "x", "fields": [1]}',
             b'{"format": "intacct-hub.mapping-set/1", "name": "x", "fields": [],'
             b' "policies": [{"channel": "", "default_dimensions": {"a": NaN}}]}',
             b'{"format": "intacct-hub.mapping-set/1", "name": "x", "fields": [{'
             b'"action": "post_ar_invoice", "target_field": "memo", "order": 1e99}]}']
        ),
    ),
    name=TEXT,
)  # fmt: skip
@example(upload=b"[" * 100_000, name="deep")
@example(upload=b"0", name="not an object")  # a 500 once (AttributeError)
@example(
    upload=b'{"format": "intacct-hub.mapping-set/1", "name": "x", "ownership": [[1]]}',
    name="not a list of objects",
)
@example(
    upload=EXPORT % b'{"action": "post_ar_invoice", "target_field": "memo", '
    b'"order": -1}',
    name="negative order",
)
@example(
    upload=EXPORT % b'{"action": "post_ar_invoice", "target_field": "memo", '
    b'"source_expression": "' + b"x" * 300 + b'"}',
    name="too long",
)
@example(
    upload=EXPORT % b'{"action": "post_ar_invoice", "target_field": "memo", '
    b'"order": 1e99}',
    name="float order",
)
def test_importing_a_mapping_set_imports_or_says_why(admin_client, upload, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = (MappingSet.objects.count(), FieldMapping.objects.count())

    response = admin_client.post(
        reverse("admin:mappings_mappingset_import"),
        {"name": name, "file": SimpleUploadedFile("set.json", upload)},
    )

    status_ok(response)
    if response.status_code != 302:
        assert (MappingSet.objects.count(), FieldMapping.objects.count()) == before


@FORMS
@given(
    pasted=st.one_of(
        TEXT, st.sampled_from(['{"number": NaN}', '{"lines": {"0": 1}}', "[1, {}]"])
    ),
    action=st.sampled_from(["post_ar_invoice", "upsert_customer"]) | TEXT,
)
def test_the_live_preview_renders_pasted_json_or_says_why(admin_client, pasted, action):
    mapping_set = MappingSet.objects.first() or make_mapping_set()
    data = {"mapping_set": mapping_set.pk, "pv_action": action, "pv_json": pasted}

    response = admin_client.post(reverse("mapping-preview"), data)

    status_ok(response)


@pytest.mark.parametrize(
    ("field", "value"),
    [("pv_json", "[" * 100_000), ("pv_rules", "[" * 100_000), ("pv_rules", "00"),
     ("pv_rules", "0")],
    ids=["deep-pv_json", "deep-pv_rules", "not-json-pv_rules", "not-an-export"],
)  # fmt: skip
def test_the_live_preview_refuses_bad_json_with_a_message(admin_client, field, value):
    mapping_set = make_mapping_set()
    data = {"mapping_set": mapping_set.pk, "pv_action": "post_ar_invoice"}
    data[field] = value

    status_ok(admin_client.post(reverse("mapping-preview"), data))


# --- failure resolution -----------------------------------------------------------


def open_failure():
    posting = make_posting(
        connection=make_connection(),
        status=Posting.Status.IN_FLIGHT,
        intacct_object="ARINVOICE",
        payload={"invoice_number": "SO-1", "customer_id": "C-1"},
    )
    return failure_record(posting=posting, category="validation", message="bad")


def json_texts():
    values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda kids: (
            st.lists(kids, max_size=3)
            | st.dictionaries(st.text(max_size=5), kids, max_size=3)
        ),
        max_leaves=8,
    )
    return st.one_of(
        values.map(json.dumps),
        TEXT,
        st.sampled_from(
            ["[" * 100_000, "{" * 50_000, '{"amount": NaN}', '{"amount": -Infinity}',
             '{"name": "a\\u0000b"}', '{"name": "a\\u000bb"}', '{"name": "\\udc00"}',
             '{"a\\u0000": 1}', '{"n": 1e99999}', '{"customer_id": "C-1"}']
        ),
    )  # fmt: skip


@FORMS
@given(payload=json_texts())
@example(payload="[" * 100_000)
@example(payload='{"amount": NaN}')
@example(payload='{"name": "a\\u000bb"}')
@example(payload='{"name": "a\\u0000b"}')
@example(payload='{"name": "\\udc00"}')
def test_retry_with_an_edited_payload_saves_valid_json_objects_or_says_why(
    admin_client, payload
):
    failure = open_failure()
    posting = Posting.objects.get(pk=failure.posting_id)
    events = AuditEvent.objects.count()

    response = admin_client.post(
        reverse("dashboard:failure-act", args=[failure.pk, "edit"]),
        {"payload": payload},
    )

    status_ok(response)
    assert response.status_code == 302
    failure.refresh_from_db()
    after = Posting.objects.get(pk=posting.pk)
    if failure.resolved_at is None:  # refused: nothing changed
        assert after.payload == posting.payload and after.status == posting.status
        assert AuditEvent.objects.count() == events
    else:
        assert isinstance(after.payload, dict)
        assert after.payload == json.loads(payload)
        text = json.dumps(after.payload, allow_nan=False)  # storable anywhere
        assert not NOT_XML_CHAR.search(json.loads(json.dumps(text)))
        assert AuditEvent.objects.count() == events + 1


@FORMS
@given(
    action=st.sampled_from(["ignore", "assign", "retry", "link-nope"]),
    reason=TEXT,
    assignee=TEXT,
)
def test_the_other_resolutions_never_break(admin_client, action, reason, assignee):
    failure = open_failure()

    response = admin_client.post(
        reverse("dashboard:failure-act", args=[failure.pk, action]),
        {"reason": reason, "assignee": assignee},
    )

    status_ok(response)


@FORMS
@given(
    action=st.sampled_from(["retry", "ignore", "assign"]) | TEXT,
    ids=st.one_of(
        TEXT,
        st.lists(st.integers(-(2**70), 2**70)).map(lambda ns: ",".join(map(str, ns))),
    ),
    reason=TEXT,
    assignee=TEXT,
    confirm=st.sampled_from(["", "yes"]),
)
@example(action="ignore", ids=BIG, reason="r", assignee="", confirm="yes")
def test_bulk_actions_never_break(admin_client, action, ids, reason, assignee, confirm):
    open_failure()

    response = admin_client.post(
        reverse("dashboard:failures-bulk"),
        {"action": action, "ids": ids, "reason": reason, "assignee": assignee,
         "confirm": confirm},
    )  # fmt: skip

    status_ok(response)


# --- queue, resync and reconciliation filters ---------------------------------------


@FORMS
@given(params=st.dictionaries(
    st.sampled_from(["connection", "category", "action", "age", "assignee", "state",
                     "page"]),
    TEXT,
))  # fmt: skip
@example(params={"page": BIG})
@example(params={"connection": BIG})
def test_the_failure_queue_filters_never_break(admin_client, params):
    open_failure()

    for name in ("dashboard:failures", "dashboard:failures-csv"):
        status_ok(admin_client.get(reverse(name), params))


@FORMS
@given(
    params=st.dictionaries(
        st.sampled_from(["connection", "kind", "status", "page"]), TEXT
    )
)
@example(params={"page": "abc"})
@example(params={"connection": "abc"})
@example(params={"page": BIG, "connection": BIG})
def test_the_run_list_filters_never_break(admin_client, params):
    make_connection()

    status_ok(admin_client.get(reverse("dashboard:runs"), params))


RESYNC = st.fixed_dictionaries(
    {"kind": st.sampled_from(["record", "run", "category", "dates"]) | TEXT},
    optional={
        "record": TEXT,
        "run": TEXT,
        "category": st.sampled_from(Failure.Category.values) | TEXT,
        "date_from": TEXT,
        "date_to": TEXT,
    },
)


@FORMS
@given(params=RESYNC)
@example(params={"kind": "record", "record": BIG})
@example(params={"kind": "run", "run": BIG})
@example(params={"kind": "dates", "date_from": "9999-12-31", "date_to": "0001-01-01"})
def test_the_resync_form_previews_starts_or_says_why(admin_client, params):
    connection = make_connection()
    params = {"connection": connection.pk, **params}
    runs = SyncRun.objects.count()

    preview = admin_client.get(reverse("dashboard:resync"), params)
    started = admin_client.post(reverse("dashboard:resync-start"), params)

    status_ok(preview)
    status_ok(started)
    if started.status_code == 302 and "/runs/" not in started["Location"]:
        assert SyncRun.objects.count() == runs  # refused: no run was started


@FORMS
@given(
    params=st.dictionaries(
        st.sampled_from(["connection", "from", "to", "only", "day", "channel"]), TEXT
    )
)
@example(params={"to": "0001-01-05"})
@example(params={"from": "9999-12-31", "to": "9999-12-31"})
def test_the_reconciliation_filters_never_break(admin_client, params):
    connection = make_connection()

    for name in (
        "dashboard:reconciliation",
        "dashboard:reconciliation-csv",
        "dashboard:reconciliation-day",
    ):
        status_ok(admin_client.get(reverse(name), params))
    run = admin_client.post(
        reverse("dashboard:reconciliation-run"),
        {**params, "connection": connection.slug},
    )
    status_ok(run)
