"""The mappings admin as ops, finance and viewers use it: validation, previews,
impact, re-posting, the ownership page, export and import."""

import html
import io
import json

import httpx
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

import sync.catalog
from mappings.engine import map_record
from mappings.models import FieldMapping, MappingChange, MappingSet
from mappings.selectors import mapping_rules
from mappings.services import mapping_set_ensure_default
from sandbox import Sandbox, demo_credentials, make_app
from sync.models import AuditEvent, Failure, Posting
from tests.factories import (
    make_connection,
    make_posting,
    make_record,
    make_source,
    make_user,
)
from tests.mappings.demo import normalized_demo, postable

pytestmark = pytest.mark.django_db

INVOICE = "post_ar_invoice"


@pytest.fixture
def default_set():
    return mapping_set_ensure_default()[0]


@pytest.fixture
def ops(client):
    client.force_login(make_user(group="ops"))
    return client


def form_data(mapping, **changes):
    data = {
        "mapping_set": mapping.mapping_set_id,
        "action": mapping.action,
        "line_scope": mapping.line_scope,
        "target_field": mapping.target_field,
        "source_expression": mapping.source_expression,
        "transform": mapping.transform,
        "order": mapping.order,
        "active": "on",
    }
    if mapping.required:
        data["required"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def add_field(client, mapping_set, **fields):
    data = {
        "mapping_set": mapping_set.pk,
        "action": INVOICE,
        "line_scope": "",
        "source_expression": "number",
        "transform": "",
        "order": "0",
        "active": "on",
        **fields,
    }
    return client.post(reverse("admin:mappings_fieldmapping_add"), data)


# -- validation -----------------------------------------------------------------------


INVOICE_LABEL = "AR invoice (post_ar_invoice)"
ITEM_NAME = {"target_field": "name", "action": "upsert_item"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"target_field": "colour"}, f"unknown field 'colour' for {INVOICE_LABEL}"),
        (
            {"target_field": "gl_account"},
            f"unknown field 'gl_account' for {INVOICE_LABEL}",
        ),
        (
            {"target_field": "colour", "line_scope": "lines"},
            "unknown field 'colour' for AR invoice lines (post_ar_invoice)",
        ),
        ({**ITEM_NAME, "transform": "frobnicate"}, "unknown transform 'frobnicate'"),
        (
            {**ITEM_NAME, "transform": "lookup:nope"},
            "lookup:nope names no value map of this mapping set",
        ),
        (
            {"target_field": "name", "action": "reverse_or_void"},
            "reverse_or_void takes no field mappings",
        ),
    ],
)
def test_bad_rules_are_rejected_naming_the_field_and_object(ops, fields, message):
    mapping_set = MappingSet.objects.create(name="empty")
    response = add_field(ops, mapping_set, **fields)
    assert response.status_code == 200
    assert html.escape(message) in response.content.decode()
    assert not FieldMapping.objects.exists()


