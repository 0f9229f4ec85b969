"""A Django-free client for Sage Intacct (XML gateway and REST v1).

The hub calls business actions on `IntacctClient`; the client routes each to
REST or XML, batches, retries where safe, limits its rate and keeps secrets out
of logs. Only stdlib, httpx and lxml are imported here.
"""

from sync.intacct.client import IntacctClient
from sync.intacct.credentials import Credentials
from sync.intacct.errors import (
    AuthError,
    BusinessRuleError,
    DeadlineReached,
    DuplicateRecord,
    IntacctError,
    NotFound,
    NotSupported,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
    TransportError,
    ValidationError,
)
from sync.intacct.objects.ar_invoice import ARInvoice, InvoiceLine
from sync.intacct.objects.base import Dimensions
from sync.intacct.objects.credit_memo import CreditMemo
from sync.intacct.objects.customer import Address, Customer
from sync.intacct.objects.inventory_adjustment import (
    AdjustmentLine,
    InventoryAdjustment,
)
from sync.intacct.objects.item import Item
from sync.intacct.objects.journal_entry import JournalEntry, JournalLine
from sync.intacct.objects.sales_order import OrderLine, SalesOrder
from sync.intacct.ratelimit import (
    ConcurrencyLimiter,
    InMemoryMeter,
    RateLimiter,
    SemaphoreLimiter,
    TokenBucket,
    TransactionMeter,
)
from sync.intacct.redaction import SecretFilter, install_log_filter, redact_excerpt
from sync.intacct.results import (
    ARStatus,
    Dimension,
    DimensionValue,
    DocumentRef,
    FieldInfo,
    Found,
    Write,
    WriteResult,
)
from sync.intacct.routing import DEFAULT_ROUTES, REST, XML
from sync.intacct.transport import Attempt

__all__ = [
    "ARInvoice",
    "ARStatus",
    "Address",
    "AdjustmentLine",
    "Attempt",
    "AuthError",
    "BusinessRuleError",
    "ConcurrencyLimiter",
    "CreditMemo",
    "Credentials",
    "Customer",
    "DEFAULT_ROUTES",
    "Dimension",
    "DimensionValue",
    "Dimensions",
    "DocumentRef",
    "DeadlineReached",
    "DuplicateRecord",
    "FieldInfo",
    "Found",
    "InMemoryMeter",
    "IntacctClient",
    "IntacctError",
    "InventoryAdjustment",
    "InvoiceLine",
    "Item",
    "JournalEntry",
    "JournalLine",
    "NotFound",
    "NotSupported",
    "OrderLine",
    "OutcomeUnknown",
    "PermissionDenied",
    "REST",
    "RateLimited",
    "RateLimiter",
    "SalesOrder",
    "SecretFilter",
    "SemaphoreLimiter",
    "ServiceUnavailable",
    "TokenBucket",
    "TransactionMeter",
    "TransportError",
    "ValidationError",
    "Write",
    "WriteResult",
    "XML",
    "install_log_filter",
    "redact_excerpt",
]
