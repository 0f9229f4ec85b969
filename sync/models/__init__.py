"""Intacct tenants, the postings the hub owes them, and what happened to each."""

from .connection import (
    ApiUsage,
    Connection,
    ConnectionSlot,
    ConnectionThrottle,
    TaskWake,
)
from .ledger import (  # noqa: F401  (ledger models: summaries, lineage, recon)
    Correction,
    IntacctDocumentState,
    LedgerState,
    ReconciliationResult,
    SummaryEntry,
    SummaryMember,
)
from .posting import (
    AuditEvent,
    ExternalRef,
    Failure,
    IllegalTransition,
    PlanMark,
    Posting,
    PostingAttempt,
    SyncRun,
)

__all__ = [
    "ApiUsage",
    "AuditEvent",
    "Connection",
    "ConnectionSlot",
    "ConnectionThrottle",
    "ExternalRef",
    "Failure",
    "PlanMark",
    "IllegalTransition",
    "Posting",
    "PostingAttempt",
    "SyncRun",
    "TaskWake",
]
