"""Links out of the dashboard: to the mapping editor (mappings admin) and Intacct."""

from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from mappings.models import FieldMapping, ValueMap

from ..intacct.objects import registry


def _reverse(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def fix_mapping_links(failure, problems):
    """For each mapping problem: where to fix it, pre-filled with the field."""
    posting = failure.posting
    mapping_set_id = posting.connection.mapping_set_id
    if not mapping_set_id:
        return []
    links = []
    for problem in problems:
        if problem["value_map"]:
            vm = ValueMap.objects.filter(
                mapping_set_id=mapping_set_id, name=problem["value_map"]
            ).first()
            if vm:
                url = _reverse("admin:mappings_valuemap_change", vm.pk)
                label = f"Add {problem['value']!r} to value map {vm.name}"
                links.append({**problem, "url": url, "label": label})
                continue
        target = problem["target"]
        rule = FieldMapping.objects.filter(
            mapping_set_id=mapping_set_id,
            action=posting.action,
            target_field=target,
            line_scope=problem.get("line_scope", ""),
        ).first()
        if rule:
            url = _reverse("admin:mappings_fieldmapping_change", rule.pk)
        else:
            query = {"mapping_set": mapping_set_id, "action": posting.action}
            if target:
                query["target_field"] = target
            if problem.get("line_scope"):
                query["line_scope"] = problem["line_scope"]
            url = f"{_reverse('admin:mappings_fieldmapping_add')}?{urlencode(query)}"
        label = f"Fix the mapping of {target or posting.action}"
        links.append({**problem, "url": url, "label": label})
    return links


def preview_url(posting):
    """The mapping editor's live preview of this posting's record and action."""
    base = _reverse("mapping-preview")
    if not base or not posting.connection.mapping_set_id:
        return ""
    query = {
        "mapping_set": posting.connection.mapping_set_id,
        "action": posting.action,
        "pv_action": posting.action,
    }
    if posting.source_record_id:
        query["pv_record"] = posting.source_record_id
    return f"{base}?{urlencode(query)}"


def ownership_url(connection):
    if not connection.mapping_set_id:
        return ""
    return _reverse("admin:mappings_mappingset_ownership", connection.mapping_set_id)


def intacct_record_url(connection, intacct_object, key):
    """The record in Intacct's REST API (the sandbox serves the same path)."""
    if not key or not intacct_object:
        return ""
    try:
        module = registry.object_module(intacct_object)
    except ValueError:
        return ""
    rest_object = module.SPEC.rest_object
    if not rest_object:
        return ""
    base = connection.api_base_url.rstrip("/")
    return f"{base}/ia/api/v1/objects/{rest_object}/{key}"
