"""Query-service filters: the ``$op`` conditions and the ``filterExpression``.

Rows are flat dicts keyed by dotted REST paths (``customer.id``), as the query
service returns them. ``kinds`` maps each path to its field kind so numbers and
decimal strings compare as numbers and dates as dates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.rest import errors

NUMERIC = {"decimal", "number", "integer"}
Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]


def compile_filters(
    filters: Any,
    expression: Any,
    kinds: Mapping[str, str],
    *,
    case_sensitive: bool = True,
    as_of: dt.date | None = None,
) -> Predicate:
    """One predicate for a query's ``filters`` combined by ``filterExpression``."""
    if filters in (None, []):
        return lambda row: True
    if not isinstance(filters, list):
        raise errors.invalid_request("filters must be an array")
    ctx = _Context(kinds, case_sensitive, as_of or dt.date.today())
    conditions = [ctx.condition(item, n) for n, item in enumerate(filters, 1)]
    return parse_expression(expression, conditions)


def parse_expression(expression: Any, conditions: list[Predicate]) -> Predicate:
    """Combine numbered conditions by an expression like ``1 and (2 or 3)``."""
    text = (expression or "and") if isinstance(expression, str | None) else None
    if text is None:
        raise errors.invalid_request("filterExpression must be a string")
    shortcut = text.strip().lower()
    if shortcut in ("and", "or"):
        combine = all if shortcut == "and" else any
        return lambda row: combine(cond(row) for cond in conditions)
    tokens = re.findall(r"\d+|\(|\)|[A-Za-z]+|\S", text)
    parser = _ExpressionParser(tokens, conditions, text)
    return parser.parse()


class _ExpressionParser:
    """Recursive descent: ``or`` binds looser than ``and``; parentheses group."""

    def __init__(self, tokens: list[str], conditions: list[Predicate], text: str):
        self.tokens, self.conditions, self.text, self.at = tokens, conditions, text, 0

    def parse(self) -> Predicate:
        node = self._or()
        if self.at != len(self.tokens):
            self._fail()
        return node

    def _peek(self) -> str:
        return self.tokens[self.at].lower() if self.at < len(self.tokens) else ""

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek() == "or":
            self.at += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else _any_of(parts)

    def _and(self) -> Predicate:
        parts = [self._atom()]
        while self._peek() == "and":
            self.at += 1
            parts.append(self._atom())
        return parts[0] if len(parts) == 1 else _all_of(parts)

    def _atom(self) -> Predicate:
        word = self._peek()
        self.at += 1
        if word == "(":
            node = self._or()
            if self._peek() != ")":
                self._fail()
            self.at += 1
            return node
        if word.isdigit() and 1 <= int(word) <= len(self.conditions):
            return self.conditions[int(word) - 1]
        self._fail()
        raise AssertionError  # unreachable; _fail raises

    def _fail(self) -> None:
        raise errors.invalid_request(
            f"Invalid filterExpression '{self.text}': use filter numbers 1.."
            f"{len(self.conditions)} joined by and/or with balanced parentheses",
            details=[
                errors.detail(
                    "invalidRequest",
                    "Invalid filterExpression",
                    target="/filterExpression",
                )
            ],
        )


def _any_of(parts: list[Predicate]) -> Predicate:
    return lambda row: any(part(row) for part in parts)


def _all_of(parts: list[Predicate]) -> Predicate:
    return lambda row: all(part(row) for part in parts)


class _Context:
    """Builds one predicate per filter item, knowing field kinds and options."""

    def __init__(self, kinds: Mapping[str, str], case_sensitive: bool, as_of: dt.date):
        self.kinds, self.case_sensitive, self.as_of = kinds, case_sensitive, as_of

    def condition(self, item: Any, number: int) -> Predicate:
        if not isinstance(item, dict) or len(item) != 1:
            raise errors.invalid_request(
                f"Filter {number} must be one operator object such as "
                '{"$eq": {"status": "active"}}'
            )
        [(op, operand)] = item.items()
        build = OPERATORS.get(op)
        if build is None:
            raise errors.invalid_request(
                f"Filter {number}: unknown operator {op}",
                details=[
                    errors.detail(
                        "invalidRequest",
                        f"{op} is not a valid operator",
                        target=f"/filters/{number - 1}",
                    )
                ],
            )
        if not isinstance(operand, dict) or not operand:
            raise errors.invalid_request(f"Filter {number}: {op} needs a field object")
        parts = [
            build(self, self._field(name, number), value)
            for name, value in operand.items()
        ]
        return parts[0] if len(parts) == 1 else _all_of(parts)

    def _field(self, name: str, number: int) -> str:
        if name not in self.kinds:
            raise errors.invalid_request(
                f"Filter {number}: {name} is not a valid field",
                error_id="REST-1043",
                message_id="IA.NOT_A_VALID_FIELD",
                details=[
                    errors.detail(
                        "invalidRequest",
                        f"{name} is not a valid field",
                        target=f"/filters/{number - 1}",
                        error_id="REST-1043",
                    )
                ],
            )
        return name

    # -- value handling -------------------------------------------------------

    def key(self, field: str, value: Any) -> Any:
        """A comparable form of ``value`` for ``field`` (None stays None)."""
        if value is None or value == "":
            return None
        kind = self.kinds[field]
        if kind in NUMERIC:
            try:
                return Decimal(str(value))
            except InvalidOperation:
                return None
        if kind == "boolean":
            return value if isinstance(value, bool) else str(value).lower() == "true"
        text = str(value)
        return text if self.case_sensitive else text.casefold()

    def bounds(self, field: str, value: Any) -> tuple[Any, Any]:
        """(low, high) for a value; date macros like ``priorMonth`` are ranges."""
        if self.kinds[field] == "date" and isinstance(value, str):
            span = date_macro(value, self.as_of)
            if span:
                return span[0].isoformat(), span[1].isoformat()
        k = self.key(field, value)
        return k, k


