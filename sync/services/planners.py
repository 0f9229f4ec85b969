"""What each kind of source record calls for: the planners ``planning.py`` runs,
one per record kind, and the postings they get or create (``_ensure``)."""

import datetime as dt

from django.db import transaction

from commerce.models import SourceRecord
from commerce.records import NormalizedRecord, records_store
from intacct_hub.rows import row_insert
from mappings.engine import map_record
from mappings.models import Action, OwnershipRule

from ..intacct.objects import registry
from ..models import Posting, PostingAttempt
from ..payloads import client_action
from .corrections import correction_link, order_correct, reversal_for
from .failures import failure_record, failures_supersede_one
from .plan_context import (
    ReadAheadStale,
    business_date,
    is_final,
    policy_for,
    source_identity,
)

S = Posting.Status
INTACCT_OBJECT = {
    action: registry.module_for(client_action(action)).SPEC.xml_object
    for action in Action
    if action != Action.REVERSE_OR_VOID
}
DOCUMENT_ACTIONS = (Action.POST_SALES_ORDER, Action.POST_AR_INVOICE)
#: A planner's answer for "not yet": plan this record again later (the dispatcher's
#: backlog sweep will), e.g. a refund whose invoice is not planned yet.
DEFER = object()


def _ensure(
    ctx,
    record,
    action,
    *,
    depends_on=None,
    skip_reason="",
    operation="create",
    payload=None,
):
    """Get or create the posting of (record version, action); map it when new.

    ``payload`` (ledger fix) maps an enriched copy of the record, e.g. a refund with
    its order embedded, which the credit memo mappings read as ``order.*``.
    """
    key = Posting.make_idempotency_key(
        connection_id=ctx.connection.pk,
        action=action,
        source_identity=source_identity(record),
        version=record.version,
    )
    existing = ctx.known.get(key)
    if existing is None and record.pk not in ctx.unplanned:
        existing = Posting.objects.filter(idempotency_key=key).first()
    if existing:
        ctx.known[key] = existing
        return existing
    mapped = map_record(
        record.payload if payload is None else payload,
        ctx.rules,
        action=action,
        operation=operation,
        trace=False,  # a posting keeps the payload; pages re-map for provenance
    )
    posting = Posting(
        connection=ctx.connection,
        run=ctx.run,
        source_record=record,
        action=action,
        intacct_object=INTACCT_OBJECT.get(action, ""),
        idempotency_key=key,
        depends_on=depends_on,
        payload=mapped.body(),
        mapping_version=mapped.mapping_version,
    )
    # One statement, no savepoint: a row with this key already there (planned
    # meanwhile by another worker) is left as it is, without an error.
    if not row_insert(posting, unique=("idempotency_key",)):
        if record.pk in ctx.unplanned:
            # It was missing when read ahead: what else was read ahead may be stale.
            raise ReadAheadStale(key)
        return Posting.objects.get(idempotency_key=key)
    ctx.created.append(posting)
    ctx.known[key] = posting
    if skip_reason:
        posting.skip_reason = skip_reason[:500]
        posting.set_status(S.SKIPPED, save=False)
        posting.save(update_fields=["status", "skip_reason"])
    elif not mapped.ok:
        first = mapped.errors[0]
        failure_record(
            posting=posting,
            category=first.category,
            message="; ".join(
                f"{e.target or action}: {e.message}" for e in mapped.errors
            ),
            details={"errors": [e.__dict__ for e in mapped.errors]},
        )
    return posting


def _hub_may(ctx, action):
    return ctx.rules.ownership_for(action).hub_may


def summary_only(ctx):
    """Whether every posting policy rolls orders up into journal entries: then the
    ledger never names a customer or an item (summary lines are GL accounts)."""
    policies = ctx.rules.policies
    return bool(policies) and all(p["mode"] == "summary" for p in policies)


def plan_customer(ctx, record):
    """A customer on its own. Summary-only posting never names a customer in the
    ledger, so none is sent (and billed) until a detail-mode order needs it."""
    if summary_only(ctx):
        return
    customer_posting(ctx, record)


def customer_posting(ctx, record):
    return _master_posting(ctx, record, Action.UPSERT_CUSTOMER)


def _master_posting(ctx, record, action):
    """The upsert of master record ``record`` (planned now if new), unless the
    ownership rule keeps the hub from ever writing that kind of record."""
    if _hub_may(ctx, action) == OwnershipRule.HubMay.NEVER:
        return None
    return _ensure(ctx, record, action)


def plan_product(ctx, record):
    """An item on its own. Under summary-only posting an item is sent (and billed)
    only once a stock movement names it: no journal line does."""
    if summary_only(ctx) and not _stock_moved(record):
        return
    _master_posting(ctx, record, Action.UPSERT_ITEM)


