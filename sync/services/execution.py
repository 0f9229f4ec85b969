"""The executor: claim due postings, send them to Intacct in batches, settle each.

No database transaction is open while the client talks to Intacct: the claim is
committed first (the lease), and each outcome is written afterwards in its own
short transaction. A write whose outcome is unknown becomes ``uncertain`` and goes
out again only through a pre-read by its reference (link if found, else re-post
with the same idempotency key).
"""

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings

from mappings.models import Action, OwnershipRule
from mappings.selectors import ownership_rules

from .. import intacct
from ..clients import client_for
from ..intacct import DocumentRef, Write, WriteResult, redact_excerpt
from ..intacct.constants import XML_BATCH_SIZE
from ..intacct.objects import registry
from ..models import Connection, Posting
from ..outbox import postings_claim, postings_hold_for_items
from ..payloads import PayloadError, build_record, client_action
from .failures import failure_record
from .settlement import OwnershipConflict, settle

log = logging.getLogger(__name__)

S = Posting.Status
EXCERPT_LIMIT = 4000
#: Share of the lease in which a pass may send; the rest is margin for settling.
SEND_WINDOW = 0.8

SEND_ORDER = {
    Action.UPSERT_CUSTOMER: 0,
    Action.UPSERT_ITEM: 0,
    Action.POST_SALES_ORDER: 1,
    Action.POST_AR_INVOICE: 1,
    Action.POST_INVENTORY_ADJUSTMENT: 1,
    Action.POST_GL_SUMMARY: 1,
    Action.POST_CREDIT_MEMO: 2,
    Action.REVERSE_OR_VOID: 3,
}


@dataclass
class ExecutionReport:
    claimed: int = 0
    posted: int = 0
    failed: int = 0
    retrying: int = 0
    uncertain: int = 0
    paused: bool = False
    outcomes: dict = field(default_factory=dict)


def postings_execute(
    *, connection_id, worker="worker", limit=100, send_by=None, **client_options
):
    """One pass for one connection: claim up to ``limit`` due postings and send them.

    ``send_by`` (monotonic) ends sending earlier than the lease would, e.g. before
    the task running this pass reaches django-q2's timeout."""
    connection = Connection.objects.select_related("mapping_set").get(pk=connection_id)
    report = ExecutionReport()
    if connection.paused_at or not connection.active:
        report.paused = True
        return report
    # The claim's lease is measured from before the claim; sending stops well inside
    # it, so a worker never sends after another may have taken its postings over.
    lease_ends = time.monotonic() + settings.SYNC_LEASE_SECONDS * SEND_WINDOW
    send_by = min(send_by or lease_ends, lease_ends)
    claimed = postings_claim(connection_id=connection_id, limit=limit, worker=worker)
    claimed = postings_hold_for_items(claimed, connection_id=connection_id)
    report.claimed = len(claimed)
    if not claimed:
        return report
    rules = ownership_rules(connection.mapping_set) if connection.mapping_set else None
    groups = _groups(claimed, rules, report)
    http_log = []
    client_options.setdefault("deadline", send_by)
    with client_for(connection, on_attempt=http_log.append, **client_options) as client:
        for kind, group in groups:
            _send(client, connection, kind, group, http_log, report)
    return report


def _groups(claimed, rules, report):
    """Writes grouped by how they go out: link-only ones are looked up, never sent;
    ones whose earlier outcome is unknown are pre-read first; the rest are sent."""
    groups = {"link": [], "verify": [], "send": []}
    for posting in claimed:
        try:
            write = _write_for(posting, rules)
        except (PayloadError, ValueError) as exc:
            failure_record(posting=posting, category="validation", message=str(exc))
            report.failed += 1
            continue
        if getattr(write, "link_only", False):
            groups["link"].append((posting, write.write))
        elif posting.attempt_count > 1:
            groups["verify"].append((posting, write))
        else:
            groups["send"].append((posting, write))
    # Masters before the documents that name them: a batch runs in order, so an item
    # created in it exists by the time an invoice line of the same batch refers to it.
    ordered = {
        kind: sorted(group, key=lambda pair: SEND_ORDER.get(pair[0].action, 9))
        for kind, group in groups.items()
    }
    return [
        (kind, batch)
        for kind, group in ordered.items()
        for batch in (_halved(group) if kind == "verify" else [group])
        if batch
    ]


