"""Writes: importing a mapping set from an export, so a set built against the sandbox
can be promoted to production as-is."""

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import (
    FieldMapping,
    MappingSet,
    OwnershipRule,
    PostingPolicy,
    ValueMap,
    ValueMapEntry,
)
from .rules import MappingRules
from .selectors import mapping_rules

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"
DEFAULT_SET_FILE = DEFAULTS_DIR / "shopify.json"


def mapping_set_export(*, mapping_set):
    """The whole set as a JSON-ready dict."""
    return mapping_rules(mapping_set).to_dict()


def import_problems(rules):
    """What is wrong with an export's field rules, one sentence each."""
    from .catalog import rule_problems

    names = set(rules.value_maps)
    return [
        f"{rule.action}.{rule.line_scope + '[].' if rule.line_scope else ''}"
        f"{rule.target_field}: {problem}"
        for rule in rules.fields
        for problem in rule_problems(
            action=rule.action,
            target_field=rule.target_field,
            line_scope=rule.line_scope,
            transform=rule.transform,
            value_map_names=names,
        )
    ]


@transaction.atomic
def mapping_set_import(*, data, name, description=None):
    """Create a new mapping set called ``name`` from an export; refuse broken input."""
    if MappingSet.objects.filter(name=name).exists():
        raise ValueError(f"a mapping set named {name!r} already exists")
    rules = MappingRules.from_dict(data)
    problems = import_problems(rules)
    if problems:
        raise ValueError("; ".join(problems))
    mapping_set = _create(
        MappingSet,
        name=name,
        description=description
        if description is not None
        else f"Imported from {rules.name!r}.",
    )
    for rule in rules.fields:
        _create(FieldMapping, mapping_set=mapping_set, **asdict(rule))
    for table in rules.value_maps.values():
        value_map = _create(
            ValueMap,
            mapping_set=mapping_set,
            name=table.name,
            on_no_match=table.on_no_match,
            default_value=table.default_value,
        )
        for source, target in table.entries.items():
            _create(
                ValueMapEntry,
                value_map=value_map,
                source_value=source,
                target_value=target,
            )
    for rule in rules.ownership.values():
        _create(
            OwnershipRule,
            mapping_set=mapping_set,
            object_type=rule.object_type,
            master=rule.master,
            hub_may=rule.hub_may,
            identity_order=list(rule.identity_order),
            intacct_owned_fields=list(rule.intacct_owned_fields),
        )
    for policy in rules.policies:
        fields = dict(policy)
        if fields.get("cutover_date"):
            fields["cutover_date"] = dt.date.fromisoformat(fields["cutover_date"])
        _create(PostingPolicy, mapping_set=mapping_set, **fields)
    return mapping_set


def _create(model, **fields):
    """Validate like the admin does, then save: an export edited by hand (a negative
    order, a name too long, an unknown choice) is refused with the model's own words
    instead of failing in the database."""
    instance = model(**fields)
    try:
        instance.full_clean()
    except ValidationError as exc:
        what = model._meta.verbose_name
        raise ValueError(f"{what}: {'; '.join(exc.messages)}") from None
    instance.save()
    return instance


def default_set_data():
    """The shipped default mapping set for Shopify-shaped data, as an export."""
    return json.loads(DEFAULT_SET_FILE.read_text())


def mapping_set_ensure_default(*, name=None):
    """The default mapping set, created from the shipped file the first time.

    Idempotent: an existing set of that name is returned untouched, so ops' edits
    to it survive every deploy. Returns ``(mapping_set, created)``.
    """
    data = default_set_data()
    name = name or data["name"]
    existing = MappingSet.objects.filter(name=name).first()
    if existing is not None:
        return existing, False
    mapping_set = mapping_set_import(
        data=data,
        name=name,
        description="Shipped defaults for Shopify-shaped data, posting into the "
        "sandbox's demo company (accounts 1100/1250/2100/4000/4010/4900/4950).",
    )
    return mapping_set, True
