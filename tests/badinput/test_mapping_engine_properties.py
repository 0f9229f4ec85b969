"""Property tests over the mapping engine (issue 9, "Proof").

For arbitrary JSON-ish records and arbitrary valid rule sets, ``map_record`` returns
a ``MappedPayload`` (the documented way to report a bad value is an ``Issue`` in
``errors``), never raises, and maps the same input the same way twice. Transforms
either return a value or raise ``TransformError``, the documented error type; money
transforms never hand on ``NaN`` or ``Infinity`` (docs/mappings.md: money at the edge).
"""

import decimal
import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mappings.engine import MappedPayload, evaluate, map_record, resolve_path
from mappings.models import ValueMap
from mappings.rules import FieldRule, MappingRules, Ownership, ValueTable
from mappings.transforms import (
    DROP_LINE,
    OMIT,
    REGISTRY,
    TransformError,
    apply_chain,
    check_chain,
)
from sync.intacct.xmlgw.builder import NOT_XML_CHAR

ACTION = "post_ar_invoice"
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# --- records -------------------------------------------------------------------------

KEYS = ["id", "number", "channel", "lines", "customer", "price", "qty", "name", "1"]
NUMERIC_TEXT = st.sampled_from(
    ["0", "-0", "1e999999", "-1e999999", "9" * 60, "NaN", "sNaN", "Infinity",
     "-Infinity", "1E+1000000", "0.005", "-12.345", "1_000", "²", "٣"]
)  # fmt: skip
TEXT = st.text(max_size=12) | NUMERIC_TEXT | st.sampled_from(["2026-11-20", "US"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda kids: (
        st.lists(kids, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), kids, max_size=4)
    ),
    max_leaves=15,
)
RECORDS = st.dictionaries(st.sampled_from(KEYS), JSON, max_size=6) | JSON

# --- rules ---------------------------------------------------------------------------

PATHS = st.lists(
    st.sampled_from(KEYS) | st.sampled_from(["0", "9", "²", "٣", "$", ""]), max_size=3
).map(".".join)
EXPRESSIONS = st.one_of(
    PATHS,
    PATHS.map(lambda p: "$." + p),
    st.tuples(PATHS, PATHS).map(lambda t: f"{{{t[0]}}}-{{{t[1]}}}"),
    st.lists(PATHS, min_size=2, max_size=3).map(" || ".join),
    st.text(max_size=12),
)
ARGS = st.one_of(
    st.text(max_size=8).filter(lambda a: "|" not in a),
    st.integers(-5, 50).map(str),
    st.sampled_from(["m", "qty", "$.price", "%Y/%m/%d", "%", "revenue_account"]),
)
STEP = st.tuples(st.sampled_from(sorted(REGISTRY)), ARGS).map(
    lambda t: f"{t[0]}:{t[1]}" if REGISTRY[t[0]].needs_arg else t[0]
)
CHAINS = st.lists(STEP, max_size=3).map("|".join).filter(lambda c: not check_chain(c))
TARGETS = st.sampled_from(["customer_id", "amount", "memo", "gl_account", "date"])
FIELD_RULES = st.builds(
    FieldRule,
    action=st.just(ACTION),
    target_field=TARGETS,
    source_expression=EXPRESSIONS,
    transform=CHAINS,
    line_scope=st.sampled_from(["", "", "lines", "$tax", "customer", "nope"]),
    required=st.booleans(),
    only_on_create=st.booleans(),
    order=st.integers(0, 5),
)
VALUE_TABLES = st.builds(
    ValueTable,
    name=st.just("m"),
    entries=st.dictionaries(TEXT, TEXT, max_size=4),
    on_no_match=st.sampled_from(ValueMap.OnNoMatch.values),
    default_value=TEXT,
)
POLICIES = st.lists(
    st.fixed_dictionaries(
        {"channel": st.sampled_from(["", "web", "pos"])},
        optional={"revenue_account": TEXT, "default_dimensions": JSON},
    ),
    max_size=2,
)
RULE_SETS = st.builds(
    lambda fields, tables, policies, owned: MappingRules(
        name="prop",
        version=3,
        fields=tuple(fields),
        value_maps={t.name: t for t in tables},
        ownership={"ar_invoice": Ownership("ar_invoice", intacct_owned_fields=owned)},
        policies=tuple(policies),
    ),
    st.lists(FIELD_RULES, max_size=6),
    st.lists(VALUE_TABLES, max_size=1),
    POLICIES,
    st.lists(TARGETS, max_size=2).map(tuple),
)