def _halved(group):
    """Writes whose outcome was unknown go out again in smaller batches each time
    (100, 50, 25 … 1 per request): a connection that keeps dropping large requests
    still carries small ones, and each answer settles what its request carried."""
    if not group:
        return []
    unknown_times = max(posting.attempt_count for posting, _ in group) - 1
    size = max(1, XML_BATCH_SIZE >> min(unknown_times, 7))
    return [group[i : i + size] for i in range(0, len(group), size)]


@dataclass
class LinkOnly:
    write: Write
    link_only: bool = True


def _write_for(posting, rules):
    if posting.action == Action.REVERSE_OR_VOID:
        payload = posting.payload
        return DocumentRef(payload["object"], payload["key"], payload["id"])
    record = build_record(posting.action, posting.payload)
    hub_may = (
        rules.ownership_for(posting.action).hub_may
        if rules
        else OwnershipRule.HubMay.CREATE_AND_UPDATE
    )
    write = Write(
        client_action(posting.action),
        record,
        posting.idempotency_key,
        update=hub_may == OwnershipRule.HubMay.CREATE_AND_UPDATE,
    )
    return LinkOnly(write) if hub_may == OwnershipRule.HubMay.LINK_ONLY else write


def _link_only(client, group):
    """Find each record by its reference; a missing one is an ownership conflict."""
    outcomes = {}
    by_object = {}
    for posting, write in group:
        module = registry.module_for(write.action)
        reference = module.reference(write.record, write.idempotency_key)
        by_object.setdefault(module.SPEC.xml_object, []).append((posting, reference))
    for obj, items in by_object.items():
        try:
            found = client.find(obj, [ref for _, ref in items])
        except intacct.IntacctError as exc:
            outcomes.update({p.pk: exc for p, _ in items})
            continue
        for posting, reference in items:
            hit = found.get(reference)
            outcomes[posting.pk] = (
                WriteResult(
                    posting.action,
                    "linked",
                    hit.key,
                    hit.id,
                    hit.protocol,
                    posting.idempotency_key,
                    reference,
                )
                if hit
                else OwnershipConflict(
                    f"link-only: no {obj} with reference {reference!r} in Intacct, "
                    "and the ownership rule forbids creating one"
                )
            )
    return outcomes


def _send(client, connection, kind, group, http_log, report):
    started = time.monotonic()
    del http_log[:]
    if kind == "link":
        outcomes = _link_only(client, group)
    else:
        outcomes = _post(client, group, pre_read=kind == "verify")
    duration_ms = int((time.monotonic() - started) * 1000)
    excerpt = _excerpts(http_log, connection.secret_values())
    postings = [posting for posting, _ in group]
    settle(connection, postings, outcomes, excerpt, duration_ms, report)


def _post(client, group, *, pre_read):
    writes = [w for _, w in group if isinstance(w, Write)]
    try:
        results = client.post_many(writes, pre_read=pre_read) if writes else []
    except intacct.IntacctError as exc:  # the whole batch failed the same way
        results = [exc] * len(writes)
    results = iter(results)
    outcomes = {}
    for posting, write in group:
        if isinstance(write, Write):
            outcomes[posting.pk] = next(results)
        else:
            outcomes[posting.pk] = _reverse(client, posting, write)
    return outcomes


def _reverse(client, posting, document):
    try:
        day = dt.date.fromisoformat(posting.payload.get("date"))
        return client.reverse_or_void(
            document, idempotency_key=posting.idempotency_key, date=day
        )
    except intacct.IntacctError as exc:
        return exc


def _excerpts(http_log, secrets):
    request = "\n".join(f"{a.method} {a.url}\n{a.request_excerpt}" for a in http_log)
    response = "\n".join(f"{a.status} {a.response_excerpt}" for a in http_log)
    return (
        redact_excerpt(request, secrets)[:EXCERPT_LIMIT],
        redact_excerpt(response, secrets)[:EXCERPT_LIMIT],
        http_log[-1].status if http_log else None,
    )


def connection_resume(*, connection):
    """Close the circuit breaker after the credentials were fixed."""
    Connection.objects.filter(pk=connection.pk).update(paused_at=None, pause_reason="")
