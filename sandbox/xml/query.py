"""Query syntax -> filter trees: readByQuery's SQL-like text and query's <filter>.

readByQuery text (docs: "Querying data"): `FIELD op value` joined by AND/OR,
NOT and parentheses; ops `= != <> < > <= >= like, not like, in (…), not in (…),
IS NULL, IS NOT NULL`; strings in single quotes (`\\'` or `''` escapes a quote).
"""

from __future__ import annotations

import re

from sandbox import errors
from sandbox.xml.parse import children

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.|'')*')
      | (?P<op><=|>=|<>|!=|=|<|>)
      | (?P<paren>[(),])
      | (?P<word>[^\s'(),=<>!]+)
    )""",
    re.VERBOSE,
)

_COMPARE = {
    "=": "eq",
    "!=": "ne",
    "<>": "ne",
    "<": "lt",
    ">": "gt",
    "<=": "le",
    ">=": "ge",
}


def query_failed(message: str) -> errors.InvalidRequest:
    """Function-level 'Query Failed' error. [S: errorno text seen in PHP-SDK tests]"""
    return errors.InvalidRequest(
        errors.ErrorDetail("Query Failed", description2=message)
    )


def tokenize(text: str) -> list[tuple[str, str]]:
    """[(kind, value)], kinds: str, op, paren, word."""
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise query_failed(f"Invalid query near: {text[pos : pos + 20]}")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "str":
            value = (
                value[1:-1].replace("\\'", "'").replace("''", "'").replace("\\\\", "\\")
            )
        tokens.append((kind, value))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent: or_expr := and_expr (OR and_expr)*, and so on."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0

    def peek_word(self, offset: int = 0) -> str:
        index = self.pos + offset
        if index < len(self.tokens) and self.tokens[index][0] == "word":
            return self.tokens[index][1].upper()
        return ""

    def take(self):
        if self.pos >= len(self.tokens):
            raise query_failed("Unexpected end of query")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, kind: str, value: str | None = None):
        token = self.take()
        if token[0] != kind or (value is not None and token[1] != value):
            raise query_failed(
                f"Invalid query: expected {value or kind}, got {token[1]}"
            )
        return token

    def parse(self):
        tree = self.or_expr()
        if self.pos != len(self.tokens):
            raise query_failed(f"Invalid query near: {self.tokens[self.pos][1]}")
        return tree

    def or_expr(self):
        parts = [self.and_expr()]
        while self.peek_word() == "OR":
            self.pos += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def and_expr(self):
        parts = [self.not_expr()]
        while self.peek_word() == "AND":
            self.pos += 1
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def not_expr(self):
        if self.peek_word() == "NOT":
            self.pos += 1
            return ("not", self.not_expr())
        if self.pos < len(self.tokens) and self.tokens[self.pos] == ("paren", "("):
            self.pos += 1
            inner = self.or_expr()
            self.expect("paren", ")")
            return inner
        return self.condition()

    def condition(self):
        kind, field = self.take()
        if kind != "word":
            raise query_failed(f"Invalid query: expected a field name, got {field}")
        field = field.upper()
        word = self.peek_word()
        if word == "IS":
            self.pos += 1
            negate = self.peek_word() == "NOT"
            self.pos += negate
            if self.peek_word() != "NULL":
                raise query_failed("Invalid query: expected NULL after IS")
            self.pos += 1
            return ("isnotnull" if negate else "isnull", field, None)
        negate = word == "NOT"
        if negate:
            self.pos += 1
            word = self.peek_word()
        if word == "LIKE":
            self.pos += 1
            return ("notlike" if negate else "like", field, self.value())
        if word == "IN":
            self.pos += 1
            return ("notin" if negate else "in", field, self.value_list())
        if negate:
            raise query_failed("Invalid query: NOT must be followed by LIKE or IN")
        kind, op = self.take()
        if kind != "op":
            raise query_failed(f"Invalid query: expected an operator after {field}")
        return (_COMPARE[op], field, self.value())

    def value(self) -> str:
        kind, value = self.take()
        if kind not in ("str", "word"):
            raise query_failed(f"Invalid query: expected a value, got {value}")
        return value

    def value_list(self) -> list[str]:
        self.expect("paren", "(")
        values = [self.value()]
        while self.tokens[self.pos] == ("paren", ","):
            self.pos += 1
            values.append(self.value())
        self.expect("paren", ")")
        return values


def parse_readbyquery(text: str):
    """readByQuery <query> text -> filter tree (None for an empty query)."""
    if not text or not text.strip():
        return None
    return _Parser(tokenize(text)).parse()


# --- the newer <query> function -------------------------------------------------------

_LEAF_OPS = {
    "equalto": "eq",
    "notequalto": "ne",
    "lessthan": "lt",
    "lessthanorequalto": "le",
    "greaterthan": "gt",
    "greaterthanorequalto": "ge",
    "like": "like",
    "notlike": "notlike",
    "in": "in",
    "notin": "notin",
    "between": "between",
    "isnull": "isnull",
    "isnotnull": "isnotnull",
}


def parse_filter(element):
    """<filter> element -> filter tree (None when absent or empty)."""
    if element is None:
        return None
    nodes = [_filter_node(child) for child in children(element)]
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else ("and", nodes)


def _filter_node(element):
    tag = element.tag.lower()
    if tag in ("and", "or"):
        parts = [_filter_node(child) for child in children(element)]
        if len(parts) < 1:
            raise query_failed(f"<{tag}> needs at least one condition")
        return (tag, parts)
    if tag not in _LEAF_OPS:
        raise query_failed(f"Unknown filter operator <{element.tag}>")
    field = (element.findtext("field") or "").strip().upper()
    if not field:
        raise query_failed(f"<{element.tag}> needs a <field>")
    values = [(v.text or "") for v in element.findall("value")]
    op = _LEAF_OPS[tag]
    if op in ("isnull", "isnotnull"):
        return (op, field, None)
    if op in ("in", "notin"):
        if len(values) > 1000:
            raise query_failed("in/notin accept at most 1000 values")
        return (op, field, values)
    if op == "between":
        if len(values) != 2:
            raise query_failed("<between> needs exactly two <value> elements")
        return (op, field, values)
    if len(values) != 1:
        raise query_failed(f"<{element.tag}> needs exactly one <value>")
    return (op, field, values[0])


def parse_orderby(element) -> list[tuple[str, str]]:
    """<orderby><order><field/><ascending/|descending/></order>… -> [(field, dir)]."""
    if element is None:
        return []
    order = []
    for item in element.findall("order"):
        field = (item.findtext("field") or "").strip().upper()
        direction = "desc" if item.find("descending") is not None else "asc"
        if field:
            order.append((field, direction))
    return order
