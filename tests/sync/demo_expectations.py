"""What a detail-mode run of the demo traffic must leave in Intacct, computed from
the normalized source records alone (shared by the acceptance and fault tests)."""

from dataclasses import dataclass

from commerce.demo import UNKNOWN_SKU
from commerce.models import SourceRecord

PAID = ("paid", "partially_refunded", "refunded")


def latest(kind):
    newest = {}
    for record in SourceRecord.objects.filter(kind=kind).order_by("version"):
        newest[record.external_id] = record
    return list(newest.values())


def final_orders():
    return [
        o
        for o in latest("order")
        if not o.payload.get("cancelled_at") and o.payload["financial_status"] in PAID
    ]


@dataclass
class Expected:
    invoiced: set  # order ids that must each have exactly one invoice
    unknown_sku: set  # order ids whose invoice Intacct must refuse
    guests: set  # order ids invoiced to the guest customer
    buyers: set  # customer ids that must each exist exactly once
    credit_memos: int

    def check(self, counts, seeded):
        """Exactly once: nothing duplicated, nothing missing (sandbox counts)."""
        new_customers = counts.get("CUSTOMER", 0) - seeded.get("CUSTOMER", 0)
        held = {
            "invoices": counts.get("ARINVOICE", 0),
            "credit memos": counts.get("ARADJUSTMENT", 0),
            "customers": new_customers,
        }
        expected = {
            "invoices": len(self.invoiced),
            "credit memos": self.credit_memos,
            "customers": len(self.buyers),
        }
        assert held == expected, f"Intacct holds {held}, expected {expected}"


def expected_detail_run():
    final = final_orders()
    unknown_sku = {
        o.external_id
        for o in final
        if any(line.get("sku") == UNKNOWN_SKU for line in o.payload["lines"])
    }
    invoiced = {o.external_id for o in final} - unknown_sku
    # One Intacct customer per distinct buyer the source knows of, whether it sent
    # the customer on its own (customers/create) or only inside orders.
    buyers = {c.external_id for c in latest("customer")} | {
        o.payload["customer"]["id"] for o in final if o.payload.get("customer")
    }
    refunds = [r for r in latest("refund") if r.payload["order_id"] in invoiced]
    return Expected(
        invoiced=invoiced,
        unknown_sku=unknown_sku,
        # A checkout without an email has no customer: by the default policy it is
        # invoiced to the channel's guest customer, as ACCOUNTING.md allows.
        guests={o.external_id for o in final if not o.payload.get("customer")},
        buyers=buyers,
        credit_memos=len(refunds),
    )
