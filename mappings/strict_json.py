"""JSON typed into a form, read strictly: only what every database and Intacct hold.

Python's ``json`` reads more than that: ``NaN``/``Infinity`` (and ``1e999``, which
becomes infinity) that SQLite's JSON_VALID check and PostgreSQL's jsonb refuse, so a
save failed with a 500; nesting deep enough to raise RecursionError; and strings with
``\\u0000`` (jsonb refuses it) or other characters Intacct's XML API cannot carry.
Each is refused here with a sentence for the person who typed it.
"""

import json
import math

from django import forms

from sync.intacct.xmlgw.builder import xml_text_problem

MAX_DEPTH = 32  # a payload or a dimension map is a few levels deep, never hundreds


class JSONTextError(ValueError):
    """The text is not JSON the hub can store and send."""


def loads(text):
    """Parse ``text`` strictly; ``JSONTextError`` says what is wrong and where."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise JSONTextError(f"nested more than {MAX_DEPTH} levels deep") from None
    except JSONTextError:
        raise
    except ValueError as exc:
        raise JSONTextError(f"not valid JSON: {exc}") from None
    check(value)
    return value


def check(value, path="$", depth=0):
    """Refuse what a database or Intacct cannot hold, naming its path."""
    if depth > MAX_DEPTH:
        raise JSONTextError(f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, float) and not math.isfinite(value):
        raise JSONTextError(f"{path} is {value}, which is not a number JSON can store")
    if isinstance(value, str):
        problem = xml_text_problem(value)
        if problem:
            raise JSONTextError(f"{path} holds {problem}, which cannot be stored")
    elif isinstance(value, dict):
        for key, item in value.items():
            check(key, f"{path} key {key!r}", depth + 1)
            check(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check(item, f"{path}[{index}]", depth + 1)


def _refuse_constant(name):
    raise JSONTextError(f"{name} is not a number JSON can store")


class StrictJSONField(forms.JSONField):
    """A form JSON field that reads with ``loads`` above; ``kind`` (dict or list)
    is the shape the stored value must have, and blank input becomes an empty one."""

    def __init__(self, *, kind=dict, **kwargs):
        self.kind = kind
        super().__init__(**kwargs)

    def to_python(self, value):
        if self.disabled or isinstance(value, dict | list):
            return value
        if value in self.empty_values:
            return self.kind()
        try:
            converted = loads(value)
        except JSONTextError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
        if not isinstance(converted, self.kind):
            shape = "an object {…}" if self.kind is dict else "a list […]"
            raise forms.ValidationError(f"must be {shape}", code="invalid")
        return converted

    def bound_data(self, data, initial):
        # Re-rendering a refused form parses the input again: never let that raise.
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return loads(data)
        except JSONTextError:
            return forms.fields.InvalidJSONInput(data)
