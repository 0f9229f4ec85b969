"""Named, pure value transforms that field mappings chain with ``|``.

A transform is ``name`` or ``name:argument`` (``truncate:20``, ``lookup:channels``).
Each is a function ``(value, arg, ctx) -> value``; ``ctx`` gives access to the mapping
set's value maps. A transform that cannot apply raises ``TransformError`` with a
sentence a person can act on.
"""

import datetime as dt
import functools
from decimal import ROUND_HALF_UP, Decimal, DecimalException, InvalidOperation

from .countries import COUNTRY_BY_ISO2, ISO2_BY_COUNTRY

REGISTRY = {}

#: Returned by a transform to say "leave this field out" (value map policy "skip").
OMIT = object()

#: Returned by a transform to say "leave this whole line out" (``nonzero``): a
#: shipping, discount or tax line with nothing on it.
DROP_LINE = object()


class TransformError(ValueError):
    """A value could not be transformed; the message names the value and the rule."""

    def __init__(self, message, *, category="validation"):
        super().__init__(message)
        self.category = category


def transform(name, *, needs_arg=False):
    """Register a transform under ``name``."""

    def register(func):
        func.needs_arg = needs_arg
        REGISTRY[name] = func
        return func

    return register


@functools.lru_cache(maxsize=4096)  # a mapping set's few chains, per field per record
def parse_chain(spec):
    """``"upper|truncate:20"`` → ``(("upper", None), ("truncate", "20"))``."""
    steps = []
    for part in (p.strip() for p in (spec or "").split("|")):
        if not part:
            continue
        name, sep, arg = part.partition(":")
        steps.append((name.strip(), arg if sep else None))
    return tuple(steps)


def check_chain(spec):
    """Problems with a transform chain (unknown names, missing arguments), as text."""
    problems = []
    for name, arg in parse_chain(spec):
        func = REGISTRY.get(name)
        if func is None:
            problems.append(f"unknown transform {name!r}")
        elif func.needs_arg and not arg:
            problems.append(f"transform {name!r} needs an argument ({name}:…)")
    return problems


def apply_chain(value, spec, ctx):
    """Run ``value`` through every transform of ``spec``, left to right."""
    for name, arg in parse_chain(spec):
        func = REGISTRY.get(name)
        if func is None:
            raise TransformError(
                f"unknown transform {name!r}", category="missing_mapping"
            )
        value = func(value, arg, ctx)
        if value is OMIT or value is DROP_LINE:
            return value
    return value


def _text(value):
    return "" if value is None else str(value)


def _decimal(value, name):
    """A finite Decimal: NaN and Infinity are no amount (JSON readers accept them)."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise TransformError(f"{name}: {value!r} is not a number") from None
    if not number.is_finite():
        raise TransformError(f"{name}: {value!r} is not a number")
    return number


def _money(name, value, compute):
    """Run ``compute()``; an amount beyond Decimal's range is the value's fault, so
    it becomes a TransformError naming it instead of an ArithmeticError."""
    try:
        result = compute()
    except DecimalException:
        raise TransformError(f"{name}: {value!r} is out of range") from None
    if not result.is_finite():
        raise TransformError(f"{name}: {value!r} is out of range")
    return result


@transform("upper")
def upper(value, arg, ctx):
    return None if value is None else _text(value).upper()


@transform("lower")
def lower(value, arg, ctx):
    return None if value is None else _text(value).lower()


@transform("strip")
def strip(value, arg, ctx):
    return None if value is None else _text(value).strip()


@transform("truncate", needs_arg=True)
def truncate(value, arg, ctx):
    try:
        limit = int(arg)
    except (TypeError, ValueError):
        limit = -1
    if limit < 0:  # a negative slice would cut from the end: never what was meant
        raise TransformError(f"truncate needs a whole number, not {arg!r}")
    return None if value is None else _text(value)[:limit]


@transform("default", needs_arg=True)
def default(value, arg, ctx):
    return arg if value in (None, "") else value


@transform("decimal_2dp")
def decimal_2dp(value, arg, ctx):
    """Round half-up to cents and render as a string: money at the edge."""
    if value in (None, ""):
        return value
    number = _decimal(value, "decimal_2dp")
    cents = Decimal("0.01")
    return str(
        _money("decimal_2dp", value, lambda: number.quantize(cents, ROUND_HALF_UP))
    )


@transform("negate")
def negate(value, arg, ctx):
    if value in (None, ""):
        return value
    number = _decimal(value, "negate")
    return str(_money("negate", value, lambda: -number))


@transform("abs")
def absolute(value, arg, ctx):
    if value in (None, ""):
        return value
    number = _decimal(value, "abs")
    return str(_money("abs", value, lambda: abs(number)))


def _date(value, name):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value).strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise TransformError(f"{name}: {value!r} is not an ISO date") from None


@transform("date_xml")
def date_xml(value, arg, ctx):
    """XML gateway dates: MM/DD/YYYY."""
    return (
        value if value in (None, "") else _date(value, "date_xml").strftime("%m/%d/%Y")
    )


@transform("date_iso")
def date_iso(value, arg, ctx):
    """REST dates: YYYY-MM-DD."""
    return value if value in (None, "") else _date(value, "date_iso").isoformat()


@transform("date", needs_arg=True)
def date_format(value, arg, ctx):
    """Any strftime format, e.g. date:%Y/%m/%d."""
    if value in (None, ""):
        return value
    try:
        return _date(value, "date").strftime(arg)
    except ValueError:  # a format strftime cannot take (an embedded NUL)
        raise TransformError(f"date: cannot format with {arg!r}") from None


@transform("country_iso2")
def country_iso2(value, arg, ctx):
    """Country name (or code) → ISO 3166 alpha-2."""
    if value in (None, ""):
        return value
    text = _text(value).strip()
    if text.upper() in COUNTRY_BY_ISO2:
        return text.upper()
    code = ISO2_BY_COUNTRY.get(text.casefold())
    if code is None:
        raise TransformError(f"country_iso2: unknown country {text!r}")
    return code


@transform("country_name")
def country_name(value, arg, ctx):
    """ISO 3166 alpha-2 → the country's English short name, as Intacct lists it."""
    if value in (None, ""):
        return value
    name = COUNTRY_BY_ISO2.get(_text(value).strip().upper())
    if name is None:
        raise TransformError(f"country_name: unknown country code {value!r}")
    return name


