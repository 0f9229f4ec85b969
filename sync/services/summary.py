"""The summary builder: one balanced journal entry per connection × channel × day.

For channels whose posting policy is in summary mode, the day's final orders and
refunds roll up into a journal entry (docs/ledger.md has the lines and the rules).

The algorithm, per connection:

1. For every order and refund of a summary channel whose latest version is not yet a
   member of a summary, compute what the ledger *should* hold for it: exact Decimal
   amounts per line role (revenue, discounts, shipping, tax per jurisdiction, …)
   under its (channel, business day). A cancelled, voided or deleted order should
   hold nothing.
2. Subtract what the ledger already holds for that record (the sum of its earlier
   ``SummaryMember`` rows). A non-zero difference is a member of the next entry of
   that (channel, day): sequence 1 is the day's summary, every later one is an
   adjustment entry. A posted entry is never edited.
3. Each new entry becomes one ``post_gl_summary`` Posting whose idempotency key
   derives from (connection, post_gl_summary, channel, day, sequence), so planning
   twice finds the same row. Amounts are rounded half-up to cents only when the
   lines are written; debits equal credits exactly.
4. Closed periods (known from an earlier refusal, or learned from one afterwards)
   follow the policy: shift to the first open day and say so, hold (``skipped``
   with a "held" reason, released by a person), or fail (a business Failure, as
   Intacct itself would answer). See ``summary_periods.py``.
"""

import datetime as dt
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Subquery
from django.utils import timezone

from commerce.models import SourceRecord
from mappings.models import Action, PostingPolicy
from mappings.selectors import mapping_rules

from ..batching import batches
from ..models import (
    Connection,
    LedgerState,
    Posting,
    SummaryEntry,
    SummaryMember,
)
from .failures import failure_record
from .plan_context import business_date, is_final
from .summary_amounts import (
    ZERO,
    cents,
    headline,
    order_channel,
    order_components,
    refund_components,
)
from .summary_periods import period_for, summaries_settle_closed

log = logging.getLogger(__name__)

S = Posting.Status
SUMMARY_KINDS = ("order", "refund")
#: Candidate records read (and their ledger holdings looked up) together.
CHUNK = 500
#: Value map (in the connection's mapping set) from tax jurisdiction to GL account.
TAX_ACCOUNTS_MAP = "tax_jurisdiction_accounts"

#: Line roles: (policy account field, fallback field, debit when positive, memo).
#: Memos start with "Sales" or "Refund" — reconciliation reads them back that way.
ROLES = {
    "collected": ("clearing_account", "ar_account", True, "Sales collected"),
    "revenue": ("revenue_account", None, False, "Sales revenue"),
    "discounts": ("discounts_account", None, True, "Sales discounts"),
    "shipping": ("shipping_income_account", "revenue_account", False, "Sales shipping"),
    "tip": ("revenue_account", None, False, "Sales tips"),
    "tax": ("tax_payable_account", None, False, "Sales tax"),
    "refund_goods": ("refunds_account", "revenue_account", True, "Refund of sales"),
    "refund_adjustment": (
        "refunds_account",
        "revenue_account",
        True,
        "Refund adjustment",
    ),
    "refund_shipping": (
        "shipping_income_account",
        "revenue_account",
        True,
        "Refund of shipping",
    ),
    "refund_tax": ("tax_payable_account", None, True, "Refund tax"),
    "refund_paid": ("clearing_account", "ar_account", False, "Refunds paid"),
}
DIMENSION_NAMES = {
    "location": "location",
    "locationid": "location",
    "department": "department",
    "departmentid": "department",
    "class": "class",
    "class_": "class",
    "classid": "class",
    "project": "project",
    "projectid": "project",
}


# -- candidates ---------------------------------------------------------------------


@dataclass
class Desired:
    record: object
    by_period: dict = field(default_factory=dict)  # (channel, day) -> components


def latest_records(*, connection, kinds=SUMMARY_KINDS):
    """Latest version of every order/refund of the connection's sources."""
    latest = (
        SourceRecord.objects.filter(
            source_id=OuterRef("source_id"),
            kind=OuterRef("kind"),
            external_id=OuterRef("external_id"),
        )
        .values("source_id", "kind", "external_id")
        .annotate(top=Max("version"))
        .values("top")
    )
    return SourceRecord.objects.filter(
        source__in=connection.sources.all(), kind__in=kinds
    ).filter(version=Subquery(latest))


