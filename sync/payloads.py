"""From a mapped payload (the mapping engine's output) to the client's typed records.

Mapping targets use the client's vocabulary — ``customer_id``, ``address.city``,
``dimensions.location``, ``custom_fields.REGION`` — because one name then serves both
Intacct APIs; the object modules translate to XML and REST field names. Every line
scope of the payload (``lines``, ``shipping_lines``, ``$tax`` …) becomes lines of the
record, in scope order.
"""

import dataclasses
import datetime as dt
import functools
import types
import typing
from decimal import Decimal, InvalidOperation

from mappings.models import Action

from .intacct import (
    ARInvoice,
    CreditMemo,
    Customer,
    InventoryAdjustment,
    Item,
    JournalEntry,
    SalesOrder,
)

RECORD_OF_ACTION = {
    Action.UPSERT_CUSTOMER: Customer,
    Action.UPSERT_ITEM: Item,
    Action.POST_SALES_ORDER: SalesOrder,
    Action.POST_AR_INVOICE: ARInvoice,
    Action.POST_CREDIT_MEMO: CreditMemo,
    Action.POST_INVENTORY_ADJUSTMENT: InventoryAdjustment,
    Action.POST_GL_SUMMARY: JournalEntry,
}


def client_action(action):
    """The client's name for a hub action (the summary is a journal entry)."""
    return "post_journal_entry" if action == Action.POST_GL_SUMMARY else str(action)


class PayloadError(ValueError):
    """The payload does not fit the action's record; the message names the field."""


def target_fields(action):
    """Every mapping target an action accepts (header and line), for validation."""
    record = RECORD_OF_ACTION[action]
    names, hints = [], typing.get_type_hints(record)
    for f in dataclasses.fields(record):
        inner = _dataclass_in(hints[f.name])
        if f.name == "lines" and inner:
            names += [f"lines[].{n}" for n in _flat_names(inner)]
        elif inner:
            names += [f"{f.name}.{n}" for n in _flat_names(inner)]
        else:
            names.append(f.name)
    return names


def _flat_names(record):
    hints = typing.get_type_hints(record)
    names = []
    for f in dataclasses.fields(record):
        inner = _dataclass_in(hints[f.name])
        names += [f"{f.name}.{n}" for n in _flat_names(inner)] if inner else [f.name]
    return names


def build_record(action, body):
    """The client's typed record for ``action`` from a mapped body."""
    record = RECORD_OF_ACTION.get(action)
    if record is None:
        raise PayloadError(f"no record type for action {action!r}")
    header = {k: v for k, v in body.items() if not _is_line_scope(k, v)}
    lines = [line for k, v in body.items() if _is_line_scope(k, v) for line in v]
    if "lines" in {f.name for f in dataclasses.fields(record)}:
        header["lines"] = lines
    elif lines:
        raise PayloadError(f"{action} takes no lines")
    return _build(record, _nest(header), path=action)


def _is_line_scope(key, value):
    return isinstance(value, list) and (key.startswith("$") or key.endswith("lines"))


def _nest(flat):
    """``{"address.city": "X"}`` → ``{"address": {"city": "X"}}``."""
    nested = {}
    for key, value in flat.items():
        node, *rest = key.split(".")
        target = nested
        while rest:
            target = target.setdefault(node, {})
            if not isinstance(target, dict):
                raise PayloadError(f"{key}: {node} is not a group of fields")
            node, *rest = rest
        target[node] = value
    return nested


@functools.cache
def _shape(record):
    """Type hints and fields of a record class (resolving hints is slow: once)."""
    fields = {f.name: f for f in dataclasses.fields(record)}
    return typing.get_type_hints(record), fields


def _build(record, data, *, path):
    hints, known = _shape(record)
    unknown = sorted(set(data) - set(known) - {"custom_fields"})
    if unknown:
        raise PayloadError(f"{path}: unknown field {unknown[0]!r}")
    values = {}
    for name, value in data.items():
        if name == "custom_fields":
            values[name] = {str(k): str(v) for k, v in dict(value).items()}
            continue
        values[name] = _convert(value, hints[name], path=f"{path}.{name}")
    missing = [
        f.name
        for f in known.values()
        if f.name not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise PayloadError(f"{path}: required field {missing[0]!r} is not mapped")
    return record(**values)


def _convert(value, hint, *, path):
    if value is None:
        return None
    is_tuple, inner, base = _reading(hint)
    if is_tuple:
        if not isinstance(value, list | tuple):
            raise PayloadError(f"{path}: expected a list")
        return tuple(
            _build(inner, _nest(item), path=f"{path}[{i}]")
            for i, item in enumerate(value)
        )
    if inner:
        if not isinstance(value, dict):
            raise PayloadError(f"{path}: expected a group of fields")
        if inner.__name__ == "Dimensions" and "class" in value:
            # "class" is a Python keyword, so the record's field is class_.
            value = {("class_" if k == "class" else k): v for k, v in value.items()}
        return _build(inner, value, path=path)
    try:
        if base is Decimal:
            return Decimal(str(value))
        if base is dt.date:
            return (
                value
                if isinstance(value, dt.date)
                else dt.date.fromisoformat(str(value)[:10])
            )
        if base is bool:
            return value if isinstance(value, bool) else str(value).lower() == "true"
    except (InvalidOperation, ValueError):
        raise PayloadError(
            f"{path}: {value!r} is not a valid {base.__name__}"
        ) from None
    return str(value) if base is str else value


@functools.cache
def _reading(hint):
    """How a value for ``hint`` is read: (a tuple of records?, the record class
    within, the plain type). Type introspection is slow, and each record's fields
    repeat the same few hints (issue 7 bench)."""
    return _is_tuple(hint), _dataclass_in(hint), _plain_type(hint)


def _args(hint):
    return [a for a in typing.get_args(hint) if a is not type(None)]


def _plain_type(hint):
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = _args(hint)
        return args[0] if len(args) == 1 else str
    return hint


def _is_tuple(hint):
    return typing.get_origin(hint) is tuple


def _dataclass_in(hint):
    if _is_tuple(hint):
        hint = typing.get_args(hint)[0]
    hint = _plain_type(hint)
    return hint if dataclasses.is_dataclass(hint) else None
