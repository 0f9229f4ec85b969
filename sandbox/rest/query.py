"""``POST /services/core/query`` (WIRE.md B.3, OpenAPI ``core-query``).

Rows come back flat, keyed by the requested dotted field names
(``{"id": …, "customer.id": …, "contacts.default.email1": …}``), which is how
Intacct answers and what production clients read.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sandbox.rest import errors, filters
from sandbox.rest.fieldmap import RestObject, flatten

MAX_SIZE = 4000
DEFAULT_SIZE = 100
KNOWN_KEYS = {
    "object",
    "fields",
    "filters",
    "filterExpression",
    "filterParameters",
    "orderBy",
    "start",
    "size",
}
AGGREGATES = ("count", "sum", "avg", "min", "max")


def run_query(body: Any, obj: RestObject, objects: list[dict]) -> dict[str, Any]:
    """The query response body for ``body`` over the REST ``objects``."""
    return run_query_flat(body, obj, [flatten(o) for o in objects])


def run_query_flat(
    body: Any, obj: RestObject, flat_objects: list[dict]
) -> dict[str, Any]:
    """``run_query`` over objects already flattened (dotted field names)."""
    fields = _fields(body)
    kinds = obj.kinds()
    for name in fields:
        _check_field(name.split(":", 1)[-1], kinds)
    params = body.get("filterParameters") or {}
    if not isinstance(params, dict):
        raise errors.invalid_request("filterParameters must be an object")
    predicate = filters.compile_filters(
        body.get("filters"),
        body.get("filterExpression"),
        kinds,
        case_sensitive=params.get("caseSensitiveComparison", True) is not False,
        as_of=_as_of(params.get("asOfDate")),
    )
    rows = [row for row in flat_objects if predicate(row)]
    rows = _order(rows, body.get("orderBy"), kinds)
    if any(":" in name for name in fields):
        rows = _aggregate(rows, fields, kinds)
    else:
        rows = [{name: row.get(name) for name in fields} for row in rows]
    start, size = _int(body, "start", 1), _int(body, "size", DEFAULT_SIZE)
    if start < 1 or not 1 <= size <= MAX_SIZE:
        raise errors.invalid_request(
            f"start must be 1 or more and size between 1 and {MAX_SIZE}"
        )
    return {
        "ia::result": rows[start - 1 : start - 1 + size],
        "ia::meta": page_meta(len(rows), start, size),
    }


def page_meta(total: int, start: int, size: int) -> dict[str, Any]:
    """``ia::meta`` for one page: next/previous are 1-based starts or null."""
    return {
        "totalCount": total,
        "start": start,
        "pageSize": size,
        "next": start + size if start - 1 + size < total else None,
        "previous": max(start - size, 1) if start > 1 else None,
    }


def _fields(body: Any) -> list[str]:
    if not isinstance(body, dict):
        raise errors.invalid_request("The query payload must be a JSON object")
    unknown = set(body) - KNOWN_KEYS
    if unknown:
        name = sorted(unknown)[0]
        raise errors.invalid_request(
            f"/{name} is not a valid field",
            error_id="REST-1043",
            message_id="IA.NOT_A_VALID_FIELD",
            details=[
                errors.detail(
                    "invalidRequest",
                    f"/{name} is not a valid field",
                    target=f"/{name}",
                    error_id="REST-1043",
                )
            ],
        )
    fields = body.get("fields")
    if (
        not isinstance(fields, list)
        or not fields
        or not all(isinstance(f, str) and f for f in fields)
    ):
        raise errors.invalid_request("fields must be a non-empty array of field names")
    if "*" in fields:
        raise errors.invalid_request("fields cannot be *; list the fields you need")
    return fields


def _check_field(name: str, kinds: dict[str, str]) -> None:
    if name not in kinds:
        raise errors.invalid_request(
            f"{name} is not a valid field",
            error_id="REST-1043",
            message_id="IA.NOT_A_VALID_FIELD",
            details=[
                errors.detail(
                    "invalidRequest",
                    f"{name} is not a valid field",
                    target=f"/fields/{name}",
                    error_id="REST-1043",
                )
            ],
        )


def _int(body: dict, name: str, default: int) -> int:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.invalid_request(f"{name} must be an integer")
    return value


def _as_of(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise errors.invalid_request(
            "asOfDate must be a date in YYYY-MM-DD format"
        ) from None


def _sort_key(value: Any, kind: str) -> tuple:
    """None first, then values of the field's kind in their natural order."""
    if value is None or value == "":
        return (0, "")
    if kind in filters.NUMERIC:
        try:
            return (1, Decimal(str(value)))
        except ArithmeticError:
            return (2, str(value))
    return (2, str(value))


def _order(rows: list[dict], order_by: Any, kinds: dict[str, str]) -> list[dict]:
    order = order_by or [{"key": "asc"}]
    if not isinstance(order, list):
        raise errors.invalid_request("orderBy must be an array")
    for item in reversed(order):
        if not isinstance(item, dict) or len(item) != 1:
            raise errors.invalid_request('orderBy items look like {"id": "asc"}')
        [(name, direction)] = item.items()
        _check_field(name, kinds)
        if direction not in ("asc", "desc"):
            raise errors.invalid_request(f"orderBy {name} must be asc or desc")
        rows.sort(
            key=lambda r, n=name: _sort_key(r.get(n), kinds[n]),
            reverse=direction == "desc",
        )
    return rows


def _aggregate(
    rows: list[dict], fields: list[str], kinds: dict[str, str]
) -> list[dict]:
    """Group by the plain fields; compute ``sum:x``-style fields per group."""
    plain = [f for f in fields if ":" not in f]
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(f) for f in plain), []).append(row)
    out = []
    for values, members in groups.items():
        result = dict(zip(plain, values, strict=True))
        for spec in fields:
            if ":" in spec:
                result[spec] = _aggregate_one(spec, members)
        out.append(result)
    return out


def _aggregate_one(spec: str, rows: list[dict]) -> Any:
    func, name = spec.split(":", 1)
    if func not in AGGREGATES:
        raise errors.invalid_request(f"{func} is not a valid aggregate function")
    values = [r.get(name) for r in rows if r.get(name) not in (None, "")]
    if func == "count":
        return len(values)
    if func in ("min", "max"):
        return (min if func == "min" else max)(values) if values else None
    numbers = [Decimal(str(v)) for v in values]
    total = sum(numbers, Decimal(0))
    result = total if func == "sum" else (total / len(numbers) if numbers else None)
    return None if result is None else str(result)
