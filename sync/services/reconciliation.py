"""Reconciliation: per connection × day × channel, three sides must agree.

- **source**: the latest SourceRecord versions — final, uncancelled orders of the
  day (count, net sales = total − tax, tax) and the day's refunds (money returned);
- **hub**: what the hub posted — detail invoices and credit memos (not reversed),
  or the posted summary entries of the day;
- **intacct**: the same documents read back from Intacct in batched queries (one
  query per 100 references, never one per document).

Each differing document is listed with the reason. ``reconciliation_rows`` stores its
answer in ``ReconciliationResult`` so pages read the database, not Intacct.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from mappings.models import Action, PostingPolicy
from mappings.selectors import mapping_rules

from ..clients import client_for
from ..models import Posting, ReconciliationResult
from .reconciliation_sides import (
    amounts,
    held_by_summaries,
    payload_journal,
    read_detail_hub,
    read_detail_intacct,
    read_source_side,
    read_summary_hub,
    read_summary_intacct,
)
from .summary_amounts import ZERO, cents

S = Posting.Status
FIELDS = ("documents", "net_sales", "tax", "refunds")


@dataclass
class Totals:
    documents: int = 0
    net_sales: Decimal = ZERO
    tax: Decimal = ZERO
    refunds: Decimal = ZERO

    def key(self):
        return (
            self.documents,
            cents(self.net_sales),
            cents(self.tax),
            cents(self.refunds),
        )


@dataclass
class ReconRow:
    """One connection × day × channel: each side's totals and whether they agree."""

    day: dt.date
    channel: str
    mode: str = PostingPolicy.Mode.DETAIL
    source: Totals = field(default_factory=Totals)
    hub: Totals = field(default_factory=Totals)
    intacct: Totals = field(default_factory=Totals)
    matches: bool = True
    documents: list = field(default_factory=list)

    def __getattr__(self, name):  # source_documents, hub_tax, intacct_refunds, …
        side, _, what = name.partition("_")
        if side in ("source", "hub", "intacct") and what in FIELDS:
            return getattr(getattr(self, side), what)
        raise AttributeError(name)


@dataclass
class ReconDocument:
    """A document on which the sides differ: who it is, what each side holds, why."""

    day: dt.date
    channel: str
    kind: str  # order | refund | summary
    external_id: str
    reason: str
    source: dict = field(default_factory=dict)
    hub: dict = field(default_factory=dict)
    intacct: dict = field(default_factory=dict)
    posting_id: int | None = None

    def as_dict(self):
        return {
            "day": self.day.isoformat(),
            "channel": self.channel,
            "kind": self.kind,
            "external_id": self.external_id,
            "reason": self.reason,
            "source": self.source,
            "hub": self.hub,
            "intacct": self.intacct,
            "posting_id": self.posting_id,
        }


# -- rows ---------------------------------------------------------------------------


def _totals(values, *, count_kind="order"):
    t = Totals()
    for identity, (net, tax, refunds) in values.items():
        t.documents += identity[0] == count_kind
        t.net_sales += net
        t.tax += tax
        t.refunds += refunds
    return t


def _compare(day, channel, source, hub, intacct, hub_postings):
    """Differing documents between the three {identity: (net, tax, refunds)} maps."""
    docs = []
    for identity in sorted(set(source) | set(hub) | set(intacct or {}), key=str):
        kind, _, external_id = identity
        s, h = source.get(identity), hub.get(identity)
        i = intacct.get(identity, "absent") if intacct is not None else "unread"
        reason = ""
        if h is None and s is not None:
            posting = hub_postings.get(identity)
            reason = "not posted" + (f" (posting {posting})" if posting else "")
        elif s is None and h is not None:
            reason = "posted, but not a final document of this day in the source"
        elif s is not None and _c(s) != _c(h):
            reason = "the hub posted other amounts than the source now says"
        elif i is None or i == "absent":
            reason = "missing in Intacct (deleted?)"
        elif isinstance(i, tuple) and len(i) == 2 and i[0] == "Reversed":
            reason = "reversed in Intacct, not by the hub"
        elif isinstance(i, tuple) and _c(i[-1]) != _c(h):
            reason = "Intacct holds other amounts than the hub posted"
        if reason:
            posting = hub_postings.get(identity)
            docs.append(
                ReconDocument(
                    day=day,
                    channel=channel,
                    kind=kind,
                    external_id=external_id,
                    reason=reason,
                    source=amounts(*s) if s else {},
                    hub=amounts(*h) if h else {},
                    intacct=amounts(*i[-1]) if isinstance(i, tuple) else {},
                    posting_id=getattr(posting, "pk", None),
                )
            )
    return docs


def _c(values):
    return tuple(cents(v) for v in values)


def _client(connection, client, client_options):
    if client is not None:
        return client, False
    return client_for(connection, **client_options), True