def summary_policy(rules, channel):
    """The channel's policy when it is in summary mode, else None."""
    policy = rules.policy_for(channel)
    if policy and policy.get("mode") == PostingPolicy.Mode.SUMMARY:
        return policy
    return None


def _before_cutover(policy, day):
    cutover = policy.get("cutover_date")
    return bool(cutover and day < dt.date.fromisoformat(cutover))


class _Orders:
    """Latest order payloads by (source, external id), loaded on demand or read
    ahead for a batch of refunds (``prefetch``)."""

    def __init__(self, connection):
        self.connection = connection
        self.cache = {}

    def prefetch(self, records):
        wanted = {
            (r.source_id, str(r.payload.get("order_id")))
            for r in records
            if r.kind == "refund" and r.payload.get("order_id") is not None
        } - set(self.cache)
        if not wanted:
            return
        rows = SourceRecord.objects.filter(
            source_id__in={source for source, _ in wanted},
            kind="order",
            external_id__in={order for _, order in wanted},
        ).order_by("version")
        found = {(r.source_id, r.external_id): r for r in rows}  # newest wins
        for key in wanted:
            self.cache[key] = found.get(key)

    def get(self, source_id, external_id):
        key = (source_id, str(external_id))
        if key not in self.cache:
            record = (
                SourceRecord.objects.filter(
                    source_id=source_id, kind="order", external_id=str(external_id)
                )
                .order_by("-version")
                .first()
            )
            self.cache[key] = record
        return self.cache[key]


def desired_of(record, rules, orders, until):
    """What the ledger should hold for ``record``: {(channel, day): components}."""
    payload = record.payload
    if record.kind == "order":
        if record.is_tombstone:
            return {}
        channel = order_channel(payload)
        policy = summary_policy(rules, channel)
        day = business_date(payload)
        if policy is None or day is None or day >= until:
            return None  # not ours (detail mode) or the day is not over yet
        if _before_cutover(policy, day):
            return {}
        if not is_final(payload, policy["finality_event"]):
            return {}
        return {(channel, day): order_components(payload, policy)}
    order = orders.get(record.source_id, payload.get("order_id"))
    order_payload = order.payload if order and not order.is_tombstone else {}
    channel = order_channel(order_payload)
    policy = summary_policy(rules, channel)
    stamp = {"processed_at": payload.get("processed_at") or payload.get("created_at")}
    day = business_date(stamp)
    if record.is_tombstone:
        return {}
    if policy is None or day is None or day >= until:
        return None
    if _before_cutover(policy, day):
        return {}
    return {(channel, day): refund_components(payload, order_payload)}


def held_by_ledger(connection_id, records):
    """What earlier summary members hold for each record identity, by period: one
    query for a batch of records; {(source id, kind, external id): held}."""
    held = defaultdict(lambda: defaultdict(lambda: defaultdict(Decimal)))
    members = SummaryMember.objects.filter(
        entry__connection_id=connection_id,
        kind__in={r.kind for r in records},
        external_id__in={r.external_id for r in records},
    ).values_list(
        "source_record__source_id",
        "kind",
        "external_id",
        "entry__channel",
        "entry__day",
        "components",
    )
    for source_id, kind, external_id, channel, day, components in members:
        period = held[(source_id, kind, external_id)][(channel, day)]
        for role, amount in components.items():
            period[role] += Decimal(amount)
    return held


def _delta(desired, held):
    out = {}
    for period in set(desired) | set(held):
        want, have = desired.get(period, {}), held.get(period, {})
        diff = {r: want.get(r, ZERO) - have.get(r, ZERO) for r in set(want) | set(have)}
        diff = {r: v for r, v in diff.items() if v}
        if diff:
            out[period] = diff
    return out


# -- lines ----------------------------------------------------------------------------