def plan_inventory(ctx, record):
    action = Action.POST_INVENTORY_ADJUSTMENT
    if _hub_may(ctx, action) == OwnershipRule.HubMay.NEVER:
        return
    parent = None
    if summary_only(ctx):  # its item was not sent on its own: send it first
        product = _product_of(record)
        parent = _master_posting(ctx, product, Action.UPSERT_ITEM) if product else None
    _ensure(ctx, record, action, depends_on=parent)


def _stock_moved(product):
    sku = product.payload.get("sku")
    return bool(sku) and (
        SourceRecord.objects.filter(
            source_id=product.source_id, kind="inventory_adjustment", payload__sku=sku
        ).exists()
    )


def _product_of(adjustment):
    """The newest stored product record with the SKU a stock movement names."""
    sku = adjustment.payload.get("sku")
    if not sku:
        return None
    return (
        SourceRecord.objects.filter(
            source_id=adjustment.source_id,
            kind="product",
            payload__sku=sku,
            is_tombstone=False,
        )
        .order_by("-received_at", "-id")
        .first()
    )


def customer_of_order(ctx, order_record):
    """The customer record an order belongs to (derived from the order if the source
    never sent it on its own), or None for a guest checkout."""
    buyer = order_record.payload.get("customer") or None
    if not buyer:
        return None
    latest = ctx.customers.get((order_record.source_id, str(buyer["id"]))) or (
        SourceRecord.objects.filter(
            source_id=order_record.source_id, kind="customer", external_id=buyer["id"]
        )
        .order_by("-version")
        .first()
    )
    if latest:
        return latest
    order = order_record.payload
    derived = NormalizedRecord(
        "customer",
        buyer["id"],
        {
            "id": buyer["id"],
            "email": buyer.get("email") or order.get("email"),
            "first_name": buyer.get("first_name"),
            "last_name": buyer.get("last_name"),
            "default_address": order.get("billing_address"),
            "updated_at": order["updated_at"],
        },
    )
    records_store(source=order_record.source, records=[derived])
    latest = (
        SourceRecord.objects.filter(
            source_id=order_record.source_id, kind="customer", external_id=buyer["id"]
        )
        .order_by("-version")
        .first()
    )
    ctx.customers[(order_record.source_id, str(buyer["id"]))] = latest
    return latest


def document_postings(ctx, record):
    """Earlier and current document postings of every version of this order."""
    return Posting.objects.filter(
        connection=ctx.connection,
        action__in=DOCUMENT_ACTIONS,
        source_record__source_id=record.source_id,
        source_record__kind=record.kind,
        source_record__external_id=record.external_id,
    )


def plan_order(ctx, record):
    order = record.payload
    # Usually none: one query (or none, after plan_prefetch) answers every check.
    fresh = (record.source_id, record.external_id) in ctx.without_documents
    earlier = (
        None if fresh else document_postings(ctx, record).exclude(source_record=record)
    )
    earlier_rows = [] if fresh else list(earlier)
    statuses = {p.status for p in earlier_rows}
    stale = [p for p in earlier_rows if p.status in (S.PENDING, S.FAILED)]
    if statuses & {S.IN_FLIGHT, S.UNCERTAIN} or any(map(may_have_landed, stale)):
        # Wait until the earlier version's outcome is known: superseding a document
        # that did reach Intacct would post this version beside it.
        return DEFER
    if record.is_tombstone or order.get("cancelled_at"):
        if earlier is not None:
            plan_cancellation(ctx, record, earlier)
        return
    channel = order.get("channel") or order.get("store") or ""
    policy = policy_for(ctx.rules, channel)
    if policy is None:
        posting = _ensure(ctx, record, Action.POST_AR_INVOICE)
        if posting.status == S.PENDING:
            failure_record(
                posting=posting,
                category="missing_mapping",
                message=f"no posting policy for channel {channel or '(none)'}",
            )
        return
    if not is_final(order, policy["finality_event"]) or policy["mode"] == "summary":
        return  # not final yet, or rolled up by the summary builder
    if S.POSTED in statuses:
        # Already in the ledger: an edit after posting is a correction (ledger fix:
        # reverse and re-post what changed, linked to the original).
        order_correct(
            ctx,
            record,
            earlier,
            identity=source_identity(record),
            day=business_date(order),
            intacct_object=INTACCT_OBJECT,
        )
        return
    for posting in stale:
        _supersede(posting, record)
    cutover = policy.get("cutover_date")
    day = business_date(order)
    skip = ""
    if cutover and day and day < dt.date.fromisoformat(cutover):
        skip = f"dated {day}, before the cut-over date {cutover}"
    customer = None if skip else customer_of_order(ctx, record)
    parent = customer_posting(ctx, customer) if customer else None
    documents = {
        "ar_invoice": [Action.POST_AR_INVOICE],
        "sales_order": [Action.POST_SALES_ORDER],
        "both": [Action.POST_SALES_ORDER, Action.POST_AR_INVOICE],
    }[policy["detail_documents"]]
    for action in documents:
        posting = _ensure(ctx, record, action, depends_on=parent, skip_reason=skip)
        # What waited on the superseded version (a refund's credit memo) now waits
        # on this one, or it would wait forever on a posting that will never post.
        superseded = [p for p in stale if p.action == action]
        if superseded:
            Posting.objects.filter(depends_on__in=superseded).update(depends_on=posting)


