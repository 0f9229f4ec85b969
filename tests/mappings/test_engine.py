import pytest

from mappings.engine import evaluate, map_record, resolve_path
from mappings.ownership import Decision, decide
from mappings.rules import FieldRule, MappingRules, Ownership, ValueTable
from mappings.transforms import TransformError

ORDER = {
    "order_number": "1001",
    "channel": "web",
    "currency": "USD",
    "processed_at": "2026-11-20T10:00:00Z",
    "customer": {"external_id": "C-9", "email": "ada@example.com"},
    "billing_address": {"city": "London", "country": "United Kingdom"},
    "lines": [
        {"sku": "SKU-1", "quantity": "2", "price": "10.005"},
        {"sku": "SKU-2", "quantity": "1", "price": "5"},
    ],
}

INVOICE = "post_ar_invoice"


def rules(*fields, value_maps=(), ownership=()):
    return MappingRules(
        name="t",
        version=7,
        fields=tuple(FieldRule(action=INVOICE, **f) for f in fields),
        value_maps={v.name: v for v in value_maps},
        ownership={o.object_type: o for o in ownership},
    )


def test_it_resolves_paths_and_templates():
    assert resolve_path(ORDER, "billing_address.city") == "London"
    assert resolve_path(ORDER, "lines.1.sku") == "SKU-2"
    assert resolve_path(ORDER, "lines.9.sku") is None
    assert resolve_path(ORDER, "billing_address.city.x") is None
    assert evaluate("{order_number}-{channel}", ORDER) == "1001-web"
    with pytest.raises(TransformError, match="template is missing nope"):
        evaluate("{order_number}-{nope}", ORDER)


def test_it_maps_header_fields_with_provenance():
    mapped = map_record(
        ORDER,
        rules(
            {"target_field": "CUSTOMERID", "source_expression": "customer.external_id"},
            {
                "target_field": "DOCNUMBER",
                "source_expression": "{order_number}-{channel}",
                "transform": "upper",
            },
            {
                "target_field": "WHENCREATED",
                "source_expression": "processed_at",
                "transform": "date_xml",
            },
        ),
        action=INVOICE,
    )
    assert mapped.ok
    assert mapped.fields == {
        "CUSTOMERID": "C-9",
        "DOCNUMBER": "1001-WEB",
        "WHENCREATED": "11/20/2026",
    }
    assert mapped.mapping_version == 7
    doc = next(p for p in mapped.provenance if p.target == "DOCNUMBER")
    assert (doc.source_expression, doc.raw_value, doc.transform, doc.value) == (
        "{order_number}-{channel}",
        "1001-web",
        "upper",
        "1001-WEB",
    )


def test_it_maps_line_items_one_per_source_line_with_access_to_the_root():
    mapped = map_record(
        ORDER,
        rules(
            {
                "target_field": "ITEMID",
                "source_expression": "sku",
                "line_scope": "lines",
            },
            {
                "target_field": "PRICE",
                "source_expression": "price",
                "transform": "decimal_2dp",
                "line_scope": "lines",
            },
            {
                "target_field": "CURRENCY",
                "source_expression": "$.currency",
                "line_scope": "lines",
            },
        ),
        action=INVOICE,
    )
    assert mapped.ok, mapped.errors
    assert mapped.lines["lines"] == [
        {"ITEMID": "SKU-1", "PRICE": "10.01", "CURRENCY": "USD"},
        {"ITEMID": "SKU-2", "PRICE": "5.00", "CURRENCY": "USD"},
    ]
    second_price = [p for p in mapped.provenance if p.target == "PRICE"][1]
    assert (second_price.line_scope, second_price.line_index) == ("lines", 1)
    assert mapped.body()["lines"][0]["ITEMID"] == "SKU-1"


