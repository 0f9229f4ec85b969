"""Realistic Shopify-shaped webhook traffic for demos (manage.py demo_data).

Repeat buyers, multi-line orders with tax, shipping and discount codes, ~5% refunds,
~2% cancellations, and a few deliberately broken orders that the sync engine must
surface: an unknown SKU, a missing email, an unmapped payment gateway.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
START = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
PRODUCTS = [
    ("Harbor Tee", ["S", "M", "L"], "24.00"),
    ("Dockside Mug", ["Black", "White"], "12.50"),
    ("Canvas Tote", ["Natural"], "18.00"),
    ("Wool Beanie", ["Navy", "Rust"], "22.00"),
    ("Field Notebook", ["Dot", "Lined"], "9.75"),
    ("Brass Keyring", ["One size"], "14.00"),
    ("Rain Shell", ["M", "L", "XL"], "89.00"),
    ("Trail Socks", ["M", "L"], "11.00"),
]
STATES = [
    ("CA", "0.0725"),
    ("NY", "0.08875"),
    ("TX", "0.0625"),
    ("OR", "0"),
    ("WA", "0.065"),
]
FIRST = ["Maya", "Liam", "Ana", "Kofi", "Yuki", "Omar", "Ines", "Noah", "Zara", "Eli"]
LAST = ["Lindqvist", "Okafor", "Tanaka", "Haddad", "Costa", "Novak", "Reyes", "Byrne"]
GATEWAYS = ["shopify_payments"] * 14 + ["paypal"] * 5 + ["manual"]
UNMAPPED_GATEWAY = "crypto_pay_unmapped"
UNKNOWN_SKU = "DISCONTINUED-0000"


@dataclass(frozen=True)
class Delivery:
    topic: str
    body: dict
    webhook_id: str


def cents(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def s(value):
    return str(cents(value))


class Generator:
    """Builds one reproducible stream of deliveries from a seed."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.ids = iter(range(10_000_000, 99_999_999))
        self.deliveries = []
        self.catalog = []
        self.customers = []
        self.known_customers = set()

    def next_id(self):
        return next(self.ids) * 100 + self.rng.randrange(100)

    def emit(self, topic, body):
        webhook_id = (
            f"demo-{len(self.deliveries) + 1:07d}-{self.rng.randrange(16**6):06x}"
        )
        self.deliveries.append(Delivery(topic, body, webhook_id))

    def build(self, orders):
        self.make_catalog()
        self.make_customers(max(5, orders // 3))
        for n in range(orders):
            self.make_order(n, orders)
        return self.deliveries

    def make_catalog(self):
        for index, (title, options, price) in enumerate(PRODUCTS):
            product_id = self.next_id()
            variants = []
            for option in options:
                sku = f"{title.split()[0][:4].upper()}-{option[:3].upper()}"
                variant = {
                    "id": self.next_id(),
                    "product_id": product_id,
                    "title": option,
                    "sku": sku,
                    "price": price,
                    "inventory_item_id": self.next_id(),
                    "inventory_management": "shopify",
                    "taxable": True,
                    "barcode": None,
                    "created_at": START.isoformat(),
                    "updated_at": START.isoformat(),
                }
                variants.append(variant)
                self.catalog.append((title, variant))
            self.emit(
                "products/create",
                {
                    "id": product_id,
                    "title": title,
                    "vendor": "Harbor Goods",
                    "product_type": "Retail",
                    "status": "active",
                    "created_at": START.isoformat(),
                    "updated_at": (START + timedelta(seconds=index)).isoformat(),
                    "variants": variants,
                },
            )

    def make_customers(self, count):
        for _ in range(count):
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            state, _ = self.rng.choice(STATES)
            email = f"{first}.{last}.{self.rng.randrange(1000)}@example.com".lower()
            self.customers.append(
                {
                    "id": self.next_id(),
                    "email": email,
                    "first_name": first,
                    "last_name": last,
                    "currency": "USD",
                    "state": "enabled",
                    "tax_exempt": False,
                    "tags": "",
                    "default_address": {
                        "first_name": first,
                        "last_name": last,
                        "address1": f"{self.rng.randrange(1, 999)} Market St",
                        "city": "Springfield",
                        "province_code": state,
                        "zip": f"{self.rng.randrange(10000, 99999)}",
                        "country_code": "US",
                    },
                }
            )

    def pick_customer(self):
        # Pareto-ish: a few customers place most of the orders (repeat buyers).
        index = min(int(self.rng.paretovariate(1.2)) - 1, len(self.customers) - 1)
        return self.customers[index]

    def make_order(self, n, total):
        at = START + timedelta(minutes=7 * n + self.rng.randrange(6))
        customer = self.pick_customer()
        if customer["id"] not in self.known_customers:
            self.known_customers.add(customer["id"])
            stamp = (at - timedelta(minutes=1)).isoformat()
            self.emit(
                "customers/create",
                {**customer, "created_at": stamp, "updated_at": stamp},
            )
        order = self.order_body(n, at, customer, broken_kind(n, total))
        self.emit("orders/create", order)
        roll = self.rng.random()
        if roll < 0.02:
            self.cancel(order, at)
        elif roll < 0.07:
            self.refund(order, at)

    def order_body(self, n, at, customer, broken):
        state, rate = next(
            (s_, r)
            for s_, r in STATES
            if s_ == customer["default_address"]["province_code"]
        )
        picks = self.rng.sample(self.catalog, k=self.rng.choice([1, 1, 2, 2, 3, 4]))
        code = "SUMMER10" if self.rng.random() < 0.15 else None
        lines = []
        for title, variant in picks:
            quantity = self.rng.choice([1, 1, 1, 2, 3])
            gross = Decimal(variant["price"]) * quantity
            discount = cents(gross * Decimal("0.10")) if code else Decimal(0)
            tax = cents((gross - discount) * Decimal(rate))
            lines.append(
                {
                    "id": self.next_id(),
                    "variant_id": variant["id"],
                    "product_id": variant["product_id"],
                    "title": title,
                    "name": f"{title} - {variant['title']}",
                    "sku": variant["sku"],
                    "quantity": quantity,
                    "price": variant["price"],
                    "taxable": True,
                    "requires_shipping": True,
                    "gift_card": False,
                    "tax_lines": [
                        {
                            "title": f"{state} State Tax",
                            "rate": float(rate),
                            "price": s(tax),
                        }
                    ]
                    if tax
                    else [],
                    "discount_allocations": [
                        {"amount": s(discount), "discount_application_index": 0}
                    ]
                    if code
                    else [],
                }
            )
        if broken == "unknown_sku":
            lines[0]["sku"] = UNKNOWN_SKU
        subtotal = sum(
            Decimal(ln["price"]) * ln["quantity"]
            - sum(Decimal(a["amount"]) for a in ln["discount_allocations"])
            for ln in lines
        )
        shipping = Decimal(0) if subtotal >= 75 else Decimal("6.95")
        tax = sum(Decimal(t["price"]) for ln in lines for t in ln["tax_lines"])
        discount = sum(
            Decimal(a["amount"]) for ln in lines for a in ln["discount_allocations"]
        )
        gateway = self.rng.choice(GATEWAYS)
        if broken == "unmapped_gateway":
            gateway = UNMAPPED_GATEWAY
        email = None if broken == "missing_email" else customer["email"]
        return {
            "id": self.next_id(),
            "name": f"#{1001 + n}",
            "order_number": 1001 + n,
            "email": email,
            "contact_email": email,
            "created_at": at.isoformat(),
            "updated_at": at.isoformat(),
            "processed_at": at.isoformat(),
            "currency": "USD",
            "financial_status": "paid",
            "fulfillment_status": None,
            "source_name": self.rng.choice(["web", "web", "web", "pos"]),
            "payment_gateway_names": [gateway],
            "taxes_included": False,
            "discount_codes": [
                {"code": code, "amount": s(discount), "type": "percentage"}
            ]
            if code
            else [],
            "line_items": lines,
            "shipping_lines": [
                {
                    "id": self.next_id(),
                    "title": "Standard",
                    "code": "Standard",
                    "price": s(shipping),
                    "tax_lines": [],
                }
            ],
            "subtotal_price": s(subtotal),
            "total_discounts": s(discount),
            "total_tax": s(tax),
            "total_price": s(subtotal + shipping + tax),
            "customer": None
            if email is None
            else {k: customer[k] for k in ("id", "email", "first_name", "last_name")},
            "billing_address": customer["default_address"],
            "shipping_address": customer["default_address"],
            "tags": "",
            "note": None,
        }

    def cancel(self, order, at):
        later = (at + timedelta(hours=2)).isoformat()
        self.emit(
            "orders/cancelled",
            {
                **order,
                "cancelled_at": later,
                "cancel_reason": "customer",
                "financial_status": "voided",
                "updated_at": later,
            },
        )

    def refund(self, order, at):
        line = order["line_items"][0]
        per_unit_discount = (
            sum(
                (Decimal(a["amount"]) for a in line["discount_allocations"]), Decimal(0)
            )
            / line["quantity"]
        )
        subtotal = cents(Decimal(line["price"]) - per_unit_discount)
        rate = (
            Decimal(str(line["tax_lines"][0]["rate"]))
            if line["tax_lines"]
            else Decimal(0)
        )
        tax = cents(subtotal * rate)
        later = at + timedelta(days=3)
        refund_id = self.next_id()
        self.emit(
            "refunds/create",
            {
                "id": refund_id,
                "order_id": order["id"],
                "created_at": later.isoformat(),
                "processed_at": later.isoformat(),
                "note": "Customer return",
                "restock": True,
                "refund_line_items": [
                    {
                        "id": self.next_id(),
                        "line_item_id": line["id"],
                        "quantity": 1,
                        "restock_type": "return",
                        "location_id": 71294337081,
                        "subtotal": float(subtotal),
                        "total_tax": float(tax),
                        "line_item": {"id": line["id"], "sku": line["sku"]},
                    }
                ],
                "transactions": [
                    {
                        "id": self.next_id(),
                        "order_id": order["id"],
                        "kind": "refund",
                        "gateway": order["payment_gateway_names"][0],
                        "status": "success",
                        "amount": s(subtotal + tax),
                        "currency": "USD",
                        "created_at": later.isoformat(),
                    }
                ],
                "order_adjustments": [],
            },
        )
        stamp = (later + timedelta(seconds=5)).isoformat()
        self.emit(
            "orders/updated",
            {**order, "financial_status": "partially_refunded", "updated_at": stamp},
        )


BROKEN = ("unknown_sku", "missing_email", "unmapped_gateway")


def broken_kind(n, total):
    """About 2% of orders are broken on purpose, and every kind at least once."""
    if total < 50:
        spots = {total * (i + 1) // 4: kind for i, kind in enumerate(BROKEN)}
        return spots.get(n) if total >= 4 else None
    return {11: BROKEN[0], 27: BROKEN[1], 43: BROKEN[2]}.get(n % 50)


def demo_traffic(*, orders, seed):
    """The deliveries for ``orders`` orders, the same for the same seed."""
    return Generator(seed).build(orders)