def mapped(record, rules, operation):
    return map_record(record, rules, action=ACTION, operation=operation).to_dict()


@SETTINGS
@given(record=RECORDS, rules=RULE_SETS, operation=st.sampled_from(["create", "update"]))
@example(  # a Unicode digit as a list index: int("²") raised ValueError
    record={"lines": [{"price": "1"}]},
    rules=MappingRules(
        name="r", fields=(FieldRule(ACTION, "amount", "lines.²", "", ""),)
    ),
    operation="create",
)
@example(  # Infinity as money: Decimal.quantize raised InvalidOperation
    record={"price": "Infinity"},
    rules=MappingRules(
        name="r", fields=(FieldRule(ACTION, "amount", "price", "decimal_2dp"),)
    ),
    operation="create",
)
@example(  # a product beyond Decimal's exponent range raised decimal.Overflow
    record={"price": "9e999999", "qty": "10"},
    rules=MappingRules(
        name="r", fields=(FieldRule(ACTION, "amount", "price", "times:qty"),)
    ),
    operation="create",
)
@example(  # a vertical tab from a pasted name: XML cannot carry it
    record={"name": "Ann\x0bLee"},
    rules=MappingRules(name="r", fields=(FieldRule(ACTION, "memo", "name"),)),
    operation="create",
)
def test_the_engine_maps_or_reports_issues_and_never_raises(record, rules, operation):
    result = map_record(record, rules, action=ACTION, operation=operation)

    assert isinstance(result, MappedPayload)
    assert result.ok == (not result.errors)
    for issue in result.errors + result.warnings:
        assert isinstance(issue.message, str) and issue.message
    for value in list(result.fields.values()) + [
        v for lines in result.lines.values() for line in lines for v in line.values()
    ]:
        assert value not in (None, "", OMIT, DROP_LINE)
        # Text XML 1.0 cannot carry is an error of its field, never a payload value.
        assert not (isinstance(value, str) and NOT_XML_CHAR.search(value))
    # Deterministic: the same record and rules map the same way again.
    assert mapped(record, rules, operation) == result.to_dict()


@SETTINGS
@given(rules=RULE_SETS)
def test_a_rule_set_survives_export_and_import_unchanged(rules):
    again = MappingRules.from_dict(rules.to_dict(), version=rules.version)

    assert again.to_dict() == rules.to_dict()
    assert again.fields_for(ACTION) == rules.fields_for(ACTION)


@SETTINGS
@given(data=RECORDS, path=PATHS | st.text(max_size=10))
@example(data={"lines": ["a"]}, path="lines.٣")
def test_paths_and_templates_resolve_or_raise_transform_error(data, path):
    resolve_path(data, path, root=data)
    try:
        evaluate(f"{{{path}}}|| {path}", data, root=data)
    except TransformError as exc:
        assert "template is missing" in str(exc)


# --- transforms ----------------------------------------------------------------------

MONEY = ["decimal_2dp", "negate", "abs", "times:2", "minus:1", "nonzero"]
VALUES = st.one_of(
    SCALARS,
    NUMERIC_TEXT,
    st.floats(),  # NaN and ±inf: Python's json module reads them
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.integers().map(lambda n: n * 10**400),
)


