"""The catalogue of REST objects the sandbox serves."""

from __future__ import annotations

from sandbox.rest.fieldmap import RestObject
from sandbox.rest.objects.account import ACCOUNT
from sandbox.rest.objects.customer import CUSTOMER
from sandbox.rest.objects.dimensions import CLASS, DEPARTMENT, LOCATION
from sandbox.rest.objects.inventory_document import (
    document_type as inventory_document_type,
)
from sandbox.rest.objects.invoice import INVOICE
from sandbox.rest.objects.item import ITEM
from sandbox.rest.objects.journal_entry import JOURNAL_ENTRY
from sandbox.rest.objects.sales_order import document_type

DOCUMENT_PREFIX = "order-entry/document::"
SALES_ORDER = document_type("Sales Order")
IC_DOCUMENT_PREFIX = "inventory-control/document::"
INVENTORY_ADJUSTMENT = inventory_document_type("Inventory Adjustment")


class Catalogue:
    """REST object name -> field table; named OE documents resolve on demand."""

    def __init__(self, objects: list[RestObject]):
        self._objects = {obj.path: obj for obj in objects}

    def lookup(self, name: str) -> RestObject | None:
        """The table for ``accounts-receivable/customer`` or ``…document::Name``."""
        if name in self._objects:
            return self._objects[name]
        if name.startswith(DOCUMENT_PREFIX) and len(name) > len(DOCUMENT_PREFIX):
            return document_type(name[len(DOCUMENT_PREFIX) :])
        prefix = IC_DOCUMENT_PREFIX
        if name.startswith(prefix) and len(name) > len(prefix):
            return inventory_document_type(name[len(prefix) :])
        return None

    def objects(self) -> dict[str, RestObject]:
        """Every named table, for the model service."""
        return dict(self._objects)


CATALOGUE = Catalogue(
    [
        CUSTOMER,
        INVOICE,
        SALES_ORDER,
        INVENTORY_ADJUSTMENT,
        JOURNAL_ENTRY,
        ITEM,
        LOCATION,
        DEPARTMENT,
        CLASS,
        ACCOUNT,
    ]
)