def reconcile(
    *, connection, day_from, day_to, client=None, store=True, **client_options
):
    """Rows (with their differing documents) for every day and channel in range."""
    rules = mapping_rules(connection.mapping_set_id)
    source = read_source_side(connection, rules, day_from, day_to)
    detail_hub = read_detail_hub(connection, rules, day_from, day_to)
    summary_hub = read_summary_hub(connection, day_from, day_to)
    client, owned = _client(connection, client, client_options)
    try:
        detail_intacct = read_detail_intacct(client, rules, detail_hub)
        summary_intacct = read_summary_intacct(client, summary_hub)
    finally:
        if owned:
            client.close()
    pending = _unposted(connection)
    rows = []
    for day, channel in sorted(set(source) | set(detail_hub) | set(summary_hub)):
        policy = rules.policy_for(channel) or {}
        mode = policy.get("mode") or PostingPolicy.Mode.DETAIL
        src = source.get((day, channel), {})
        row = ReconRow(day=day, channel=channel, mode=mode, source=_totals(src))
        if mode == PostingPolicy.Mode.SUMMARY or (day, channel) in summary_hub:
            _summary_row(
                row,
                connection,
                src,
                summary_hub.get((day, channel), []),
                summary_intacct,
            )
        else:
            hub = {k: v[1] for k, v in detail_hub.get((day, channel), {}).items()}
            read = {k: detail_intacct.get(k) for k in hub}
            row.hub = _totals(hub)
            row.intacct = _totals(
                {k: v[1] for k, v in read.items() if v and v[0] != "Reversed"}
            )
            postings = {k: v[0] for k, v in detail_hub.get((day, channel), {}).items()}
            row.documents = _compare(
                day, channel, src, hub, read, {**pending, **postings}
            )
        row.matches = (
            not row.documents and row.source.key() == row.hub.key() == row.intacct.key()
        )
        rows.append(row)
    if store:
        _store(connection, rows, day_from, day_to)
    return rows


def _summary_row(row, connection, src, entries, found):
    held = held_by_summaries(connection, row.day, row.channel)
    row.hub = _totals(held)
    row.intacct = Totals()
    row.documents = _compare(row.day, row.channel, src, held, None, {})
    covered = {}
    for entry in entries:
        posting = entry.posting
        if posting.status != S.POSTED:
            row.documents.append(
                ReconDocument(
                    row.day,
                    row.channel,
                    "summary",
                    posting.payload.get("reference", ""),
                    f"summary entry {entry.sequence} is {posting.status}"
                    + (f": {posting.skip_reason}" if posting.skip_reason else ""),
                    posting_id=posting.pk,
                )
            )
            continue
        reference = posting.payload.get("reference", "")
        hub_amounts = payload_journal(posting)
        intacct_amounts = found.get(reference)
        members = list(
            entry.members.values_list("kind", "source_record__source_id", "external_id")
        )
        if intacct_amounts is None:
            reason = "summary entry missing in Intacct (deleted?)"
        elif _c(intacct_amounts) != _c(hub_amounts):
            reason = "Intacct holds other amounts than the hub posted"
        else:
            reason = ""
            for identity in members:
                covered[identity] = True
            row.intacct.net_sales += intacct_amounts[0]
            row.intacct.tax += intacct_amounts[1]
            row.intacct.refunds += intacct_amounts[2]
        if reason:
            row.documents.append(
                ReconDocument(
                    row.day,
                    row.channel,
                    "summary",
                    reference,
                    reason,
                    hub=amounts(*hub_amounts),
                    intacct=amounts(*intacct_amounts) if intacct_amounts else {},
                    posting_id=posting.pk,
                )
            )
    row.intacct.documents = sum(
        1 for identity in covered if identity[0] == "order" and identity in held
    )


def _unposted(connection):
    """{identity: status} of the latest document posting of each unposted record."""
    out = {}
    rows = (
        Posting.objects.filter(
            connection=connection,
            action__in=[Action.POST_AR_INVOICE, Action.POST_CREDIT_MEMO],
        )
        .exclude(status=S.POSTED)
        .values_list(
            "source_record__kind",
            "source_record__source_id",
            "source_record__external_id",
            "status",
        )
    )
    for kind, source_id, external_id, status in rows:
        out[(kind, source_id, external_id)] = status
    return out


def _store(connection, rows, day_from, day_to):
    now = timezone.now()
    for row in rows:
        values = {"mode": row.mode, "matches": row.matches, "computed_at": now}
        for side in ("source", "hub", "intacct"):
            for what in FIELDS:
                values[f"{side}_{what}"] = getattr(getattr(row, side), what)
        values["mismatches"] = [d.as_dict() for d in row.documents]
        ReconciliationResult.objects.update_or_create(
            connection=connection, day=row.day, channel=row.channel, defaults=values
        )
    # Days and channels that no longer have anything to reconcile lose their row.
    kept = {(row.day, row.channel) for row in rows}
    stale = ReconciliationResult.objects.filter(
        connection=connection, day__gte=day_from, day__lte=day_to
    )
    for result in stale:
        if (result.day, result.channel) not in kept:
            result.delete()


def reconciliation_rows(*, connection, day_from, day_to, client=None, **client_options):
    """Per day × channel: source vs hub vs Intacct totals; stored as results."""
    return reconcile(
        connection=connection,
        day_from=day_from,
        day_to=day_to,
        client=client,
        **client_options,
    )


def reconciliation_documents(
    *, connection, day, channel, client=None, **client_options
):
    """The documents that differ on one day and channel, with the reason for each."""
    rows = reconcile(
        connection=connection,
        day_from=day,
        day_to=day,
        client=client,
        store=False,
        **client_options,
    )
    return [doc for row in rows if row.channel == channel for doc in row.documents]