def may_have_landed(posting):
    """Whether an earlier attempt of ``posting`` may have reached Intacct unseen: an
    attempt whose outcome was unknown, or a claim no attempt was recorded for (its
    worker died or lost its lease). The executor verifies such a posting by a
    pre-read on its next attempt; until then nothing may replace it."""
    if posting.attempt_count == 0:
        return False
    attempts = posting.attempts.all()
    if len(attempts) < posting.attempt_count:
        return True
    Outcome = PostingAttempt.Outcome
    unknown = [a.number for a in attempts if a.outcome == Outcome.UNKNOWN]
    # Settled since: a later attempt (which re-sends with the same key) that Intacct
    # refused for good; had the first landed, Intacct would have answered the
    # repeat with the first one's result.
    return bool(unknown) and not any(
        a.number > max(unknown) and a.outcome == Outcome.PERMANENT_ERROR
        for a in attempts
    )


def _supersede(posting, record):
    reason = f"superseded by version {record.version} of the record"
    with transaction.atomic():
        failure = posting.failures.filter(resolved_at=None).first()
        if failure:
            failures_supersede_one(failure=failure, reason=reason)
        else:
            posting.skip_reason = reason
            posting.set_status(S.SKIPPED, save=False)
            posting.save(update_fields=["status", "skip_reason", "updated_at"])


def plan_cancellation(ctx, record, earlier):
    """Void or reverse what was posted; drop what was not yet sent."""
    for posting in earlier.exclude(status=S.POSTED).filter(
        status__in=[S.PENDING, S.FAILED]
    ):
        _supersede(posting, record)
    day = business_date(record.payload) or dt.date.today()
    for posted in earlier.filter(status=S.POSTED):
        reversal, created = reversal_for(
            ctx, record, posted, identity=source_identity(record), day=day
        )
        if created:
            ctx.created.append(reversal)
        correction_link(original=posted, correction=reversal, kind="reversal")


def plan_refund(ctx, record):
    refund = record.payload
    invoice = (
        Posting.objects.filter(
            connection=ctx.connection,
            action=Action.POST_AR_INVOICE,
            source_record__source_id=record.source_id,
            source_record__kind="order",
            source_record__external_id=refund.get("order_id"),
        )
        .exclude(status=S.SKIPPED)
        .select_related("source_record")  # its payload goes into the memo's
        .order_by("-source_record__version")
        .first()
    )
    if invoice is None:
        # Not posted in detail (yet): summaries handle refunds themselves, and an
        # order that may still be invoiced is waited for.
        return DEFER if _may_still_be_invoiced(ctx, record, refund) else None
    # Ledger fix: the credit memo mappings read the order (``order.number``,
    # ``order.customer.id``, ``order.channel``), which a normalized refund only names.
    enriched = {**refund, "order": invoice.source_record.payload}
    memo = _ensure(
        ctx, record, Action.POST_CREDIT_MEMO, depends_on=invoice, payload=enriched
    )
    correction_link(original=invoice, correction=memo, kind="credit_memo")


def _may_still_be_invoiced(ctx, record, refund):
    order = (
        SourceRecord.objects.filter(
            source_id=record.source_id, kind="order", external_id=refund.get("order_id")
        )
        .order_by("-version")
        .first()
    )
    if order is None or order.is_tombstone or order.payload.get("cancelled_at"):
        return order is None  # an order not received yet may still come
    channel = order.payload.get("channel") or order.payload.get("store") or ""
    policy = policy_for(ctx.rules, channel)
    return bool(policy) and policy["mode"] == "detail"


PLANNERS = {
    "customer": plan_customer,
    "product": plan_product,
    "inventory_adjustment": plan_inventory,
    "order": plan_order,
    "refund": plan_refund,
}
