"""Which target fields an action accepts, asked of whoever knows.

The mappings app may not import ``sync`` (which knows the Intacct client's records
and reads Intacct's field catalog), so ``sync`` registers a provider here when it
starts (``SyncConfig.ready``). Without one, only transforms and value maps are
checked.

A provider has two methods:

- ``target_fields(action)``: every target the action accepts (``customer_id``,
  ``address.city``, ``lines[].gl_account``, ``custom_fields``), or None when the
  action has no record type;
- ``custom_field_names(action, mapping_set)``: the Intacct field names a
  ``custom_fields.X`` target may use for the connections of ``mapping_set``, or None
  when no catalog could be read (then custom fields are not checked).
"""

from .models import ObjectType
from .rules import OBJECT_OF_ACTION
from .transforms import check_chain, parse_chain

LINE_PREFIX = "lines[]."
CUSTOM_PREFIX = "custom_fields."

_providers = []


def register_provider(provider):
    """Use ``provider`` for target-field checks (the last one registered wins)."""
    if provider not in _providers:
        _providers.append(provider)


def unregister_provider(provider):
    if provider in _providers:
        _providers.remove(provider)


def provider():
    return _providers[-1] if _providers else None


def object_label(action):
    object_type = OBJECT_OF_ACTION.get(action)
    return ObjectType(object_type).label if object_type else action


def rule_problems(
    *,
    action,
    target_field,
    line_scope="",
    transform="",
    value_map_names=(),
    mapping_set=None,
):
    """Everything wrong with one field rule, as sentences naming field and object."""
    problems = list(check_chain(transform))
    for name, arg in parse_chain(transform):
        if name == "lookup" and arg and arg not in value_map_names:
            problems.append(f"lookup:{arg} names no value map of this mapping set")
    problems += target_problems(
        action=action,
        target_field=target_field,
        line_scope=line_scope,
        mapping_set=mapping_set,
    )
    return problems


def target_problems(*, action, target_field, line_scope="", mapping_set=None):
    """Is ``target_field`` a field of the action's Intacct record?"""
    source = provider()
    target = (target_field or "").strip()
    if source is None or not target:
        return []
    known = source.target_fields(action)
    if known is None:
        return [f"{action} takes no field mappings"]
    label = object_label(action)
    if line_scope:
        if f"{LINE_PREFIX}{target}" not in known:
            return [f"unknown field {target!r} for {label} lines ({action})"]
        return []
    if target.startswith(CUSTOM_PREFIX) and "custom_fields" in known:
        return _custom_field_problems(source, action, target, label, mapping_set)
    if target not in known:
        return [f"unknown field {target!r} for {label} ({action})"]
    return []


def _custom_field_problems(source, action, target, label, mapping_set):
    name = target[len(CUSTOM_PREFIX) :]
    if not name or "." in name:
        return [f"unknown field {target!r} for {label} ({action})"]
    if mapping_set is None:
        return []
    names = source.custom_field_names(action, mapping_set)
    if names is None:
        return []
    if name.upper() not in {n.upper() for n in names}:
        return [
            f"unknown custom field {name!r} for {label} ({action}): Intacct's field "
            "catalog has no such field"
        ]
    return []
