"""Filter trees and ordering over stored rows, shared by both APIs.

A filter is a small tuple tree, independent of any wire syntax:

    ("and", [cond, ...])   ("or", [cond, ...])   ("not", cond)
    (op, field, value)     op in OPS below; `field` may be dotted ("DISPLAYCONTACT.X")

Values compare the way Intacct compares them: numbers as numbers, dates
(mm/dd/yyyy, yyyy-mm-dd, with or without time) as dates, the rest as strings,
case-sensitive unless asked otherwise. `like` uses SQL `%` and `_` wildcards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation

OPS = {
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "in",
    "notin",
    "like",
    "notlike",
    "isnull",
    "isnotnull",
    "between",
    "notbetween",
    "contains",
    "notcontains",
    "startswith",
    "endswith",
}

_DATE_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
)


def field_value(row: dict, name: str):
    """Value of `name` in `row`, following dots into nested dicts."""
    value = row.get(name) if "." not in name or name in row else None
    if value is None and "." in name:
        value = row
        for part in name.split("."):
            if not isinstance(value, dict):
                return None
            value = value.get(part)
    return value


def _as_date(text: str) -> datetime | None:
    if not (8 <= len(text) <= 20 and text[0].isdigit()):
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _as_number(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def sort_key(value, case_insensitive: bool = False):
    """A key that orders numbers, dates and strings sensibly; None first."""
    if value is None or value == "":
        return (0, "")
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return (1, Decimal(str(value)))
    text = str(value)
    number = _as_number(text)
    if number is not None:
        return (1, number)
    date = _as_date(text)
    if date is not None:
        return (2, date)
    return (3, text.lower() if case_insensitive else text)


def _compare(left, right, case_insensitive: bool) -> int | None:
    """-1/0/1, or None when the two cannot be compared (null on either side)."""
    if left is None or left == "":
        return None if right not in (None, "") else 0
    a, b = sort_key(left, case_insensitive), sort_key(right, case_insensitive)
    if a[0] != b[0]:
        a, b = (3, _text(left, case_insensitive)), (3, _text(right, case_insensitive))
    return (a[1] > b[1]) - (a[1] < b[1])


def _text(value, case_insensitive: bool) -> str:
    text = "" if value is None else str(value)
    return text.lower() if case_insensitive else text


def like_to_regex(pattern: str, case_insensitive: bool = False) -> re.Pattern:
    """Translate SQL LIKE (`%`, `_`) into an anchored regex."""
    parts = []
    for char in pattern:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    flags = re.DOTALL | (re.IGNORECASE if case_insensitive else 0)
    return re.compile("".join(parts) + r"\Z", flags)


def matches(row: dict, cond, case_insensitive: bool = False) -> bool:
    """True when `row` satisfies the filter tree `cond` (None matches everything)."""
    if cond is None:
        return True
    op = cond[0]
    if op == "and":
        return all(matches(row, c, case_insensitive) for c in cond[1])
    if op == "or":
        return any(matches(row, c, case_insensitive) for c in cond[1])
    if op == "not":
        return not matches(row, cond[1], case_insensitive)
    _, name, expected = cond
    return _leaf(op, field_value(row, name), expected, case_insensitive)


def _leaf(op: str, actual, expected, ci: bool) -> bool:
    if op == "isnull":
        return actual is None or actual == ""
    if op == "isnotnull":
        return not (actual is None or actual == "")
    if op in ("in", "notin"):
        hit = any(_compare(actual, v, ci) == 0 for v in _as_list(expected))
        return hit if op == "in" else not hit
    if op in ("between", "notbetween"):
        low, high = _as_list(expected)[:2]
        lo, hi = _compare(actual, low, ci), _compare(actual, high, ci)
        inside = lo is not None and hi is not None and lo >= 0 and hi <= 0
        return inside if op == "between" else not inside
    if op in ("like", "notlike"):
        hit = bool(like_to_regex(str(expected), ci).match(_text(actual, False)))
        return hit if op == "like" else not hit
    if op in ("contains", "notcontains", "startswith", "endswith"):
        return _substring(op, _text(actual, ci), _text(expected, ci))
    result = _compare(actual, expected, ci)
    if result is None:
        return op == "ne"
    return {
        "eq": result == 0,
        "ne": result != 0,
        "lt": result < 0,
        "le": result <= 0,
        "gt": result > 0,
        "ge": result >= 0,
    }[op]


def _substring(op: str, actual: str, expected: str) -> bool:
    if op == "contains":
        return expected in actual
    if op == "notcontains":
        return expected not in actual
    if op == "startswith":
        return actual.startswith(expected)
    return actual.endswith(expected)


def _as_list(value) -> list:
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def sort_rows(
    rows: list[dict],
    order: Iterable[tuple[str, str]] | None,
    case_insensitive: bool = False,
) -> list[dict]:
    """Sort by [(field, 'asc'|'desc'), ...]; RECORDNO ascending when no order given."""
    order = list(order or [("RECORDNO", "asc")])
    for name, direction in reversed(order):
        rows.sort(
            key=lambda r, n=name: sort_key(field_value(r, n), case_insensitive),
            reverse=direction.lower().startswith("desc"),
        )
    return rows


def validate(cond) -> None:
    """Raise ValueError when `cond` is not a well-formed filter tree."""
    if cond is None:
        return
    if not isinstance(cond, tuple | list) or not cond:
        raise ValueError(f"bad filter node {cond!r}")
    op = cond[0]
    if op in ("and", "or"):
        for child in cond[1]:
            validate(child)
    elif op == "not":
        validate(cond[1])
    elif op not in OPS or len(cond) != 3:
        raise ValueError(f"unknown filter operator {op!r}")
