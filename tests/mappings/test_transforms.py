from types import SimpleNamespace

import pytest

from mappings.rules import ValueTable
from mappings.transforms import (
    DROP_LINE,
    OMIT,
    REGISTRY,
    TransformError,
    apply_chain,
    check_chain,
    parse_chain,
)

CTX = SimpleNamespace(
    value_maps={
        "channels": ValueTable("channels", {"web": "WEB", "pos": "STORE1"}),
        "gateways": ValueTable(
            "gateways", {}, on_no_match="default", default_value="1010"
        ),
        "optional": ValueTable("optional", {}, on_no_match="skip"),
        "skus": ValueTable("skus", {"OLD-1": "NEW-1"}, on_no_match="keep"),
    },
    policy={
        "channel": "web",
        "revenue_account": "4000",
        "default_dimensions": {"department": "SALES"},
    },
    resolve={"quantity": 3, "discount": "1.50", "empty": ""}.get,
)


def run(value, spec):
    return apply_chain(value, spec, CTX)


@pytest.mark.parametrize(
    ("value", "spec", "expected"),
    [
        ("Ada", "upper", "ADA"),
        ("ADA", "lower", "ada"),
        ("  x  ", "strip", "x"),
        ("abcdef", "truncate:3", "abc"),
        ("", "default:WEB", "WEB"),
        (None, "default:WEB", "WEB"),
        ("set", "default:WEB", "set"),
        ("10.005", "decimal_2dp", "10.01"),  # half-up, not banker's rounding
        ("10.004", "decimal_2dp", "10.00"),
        (3, "decimal_2dp", "3.00"),
        ("-2.50", "negate", "2.50"),
        ("-2.50", "abs", "2.50"),
        ("2026-11-24T10:00:00Z", "date_xml", "11/24/2026"),
        ("2026-11-24", "date_iso", "2026-11-24"),
        ("2026-11-24T23:30:00-05:00", "date_iso", "2026-11-24"),
        ("2026-11-24", "date:%Y/%m/%d", "2026/11/24"),
        ("United States", "country_iso2", "US"),
        ("usa", "country_iso2", "US"),
        ("de", "country_iso2", "DE"),
        ("GB", "country_name", "United Kingdom"),
        ("web", "lookup:channels", "WEB"),
        ("unknown", "lookup:gateways", "1010"),
        ("yes", "bool", "true"),
        (False, "bool", "false"),
        (12, "str", "12"),
        ("  ada lovelace ", "strip|upper|truncate:3", "ADA"),
        ("OLD-1", "lookup:skus", "NEW-1"),
        ("HARB-S", "lookup:skus", "HARB-S"),  # keep: the SKU is the item id
        ("24.00", "times:quantity", "72.00"),
        ("24.00", "times:0.5", "12.000"),
        ("24.00", "times:quantity|minus:discount|decimal_2dp", "70.50"),
        ("24.00", "minus:empty", "24.00"),  # an empty operand counts as zero
        ("5.00", "nonzero", "5.00"),
        ("1001", "prefix:SHOP-", "SHOP-1001"),
        (None, "prefix:SHOP-|default:WEB-GUEST", "WEB-GUEST"),
        ("#1001", "remove:#", "1001"),
        (None, "policy:revenue_account", "4000"),
        ("", "policy:default_dimensions.department", "SALES"),
    ],
)
def test_it_transforms(value, spec, expected):
    assert run(value, spec) == expected


def test_every_registered_transform_is_covered_above():
    covered = {
        "upper", "lower", "strip", "truncate", "default", "decimal_2dp", "negate",
        "abs", "date_xml", "date_iso", "date", "country_iso2", "country_name",
        "lookup", "bool", "str", "times", "minus", "nonzero", "prefix", "remove",
        "policy",
    }  # fmt: skip
    assert set(REGISTRY) == covered


def test_on_no_match_fail_names_the_map_and_value():
    with pytest.raises(TransformError, match="'channels' has no entry for 'mail'") as e:
        run("mail", "lookup:channels")
    assert e.value.category == "missing_mapping"


def test_on_no_match_skip_omits_the_field():
    assert run("anything", "lookup:optional") is OMIT


@pytest.mark.parametrize("value", ["0", "0.00", "", None])
def test_nonzero_drops_the_line(value):
    assert run(value, "nonzero|decimal_2dp") is DROP_LINE


def test_policy_values_must_be_set():
    with pytest.raises(TransformError, match="sets no clearing_account") as e:
        run(None, "policy:clearing_account")
    assert e.value.category == "missing_mapping"
    with pytest.raises(TransformError, match="no posting policy"):
        apply_chain(None, "policy:revenue_account", SimpleNamespace(policy=None))


@pytest.mark.parametrize(
    ("value", "spec", "message"),
    [
        ("ten", "decimal_2dp", "not a number"),
        ("24/11/2026", "date_iso", "not an ISO date"),
        ("Atlantis", "country_iso2", "unknown country"),
        ("x", "lookup:nope", "no value map named 'nope'"),
        ("x", "truncate:many", "whole number"),
        ("x", "frobnicate", "unknown transform"),
        ("x", "times:2", "not a number"),
        ("2", "times:missing_field", "times: missing_field is empty"),
    ],
)
def test_bad_values_fail_with_a_reason(value, spec, message):
    with pytest.raises(TransformError, match=message):
        run(value, spec)


def test_chains_are_parsed_and_checked():
    assert parse_chain("upper| truncate:20 |") == (("upper", None), ("truncate", "20"))
    assert check_chain("upper|truncate") == [
        "transform 'truncate' needs an argument (truncate:…)"
    ]
    assert check_chain("nope") == ["unknown transform 'nope'"]
    assert check_chain("upper|lookup:x") == []