@transform("lookup", needs_arg=True)
def lookup(value, arg, ctx):
    """Translate through a value map; its "on no match" policy decides the rest."""
    value_map = ctx.value_maps.get(arg)
    if value_map is None:
        raise TransformError(
            f"lookup: no value map named {arg!r}", category="missing_mapping"
        )
    return value_map.translate(value)


@transform("bool")
def boolean(value, arg, ctx):
    """Intacct booleans are the strings true/false."""
    if isinstance(value, str):
        value = value.strip().lower() in ("1", "true", "yes", "y", "t")
    return "true" if value else "false"


@transform("str")
def string(value, arg, ctx):
    return None if value is None else _text(value)


def _operand(arg, ctx, name):
    """A transform's argument: a number, or a path into the line (or ``$.`` root)."""
    try:
        number = Decimal(arg)
    except (InvalidOperation, ValueError):
        pass
    else:
        return _decimal(number, name)  # refuses date:NaN and friends
    resolve = getattr(ctx, "resolve", None)
    found = resolve(arg) if resolve else None
    if found in (None, ""):
        return Decimal(0) if name == "minus" else None
    return _decimal(found, name)


@transform("times", needs_arg=True)
def times(value, arg, ctx):
    """Multiply by a number or another field: ``unit_price`` with ``times:quantity``."""
    if value in (None, ""):
        return value
    factor = _operand(arg, ctx, "times")
    if factor is None:
        raise TransformError(f"times: {arg} is empty")
    number = _decimal(value, "times")
    return str(_money("times", value, lambda: number * factor))


@transform("minus", needs_arg=True)
def minus(value, arg, ctx):
    """Subtract a number or another field (an empty field counts as zero)."""
    if value in (None, ""):
        return value
    number = _decimal(value, "minus")
    operand = _operand(arg, ctx, "minus")
    return str(_money("minus", value, lambda: number - operand))


@transform("nonzero")
def nonzero(value, arg, ctx):
    """Leave the whole line out when the amount is empty or zero."""
    if value in (None, "") or _decimal(value, "nonzero") == 0:
        return DROP_LINE
    return value


@transform("prefix", needs_arg=True)
def prefix(value, arg, ctx):
    return value if value in (None, "") else f"{arg}{_text(value)}"


@transform("remove", needs_arg=True)
def remove(value, arg, ctx):
    """Remove every occurrence of a text: ``remove:#`` turns ``#1001`` into ``1001``."""
    return value if value in (None, "") else _text(value).replace(arg, "")


@transform("policy", needs_arg=True)
def policy(value, arg, ctx):
    """A value of the channel's posting policy (``policy:revenue_account``,
    ``policy:default_dimensions.department``), so accounts live in one place."""
    chosen = getattr(ctx, "policy", None)
    if not chosen:
        raise TransformError(
            "policy: no posting policy for this channel (and no default one)",
            category="missing_mapping",
        )
    found = chosen
    for part in arg.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    if found in (None, ""):
        channel = chosen.get("channel") or "the default"
        raise TransformError(
            f"policy: the posting policy for {channel} channel sets no {arg}",
            category="missing_mapping",
        )
    return found