def test_known_fields_save_and_write_history(ops, default_set):
    before = MappingChange.objects.count()
    response = add_field(
        ops, default_set, target_field="gl_account", line_scope="$tip",
        transform="policy:revenue_account", source_expression="",
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    change = MappingChange.objects.latest("id")
    assert MappingChange.objects.count() == before + 1
    assert change.after["line_scope"] == "$tip"
    assert change.changed_by.groups.filter(name="ops").exists()


def test_the_inline_on_the_set_validates_too(ops, default_set):
    mapping = default_set.field_mappings.get(action=INVOICE, target_field="description")
    data = mapping_set_form(default_set, {mapping.pk: {"target_field": "colour"}})
    url = reverse("admin:mappings_mappingset_change", args=[default_set.pk])
    response = ops.post(url, data)
    assert response.status_code == 200
    assert (
        "unknown field &#x27;colour&#x27; for AR invoice" in response.content.decode()
    )


def test_custom_fields_are_checked_against_the_intacct_catalog(ops, monkeypatch):
    cache.clear()
    sandbox = Sandbox()
    monkeypatch.setattr(
        sync.catalog, "http_transport", httpx.WSGITransport(app=make_app(sandbox))
    )
    creds = demo_credentials()
    mapping_set = MappingSet.objects.create(name="with catalog")
    make_connection(
        mapping_set=mapping_set, api_base_url="http://sandbox.test",
        company_id=creds["company_id"], sender_id=creds["sender_id"],
        sender_password=creds["sender_password"], user_id=creds["user_id"],
        user_password=creds["user_password"], oauth_client_id=creds["client_id"],
        oauth_client_secret=creds["client_secret"],
    )  # fmt: skip
    refused = add_field(ops, mapping_set, target_field="custom_fields.SHOE_SIZE")
    assert refused.status_code == 200
    assert "unknown custom field &#x27;SHOE_SIZE&#x27; for AR invoice" in (
        refused.content.decode()
    )
    accepted = add_field(ops, mapping_set, target_field="custom_fields.description")
    assert accepted.status_code == 302
    requests = sandbox.store.counters()
    add_field(ops, mapping_set, target_field="custom_fields.NOPE2")
    assert sandbox.store.counters() == requests  # the catalog came from the cache
    sandbox.close()


# -- live preview ---------------------------------------------------------------------


def order_record(source=None, *, index=0, discounted=None):
    orders = [o for o in normalized_demo()["order"] if postable(o)]
    if discounted is not None:
        orders = [o for o in orders if (o["total_discounts"] != "0.00") == discounted]
    order = orders[index]
    return make_record(
        source=source, kind="order", external_id=order["id"], payload=order
    )


def test_live_preview_renders_the_unsaved_change_as_xml_and_json(ops, default_set):
    record = order_record()
    mapping = default_set.field_mappings.get(action=INVOICE, target_field="description")
    version = MappingSet.objects.get(pk=default_set.pk).version
    response = ops.post(
        reverse("mapping-preview"),
        form_data(
            mapping,
            source_expression="PREVIEWED {number}",
            _preview_source="fieldmapping",
            _preview_object=mapping.pk,
        ),
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    number = record.payload["number"]
    assert "&lt;function controlid=&quot;preview" in page
    assert "&lt;create_invoice&gt;" in page
    assert f"&lt;description&gt;PREVIEWED {number}&lt;/description&gt;" in page
    assert f"&quot;description&quot;: &quot;PREVIEWED {number}&quot;" in page
    assert "&quot;invoiceNumber&quot;: &quot;SHOP-" in page
    assert "Provenance" in page and "times:quantity|decimal_2dp" in page
    mapping.refresh_from_db()
    assert mapping.source_expression.startswith("Shopify order")  # nothing saved
    assert MappingSet.objects.get(pk=default_set.pk).version == version


def test_live_preview_of_pasted_json_shows_errors(ops, default_set):
    response = ops.post(
        reverse("mapping-preview"),
        {
            "mapping_set": default_set.pk,
            "pv_action": INVOICE,
            "pv_json": json.dumps({"number": "#7", "lines": []}),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="mapping-errors"' in page and "processed_at || created_at" in page
    bad = ops.post(
        reverse("mapping-preview"), {"mapping_set": default_set.pk, "pv_json": "[1"}
    )
    assert "Pasted JSON" in bad.content.decode()


def test_a_refund_preview_reads_its_order(ops, default_set):
    demo = normalized_demo()
    refund = demo["refund"][0]
    order = next(o for o in demo["order"] if o["id"] == refund["order_id"])
    source = make_source()
    make_record(source=source, kind="order", external_id=order["id"], payload=order)
    make_record(source=source, kind="refund", external_id=refund["id"], payload=refund)
    response = ops.get(
        reverse("mapping-preview"),
        {"mapping_set": default_set.pk, "action": "post_credit_memo"},
    )
    page = response.content.decode()
    assert "&lt;create_aradjustment&gt;" in page
    invoice_number = "SHOP-" + order["number"].lstrip("#")
    assert f"&lt;invoiceno&gt;{invoice_number}&lt;/invoiceno&gt;" in page


# -- impact preview and re-posting ----------------------------------------------------


@pytest.fixture
def postings(default_set):
    """Invoices of orders with and without discounts in every status, plus a
    customer posting, all on a connection using the default set."""
    connection = make_connection(mapping_set=default_set)
    source = make_source()
    rows = {}
    plan = [
        ("failed", True), ("failed", True), ("failed", False),
        ("pending", True), ("pending", False), ("posted", True), ("posted", False),
        ("posted", False), ("skipped", True),
    ]  # fmt: skip
    counters = {True: 0, False: 0}
    rules = mapping_rules(default_set)
    for status, discounted in plan:
        record = order_record(source, index=counters[discounted], discounted=discounted)
        counters[discounted] += 1
        mapped = map_record(record.payload, rules, action=INVOICE)
        posting = make_posting(
            connection=connection, record=record, status=status,
            payload=mapped.body(), mapping_version=rules.version,
        )  # fmt: skip
        if status == "failed":
            Failure.objects.create(
                posting=posting, category="business", message="rejected"
            )
        rows.setdefault((status, discounted), []).append(posting)
    customer = make_record(
        source=source, kind="customer", payload=normalized_demo()["customer"][0]
    )
    make_posting(
        connection=connection, record=customer, action="upsert_customer",
        status="posted",
    )  # fmt: skip
    return rows


def test_impact_preview_counts_the_postings_a_change_would_change(
    ops, default_set, postings
):
    mapping = default_set.field_mappings.get(
        action=INVOICE, line_scope="$discount", target_field="memo"
    )
    response = ops.post(
        reverse("mapping-preview"),
        form_data(
            mapping,
            transform="default:Promotions",
            _preview_source="fieldmapping",
            _preview_object=mapping.pk,
        ),
    )
    impact = response.context["impact"]
    # Only invoices of discounted orders have a discount line to change.
    assert impact["counts"] == {"pending": 1, "failed": 2, "posted": 1}
    # The customer posting is another action: not even examined.
    assert impact["examined"] == {"pending": 2, "failed": 3, "posted": 3}
    sample = impact["samples"][0]["diff"]
    assert {"path": "$discount[0].memo", "before": "Discounts",
            "after": "Promotions"} in sample  # fmt: skip
    page = response.content.decode()
    assert 'class="impact-failed">2<' in page
    assert "Promotions" in page


def test_impact_of_inline_edits_on_the_set_form(ops, default_set, postings):
    description = default_set.field_mappings.get(
        action=INVOICE, target_field="description"
    )
    data = mapping_set_form(
        default_set,
        {description.pk: {"source_expression": "Order {number}"}},
        _preview_source="mappingset",
        _preview_object=default_set.pk,
    )
    response = ops.post(reverse("mapping-preview"), data)
    assert response.status_code == 200, response.content.decode()[:3000]
    assert response.context["impact"]["counts"] == {
        "pending": 2,
        "failed": 3,
        "posted": 3,
    }
    assert response.context["changed_actions"] == [INVOICE]


def test_after_saving_failed_postings_are_reposted_with_the_new_payload(
    ops, default_set, postings
):
    mapping = default_set.field_mappings.get(
        action=INVOICE, line_scope="$discount", target_field="memo"
    )
    url = reverse("admin:mappings_fieldmapping_change", args=[mapping.pk])
    saved = ops.post(url, form_data(mapping, transform="default:Promotions"))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    response = ops.post(reverse("mapping-repost", args=[default_set.pk]))
    assert response.status_code == 302
    version = MappingSet.objects.get(pk=default_set.pk).version
    changed = postings[("failed", True)]
    untouched = postings[("failed", False)][0]
    for posting in changed:
        posting.refresh_from_db()
        assert posting.status == Posting.Status.PENDING
        assert posting.payload["$discount"][0]["memo"] == "Promotions"
        assert posting.mapping_version == version
        assert AuditEvent.objects.filter(posting=posting, action="edited").exists()
    untouched.refresh_from_db()
    assert untouched.status == Posting.Status.FAILED
    assert Failure.objects.filter(resolved_at=None).count() == 1


# -- permissions and CSRF -------------------------------------------------------------


@pytest.mark.parametrize("group", ["finance", "viewer"])
def test_read_only_roles_can_look_but_not_change(client, default_set, postings, group):
    client.force_login(make_user(group=group))
    mapping = default_set.field_mappings.first()
    pages = [
        reverse("admin:mappings_mappingset_change", args=[default_set.pk]),
        reverse("admin:mappings_mappingset_ownership", args=[default_set.pk]),
        reverse("admin:mappings_mappingset_export", args=[default_set.pk]),
        reverse("mapping-preview") + f"?mapping_set={default_set.pk}",
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    change = reverse("admin:mappings_fieldmapping_change", args=[mapping.pk])
    assert client.post(change, form_data(mapping)).status_code == 403
    assert (
        client.post(reverse("mapping-repost", args=[default_set.pk])).status_code == 403
    )
    assert client.get(reverse("admin:mappings_mappingset_import")).status_code == 403
    assert Posting.objects.filter(status="failed").count() == 3


def test_anonymous_users_are_sent_to_login(client, default_set):
    response = client.get(reverse("mapping-preview") + f"?mapping_set={default_set.pk}")
    assert response.status_code == 302 and "login" in response["Location"]


def test_posts_need_a_csrf_token(default_set):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(group="ops"))
    assert (
        client.post(reverse("mapping-repost", args=[default_set.pk])).status_code == 403
    )
    response = client.post(reverse("mapping-preview"), {"mapping_set": default_set.pk})
    assert response.status_code == 403


# -- ownership page, export and import ------------------------------------------------


def test_the_ownership_page_answers_one_question_per_object(ops, default_set):
    url = reverse("admin:mappings_mappingset_ownership", args=[default_set.pk])
    page = ops.get(url).content.decode()
    for question, answer in [
        ("Who creates the customer master", "creates it and keeps it up to date"),
        ("Who owns available quantity?", "posts its stock movements"),
        ("Which event makes an order final?", "Order paid."),
        ("Who decides summary vs detail posting", "detail: AR invoice per order"),
    ]:  # fmt: skip
        assert question in page and answer in page
    assert "Matched by external_id → email → name." in page
    assert "Intacct owns term: never sent on update." in page


def test_export_and_import_through_the_admin(ops, default_set):
    exported = ops.get(
        reverse("admin:mappings_mappingset_export", args=[default_set.pk])
    )
    assert exported["Content-Disposition"].endswith('shopify-default.json"')
    upload = io.BytesIO(exported.content)
    upload.name = "shopify-default.json"
    response = ops.post(
        reverse("admin:mappings_mappingset_import"),
        {"name": "Production copy", "file": upload},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    copy = MappingSet.objects.get(name="Production copy")
    order = order_record().payload
    for action in (INVOICE, "post_sales_order"):
        before = map_record(order, mapping_rules(default_set), action=action)
        after = map_record(order, mapping_rules(copy), action=action)
        assert before.ok and before.body() == after.body()

    broken = io.BytesIO(b'{"name": "x"}')
    broken.name = "x.json"
    refused = ops.post(
        reverse("admin:mappings_mappingset_import"), {"name": "Broken", "file": broken}
    )
    assert "not an Intacct Hub mapping set" in refused.content.decode()


# -- helpers --------------------------------------------------------------------------


def mapping_set_form(mapping_set, changes, **extra):
    """The MappingSet change form's POST with its inline field mappings."""
    rows = list(mapping_set.field_mappings.all())
    prefix = "field_mappings"
    data = {
        "name": mapping_set.name,
        "description": mapping_set.description,
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(len(rows)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for i, row in enumerate(rows):
        fields = form_data(row, **changes.get(row.pk, {}))
        fields.pop("mapping_set")
        fields["id"] = row.pk
        fields["mapping_set"] = mapping_set.pk
        if row.only_on_create:
            fields["only_on_create"] = "on"
        data.update({f"{prefix}-{i}-{k}": v for k, v in fields.items()})
    return data
