"""The normalized schema (commerce/schemas/v1) and the checks JSON Schema cannot say.

A record is valid when it matches its kind's JSON Schema *and* passes the semantic
checks below: a known ISO 4217 currency, and totals that add up to the cent.
"""

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import jsonschema_rs
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from .currencies import is_known_currency

SCHEMA_VERSION = 1
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas" / "v1"
KINDS = ("customer", "order", "refund", "product", "inventory_adjustment")


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: a dotted/indexed path and a sentence."""

    field: str
    message: str

    def as_dict(self):
        return {"field": self.field, "message": self.message}


class RecordInvalid(Exception):
    """A record does not fit the normalized schema; carries every FieldError."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))


def load_schema(name):
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text())


@cache
def registry():
    resources = []
    for path in SCHEMA_DIR.glob("*.json"):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def inline(node, common):
    """The schema with every reference into common.json replaced by its target.

    The same meaning, but resolving $refs on every validation costs about half the
    time of the ingest API's hot path, and the schemas have no recursion to need them.
    """
    if isinstance(node, list):
        return [inline(item, common) for item in node]
    if not isinstance(node, dict):
        return node
    target = node.get("$ref", "")
    if target.startswith(("common.json#/$defs/", "#/$defs/")) and len(node) == 1:
        return inline(common[target.rsplit("/", 1)[1]], common)
    return {key: inline(value, common) for key, value in node.items()}


@cache
def fast_validator(name):
    """The same schema compiled by jsonschema-rs: it answers "valid?" in about a
    hundredth of the time, so only an invalid record pays for the detailed, ordered
    errors of the reference implementation below. Patterns are written so that
    Python's and Rust's regex engines agree on them (an explicit control-character
    class instead of relying on what each calls whitespace)."""
    resources = [
        (schema["$id"], schema)
        for schema in (json.loads(p.read_text()) for p in SCHEMA_DIR.glob("*.json"))
    ]
    common = load_schema("common")["$defs"]
    return jsonschema_rs.validator_for(
        inline(load_schema(name), common), registry=jsonschema_rs.Registry(resources)
    )


@cache
def validator(name):
    common = load_schema("common")["$defs"]
    schema = inline(load_schema(name), common)
    return Draft202012Validator(schema, registry=registry())


def path_of(error):
    parts = []
    for part in error.absolute_path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(f".{part}" if parts else str(part))
    return "".join(parts) or "(record)"


def field_of(error):
    field = path_of(error)
    if error.validator == "required":
        # Name the missing field itself, not its parent.
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return missing if field == "(record)" else f"{field}.{missing}"
    return field


def schema_errors(name, data):
    """JSON Schema errors, one per field, shallowest first."""
    if fast_validator(name).is_valid(data):
        return []
    errors = sorted(validator(name).iter_errors(data), key=lambda e: list(e.path))
    seen, result = set(), []
    for error in errors:
        for item in expand(error):
            if item.field not in seen:
                seen.add(item.field)
                result.append(item)
    return result


def expand(error):
    """FieldErrors for one schema error; an unexpected field is named itself."""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        base = path_of(error)
        known = set(error.schema.get("properties", {}))
        return [
            FieldError(name if base == "(record)" else f"{base}.{name}", UNKNOWN)
            for name in sorted(set(error.instance) - known)
        ]
    return [FieldError(field_of(error), short_message(error))]


UNKNOWN = "is not a field of the schema"


def short_message(error):
    # oneOf failures list every branch; say what was wanted instead.
    if error.validator == "required":
        return "is required"
    if error.validator in ("oneOf", "anyOf"):
        return f"{str(error.instance)[:80]!r} is not valid here"
    message = error.message
    return message if len(message) <= 300 else message[:297] + "..."


def record_errors(kind, data, *, tombstone=False):
    """Every problem with ``data`` as a normalized ``kind`` record (empty: valid)."""
    if kind not in KINDS:
        return [FieldError("kind", f"must be one of {', '.join(KINDS)}")]
    name = "tombstone" if tombstone else kind
    errors = schema_errors(name, data)
    if errors or tombstone:
        return errors
    return SEMANTIC_CHECKS.get(kind, lambda data: [])(data)


def validate_record(kind, data, *, tombstone=False):
    """Raise RecordInvalid unless ``data`` is a valid normalized record."""
    errors = record_errors(kind, data, tombstone=tombstone)
    if errors:
        raise RecordInvalid(errors)


# --- Semantic checks (run only on schema-valid data, so the shapes are known) ------


def currency_errors(data, field="currency"):
    code = data.get(field)
    if code is not None and not is_known_currency(code):
        return [FieldError(field, f"{code!r} is not an ISO 4217 currency code")]
    return []


def total(values):
    return sum((Decimal(v) for v in values), Decimal(0))


def mismatch(field, stated, computed, how):
    if Decimal(stated) == computed:
        return []
    return [FieldError(field, f"is {stated} but {how} gives {computed}")]


def order_errors(data):
    errors = currency_errors(data)
    lines, shipping = data["lines"], data["shipping_lines"]
    for i, line in enumerate(lines):
        gross = line["quantity"] * Decimal(line["unit_price"])
        if Decimal(line["discount"]) > gross:
            errors.append(
                FieldError(f"lines[{i}].discount", "is more than quantity × price")
            )
    subtotal = total(
        line["quantity"] * Decimal(line["unit_price"]) - Decimal(line["discount"])
        for line in lines
    )
    shipping_total = total(
        Decimal(s["price"]) - Decimal(s["discount"]) for s in shipping
    )
    tax = total(t["amount"] for item in [*lines, *shipping] for t in item["tax_lines"])
    discounts = total(item["discount"] for item in [*lines, *shipping])
    errors += mismatch(
        "subtotal_price",
        data["subtotal_price"],
        subtotal,
        "lines (qty × price − discount)",
    )
    errors += mismatch(
        "total_shipping", data["total_shipping"], shipping_total, "shipping lines"
    )
    errors += mismatch("total_tax", data["total_tax"], tax, "the tax lines")
    errors += mismatch(
        "total_discounts",
        data["total_discounts"],
        discounts,
        "line and shipping discounts",
    )
    expected = (
        Decimal(data["subtotal_price"])
        + Decimal(data["total_shipping"])
        + Decimal(data.get("total_tip", "0"))
        + (Decimal(0) if data["taxes_included"] else Decimal(data["total_tax"]))
    )
    errors += mismatch(
        "total_price", data["total_price"], expected, "subtotal + shipping + tip + tax"
    )
    return errors


def refund_errors(data):
    errors = currency_errors(data)
    lines, shipping = data["lines"], data["shipping"]
    subtotal = total(line["subtotal"] for line in lines)
    tax = total(line["tax"] for line in lines) + Decimal(shipping["tax"])
    errors += mismatch("subtotal", data["subtotal"], subtotal, "the lines")
    errors += mismatch("total_tax", data["total_tax"], tax, "line and shipping tax")
    expected = (
        Decimal(data["subtotal"])
        + Decimal(data["total_tax"])
        + Decimal(shipping["amount"])
        + Decimal(data["adjustment"])
    )
    errors += mismatch(
        "total", data["total"], expected, "subtotal + tax + shipping + adjustment"
    )
    return errors


def inventory_errors(data):
    if data["delta"] is None and data.get("available") is None:
        return [FieldError("delta", "delta or available must be set")]
    return []


SEMANTIC_CHECKS = {
    "customer": currency_errors,
    "product": currency_errors,
    "order": order_errors,
    "refund": refund_errors,
    "inventory_adjustment": inventory_errors,
}
