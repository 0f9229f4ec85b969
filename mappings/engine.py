"""The mapping engine: one pure function from a normalized record to an Intacct payload.

``map_record(payload, rules, action=…, operation=…)`` returns the header fields, the
line items, a provenance entry for every field it set (which path, which raw value,
which transforms) and the errors and warnings found on the way. A text value holding
a character XML 1.0 cannot carry (a C0 control other than tab, LF and CR, a lone
surrogate, U+FFFE/U+FFFF) is an error of its field, never stripped silently. The
sync engine, the live preview and the impact preview all call this one function.
"""

import re
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace

from sync.intacct.xmlgw.builder import xml_text_problem

from .transforms import DROP_LINE, OMIT, TransformError, apply_chain

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
ROOT_PREFIX = "$."
ALTERNATIVES = "||"
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
        elif isinstance(current, list) and _is_index(part) and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
        if current is MISSING:
            return MISSING
    return current


def _is_index(part):
    # ASCII digits only: "²".isdigit() is true, but int("²") raises.
    return part.isascii() and part.isdigit()


def evaluate(expression, data, *, root=None):
    """A dotted path's value, or a rendered template (``{order_number}-{channel}``).

    ``a || b || c`` takes the first alternative that is not empty, so a name can fall
    back to a company or an email: ``{first_name} {last_name} || company || email``.
    """
    expression = (expression or "").strip()
    if ALTERNATIVES in expression:
        error = None
        for alternative in expression.split(ALTERNATIVES):
            try:
                value = _evaluate_one(alternative.strip(), data, root=root)
            except TransformError as exc:
                error = exc
                continue
            if value not in (None, ""):
                return value
        if error is not None:
            raise error
        return MISSING
    return _evaluate_one(expression, data, root=root)


def _evaluate_one(expression, data, *, root=None):
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


def record_channel(payload):
    """The sales channel a record belongs to: its own, or its order's (refunds)."""
    if not isinstance(payload, dict):
        return ""
    order = payload.get("order")
    channel = payload.get("channel") or (
        order.get("channel") if isinstance(order, dict) else ""
    )
    return str(channel or "")


def map_record(payload, rules, *, action, operation="create", channel=None, trace=True):
    """Map one normalized record for ``action``; ``operation`` is create or update.

    ``channel`` picks the posting policy that ``policy:…`` transforms read; by
    default it is the record's own ``channel`` (or its embedded order's).
    ``trace=False`` leaves out the provenance of each value (where it came from),
    which only pages show: the planner maps every record and never reads it.
    """
    result = MappedPayload(
        action=action, operation=operation, mapping_version=rules.version
    )
    ownership = rules.ownership_for(action)
    owned_by_intacct = set(ownership.intacct_owned_fields)
    if channel is None:
        channel = record_channel(payload)
    ctx = SimpleNamespace(
        value_maps=rules.value_maps,
        policy=rules.policy_for(channel),
        resolve=None,
        trace=trace,
    )
    dropped = set()
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
            if (rule.line_scope, index) in dropped:
                continue
            kept = _map_field(rule, item, payload, index, ctx, lines[index], result)
            if kept is DROP_LINE:
                dropped.add((rule.line_scope, index))
    if dropped:
        _drop_lines(result, dropped)
    return result


def _drop_lines(result, dropped):
    """Take out lines a ``nonzero`` rule refused, and renumber what remains."""
    renumber = {}
    for scope, lines in list(result.lines.items()):
        kept = [i for i in range(len(lines)) if (scope, i) not in dropped]
        renumber.update({(scope, old): new for new, old in enumerate(kept)})
        result.lines[scope] = [lines[i] for i in kept]
        if not result.lines[scope]:
            del result.lines[scope]

    def keep(entries):
        out = []
        for entry in entries:
            if entry.line_index is None or not entry.line_scope:
                out.append(entry)
            elif (entry.line_scope, entry.line_index) in renumber:
                entry.line_index = renumber[(entry.line_scope, entry.line_index)]
                out.append(entry)
        return out

    result.provenance = keep(result.provenance)
    result.errors = keep(result.errors)
    result.warnings = keep(result.warnings)


def _map_field(rule, data, root, index, ctx, target, result):
    """Evaluate one rule against ``data`` and write the value into ``target``."""
    where = {"line_scope": rule.line_scope, "line_index": index}
    raw = MISSING
    root = root if root else data
    ctx.resolve = lambda path: resolve_path(data, path, root=root)
    try:
        raw = evaluate(rule.source_expression, data, root=root)
        value = apply_chain(raw, rule.transform, ctx)
    except TransformError as exc:
        result.errors.append(
            Issue(rule.target_field, str(exc), category=exc.category, **where)
        )
        return None
    if value is DROP_LINE:
        return DROP_LINE
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
    problem = xml_text_problem(value) if isinstance(value, str) else ""
    if problem:
        # Refused per record here, not stripped: Intacct's XML API cannot carry it
        # and a read-back over either API must equal what was sent.
        result.errors.append(
            Issue(
                rule.target_field,
                f"holds {problem}, a control character Intacct cannot store",
                **where,
            )
        )
        return
    target[rule.target_field] = value
    if not ctx.trace:
        return
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