def tax_account(rules, policy, jurisdiction):
    table = rules.value_maps.get(TAX_ACCOUNTS_MAP)
    if table is not None and jurisdiction in table.entries:
        return table.entries[jurisdiction]
    if table is not None and table.default_value:
        return table.default_value
    return policy.get("tax_payable_account") or ""


def dimensions_of(policy):
    out = {}
    for name, value in (policy.get("default_dimensions") or {}).items():
        target = DIMENSION_NAMES.get(str(name).lower())
        if target and value:
            out[f"dimensions.{target}"] = str(value)
    return out


def entry_lines(components, rules, policy):
    """Journal lines of summed components: one per role (and jurisdiction), rounded
    half-up to cents, a negative amount on the other side; debits = credits."""
    lines = []
    dims = dimensions_of(policy)
    for key in sorted(components, key=_role_order):
        role, _, jurisdiction = key.partition(":")
        account_field, fallback, debit, memo = ROLES[role]
        if role in ("tax", "refund_tax"):
            account = tax_account(rules, policy, jurisdiction)
            memo = f"{memo} {jurisdiction}".strip()
        else:
            account = policy.get(account_field) or (
                policy.get(fallback) if fallback else ""
            )
        amount = cents(components[key])
        if not amount:
            continue
        if not account:
            raise SummaryError(f"policy has no {account_field} for {memo.lower()}")
        lines.append(
            {
                "account": account,
                "amount": abs(amount),
                "debit": debit if amount > 0 else not debit,
                "memo": memo[:100],
                **dims,
            }
        )
    _balance(lines)
    for line in lines:
        line["amount"] = str(line["amount"])
    return lines


def _role_order(key):
    return list(ROLES).index(key.partition(":")[0]), key


def _balance(lines):
    """Rounding to cents line by line can leave a cent over: the clearing line takes
    it, so the entry balances exactly (amounts from the source are cents already;
    only tax split across jurisdictions can produce this)."""
    debits = sum((ln["amount"] for ln in lines if ln["debit"]), ZERO)
    credits = sum((ln["amount"] for ln in lines if not ln["debit"]), ZERO)
    gap = credits - debits
    if not gap:
        return
    clearing = next((ln for ln in lines if ln["memo"] == "Sales collected"), None)
    if clearing is None:
        clearing = next((ln for ln in lines if ln["memo"] == "Refunds paid"), None)
    if clearing is None:
        raise SummaryError(f"entry does not balance by {gap}")
    signed = clearing["amount"] if clearing["debit"] else -clearing["amount"]
    signed += gap
    clearing["amount"], clearing["debit"] = abs(signed), signed >= 0


class SummaryError(ValueError):
    """The policy cannot express the summary (e.g. an account is missing)."""


# -- planning -----------------------------------------------------------------------


@dataclass
class SummaryReport:
    entries: list = field(default_factory=list)
    members: int = 0
    held: int = 0
    shifted: int = 0


def summary_key(*, connection_id, channel, day, sequence):
    return Posting.make_idempotency_key(
        connection_id=connection_id,
        action=Action.POST_GL_SUMMARY,
        source_identity=f"summary/{channel}/{day.isoformat()}",
        version=sequence,
    )


def summary_plan(*, connection, run=None, until=None):
    """Create the summary and adjustment entries that are due; returns a report.

    ``until`` (exclusive, default today) keeps a day open until it is over.
    """
    report = SummaryReport()
    if connection.mapping_set_id is None:
        return report
    rules = mapping_rules(connection.mapping_set_id)
    if not any(p.get("mode") == PostingPolicy.Mode.SUMMARY for p in rules.policies):
        return report
    until = until or timezone.localdate()
    orders = _Orders(connection)
    members_now = SummaryMember.objects.filter(
        entry__connection_id=connection.pk, source_record_id=OuterRef("pk")
    )
    candidates = (
        latest_records(connection=connection)
        .exclude(Exists(members_now))
        .order_by("received_at", "id")
    )
    pending = defaultdict(list)  # (channel, day) -> [(record, delta components)]
    for batch in batches(candidates.iterator(chunk_size=CHUNK), CHUNK):
        orders.prefetch(batch)
        held = held_by_ledger(connection.pk, batch)
        for record in batch:
            desired = desired_of(record, rules, orders, until)
            if desired is None:
                continue
            identity = (record.source_id, record.kind, record.external_id)
            for period, delta in _delta(desired, held.get(identity, {})).items():
                pending[period].append((record, delta))
    state, _ = LedgerState.objects.get_or_create(connection=connection)
    for (channel, day), items in sorted(pending.items(), key=lambda kv: kv[0][1]):
        policy = rules.policy_for(channel)
        entry = _entry_create(
            connection, rules, policy, channel, day, items, run, state
        )
        if entry is not None:
            report.entries.append(entry)
            report.members += len(items)
            report.held += entry.posting.status == S.SKIPPED
            report.shifted += entry.posting_date != day
    return report