def test_required_fields_and_failed_lookups_are_errors_with_categories():
    mapped = map_record(
        ORDER,
        rules(
            {
                "target_field": "EMAIL",
                "source_expression": "customer.phone",
                "required": True,
            },
            {
                "target_field": "LOCATIONID",
                "source_expression": "channel",
                "transform": "lookup:locations",
            },
            {"target_field": "NOTE", "source_expression": "note"},  # optional, empty
            value_maps=[ValueTable("locations", {"pos": "STORE"})],
        ),
        action=INVOICE,
    )
    assert not mapped.ok
    by_field = {e.target: e for e in mapped.errors}
    assert by_field["EMAIL"].category == "validation"
    assert "customer.phone is empty" in by_field["EMAIL"].message
    assert by_field["LOCATIONID"].category == "missing_mapping"
    assert "NOTE" not in mapped.fields


@pytest.mark.parametrize(
    ("on_no_match", "expected_field", "warned"),
    [("default", {"LOCATIONID": "HQ"}, False), ("skip", {}, True)],
)
def test_on_no_match_default_and_skip(on_no_match, expected_field, warned):
    table = ValueTable("locations", {}, on_no_match=on_no_match, default_value="HQ")
    mapped = map_record(
        ORDER,
        rules(
            {
                "target_field": "LOCATIONID",
                "source_expression": "channel",
                "transform": "lookup:locations",
            },
            value_maps=[table],
        ),
        action=INVOICE,
    )
    assert mapped.ok
    assert mapped.fields == expected_field
    assert bool(mapped.warnings) is warned


def test_updates_leave_out_create_only_and_intacct_owned_fields():
    field_rules = rules(
        {
            "target_field": "CUSTOMERID",
            "source_expression": "customer.external_id",
            "only_on_create": True,
        },
        {"target_field": "EMAIL", "source_expression": "customer.email"},
        {"target_field": "TERMNAME", "transform": "default:N30"},
        ownership=[
            Ownership(object_type="ar_invoice", intacct_owned_fields=("TERMNAME",))
        ],
    )
    created = map_record(ORDER, field_rules, action=INVOICE, operation="create")
    updated = map_record(ORDER, field_rules, action=INVOICE, operation="update")
    assert set(created.fields) == {"CUSTOMERID", "EMAIL", "TERMNAME"}
    assert set(updated.fields) == {"EMAIL"}


def test_an_action_without_mappings_is_a_missing_mapping():
    mapped = map_record(ORDER, rules(), action="upsert_item")
    assert [e.category for e in mapped.errors] == ["missing_mapping"]


@pytest.mark.parametrize(
    ("hub_may", "exists", "decision"),
    [
        ("create_update", False, Decision.CREATE),
        ("create_update", True, Decision.UPDATE),
        ("create_only", False, Decision.CREATE),
        ("create_only", True, Decision.LINK),
        ("link_only", True, Decision.LINK),
        ("link_only", False, Decision.CONFLICT),
        ("never", True, Decision.SKIP),
        ("never", False, Decision.SKIP),
    ],
)
def test_ownership_decisions(hub_may, exists, decision):
    result = decide(Ownership(object_type="customer", hub_may=hub_may), exists=exists)
    assert result.decision == decision
    assert result.reason
    assert result.sends_write == (decision in (Decision.CREATE, Decision.UPDATE))


def test_a_dollar_scope_makes_one_line_from_the_record_itself():
    mapped = map_record(
        {**ORDER, "total_tax": "1.50"},
        rules(
            {
                "target_field": "amount",
                "source_expression": "price",
                "line_scope": "lines",
            },
            {
                "target_field": "amount",
                "source_expression": "total_tax",
                "line_scope": "$tax",
            },
            {
                "target_field": "gl_account",
                "transform": "default:2100",
                "line_scope": "$tax",
            },
        ),
        action=INVOICE,
    )
    assert mapped.lines["$tax"] == [{"amount": "1.50", "gl_account": "2100"}]
    assert len(mapped.lines["lines"]) == 2


