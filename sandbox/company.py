"""Companies, their senders, users, OAuth clients, entities and seed data.

A company's configuration is a JSON dict kept in the store (so a file-backed
sandbox remembers it); `Company` is the typed view of it. The DEMO company and
its credentials are fixed and documented in README.md.
"""

from __future__ import annotations

import hmac
from dataclasses import asdict, dataclass, field

from sandbox import errors
from sandbox.objects import SPECS, UDD_OBJECT
from sandbox.store import Store

DEMO_COMPANY = "SANDBOX-DEMO"

DEMO_CREDENTIALS = {
    "sender_id": "sandbox_sender",
    "sender_password": "sandbox-sender-password",
    "company_id": DEMO_COMPANY,
    "user_id": "xml_gateway",
    "user_password": "sandbox-user-password",
    "client_id": "sandbox-client.app.sandbox.intacct",
    "client_secret": "sandbox-client-secret",
}

OPERATIONS = ("read", "create", "update", "delete")


def demo_credentials() -> dict:
    """The DEMO company's credentials (same every run; a test fixture, not a secret)."""
    return dict(DEMO_CREDENTIALS)


@dataclass
class User:
    """A Web Services user; `denied` holds 'OBJECT' or 'OBJECT:operation' entries."""

    user_id: str
    password: str
    denied: list[str] = field(default_factory=list)

    def allowed(self, obj: str, operation: str) -> bool:
        """May this user perform `operation` (read/create/update/delete) on `obj`?"""
        return obj not in self.denied and f"{obj}:{operation}" not in self.denied


@dataclass
class Company:
    """Typed view of one company's configuration."""

    company_id: str
    senders: dict[str, str] = field(default_factory=dict)  # sender id -> password
    users: dict[str, User] = field(default_factory=dict)
    oauth_clients: dict[str, str] = field(default_factory=dict)  # client id -> secret
    entities: list[str] = field(default_factory=list)  # LOCATIONIDs that are entities
    closed_through: str | None = None  # ISO date; postings on/before it are refused
    line_location_required: bool = False  # multi-entity: lines must name a location
    session_ttl: float = 12 * 3600.0  # sliding XML session lifetime (seconds)

    @classmethod
    def from_dict(cls, data: dict) -> Company:
        """Build from the stored JSON dict."""
        data = dict(data)
        data["users"] = {uid: User(**u) for uid, u in data.get("users", {}).items()}
        return cls(**data)

    def to_dict(self) -> dict:
        """JSON-able dict for the store."""
        return asdict(self)

    def user(self, user_id: str) -> User | None:
        """A user by id (case-sensitive, like Intacct login ids), or None."""
        return self.users.get(user_id)


def load(store: Store, company_id: str) -> Company | None:
    """The company with this id, or None."""
    data = store.company_get(company_id)
    return Company.from_dict(data) if data is not None else None


def save(store: Store, company: Company) -> None:
    """Persist a company's configuration."""
    store.company_put(company.company_id, company.to_dict())


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def sender_valid(store: Store, sender_id: str, password: str) -> bool:
    """Is (sender id, password) known to any company? (control-level check)."""
    for company_id in store.company_ids():
        secret = store.company_get(company_id).get("senders", {}).get(sender_id)
        if secret is not None and _same(secret, password or ""):
            return True
    return False


def authenticate(
    store: Store,
    company_id: str,
    user_id: str,
    password: str,
    entity: str | None = None,
) -> tuple[Company, User]:
    """Check user credentials (and entity); raise AuthenticationFailed."""
    company = load(store, company_id or "")
    user = company.user(user_id or "") if company else None
    if user is None or not _same(user.password, password or ""):
        raise errors.sign_in_failed()
    check_entity(company, entity)
    return company, user


def check_entity(company: Company, entity: str | None) -> None:
    """An entity id must be one of the company's entities."""
    if entity and entity not in company.entities:
        raise errors.sign_in_failed()


def oauth_client_company(
    store: Store, client_id: str, client_secret: str | None
) -> list[str]:
    """Companies that authorise this OAuth client (secret checked when given)."""
    found = []
    for company_id in store.company_ids():
        secret = store.company_get(company_id).get("oauth_clients", {}).get(client_id)
        if secret is not None and (
            client_secret is None or _same(secret, client_secret)
        ):
            found.append(company_id)
    return found


# --- seed data -------------------------------------------------------------------

