"""The three sides of a reconciliation row, each read in batches: the source
records, what the hub posted, and what Intacct holds (detail documents or summary
journal entries). ``reconciliation.py`` compares them."""

import datetime as dt
from collections import defaultdict

from mappings.models import Action

from ..batching import batches
from ..models import Posting, SummaryEntry, SummaryMember
from .plan_context import business_date, is_final
from .summary import TAX_ACCOUNTS_MAP, _Orders, latest_records
from .summary_amounts import ZERO, cents, money, order_channel

S = Posting.Status
BATCH = 100


def amounts(net=ZERO, tax=ZERO, refunds=ZERO):
    return {
        "net_sales": str(cents(net)),
        "tax": str(cents(tax)),
        "refunds": str(cents(refunds)),
    }


# -- source -----------------------------------------------------------------------


def read_source_side(connection, rules, day_from, day_to):
    """{(day, channel): {identity: amounts}} of what the source says is final."""
    out = defaultdict(dict)
    orders = _Orders(connection)
    for record in latest_records(connection=connection).iterator(chunk_size=500):
        payload = record.payload
        if record.is_tombstone:
            continue
        if record.kind == "order":
            channel, day = order_channel(payload), business_date(payload)
        else:
            order = orders.get(record.source_id, payload.get("order_id"))
            if order is None or order.is_tombstone:
                continue
            channel = order_channel(order.payload)
            day = business_date(
                {
                    "processed_at": payload.get("processed_at")
                    or payload.get("created_at")
                }
            )
        policy = rules.policy_for(channel)
        if policy is None or day is None or not day_from <= day <= day_to:
            continue
        cutover = policy.get("cutover_date")
        if cutover and day < dt.date.fromisoformat(cutover):
            continue
        identity = (record.kind, record.source_id, record.external_id)
        if record.kind == "order":
            if not is_final(payload, policy["finality_event"]):
                continue
            tax = money(payload.get("total_tax"))
            out[(day, channel)][identity] = (
                money(payload.get("total_price")) - tax,
                tax,
                ZERO,
            )
        else:
            out[(day, channel)][identity] = (ZERO, ZERO, money(payload.get("total")))
    return out


# -- hub and Intacct, detail mode ------------------------------------------------------


def tax_accounts(rules):
    accounts = {p.get("tax_payable_account") for p in rules.policies}
    table = rules.value_maps.get(TAX_ACCOUNTS_MAP)
    if table is not None:
        accounts |= set(table.entries.values()) | {table.default_value}
    return {a for a in accounts if a}


def _split(lines, taxes, *, refund):
    """(net, tax, refunds) of document lines [(account, amount)]."""
    total = sum((amount for _, amount in lines), ZERO)
    if refund:
        return ZERO, ZERO, abs(total)
    tax = sum((amount for account, amount in lines if account in taxes), ZERO)
    return total - tax, tax, ZERO


def _payload_lines(payload):
    out = []
    for key, value in payload.items():
        if isinstance(value, list) and (key.startswith("$") or key.endswith("lines")):
            out += [
                (str(ln.get("gl_account", "")), money(ln.get("amount"))) for ln in value
            ]
    return out


def read_detail_hub(connection, rules, day_from, day_to):
    """{(day, channel): {identity: (posting, amounts)}} of unreversed documents."""
    taxes = tax_accounts(rules)
    out = defaultdict(dict)
    reversed_ = set(
        Posting.objects.filter(
            connection=connection, action=Action.REVERSE_OR_VOID, status=S.POSTED
        ).values_list("depends_on_id", flat=True)
    )
    orders = _Orders(connection)
    postings = Posting.objects.filter(
        connection=connection,
        action__in=[Action.POST_AR_INVOICE, Action.POST_CREDIT_MEMO],
        status=S.POSTED,
    ).select_related("source_record")
    for posting in postings.iterator(chunk_size=500):
        if posting.pk in reversed_:
            continue
        record = posting.source_record
        payload = record.payload
        refund = posting.action == Action.POST_CREDIT_MEMO
        if refund:
            order = orders.get(record.source_id, payload.get("order_id"))
            channel = order_channel(order.payload if order else {})
            stamp = {
                "processed_at": payload.get("processed_at") or payload.get("created_at")
            }
            day = business_date(stamp)
        else:
            channel, day = order_channel(payload), business_date(payload)
        if day is None or not day_from <= day <= day_to:
            continue
        identity = (record.kind, record.source_id, record.external_id)
        amounts = _split(_payload_lines(posting.payload), taxes, refund=refund)
        out[(day, channel)][identity] = (posting, amounts)
    return out


def _lines_of(row, container, item):
    lines = (row.get(container) or {}) if isinstance(row.get(container), dict) else {}
    items = lines.get(item) or []
    return [items] if isinstance(items, dict) else list(items)


