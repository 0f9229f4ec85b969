"""Intacct tenants, the postings the hub owes them, and what happened to each."""

from .connection import Connection, ConnectionSlot, ConnectionThrottle
from .posting import (
    ExternalRef,
    Failure,
    IllegalTransition,
    Posting,
    PostingAttempt,
    SyncRun,
)

__all__ = [
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
