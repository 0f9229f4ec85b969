"""The rule set as plain answers to the questions finance and ops ask."""

from .models import ObjectType, OwnershipRule, PostingPolicy
from .rules import DEFAULT_OWNERSHIP

QUESTIONS = {
    ObjectType.CUSTOMER: "Who creates the customer master, and how is a buyer matched?",
    ObjectType.ITEM: "Who creates items (the SKU master) in Intacct?",
    ObjectType.SALES_ORDER: "May the hub create sales orders?",
    ObjectType.AR_INVOICE: "May the hub create AR invoices?",
    ObjectType.CREDIT_MEMO: "May the hub create credit memos for refunds?",
    ObjectType.INVENTORY_ADJUSTMENT: "Who owns available quantity?",
    ObjectType.JOURNAL_ENTRY: "May the hub post summary journal entries?",
}

HUB_MAY = {
    OwnershipRule.HubMay.CREATE_AND_UPDATE: "creates it and keeps it up to date",
    OwnershipRule.HubMay.CREATE_ONLY: "creates it once and never changes it after",
    OwnershipRule.HubMay.LINK_ONLY: "only links to a record that already exists",
    OwnershipRule.HubMay.NEVER: "never touches it",
}


def _owner_sentence(object_type, rule):
    master = OwnershipRule.Master(rule.master).label
    if object_type == ObjectType.INVENTORY_ADJUSTMENT:
        if rule.hub_may == OwnershipRule.HubMay.NEVER:
            return "Sage Intacct (or the WMS): the hub sends no stock movements."
        return (
            f"{master}: the hub posts its stock movements as inventory adjustments "
            f"and {HUB_MAY[rule.hub_may]}."
        )
    return f"{master} is master; the hub {HUB_MAY[rule.hub_may]}."


def ownership_rows(mapping_set):
    """One row per object type, then one per posting policy (channel)."""
    rules = {r.object_type: r for r in mapping_set.ownership_rules.all()}
    rows = []
    for object_type in ObjectType:
        rule = rules.get(object_type)
        details = []
        if rule is None:
            rule = DEFAULT_OWNERSHIP
            details.append("No rule: the hub assumes commerce is master.")
        if rule.identity_order:
            details.append("Matched by " + " → ".join(rule.identity_order) + ".")
        if rule.intacct_owned_fields:
            fields = ", ".join(rule.intacct_owned_fields)
            details.append(f"Intacct owns {fields}: never sent on update.")
        rows.append(
            {
                "object": object_type.label,
                "question": QUESTIONS[object_type],
                "answer": _owner_sentence(object_type, rule),
                "details": " ".join(details),
                "rule": rules.get(object_type),
            }
        )
    for policy in mapping_set.posting_policies.all():
        channel = policy.channel or "every other channel"
        if policy.mode == PostingPolicy.Mode.DETAIL:
            how = f"detail: {policy.get_detail_documents_display()} per order"
        else:
            how = f"summary: one journal entry {policy.get_summary_period_display()}"
            how = how.lower()
        cutover = (
            f" Nothing dated before {policy.cutover_date:%Y-%m-%d} is posted."
            if policy.cutover_date
            else ""
        )
        rows.append(
            {
                "object": f"Orders ({channel})",
                "question": "Which event makes an order final?",
                "answer": f"{policy.get_finality_event_display()}.",
                "details": "Nothing is posted to the ledger before it.",
                "policy": policy,
            }
        )
        rows.append(
            {
                "object": f"Posting ({channel})",
                "question": "Who decides summary vs detail posting, and which is it?",
                "answer": f"Finance, in this posting policy: {how}.",
                "details": "Closed periods: "
                f"{policy.get_closed_period_behaviour_display().lower()}.{cutover}",
                "policy": policy,
            }
        )
    return rows