def date_macro(name: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The date range named by a relative-date macro, or None."""

    def month(d: dt.date) -> tuple[dt.date, dt.date]:
        nxt = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return d.replace(day=1), nxt - dt.timedelta(days=1)

    def quarter(d: dt.date) -> tuple[dt.date, dt.date]:
        first = d.replace(month=3 * ((d.month - 1) // 3) + 1, day=1)
        return first, month(first.replace(month=first.month + 2))[1]

    week_start = today - dt.timedelta(days=today.weekday())
    macros = {
        "today": lambda: (today, today),
        "yesterday": lambda: (today - dt.timedelta(days=1),) * 2,
        "currentWeek": lambda: (week_start, week_start + dt.timedelta(days=6)),
        "lastWeek": lambda: (
            week_start - dt.timedelta(days=7),
            week_start - dt.timedelta(days=1),
        ),
        "currentMonth": lambda: month(today),
        "priorMonth": lambda: month(today.replace(day=1) - dt.timedelta(days=1)),
        "currentQuarter": lambda: quarter(today),
        "priorQuarter": lambda: quarter(quarter(today)[0] - dt.timedelta(days=1)),
        "currentYear": lambda: (
            today.replace(month=1, day=1),
            today.replace(month=12, day=31),
        ),
        "priorYear": lambda: (
            today.replace(year=today.year - 1, month=1, day=1),
            today.replace(year=today.year - 1, month=12, day=31),
        ),
    }
    make = macros.get(name)
    return make() if make else None


# -- operators ----------------------------------------------------------------


def _compare(test: Callable[[Any, Any], bool], use_high: bool):
    def build(ctx: _Context, field: str, value: Any) -> Predicate:
        # A date macro is a range: "< priorMonth" means before its first day,
        # "<= priorMonth" on or before its last day, and so on.
        low, high = ctx.bounds(field, value)
        bound = high if use_high else low

        def pred(row: Row) -> bool:
            have = ctx.key(field, row.get(field))
            return have is not None and bound is not None and test(have, bound)

        return pred

    return build


def _eq(negate: bool):
    def build(ctx: _Context, field: str, value: Any) -> Predicate:
        low, high = ctx.bounds(field, value)

        def pred(row: Row) -> bool:
            have = ctx.key(field, row.get(field))
            if low is None:
                hit = have is None
            else:
                hit = have is not None and low <= have <= high
            return hit != negate

        return pred

    return build


def _in(negate: bool):
    def build(ctx: _Context, field: str, value: Any) -> Predicate:
        if not isinstance(value, list):
            raise errors.invalid_request(
                f"{field}: $in/$notIn needs an array of values"
            )
        wanted = {ctx.key(field, v) for v in value}
        return lambda row: (ctx.key(field, row.get(field)) in wanted) != negate

    return build


def _between(negate: bool):
    def build(ctx: _Context, field: str, value: Any) -> Predicate:
        if not isinstance(value, list) or len(value) != 2:
            raise errors.invalid_request(f"{field}: $between needs [low, high]")
        low, high = ctx.bounds(field, value[0])[0], ctx.bounds(field, value[1])[1]

        def pred(row: Row) -> bool:
            have = ctx.key(field, row.get(field))
            return (have is not None and low <= have <= high) != negate

        return pred

    return build


def _text(test: Callable[[str, str], bool], negate: bool):
    def build(ctx: _Context, field: str, value: Any) -> Predicate:
        needle = "" if value is None else str(value)
        needle = needle if ctx.case_sensitive else needle.casefold()

        def pred(row: Row) -> bool:
            have = row.get(field)
            text = "" if have is None else str(have)
            text = text if ctx.case_sensitive else text.casefold()
            return test(text, needle) != negate

        return pred

    return build


OPERATORS: dict[str, Callable[[_Context, str, Any], Predicate]] = {
    "$eq": _eq(False),
    "$ne": _eq(True),
    "$lt": _compare(lambda a, b: a < b, use_high=False),
    "$lte": _compare(lambda a, b: a <= b, use_high=True),
    "$gt": _compare(lambda a, b: a > b, use_high=True),
    "$gte": _compare(lambda a, b: a >= b, use_high=False),
    "$in": _in(False),
    "$notIn": _in(True),
    "$between": _between(False),
    "$notBetween": _between(True),
    "$contains": _text(lambda t, n: n in t, False),
    "$notContains": _text(lambda t, n: n in t, True),
    # Multi-valued fields are stored as "#~#"-joined strings (XML convention).
    "$has": _text(lambda t, n: n in t.split("#~#"), False),
    "$startsWith": _text(str.startswith, False),
    "$notStartsWith": _text(str.startswith, True),
    "$endsWith": _text(str.endswith, False),
    "$notEndsWith": _text(str.endswith, True),
}
