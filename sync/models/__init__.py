"""Intacct tenants, the postings the hub owes them, and what happened to each."""

from .connection import Connection, ConnectionSlot, ConnectionThrottle
from .posting import (
    AuditEvent,
    ExternalRef,
    Failure,
    IllegalTransition,
    Posting,
    PostingAttempt,
    SyncRun,
)

__all__ = [
    "AuditEvent",
    "Connection",
    "ConnectionSlot",
    "ConnectionThrottle",
    "ExternalRef",
    "Failure",
    "IllegalTransition",
    "Posting",
    "PostingAttempt",
    "SyncRun",
]
