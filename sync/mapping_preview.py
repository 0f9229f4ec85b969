"""Live and impact preview of mapping changes, and re-posting what a change fixed.

These views live in ``sync`` because they need the Intacct client's object modules
(to render the real XML and JSON request bodies) and the postings; the mappings
admin links to them by URL name. Nothing here writes rules: the change being
previewed is parsed from the admin form's unsaved POST (``mappings.proposals``).
"""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from lxml import etree

from commerce.models import SourceRecord
from mappings import strict_json
from mappings.engine import map_record
from mappings.models import Action, MappingSet
from mappings.proposals import SOURCES, proposal_from_post
from mappings.rules import MappingRules
from mappings.selectors import mapping_rules

from .intacct.objects import registry
from .models import Failure, Posting
from .payloads import PayloadError, build_record
from .services.failures import ResolutionError, failure_retry

#: The normalized record kind each action reads.
KIND_OF_ACTION = {
    Action.UPSERT_CUSTOMER: "customer",
    Action.UPSERT_ITEM: "product",
    Action.POST_SALES_ORDER: "order",
    Action.POST_AR_INVOICE: "order",
    Action.POST_CREDIT_MEMO: "refund",
    Action.POST_INVENTORY_ADJUSTMENT: "inventory_adjustment",
}
CLIENT_ACTION = {"post_gl_summary": "post_journal_entry"}
IMPACT_STATUSES = (Posting.Status.PENDING, Posting.Status.FAILED, Posting.Status.POSTED)
IMPACT_LIMIT = 2000
SAMPLES = 5
PREVIEW_KEY = "preview0000000000000000000000000"  # 32 chars, like a real key


# -- what the engine is given ---------------------------------------------------------


def mapping_input(record):
    """The payload the mapping engine reads for ``record``.

    A refund carries its order under ``order`` (the customer, the invoice number and
    the channel live there), as the default mapping set expects.
    """
    payload = dict(record.payload or {})
    if record.kind == "refund" and "order" not in payload and payload.get("order_id"):
        order = (
            SourceRecord.objects.filter(
                source_id=record.source_id,
                kind="order",
                external_id=str(payload["order_id"]),
            )
            .order_by("-version")
            .first()
        )
        if order is not None:
            payload["order"] = order.payload
    return payload


# -- live preview ---------------------------------------------------------------------


def render_requests(action, body):
    """The typed record and the XML and JSON request bodies the client would send."""
    out = {"record": None, "xml": "", "json": "", "rest_object": "", "error": ""}
    try:
        record = build_record(action, body)
    except PayloadError as exc:
        out["error"] = str(exc)
        return out
    out["record"] = record
    module = registry.ACTIONS.get(CLIENT_ACTION.get(action, action))
    if module is None:
        return out
    function = module.xml_create(record, PREVIEW_KEY)
    wrapper = etree.Element("function", controlid=function.controlid)
    wrapper.append(function.body)
    out["xml"] = etree.tostring(wrapper, pretty_print=True, encoding="unicode")
    out["json"] = json.dumps(
        module.rest_body(record, PREVIEW_KEY), indent=2, default=str
    )
    out["rest_object"] = registry.rest_object(module, record) or ""
    return out


def live_preview(payload, rules, *, action, operation="create"):
    mapped = map_record(payload, rules, action=action, operation=operation)
    rendered = render_requests(action, mapped.body()) if mapped.ok else {}
    return {"mapped": mapped, "body": mapped.body(), **rendered}


# -- impact preview -------------------------------------------------------------------


def flatten(value, prefix=""):
    """``{"lines": [{"amount": 1}]}`` → ``{"lines[0].amount": 1}``."""
    out = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{index}]"))
    else:
        out[prefix] = value
    return out


def payload_diff(before, after):
    """Changed paths with their values before and after (None = absent)."""
    old, new = flatten(before), flatten(after)
    return [
        {"path": path, "before": old.get(path), "after": new.get(path)}
        for path in sorted(set(old) | set(new))
        if old.get(path) != new.get(path)
    ]


def _outcome(mapped):
    return mapped.body(), sorted((e.target, e.message) for e in mapped.errors)


def mapping_impact(*, mapping_set, saved, proposed, actions=None):
    """How many pending, failed and posted postings the proposed rules would change.

    Each posting's source record is mapped with the saved and the proposed rules;
    a posting changes when its payload (or its mapping errors) would differ.
    """
    postings = (
        Posting.objects.filter(
            connection__mapping_set=mapping_set,
            source_record__isnull=False,
            status__in=IMPACT_STATUSES,
        )
        .select_related("source_record")
        .order_by("-id")
    )
    if actions:
        postings = postings.filter(action__in=actions)
    counts = {status.value: 0 for status in IMPACT_STATUSES}
    examined = {status.value: 0 for status in IMPACT_STATUSES}
    samples = []
    truncated = False
    for index, posting in enumerate(postings.iterator()):
        if index >= IMPACT_LIMIT:
            truncated = True
            break
        examined[posting.status] += 1
        payload = mapping_input(posting.source_record)
        before = map_record(payload, saved, action=posting.action)
        after = map_record(payload, proposed, action=posting.action)
        if _outcome(before) == _outcome(after):
            continue
        counts[posting.status] += 1
        if len(samples) < SAMPLES:
            samples.append(
                {
                    "posting": posting,
                    "diff": payload_diff(before.body(), after.body()),
                    "errors_before": [e.message for e in before.errors],
                    "errors_after": [e.message for e in after.errors],
                }
            )
    return {
        "counts": counts,
        "examined": examined,
        "total": sum(counts.values()),
        "samples": samples,
        "truncated": truncated,
    }


