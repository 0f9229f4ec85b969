"""A change not yet saved, as rules: what the previews compare with the saved set.

The admin's change forms post their unsaved data (the FieldMapping form, or a
MappingSet form with its inline field mappings) to the preview page; this module
parses that data with the admin's own forms, without saving anything, and returns
the saved rules and the proposed rules side by side.
"""

from dataclasses import dataclass, field, replace

from django.contrib import admin

from .models import FieldMapping, MappingSet
from .rules import FieldRule
from .selectors import mapping_rules

SOURCES = ("fieldmapping", "mappingset")


@dataclass
class Proposal:
    mapping_set: MappingSet
    saved: object  # MappingRules
    proposed: object  # MappingRules
    actions: list = field(default_factory=list)  # actions the change touches
    errors: list = field(default_factory=list)  # the form's own validation errors


def rule_of(mapping):
    return FieldRule(
        action=mapping.action,
        target_field=mapping.target_field,
        source_expression=mapping.source_expression,
        transform=mapping.transform,
        line_scope=mapping.line_scope,
        required=mapping.required,
        only_on_create=mapping.only_on_create,
        order=mapping.order,
    )


def proposed_rules(mapping_set, *, replaced=None, removed=(), added=()):
    """The saved rules with some field mappings replaced, removed or added.

    ``replaced`` maps a FieldMapping pk to its unsaved instance.
    """
    replaced = replaced or {}
    saved = mapping_rules(mapping_set)
    rows = []
    for mapping in mapping_set.field_mappings.all():
        if mapping.pk in removed:
            continue
        mapping = replaced.get(mapping.pk, mapping)
        if mapping.active:
            rows.append(rule_of(mapping))
    rows += [rule_of(m) for m in added if m.active]
    return saved, replace(saved, fields=tuple(rows))


def proposal_from_post(request, source, object_id=None):
    """Parse an admin change form's POST (``source`` = fieldmapping|mappingset)."""
    if source == "fieldmapping":
        return _from_fieldmapping(request, object_id)
    if source == "mappingset":
        return _from_mappingset(request, object_id)
    raise ValueError(f"no preview for {source!r}")


def _from_fieldmapping(request, object_id):
    model_admin = admin.site._registry[FieldMapping]
    obj = FieldMapping.objects.filter(pk=object_id).first() if object_id else None
    form = model_admin.get_form(request, obj, change=obj is not None)(
        request.POST, instance=obj
    )
    valid = form.is_valid()
    mapping = form.instance
    mapping_set = (
        form.cleaned_data.get("mapping_set") if hasattr(form, "cleaned_data") else None
    ) or (obj.mapping_set if obj else None)
    if mapping_set is None:
        return None
    if valid:
        mapping = form.save(commit=False)
    if obj is not None:
        saved, proposed = proposed_rules(mapping_set, replaced={obj.pk: mapping})
    else:
        saved, proposed = proposed_rules(mapping_set, added=[mapping])
    actions = sorted({mapping.action} | ({obj.action} if obj else set()))
    return Proposal(mapping_set, saved, proposed, actions, _errors(form))


def _from_mappingset(request, object_id):
    mapping_set = MappingSet.objects.filter(pk=object_id).first()
    if mapping_set is None:
        return None
    model_admin = admin.site._registry[MappingSet]
    replaced, removed, added, errors, actions = {}, set(), [], [], set()
    for formset, _inline in model_admin.get_formsets_with_inlines(request, mapping_set):
        if formset.model is not FieldMapping:
            continue
        bound = formset(
            request.POST,
            request.FILES,
            instance=mapping_set,
            prefix=formset.get_default_prefix(),
        )
        bound.is_valid()
        for form in bound.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            if formset.can_delete and bound._should_delete_form(form):
                if form.instance.pk:
                    removed.add(form.instance.pk)
                    actions.add(form.instance.action)
                continue
            errors += _errors(form)
            if form.errors or not form.has_changed():
                continue
            mapping = form.save(commit=False)
            mapping.mapping_set = mapping_set
            actions.add(mapping.action)
            if mapping.pk:
                old = FieldMapping.objects.get(pk=mapping.pk)
                actions.add(old.action)
                replaced[mapping.pk] = mapping
            else:
                added.append(mapping)
    saved, proposed = proposed_rules(
        mapping_set, replaced=replaced, removed=removed, added=added
    )
    return Proposal(mapping_set, saved, proposed, sorted(actions), errors)


def _errors(form):
    return [
        f"{name}: {message}" if name != "__all__" else message
        for name, messages in form.errors.items()
        for message in messages
    ]
