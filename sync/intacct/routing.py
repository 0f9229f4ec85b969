"""Which protocol carries each business action, per connection.

Defaults: REST where Intacct exposes the object and operation there; XML for
legacy-only creates (credit memos, inventory transactions), user-defined
dimensions, multi-function batches and `transaction="true"`. A call that meets
"not supported" on one protocol falls back to the other, and the router
remembers that for the rest of the connection's life.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

REST = "rest"
XML = "xml"

DEFAULT_ROUTES: dict[str, str] = {
    "upsert_customer": REST,
    "upsert_item": REST,
    "post_sales_order": REST,
    "post_ar_invoice": REST,
    "post_credit_memo": XML,  # create_aradjustment: legacy-only in most tenants
    "post_inventory_adjustment": XML,  # create_ictransaction: legacy-only
    "post_journal_entry": REST,
    "reverse_or_void": XML,  # reverse_invoice & co. are XML functions
    "find": REST,  # one query-service call per 100 references
    "read_dimensions": XML,  # getDimensions lists user-defined dimensions
    "read_ar_status": REST,
    "read_field_catalog": REST,  # services/core/model; XML `lookup` as fallback
    "check_permissions": XML,
    "batch": XML,  # several writes in one request
    "atomic": XML,  # transaction="true"
}


class Router:
    """Chooses the protocol order for one call; the caller never does."""

    def __init__(
        self,
        routes: Mapping[str, str] | None = None,
        *,
        has_rest: bool = True,
        has_xml: bool = True,
    ):
        unknown = set(routes or {}) - set(DEFAULT_ROUTES)
        if unknown:
            raise ValueError(f"unknown actions in routing table: {sorted(unknown)}")
        bad = {v for v in (routes or {}).values()} - {REST, XML}
        if bad:
            raise ValueError(f"unknown protocols in routing table: {sorted(bad)}")
        self.routes = {**DEFAULT_ROUTES, **(routes or {})}
        self.available = [p for p, ok in ((REST, has_rest), (XML, has_xml)) if ok]
        if not self.available:
            raise ValueError("credentials allow neither REST nor XML")
        self._unsupported: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def order(self, action: str, *, needs_xml: bool = False) -> list[str]:
        """Protocols to try, best first."""
        first = XML if needs_xml else self.routes[action]
        candidates = [first, REST if first == XML else XML]
        out = [p for p in candidates if p in self.available]
        with self._lock:
            usable = [p for p in out if (action, p) not in self._unsupported]
        if needs_xml:
            usable = [p for p in usable if p == XML]
        return usable or out[:1]

    def unsupported(self, action: str, protocol: str) -> None:
        """Remember that `protocol` cannot do `action` for this connection."""
        with self._lock:
            self._unsupported.add((action, protocol))
