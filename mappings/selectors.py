"""Reads: a mapping set from the database as an immutable ``MappingRules``."""

from django.forms.models import model_to_dict

from .models import MappingSet, PostingPolicy
from .rules import FieldRule, MappingRules, Ownership, ValueTable

POLICY_FIELDS = [
    f.name
    for f in PostingPolicy._meta.concrete_fields
    if f.name not in ("id", "mapping_set")
]


def mapping_rules(mapping_set):
    """Load every active rule of ``mapping_set`` (a MappingSet or its id) at once."""
    if not isinstance(mapping_set, MappingSet):
        mapping_set = MappingSet.objects.get(pk=mapping_set)
    fields = tuple(
        FieldRule(
            action=f.action,
            target_field=f.target_field,
            source_expression=f.source_expression,
            transform=f.transform,
            line_scope=f.line_scope,
            required=f.required,
            only_on_create=f.only_on_create,
            order=f.order,
        )
        for f in mapping_set.field_mappings.filter(active=True)
    )
    value_maps = {
        vm.name: ValueTable(
            name=vm.name,
            entries={e.source_value: e.target_value for e in vm.entries.all()},
            on_no_match=vm.on_no_match,
            default_value=vm.default_value,
        )
        for vm in mapping_set.value_maps.prefetch_related("entries")
    }
    ownership = _ownership(mapping_set)
    policies = tuple(
        _policy_dict(policy) for policy in mapping_set.posting_policies.all()
    )
    return MappingRules(
        name=mapping_set.name,
        version=mapping_set.version,
        fields=fields,
        value_maps=value_maps,
        ownership=ownership,
        policies=policies,
    )


def ownership_rules(mapping_set):
    """Only the ownership rules of ``mapping_set``, in one query: all the executor
    reads (``ownership_for``). Loading every rule, five queries, on each of its
    passes cost a tenth of its CPU (issue 7 bench)."""
    return MappingRules(
        name=mapping_set.name,
        version=mapping_set.version,
        ownership=_ownership(mapping_set),
    )


def _ownership(mapping_set):
    return {
        rule.object_type: Ownership(
            object_type=rule.object_type,
            master=rule.master,
            hub_may=rule.hub_may,
            identity_order=tuple(rule.identity_order or ()),
            intacct_owned_fields=tuple(rule.intacct_owned_fields or ()),
        )
        for rule in mapping_set.ownership_rules.all()
    }


def _policy_dict(policy):
    data = model_to_dict(policy, fields=POLICY_FIELDS)
    if data.get("cutover_date"):
        data["cutover_date"] = data["cutover_date"].isoformat()
    return data
