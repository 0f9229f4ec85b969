"""Action name -> object module, and XML object name -> object module."""

from __future__ import annotations

from types import ModuleType

from sync.intacct.objects import (
    ar_invoice,
    credit_memo,
    customer,
    inventory_adjustment,
    item,
    journal_entry,
    sales_order,
)

ACTIONS: dict[str, ModuleType] = {
    "upsert_customer": customer,
    "upsert_item": item,
    "post_sales_order": sales_order,
    "post_ar_invoice": ar_invoice,
    "post_credit_memo": credit_memo,
    "post_inventory_adjustment": inventory_adjustment,
    "post_journal_entry": journal_entry,
}
UPSERTS = {"upsert_customer", "upsert_item"}
OBJECTS: dict[str, ModuleType] = {m.SPEC.xml_object: m for m in ACTIONS.values()}


def module_for(action: str) -> ModuleType:
    try:
        return ACTIONS[action]
    except KeyError:
        raise ValueError(f"unknown write action {action!r}") from None


def object_module(name: str) -> ModuleType:
    try:
        return OBJECTS[name.upper()]
    except KeyError:
        raise ValueError(
            f"unknown object {name!r}; one of {', '.join(sorted(OBJECTS))}"
        ) from None


def rest_object(module: ModuleType, record: object | None = None) -> str | None:
    """The REST object path, which for documents depends on the record's type."""
    if record is not None and hasattr(module, "rest_object"):
        return module.rest_object(record)
    return module.SPEC.rest_object


def needs_xml(module: ModuleType, record: object) -> bool:
    check = getattr(module, "needs_xml", None)
    return bool(check and check(record))
