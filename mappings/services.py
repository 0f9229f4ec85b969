"""Writes: importing a mapping set from an export, so a set built against the sandbox
can be promoted to production as-is."""

import datetime as dt
from dataclasses import asdict

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
from .transforms import check_chain


def mapping_set_export(*, mapping_set):
    """The whole set as a JSON-ready dict."""
    return mapping_rules(mapping_set).to_dict()


@transaction.atomic
def mapping_set_import(*, data, name):
    """Create a new mapping set called ``name`` from an export; refuse broken input."""
    rules = MappingRules.from_dict(data)
    problems = [
        f"{rule.action}.{rule.target_field}: {problem}"
        for rule in rules.fields
        for problem in check_chain(rule.transform)
    ]
    if problems:
        raise ValueError("; ".join(problems))
    mapping_set = MappingSet.objects.create(
        name=name, description=f"Imported from {rules.name!r}."
    )
    for rule in rules.fields:
        FieldMapping.objects.create(mapping_set=mapping_set, **asdict(rule))
    for table in rules.value_maps.values():
        value_map = ValueMap.objects.create(
            mapping_set=mapping_set,
            name=table.name,
            on_no_match=table.on_no_match,
            default_value=table.default_value,
        )
        ValueMapEntry.objects.bulk_create(
            ValueMapEntry(value_map=value_map, source_value=k, target_value=v)
            for k, v in table.entries.items()
        )
    for rule in rules.ownership.values():
        OwnershipRule.objects.create(
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
        PostingPolicy.objects.create(mapping_set=mapping_set, **fields)
    return mapping_set