# -- views ----------------------------------------------------------------------------


def _can_view(user):
    return user.has_perm("mappings.view_mappingset") or user.has_perm(
        "mappings.change_mappingset"
    )


def _recent_records(kind):
    return SourceRecord.objects.filter(kind=kind).order_by("-id")[:25]


def _proposed_rules(text):
    """(rules, "") from a posted mapping-set export, or (None, why it is not one)."""
    try:
        return MappingRules.from_dict(strict_json.loads(text)), ""
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return None, f"Proposed rules: not a mapping-set export ({exc})"


def preview(request):
    """Live preview (payload, provenance, XML and JSON) and impact of a change."""
    if not _can_view(request.user):
        raise PermissionDenied
    post = request.POST if request.method == "POST" else {}
    data = post or request.GET
    proposal, proposed, problems = None, None, []
    if post.get("_preview_source") in SOURCES:
        proposal = proposal_from_post(
            request, post["_preview_source"], post.get("_preview_object") or None
        )
        if proposal is None:
            raise PermissionDenied("choose a mapping set before previewing")
        mapping_set, proposed = proposal.mapping_set, proposal.proposed
        problems = proposal.errors
    else:
        mapping_set = get_object_or_404(MappingSet, pk=data.get("mapping_set") or 0)
        if post.get("pv_rules"):
            proposed, rules_problem = _proposed_rules(post["pv_rules"])
            problems = [rules_problem] if rules_problem else []
    saved = mapping_rules(mapping_set)
    rules = proposed or saved

    actions = proposal.actions if proposal else []
    action = data.get("pv_action") or (actions[0] if actions else None)
    action = action or data.get("action") or Action.POST_AR_INVOICE
    if action not in Action.values:
        action = Action.POST_AR_INVOICE
    operation = "update" if data.get("pv_operation") == "update" else "create"
    kind = KIND_OF_ACTION.get(action, "order")

    payload, record, payload_error = None, None, ""
    pasted = (data.get("pv_json") or "").strip()
    if pasted:
        try:
            payload = strict_json.loads(pasted)
            if not isinstance(payload, dict):
                raise ValueError("the pasted JSON must be an object")
        except ValueError as exc:
            payload, payload_error = None, f"Pasted JSON: {exc}"
    else:
        records = SourceRecord.objects.filter(kind=kind)
        chosen = data.get("pv_record")
        record = (
            records.filter(pk=chosen).first()
            if chosen
            else records.order_by("-id")[0:1].first()
        )
        if record is not None:
            payload = mapping_input(record)

    live = (
        live_preview(payload, rules, action=action, operation=operation)
        if payload is not None
        else None
    )
    impact = None
    if proposed is not None:
        impact = mapping_impact(
            mapping_set=mapping_set,
            saved=saved,
            proposed=proposed,
            actions=actions or None,
        )
    context = {
        **_admin_context(request),
        "title": f"Preview: {mapping_set}",
        "mapping_set": mapping_set,
        "actions": Action.choices,
        "action": action,
        "operation": operation,
        "records": _recent_records(kind),
        "record": record,
        "pasted": pasted,
        "payload_error": payload_error,
        "live": live,
        "impact": impact,
        "problems": problems,
        "proposed_json": json.dumps(proposed.to_dict()) if proposed else "",
        "changed_actions": actions,
        "can_change": request.user.has_perm("mappings.change_mappingset"),
    }
    return TemplateResponse(request, "admin/mappings/preview.html", context)


def repost(request, pk):
    """Re-post the failed postings the saved rules now map differently."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.has_perm("mappings.change_mappingset"):
        raise PermissionDenied
    mapping_set = get_object_or_404(MappingSet, pk=pk)
    result = failed_postings_repost(mapping_set=mapping_set, user=request.user)
    messages.success(
        request,
        f"Re-posted {result['reposted']} failed posting(s) with the new payload; "
        f"{result['unchanged']} unchanged and {result['still_failing']} still "
        "failing to map were left in the failure queue.",
    )
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = reverse("admin:mappings_mappingset_change", args=[mapping_set.pk])
    return redirect(back)


def failed_postings_repost(*, mapping_set, user):
    """Retry each open failure whose posting the saved rules now map differently."""
    rules = mapping_rules(mapping_set)
    failures = Failure.objects.filter(
        resolved_at__isnull=True,
        posting__status=Posting.Status.FAILED,
        posting__connection__mapping_set=mapping_set,
        posting__source_record__isnull=False,
    ).select_related("posting__source_record")
    result = {"reposted": 0, "unchanged": 0, "still_failing": 0}
    for failure in failures:
        posting = failure.posting
        mapped = map_record(
            mapping_input(posting.source_record), rules, action=posting.action
        )
        if not mapped.ok:
            result["still_failing"] += 1
            continue
        if mapped.body() == posting.payload:
            result["unchanged"] += 1
            continue
        try:
            failure_retry(failure=failure, user=user, payload=mapped.body())
        except ResolutionError:
            continue
        Posting.objects.filter(pk=posting.pk).update(mapping_version=rules.version)
        result["reposted"] += 1
    return result


def _admin_context(request):
    from django.contrib import admin

    return {
        **admin.site.each_context(request),
        "opts": MappingSet._meta,
    }
