"""The mapping engine: one pure function from a normalized record to an Intacct payload.

``map_record(payload, rules, action=…, operation=…)`` returns the header fields, the
line items, a provenance entry for every field it set (which path, which raw value,
which transforms) and the errors and warnings found on the way. The sync engine, the
live preview and the impact preview all call this one function.
"""

import re
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace

from .transforms import OMIT, TransformError, apply_chain

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
ROOT_PREFIX = "$."
MISSING = None


@dataclass
class Provenance:
    target: str
    source_expression: str
    raw_value: object
    transform: str
    value: object
    line_scope: str = ""
    line_index: int | None = None


@dataclass
class Issue:
    target: str
    message: str
    category: str = "validation"
    line_scope: str = ""
    line_index: int | None = None


@dataclass
class MappedPayload:
    action: str
    operation: str
    fields: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)
    provenance: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    mapping_version: int = 0

    @property
    def ok(self):
        return not self.errors

    def body(self):
        """The payload alone: header fields plus each line scope's list."""
        return {**self.fields, **self.lines}

    def to_dict(self):
        return asdict(self)


def resolve_path(data, path, *, root=None):
    """Follow a dotted path (``billing_address.city``, ``lines.0.sku``) or ``$.x``."""
    if path.startswith(ROOT_PREFIX) and root is not None:
        data, path = root, path[len(ROOT_PREFIX) :]
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part, MISSING)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
        if current is MISSING:
            return MISSING
    return current


def evaluate(expression, data, *, root=None):
    """A dotted path's value, or a rendered template (``{order_number}-{channel}``)."""
    expression = (expression or "").strip()
    if not expression:
        return MISSING
    if "{" not in expression:
        return resolve_path(data, expression, root=root)
    missing = []

    def fill(match):
        value = resolve_path(data, match.group(1).strip(), root=root)
        if value in (None, ""):
            missing.append(match.group(1).strip())
            return ""
        return str(value)

    rendered = PLACEHOLDER.sub(fill, expression)
    if missing:
        raise TransformError(f"template is missing {', '.join(missing)}")
    return rendered


def line_items(payload, line_scope):
    """The items a line scope iterates: a list path, or ``$name`` for one line made
    from the record itself (a tax, discount or shipping line of an invoice)."""
    if line_scope.startswith("$"):
        return [payload]
    return resolve_path(payload, line_scope)


def map_record(payload, rules, *, action, operation="create"):
    """Map one normalized record for ``action``; ``operation`` is create or update."""
    result = MappedPayload(
        action=action, operation=operation, mapping_version=rules.version
    )
    ownership = rules.ownership_for(action)
    owned_by_intacct = set(ownership.intacct_owned_fields)
    ctx = SimpleNamespace(value_maps=rules.value_maps)
    field_rules = rules.fields_for(action)
    if not field_rules:
        result.errors.append(
            Issue("", f"no field mappings for {action}", category="missing_mapping")
        )
        return result

    for rule in field_rules:
        if operation == "update" and (
            rule.only_on_create or rule.target_field in owned_by_intacct
        ):
            continue
        if not rule.line_scope:
            _map_field(rule, payload, None, None, ctx, result.fields, result)
            continue
        items = line_items(payload, rule.line_scope)
        if not isinstance(items, list):
            if rule.required:
                result.errors.append(
                    Issue(
                        rule.target_field,
                        f"{rule.line_scope} is not a list",
                        line_scope=rule.line_scope,
                    )
                )
            continue
        lines = result.lines.setdefault(rule.line_scope, [{} for _ in items])
        for index, item in enumerate(items):
            _map_field(rule, item, payload, index, ctx, lines[index], result)
    return result


def _map_field(rule, data, root, index, ctx, target, result):
    """Evaluate one rule against ``data`` and write the value into ``target``."""
    where = {"line_scope": rule.line_scope, "line_index": index}
    raw = MISSING
    try:
        raw = evaluate(rule.source_expression, data, root=root if root else data)
        value = apply_chain(raw, rule.transform, ctx)
    except TransformError as exc:
        result.errors.append(
            Issue(rule.target_field, str(exc), category=exc.category, **where)
        )
        return
    if value is OMIT:
        result.warnings.append(
            Issue(rule.target_field, "left out: value map has no entry", **where)
        )
        return
    if value in (None, ""):
        if rule.required:
            source = rule.source_expression or "(no source)"
            result.errors.append(
                Issue(rule.target_field, f"required, but {source} is empty", **where)
            )
        return
    target[rule.target_field] = value
    result.provenance.append(
        Provenance(
            target=rule.target_field,
            source_expression=rule.source_expression,
            raw_value=raw,
            transform=rule.transform,
            value=value,
            **where,
        )
    )
