"""Shared pieces for the object modules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sync.intacct.xmlgw.builder import Function


@dataclass(frozen=True)
class ObjectSpec:
    """Where an object lives on each protocol and which field holds its reference.

    The reference is the value the hub derives deterministically (customer ID,
    document number, journal reference) and the value `find()` looks up.
    """

    xml_object: str  # CUSTOMER
    rest_object: str | None  # accounts-receivable/customer; None = XML only
    xml_ref: str  # field with the external reference (XML name)
    rest_ref: str  # same field, REST name
    xml_id: str  # the object's ID field in XML ("" = RECORDNO is the ID)
    rest_id: str = "id"
    docparid: str = ""  # SODOCUMENT / ICTRANSACTION transaction definition


class Writer(Protocol):
    """What the actions layer needs from an object module."""

    SPEC: ObjectSpec

    def reference(self, record: Any, idempotency_key: str) -> str: ...

    def xml_create(self, record: Any, controlid: str) -> Function: ...

    def rest_body(self, record: Any, idempotency_key: str) -> dict[str, Any]: ...


def money(value: Decimal | int | float | str) -> str:
    """Amounts travel as strings with two decimals (REST and XML alike)."""
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def qty(value: Decimal | int | float | str) -> str:
    return f"{Decimal(str(value)).normalize():f}"


def legacy_date(day: dt.date | None) -> dict[str, str] | None:
    """`<year><month><day>` for legacy functions."""
    if day is None:
        return None
    return {"year": f"{day.year}", "month": f"{day.month:02d}", "day": f"{day.day:02d}"}


def us_date(day: dt.date | None) -> str | None:
    """mm/dd/yyyy for generic (dtd 3.0) objects."""
    return day.strftime("%m/%d/%Y") if day else None


def iso_date(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def ref(value: str | None) -> dict[str, str] | None:
    """A REST reference `{"id": …}`, or None."""
    return {"id": value} if value else None


def prune(value: Any) -> Any:
    """Drop None values and empty dicts, recursively (REST bodies)."""
    if isinstance(value, dict):
        out = {k: prune(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in out.items() if v != {}}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


@dataclass(frozen=True)
class Dimensions:
    """Standard dimensions of a line; `custom` holds user-defined ones (GLDIM…)."""

    location: str | None = None
    department: str | None = None
    class_: str | None = None
    project: str | None = None
    customer: str | None = None
    item: str | None = None
    warehouse: str | None = None
    custom: tuple[tuple[str, str], ...] = ()

    def legacy(self) -> dict[str, str | None]:
        """Lowercase legacy line elements, in DTD order."""
        return {
            "locationid": self.location,
            "departmentid": self.department,
            "projectid": self.project,
            "customerid": self.customer,
            "itemid": self.item,
            "classid": self.class_,
            "warehouseid": self.warehouse,
        }

    def rest(self) -> dict[str, Any] | None:
        dims = prune(
            {
                "location": ref(self.location),
                "department": ref(self.department),
                "class": ref(self.class_),
                "project": ref(self.project),
                "customer": ref(self.customer),
                "item": ref(self.item),
                "warehouse": ref(self.warehouse),
            }
        )
        for name, value in self.custom:
            dims[name.removeprefix("GLDIM").lower()] = {"id": value}
        return dims or None

    @property
    def has_custom(self) -> bool:
        return bool(self.custom)


NO_DIMENSIONS = Dimensions()