ACCOUNTS = [
    ("1000", "Cash", "balancesheet", "debit"),
    ("1010", "Checking account", "balancesheet", "debit"),
    ("1100", "Accounts receivable", "balancesheet", "debit"),
    ("1200", "Inventory", "balancesheet", "debit"),
    ("1250", "Payment gateway clearing", "balancesheet", "debit"),
    ("2100", "Sales tax payable", "balancesheet", "credit"),
    ("4000", "Sales revenue", "incomestatement", "credit"),
    ("4010", "Shipping income", "incomestatement", "credit"),
    ("4900", "Sales discounts", "incomestatement", "debit"),
    ("4950", "Sales returns", "incomestatement", "debit"),
    ("5000", "Cost of goods sold", "incomestatement", "debit"),
    ("6100", "Payment processing fees", "incomestatement", "debit"),
]

SEED: dict[str, list[dict]] = {
    "GLACCOUNT": [
        {"ACCOUNTNO": no, "TITLE": t, "ACCOUNTTYPE": kind, "NORMALBALANCE": nb}
        for no, t, kind, nb in ACCOUNTS
    ],
    "GLJOURNAL": [
        {"SYMBOL": "GJ", "TITLE": "General Journal"},
        {"SYMBOL": "SJ", "TITLE": "Sales Journal"},
        {"SYMBOL": "ADJ", "TITLE": "Adjustments Journal"},
    ],
    "LOCATION": [
        {"LOCATIONID": "100", "NAME": "US Entity", "ENTITY": "true"},
        {"LOCATIONID": "110", "NAME": "US Web Store", "PARENTID": "100"},
        {"LOCATIONID": "200", "NAME": "UK Entity", "ENTITY": "true"},
        {"LOCATIONID": "210", "NAME": "UK Web Store", "PARENTID": "200"},
    ],
    "DEPARTMENT": [
        {"DEPARTMENTID": "SALES", "TITLE": "Sales"},
        {"DEPARTMENTID": "OPS", "TITLE": "Operations"},
        {"DEPARTMENTID": "ADM", "TITLE": "Administration"},
    ],
    "CLASS": [
        {"CLASSID": "RETAIL", "NAME": "Retail"},
        {"CLASSID": "WHOLESALE", "NAME": "Wholesale"},
        {"CLASSID": "ONLINE", "NAME": "Online"},
    ],
    UDD_OBJECT: [
        {"ID": "SHOPIFY", "NAME": "Shopify"},
        {"ID": "AMAZON", "NAME": "Amazon"},
        {"ID": "POS", "NAME": "Point of sale"},
    ],
    "ARTERM": [
        {"NAME": "N30", "DESCRIPTION": "Net 30", "DUEDAYS": "30"},
        {"NAME": "N15", "DESCRIPTION": "Net 15", "DUEDAYS": "15"},
        {"NAME": "Due on Receipt", "DESCRIPTION": "Due on receipt", "DUEDAYS": "0"},
    ],
    "ITEM": [
        {"ITEMID": "SKU-1001", "NAME": "Blue T-shirt", "BASEPRICE": "25.00"},
        {"ITEMID": "SKU-1002", "NAME": "Red Hoodie", "BASEPRICE": "55.00"},
        {"ITEMID": "SKU-1003", "NAME": "Canvas Tote", "BASEPRICE": "15.00"},
        {"ITEMID": "SHIPPING", "NAME": "Shipping", "ITEMTYPE": "Non-Inventory"},
    ],
    "WAREHOUSE": [
        {"WAREHOUSEID": "WH-US", "NAME": "US Warehouse", "LOCATIONID": "100"},
        {"WAREHOUSEID": "WH-UK", "NAME": "UK Warehouse", "LOCATIONID": "200"},
    ],
    "CUSTOMER": [
        {
            "CUSTOMERID": "WEB-GUEST",
            "NAME": "Web guest customer",
            "TERMNAME": "Due on Receipt",
        },
    ],
}


def demo_company(company_id: str = DEMO_COMPANY) -> Company:
    """The DEMO company: entities 100/200, books closed through 2020-12-31."""
    creds = DEMO_CREDENTIALS
    return Company(
        company_id=company_id,
        senders={creds["sender_id"]: creds["sender_password"]},
        users={
            creds["user_id"]: User(creds["user_id"], creds["user_password"]),
            "auditor": User(
                "auditor",
                "sandbox-auditor-password",
                denied=[
                    f"{obj}:{op}" for obj in SPECS for op in OPERATIONS if op != "read"
                ],
            ),
        },
        oauth_clients={creds["client_id"]: creds["client_secret"]},
        entities=["100", "200"],
        closed_through="2020-12-31",
    )


def seed(
    store: Store, company: Company, data: dict[str, list[dict]] | None = None
) -> None:
    """Replace the company (config and rows) with `company` and the seed rows."""
    with store.transaction():
        store.company_drop(company.company_id)
        save(store, company)
        for obj, rows in (SEED if data is None else data).items():
            spec = SPECS[obj]
            for row in rows:
                store.insert(
                    company.company_id, obj, {**spec.defaults, **row}, spec.id_field
                )
