"""`IntacctClient`: the hub's only door to Intacct, spoken in business actions."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from sync.intacct import errors, permissions, reads, writes
from sync.intacct.constants import XML_BATCH_SIZE
from sync.intacct.credentials import Credentials
from sync.intacct.objects import registry
from sync.intacct.objects.ar_invoice import ARInvoice
from sync.intacct.objects.base import legacy_date
from sync.intacct.objects.credit_memo import CreditMemo
from sync.intacct.objects.customer import Customer
from sync.intacct.objects.inventory_adjustment import InventoryAdjustment
from sync.intacct.objects.item import Item
from sync.intacct.objects.journal_entry import JournalEntry
from sync.intacct.objects.sales_order import SalesOrder
from sync.intacct.ratelimit import ConcurrencyLimiter, RateLimiter, TransactionMeter
from sync.intacct.rest.api import RestApi
from sync.intacct.rest.oauth import TokenProvider
from sync.intacct.results import (
    REVERSED,
    VOIDED,
    ARStatus,
    Dimension,
    DocumentRef,
    FieldInfo,
    Found,
    Write,
    WriteResult,
)
from sync.intacct.routing import REST, XML, Router
from sync.intacct.transport import Attempt, Transport
from sync.intacct.xmlgw import builder
from sync.intacct.xmlgw.gateway import XmlGateway
from sync.intacct.xmlgw.session import SessionCache

log = logging.getLogger("sync.intacct.client")
T = TypeVar("T")

# Legacy reverse functions per document object; others are voided by delete.
REVERSE_FUNCTIONS = {
    "ARINVOICE": "reverse_invoice",
    "ARADJUSTMENT": "reverse_aradjustment",
}


class IntacctClient:
    """One Intacct company (and optionally entity), both protocols, one transport."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        http_transport: httpx.BaseTransport | None = None,
        routes: Mapping[str, str] | None = None,
        rate_limiter: RateLimiter | None = None,
        concurrency: ConcurrencyLimiter | None = None,
        meter: TransactionMeter | None = None,
        sessions: SessionCache | None = None,
        batch_size: int = XML_BATCH_SIZE,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
        on_refresh_token: Callable[[str], None] | None = None,
        **transport_options: Any,
    ):
        self.credentials = credentials
        self.batch_size = batch_size
        if clock is not None:
            transport_options["clock"] = clock
        if sleep is not None:
            transport_options["sleep"] = sleep
        self.transport = Transport(
            base_url=credentials.base_url,
            scope=credentials.scope,
            http_transport=http_transport,
            rate_limiter=rate_limiter,
            concurrency=concurrency,
            meter=meter,
            secrets=credentials.secrets(),
            on_attempt=on_attempt,
            **transport_options,
        )
        self.router = Router(
            routes, has_rest=credentials.has_rest, has_xml=credentials.has_xml
        )
        self.xml = XmlGateway(credentials, self.transport, sessions)
        self.tokens = TokenProvider(credentials, self.transport, on_refresh_token)
        self.rest = RestApi(credentials, self.transport, self.tokens)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> IntacctClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"IntacctClient({self.credentials.scope})"

    # -- usage -------------------------------------------------------------------------

    @property
    def transactions(self) -> int:
        """Billed Intacct API transactions this connection's meter has counted."""
        return self.transport.meter.total(self.credentials.scope)

    @property
    def requests_sent(self) -> int:
        return self.transport.requests_sent

    # -- routing helper ---------------------------------------------------------------

    def routed(self, action: str, order: Sequence[str], run: Callable[[str], T]) -> T:
        """Run `run(protocol)` in order, falling back when one says not supported."""
        last: errors.IntacctError | None = None
        for proto in order:
            try:
                return run(proto)
            except errors.NotSupported as exc:
                log.info("%s not supported over %s; falling back", action, proto)
                self.router.unsupported(action, proto)
                last = exc
        raise last or errors.NotSupported(f"{action}: no protocol available")

    # -- writes ------------------------------------------------------------------------

    def post_many(
        self, writes_: Sequence[Write], *, pre_read: bool = True, atomic: bool = False
    ) -> list[WriteResult | errors.IntacctError]:
        """Several writes, batched; one outcome (result or error) per write, in order.

        `atomic=True` runs them as one XML `transaction="true"`: all or nothing.
        """
        return writes.post_many(self, writes_, pre_read=pre_read, atomic=atomic)

    def _one(self, write: Write, *, pre_read: bool) -> WriteResult:
        outcome = writes.post_many(self, [write], pre_read=pre_read)[0]
        if isinstance(outcome, errors.IntacctError):
            raise outcome
        return outcome

    def upsert_customer(
        self, customer: Customer, *, idempotency_key: str, update: bool = True
    ) -> WriteResult:
        """Create the customer, or update (or just link, `update=False`) it."""
        return self._one(
            Write("upsert_customer", customer, idempotency_key, update), pre_read=True
        )

    def upsert_item(
        self, item: Item, *, idempotency_key: str, update: bool = True
    ) -> WriteResult:
        return self._one(
            Write("upsert_item", item, idempotency_key, update), pre_read=True
        )

    def post_sales_order(
        self, order: SalesOrder, *, idempotency_key: str, pre_read: bool = False
    ) -> WriteResult:
        return self._one(
            Write("post_sales_order", order, idempotency_key), pre_read=pre_read
        )

    def post_ar_invoice(
        self, invoice: ARInvoice, *, idempotency_key: str, pre_read: bool = False
    ) -> WriteResult:
        return self._one(
            Write("post_ar_invoice", invoice, idempotency_key), pre_read=pre_read
        )

    def post_credit_memo(
        self, memo: CreditMemo, *, idempotency_key: str, pre_read: bool = False
    ) -> WriteResult:
        return self._one(
            Write("post_credit_memo", memo, idempotency_key), pre_read=pre_read
        )

    def post_inventory_adjustment(
        self,
        adjustment: InventoryAdjustment,
        *,
        idempotency_key: str,
        pre_read: bool = False,
    ) -> WriteResult:
        return self._one(
            Write("post_inventory_adjustment", adjustment, idempotency_key),
            pre_read=pre_read,
        )

    def post_journal_entry(
        self, entry: JournalEntry, *, idempotency_key: str, pre_read: bool = False
    ) -> WriteResult:
        return self._one(
            Write("post_journal_entry", entry, idempotency_key), pre_read=pre_read
        )

    post_gl_summary = post_journal_entry  # DESIGN.md's name for the summary JE

    def reverse_or_void(
        self,
        document: DocumentRef,
        *,
        idempotency_key: str,
        date: dt.date | None = None,
        memo: str = "",
    ) -> WriteResult:
        """Reverse a posted AR document (dated `date`), or void (delete) others."""
        obj = document.object.upper()

        def run(proto: str) -> WriteResult:
            if proto == XML and obj in REVERSE_FUNCTIONS:
                fn = builder.function(
                    REVERSE_FUNCTIONS[obj],
                    {
                        "@key": document.key,
                        "datereversed": legacy_date(date or dt.date.today()),
                        "description": memo or None,
                    },
                    controlid=idempotency_key,
                    write=True,
                    billed=1,
                )
                self.xml.call(fn)
                outcome = REVERSED
            elif proto == XML:
                fn = builder.function(
                    "delete",
                    {"object": obj, "keys": document.key},
                    controlid=idempotency_key,
                    write=True,
                    billed=1,
                )
                self.xml.call(fn)
                outcome = VOIDED
            else:
                name = registry.object_module(obj).SPEC.rest_object
                if name is None:
                    raise errors.NotSupported(f"{obj} has no REST object")
                self.rest.delete(name, document.key)
                outcome = VOIDED
            return WriteResult(
                "reverse_or_void",
                outcome,
                document.key,
                document.id,
                proto,
                idempotency_key,
                document.id,
            )

        return self.routed("reverse_or_void", self.router.order("reverse_or_void"), run)

    # -- reads -------------------------------------------------------------------------

    def find(self, object: str, by: Iterable[str]) -> dict[str, Found]:
        """Records of `object` by external reference; batched (≤100 per query)."""
        return reads.find(self, object, by)

    def read_dimensions(self) -> list[Dimension]:
        return reads.read_dimensions(self)

    def read_ar_status(self, since: dt.datetime | None = None) -> Iterator[ARStatus]:
        """AR invoices changed since `since`, streamed (constant memory)."""
        return reads.read_ar_status(self, since)

    def read_field_catalog(self, object: str) -> list[FieldInfo]:
        return reads.read_field_catalog(self, object)

    def check_permissions(self) -> dict[str, bool]:
        """Action name -> whether this Intacct user may perform it."""
        return permissions.check_permissions(self)


__all__ = ["IntacctClient", "REST", "XML"]
