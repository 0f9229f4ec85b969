"""What the public actions return."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

CREATED = "created"
UPDATED = "updated"
LINKED = "linked"
REVERSED = "reversed"
VOIDED = "voided"


@dataclass(frozen=True)
class Write:
    """One intended write for `post_many`: an action, its record and its key."""

    action: str
    record: Any
    idempotency_key: str
    update: bool = True  # for upserts: update an existing record, or only link


@dataclass(frozen=True)
class WriteResult:
    """The outcome of one write."""

    action: str
    outcome: str  # created | updated | linked | reversed | voided
    key: str  # Intacct RECORDNO
    id: str  # Intacct ID (customer ID, invoice number, document ID…)
    protocol: str  # rest | xml
    idempotency_key: str
    reference: str = ""


@dataclass(frozen=True)
class Found:
    """A record located by its external reference."""

    object: str
    reference: str
    key: str
    id: str
    protocol: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentRef:
    """A posted document to reverse or void."""

    object: str  # ARINVOICE, ARADJUSTMENT, SODOCUMENT, GLBATCH, ICDOCUMENT
    key: str
    id: str = ""


@dataclass(frozen=True)
class DimensionValue:
    id: str
    name: str
    key: str = ""
    status: str = ""


@dataclass(frozen=True)
class Dimension:
    object: str  # LOCATION, DEPARTMENT, CLASS, or a UDD object name
    label: str
    user_defined: bool
    values: tuple[DimensionValue, ...]


@dataclass(frozen=True)
class ARStatus:
    """Open balance / paid state of one AR invoice."""

    key: str
    invoice_number: str
    customer_id: str
    state: str
    total: Decimal
    due: Decimal
    modified: dt.datetime | None

    @property
    def paid(self) -> bool:
        return self.due == 0 and self.total != 0


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: str
    required: bool
    read_only: bool
    max_length: int | None = None
    label: str = ""