class Ctx:
    value_maps = {"m": ValueTable("m", {"a": "A"}, ValueMap.OnNoMatch.KEEP)}
    policy = {"channel": "", "revenue_account": "4000"}

    @staticmethod
    def resolve(path):
        return {"qty": "3", "big": "1e999999"}.get(path)


@SETTINGS
@given(value=VALUES, chain=CHAINS)
@example(value=float("inf"), chain="decimal_2dp")
@example(value="sNaN", chain="nonzero")
@example(value="1e999999", chain="times:big")
@example(value="2026-01-01", chain="date:%Y\x00")
def test_every_transform_returns_or_raises_transform_error(value, chain):
    try:
        out = apply_chain(value, chain, Ctx())
    except TransformError as exc:
        assert str(exc)
        return
    assert repr(apply_chain(value, chain, Ctx())) == repr(out)  # deterministic


def is_finite_number(text):
    try:
        return decimal.Decimal(text).is_finite()
    except decimal.InvalidOperation:
        return False


@SETTINGS
@given(value=VALUES, transform=st.sampled_from(MONEY))
@example(value=float("nan"), transform="decimal_2dp")
@example(value="NaN", transform="negate")
@example(value="-Infinity", transform="abs")
def test_money_transforms_never_pass_on_nan_or_infinity(value, transform):
    try:
        out = apply_chain(value, transform, Ctx())
    except TransformError:
        return
    if out in (None, "") or out is DROP_LINE:
        return
    if transform == "nonzero":
        out = str(out)
    assert is_finite_number(out), out


@SETTINGS
@given(amount=st.decimals(min_value=-(10**15), max_value=10**15, places=3))
def test_decimal_2dp_rounds_half_up_to_cents(amount):
    out = apply_chain(str(amount), "decimal_2dp", Ctx())

    expected = amount.quantize(decimal.Decimal("0.01"), decimal.ROUND_HALF_UP)
    assert decimal.Decimal(out) == expected
    assert out == f"{expected:.2f}"


def test_amounts_beyond_decimal_precision_are_refused_not_crashed():
    with pytest.raises(TransformError, match="out of range"):
        apply_chain("9" * 27 + ".995", "decimal_2dp", Ctx())


@SETTINGS
@given(text=st.text(alphabet=st.characters(codec="utf-8")), n=st.integers(0, 40))
def test_text_transforms_keep_every_code_point(text, n):
    assert apply_chain(text, "str", Ctx()) == text
    assert apply_chain(text, f"truncate:{n}", Ctx()) == text[:n]
    assert apply_chain(text, "prefix:«", Ctx()) == "«" + text if text else True
    assert apply_chain(text, "strip", Ctx()) == text.strip()
    assert apply_chain(text, "lookup:m", Ctx()) == ("A" if text == "a" else text)


def test_nan_and_infinity_are_named_in_the_money_error():
    for value in ("NaN", float("nan"), "Infinity", float("-inf"), math.inf):
        try:
            apply_chain(value, "decimal_2dp", Ctx())
        except TransformError as exc:
            assert "not a number" in str(exc)
        else:
            raise AssertionError(f"{value!r} was accepted as money")


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x0b", "\x1f", "\ufffe", "\ud800"])
def test_text_xml_cannot_carry_is_a_field_error_naming_the_character(bad):
    rules = MappingRules(name="r", fields=(FieldRule(ACTION, "memo", "name"),))

    result = map_record({"name": f"A{bad}B"}, rules, action=ACTION)

    assert "memo" not in result.fields
    [issue] = result.errors
    assert issue.target == "memo"
    assert f"U+{ord(bad):04X} at position 1" in issue.message


def test_tab_newline_and_every_plane_pass_through_unchanged():
    text = "a\tb\nc\rd ﷽ 𝄞 𠀀 𰀀 \U000e0041 \U000ffffd \U0010fffd \ufffd"
    rules = MappingRules(name="r", fields=(FieldRule(ACTION, "memo", "name"),))

    result = map_record({"name": text}, rules, action=ACTION)

    assert result.ok and result.fields["memo"] == text
