"""What each order and refund contributes to a summary journal entry: exact Decimal
amounts per line role (revenue, discounts, shipping, tips, tax per jurisdiction,
refunds), never rounded here — rounding to cents happens only when the entry's
lines are written (summary.entry_lines). Reconciliation reads the same figures.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")


def money(value):
    return Decimal(str(value or "0"))


def cents(value):
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def order_channel(order):
    """The channel a summary groups an order under (the planner's notion)."""
    return order.get("channel") or order.get("store") or ""


def jurisdiction_of(tax_line):
    """Tax goes to liability accounts by region: the line's jurisdiction, else its
    title (Shopify titles are per region, e.g. "CA State Tax")."""
    return (tax_line.get("jurisdiction") or tax_line.get("title") or "").strip()


# -- what one record contributes --------------------------------------------------


def order_components(order, policy):
    """Exact amounts per line role of one final order (Decimal, never rounded)."""
    gross_discounts = bool(policy.get("discounts_account"))
    included = bool(order.get("taxes_included"))
    out = defaultdict(Decimal)
    for line in order.get("lines") or []:
        amount = money(line.get("quantity")) * money(line.get("unit_price"))
        discount = money(line.get("discount"))
        line_tax = sum((money(t.get("amount")) for t in line.get("tax_lines") or []), 0)
        if included:
            amount -= line_tax
        if gross_discounts:
            out["revenue"] += amount
            out["discounts"] += discount
        else:
            out["revenue"] += amount - discount
        for tax in line.get("tax_lines") or []:
            out[f"tax:{jurisdiction_of(tax)}"] += money(tax.get("amount"))
    for line in order.get("shipping_lines") or []:
        amount, discount = money(line.get("price")), money(line.get("discount"))
        if included:
            amount -= sum((money(t.get("amount")) for t in line.get("tax_lines")), 0)
        if gross_discounts:
            out["shipping"] += amount
            out["discounts"] += discount
        else:
            out["shipping"] += amount - discount
        for tax in line.get("tax_lines") or []:
            out[f"tax:{jurisdiction_of(tax)}"] += money(tax.get("amount"))
    out["tip"] += money(order.get("total_tip"))
    taxes = sum((v for k, v in out.items() if k.startswith("tax:")), ZERO)
    out["collected"] = (
        out["revenue"] - out["discounts"] + out["shipping"] + out["tip"] + taxes
    )
    return {k: v for k, v in out.items() if v}


def _allocate(amount, weights):
    """Split ``amount`` over jurisdictions in proportion to ``weights``, to the cent;
    the last one takes the remainder so the parts add up exactly."""
    weights = {k: v for k, v in weights.items() if v}
    total = sum(weights.values(), ZERO)
    if not amount:
        return {}
    if not total:
        return {"": amount}
    parts, left = {}, amount
    names = sorted(weights)
    for name in names[:-1]:
        parts[name] = cents(amount * weights[name] / total)
        left -= parts[name]
    parts[names[-1]] = left
    return parts


def _tax_weights(tax_lines):
    weights = defaultdict(Decimal)
    for tax in tax_lines or []:
        weights[jurisdiction_of(tax)] += money(tax.get("amount"))
    return weights


def refund_components(refund, order):
    """Exact amounts per line role of one refund; its tax is split by the
    jurisdictions the refunded order lines were taxed in."""
    out = defaultdict(Decimal)
    out["refund_goods"] += money(refund.get("subtotal"))
    out["refund_adjustment"] += money(refund.get("adjustment"))
    shipping = refund.get("shipping") or {}
    out["refund_shipping"] += money(shipping.get("amount"))
    order = order or {}
    lines = {str(line.get("id")): line for line in order.get("lines") or []}
    every_tax = _tax_weights(
        [t for line in order.get("lines") or [] for t in line.get("tax_lines") or []]
        + [
            t
            for line in order.get("shipping_lines") or []
            for t in line.get("tax_lines") or []
        ]
    )
    for line in refund.get("lines") or []:
        source = lines.get(str(line.get("line_id")))
        weights = _tax_weights(source.get("tax_lines")) if source else every_tax
        for name, part in _allocate(
            money(line.get("tax")), weights or every_tax
        ).items():
            out[f"refund_tax:{name}"] += part
    shipping_weights = _tax_weights(
        [
            t
            for line in order.get("shipping_lines") or []
            for t in line.get("tax_lines") or []
        ]
    )
    for name, part in _allocate(
        money(shipping.get("tax")), shipping_weights or every_tax
    ).items():
        out[f"refund_tax:{name}"] += part
    out["refund_paid"] = money(refund.get("total"))
    return {k: v for k, v in out.items() if v}


def headline(components):
    """(net_sales, tax, refunds) of a set of components, as reconciliation sees them."""
    tax = sum((v for k, v in components.items() if k.startswith("tax:")), ZERO)
    return (
        components.get("collected", ZERO) - tax,
        tax,
        components.get("refund_paid", ZERO),
    )