def _entry_create(connection, rules, policy, channel, day, items, run, state):
    totals = defaultdict(Decimal)
    for _, delta in items:
        for role, amount in delta.items():
            totals[role] += amount
    with transaction.atomic():
        # One planner per connection at a time: the next sequence must be ours.
        Connection.objects.select_for_update().filter(pk=connection.pk).first()
        last = SummaryEntry.objects.filter(
            connection=connection, channel=channel, day=day
        ).aggregate(top=Max("sequence"))["top"]
        sequence = (last or 0) + 1
        kind = (
            SummaryEntry.Kind.SUMMARY if sequence == 1 else SummaryEntry.Kind.ADJUSTMENT
        )
        posting_date, note, behaviour = period_for(policy, day, state.closed_through)
        try:
            lines = entry_lines(totals, rules, policy)
            problem = ""
        except SummaryError as exc:
            lines, problem = [], str(exc)
        what = "summary" if sequence == 1 else f"adjustment {sequence - 1}"
        label = channel or "all channels"
        payload = {
            "journal": policy.get("journal") or "GJ",
            "date": posting_date.isoformat(),
            "description": f"Intacct Hub {what}: {label} sales of {day}"[:200],
            "reference": f"HUB-{day:%Y%m%d}-{_slug(channel)}-{sequence}",
            "lines": lines,
        }
        posting = Posting.objects.create(
            connection=connection,
            run=run,
            action=Action.POST_GL_SUMMARY,
            intacct_object="GLBATCH",
            idempotency_key=summary_key(
                connection_id=connection.pk, channel=channel, day=day, sequence=sequence
            ),
            payload=payload,
            mapping_version=rules.version,
        )
        entry = SummaryEntry.objects.create(
            connection=connection,
            channel=channel,
            day=day,
            sequence=sequence,
            kind=kind,
            posting=posting,
            posting_date=posting_date,
            note=note,
        )
        SummaryMember.objects.bulk_create(
            [_member(entry, record, delta) for record, delta in items]
        )
        if problem:
            failure_record(posting=posting, category="missing_mapping", message=problem)
        elif behaviour == PostingPolicy.ClosedPeriod.HOLD:
            _hold(posting, note)
        elif behaviour == PostingPolicy.ClosedPeriod.FAIL:
            failure_record(posting=posting, category="business", message=note)
    return entry


def _member(entry, record, delta):
    net, tax, refunds = headline(delta)
    return SummaryMember(
        entry=entry,
        source_record=record,
        kind=record.kind,
        external_id=record.external_id,
        net_sales=cents(net),
        tax=cents(tax),
        refunds=cents(refunds),
        components={role: str(amount) for role, amount in delta.items()},
    )


def _slug(channel):
    return re.sub(r"[^A-Za-z0-9]+", "", channel or "ALL").upper()[:16] or "ALL"


def _hold(posting, reason):
    posting.skip_reason = reason[:500]
    posting.set_status(S.SKIPPED, save=False)
    posting.save(update_fields=["status", "skip_reason", "updated_at"])


def ledger_sync(*, connection, until=None, **client_options):
    """Plan summaries, run the pipeline, apply the closed-period policy to what
    Intacct refused, and send what that re-queued. For scripts, demos and tests."""
    from .runs import sync_once

    summary_plan(connection=connection, until=until)
    run = sync_once(connection=connection, **client_options)
    if summaries_settle_closed(connection=connection):
        run = sync_once(connection=connection, **client_options)
    return run