def test_alternatives_take_the_first_value_that_is_set():
    named = {"first_name": "Ada", "last_name": "Byron", "email": "a@x"}
    nameless = {"first_name": "", "email": "a@x"}
    expression = "{first_name} {last_name} || company || email"
    assert evaluate(expression, named) == "Ada Byron"
    assert evaluate(expression, nameless) == "a@x"
    assert evaluate("company || phone", nameless) is None
    with pytest.raises(TransformError, match="template is missing last_name"):
        evaluate("{first_name} {last_name} || {last_name}", nameless)


def test_nonzero_lines_are_dropped_and_provenance_follows_the_kept_lines():
    order = {
        **ORDER,
        "shipping_lines": [{"price": "0.00"}, {"price": "6.95"}],
        "total_discounts": "0.00",
    }
    mapped = map_record(
        order,
        rules(
            {"target_field": "amount", "source_expression": "price",
             "line_scope": "lines", "transform": "decimal_2dp"},
            {"target_field": "amount", "source_expression": "price",
             "line_scope": "shipping_lines", "transform": "nonzero", "order": 10},
            {"target_field": "memo", "source_expression": "price",
             "line_scope": "shipping_lines", "order": 11},
            {"target_field": "amount", "source_expression": "total_discounts",
             "line_scope": "$discount", "transform": "nonzero|negate", "order": 20},
            {"target_field": "gl_account", "transform": "default:4900",
             "line_scope": "$discount", "order": 21},
        ),
        action=INVOICE,
    )  # fmt: skip
    assert mapped.ok, mapped.errors
    assert mapped.lines == {
        "lines": [{"amount": "10.01"}, {"amount": "5.00"}],
        "shipping_lines": [{"amount": "6.95", "memo": "6.95"}],
    }
    shipping = [p for p in mapped.provenance if p.line_scope == "shipping_lines"]
    assert {p.line_index for p in shipping} == {0}
    assert not [p for p in mapped.provenance if p.line_scope == "$discount"]


def test_line_scopes_come_in_the_order_of_their_first_rule():
    mapped = map_record(
        {**ORDER, "total_tax": "1.00"},
        rules(
            {"target_field": "amount", "source_expression": "total_tax",
             "line_scope": "$tax", "order": 30},
            {"target_field": "amount", "source_expression": "price",
             "line_scope": "lines", "order": 1},
        ),
        action=INVOICE,
    )  # fmt: skip
    assert list(mapped.lines) == ["lines", "$tax"]


def test_policy_values_come_from_the_records_channel_or_the_default_policy():
    field_rules = MappingRules(
        name="t",
        fields=(
            FieldRule(action=INVOICE, target_field="gl_account",
                      transform="policy:revenue_account"),
        ),
        policies=(
            {"channel": "", "revenue_account": "4000"},
            {"channel": "pos", "revenue_account": "4001"},
        ),
    )  # fmt: skip
    web = map_record(ORDER, field_rules, action=INVOICE)
    pos = map_record({**ORDER, "channel": "pos"}, field_rules, action=INVOICE)
    refund = map_record({"order": {"channel": "pos"}}, field_rules, action=INVOICE)
    forced = map_record(ORDER, field_rules, action=INVOICE, channel="pos")
    assert web.fields == {"gl_account": "4000"}
    assert pos.fields == refund.fields == forced.fields == {"gl_account": "4001"}
    none = MappingRules(name="t", fields=field_rules.fields)
    failed = map_record(ORDER, none, action=INVOICE)
    assert [e.category for e in failed.errors] == ["missing_mapping"]


def test_on_no_match_keep_passes_the_source_value_through():
    table = ValueTable("skus", {"OLD": "NEW"}, on_no_match="keep")
    mapped = map_record(
        ORDER,
        rules(
            {"target_field": "item_id", "source_expression": "sku",
             "line_scope": "lines", "transform": "lookup:skus"},
            value_maps=[table],
        ),
        action=INVOICE,
    )  # fmt: skip
    assert [line["item_id"] for line in mapped.lines["lines"]] == ["SKU-1", "SKU-2"]
    assert not mapped.warnings