def _read_documents(client, obj, numbers):
    """Intacct's rows of ``obj`` by document number, one query per 100 numbers."""
    lines = "ARINVOICEITEMS" if obj == "ARINVOICE" else "ARADJUSTMENTITEMS"
    found = {}
    for chunk in batches(sorted(set(numbers)), BATCH):
        rows = client.xml.query(
            obj,
            ["RECORDNO", "RECORDID", "STATE", "TOTALENTERED", lines],
            {"in": {"field": "RECORDID", "value": chunk}},
            orderby=(),
        )
        for row in rows:
            found[str(row.get("RECORDID"))] = row
    return found


def read_detail_intacct(client, rules, hub):
    taxes = tax_accounts(rules)
    numbers = defaultdict(list)
    for documents in hub.values():
        for posting, _ in documents.values():
            numbers[posting.intacct_object].append(posting.result_id)
    rows = {}
    for obj, values in numbers.items():
        rows[obj] = _read_documents(client, obj, values)
    out = {}
    for documents in hub.values():
        for identity, (posting, _) in documents.items():
            row = rows.get(posting.intacct_object, {}).get(posting.result_id)
            if row is None:
                out[identity] = None
                continue
            refund = posting.intacct_object == "ARADJUSTMENT"
            container, item = (
                ("ARADJUSTMENTITEMS", "aradjustmentitem")
                if refund
                else ("ARINVOICEITEMS", "arinvoiceitem")
            )
            lines = [
                (
                    str(ln.get("ACCOUNTNO", "")),
                    money(ln.get("AMOUNT") or ln.get("TRX_AMOUNT")),
                )
                for ln in _lines_of(row, container, item)
            ]
            if not lines:
                lines = [("", money(row.get("TOTALENTERED")))]
            out[identity] = (
                str(row.get("STATE") or ""),
                _split(lines, taxes, refund=refund),
            )
    return out


# -- hub and Intacct, summary mode ---------------------------------------------------


def summary_line_amounts(lines):
    """(net, tax, refunds) of journal lines, read by their memos (docs/ledger.md)."""
    collected = tax = refunds = ZERO
    for memo, _account, amount, debit in lines:
        memo = memo or ""
        if memo.startswith("Sales collected"):
            collected += amount if debit else -amount
        elif memo.startswith("Sales tax"):
            tax += -amount if debit else amount
        elif memo.startswith("Refunds paid"):
            refunds += -amount if debit else amount
    return collected - tax, tax, refunds


def read_summary_hub(connection, day_from, day_to):
    entries = (
        SummaryEntry.objects.filter(
            connection=connection, day__gte=day_from, day__lte=day_to
        )
        .select_related("posting")
        .order_by("day", "channel", "sequence")
    )
    out = defaultdict(list)
    for entry in entries:
        out[(entry.day, entry.channel)].append(entry)
    return out


def read_summary_intacct(client, entries):
    refs = [e.posting.payload.get("reference") for es in entries.values() for e in es]
    found = {}
    for chunk in batches(sorted({r for r in refs if r}), BATCH):
        rows = client.xml.query(
            "GLBATCH",
            ["RECORDNO", "REFERENCENO", "BATCH_DATE", "STATE", "ENTRIES"],
            {"in": {"field": "REFERENCENO", "value": chunk}},
            orderby=(),
        )
        for row in rows:
            lines = [
                (
                    ln.get("DESCRIPTION"),
                    ln.get("ACCOUNTNO"),
                    money(ln.get("TRX_AMOUNT") or ln.get("AMOUNT")),
                    str(ln.get("TR_TYPE")) == "1",
                )
                for ln in _lines_of(row, "ENTRIES", "GLENTRY")
            ]
            found[str(row.get("REFERENCENO"))] = summary_line_amounts(lines)
    return found


def payload_journal(posting):
    return summary_line_amounts(
        [
            (
                ln.get("memo"),
                ln.get("account"),
                money(ln.get("amount")),
                ln.get("debit"),
            )
            for ln in posting.payload.get("lines") or []
        ]
    )


def held_by_summaries(connection, day, channel, posted_only=True):
    """{identity: (net, tax, refunds)} the day's posted summary entries hold."""
    members = SummaryMember.objects.filter(
        entry__connection=connection, entry__day=day, entry__channel=channel
    ).select_related("source_record")
    if posted_only:
        members = members.filter(entry__posting__status=S.POSTED)
    held = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for m in members:
        identity = (m.kind, m.source_record.source_id, m.external_id)
        held[identity][0] += m.net_sales
        held[identity][1] += m.tax
        held[identity][2] += m.refunds
    return {k: tuple(v) for k, v in held.items() if any(v)}
