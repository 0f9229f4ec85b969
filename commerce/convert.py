"""Small converters from source payload values to normalized-schema values."""

from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")


class MappingError(ValueError):
    """A source payload cannot be mapped (a field is missing or of the wrong type)."""


def money(value, default=None):
    """A decimal string with at least two places, from a string, int or float."""
    if value is None or value == "":
        if default is None:
            raise MappingError("an amount is missing")
        value = default
    if isinstance(value, bool):
        raise MappingError(f"{value!r} is not an amount")
    try:
        # str() first: Decimal(0.1) would carry the float's binary error in.
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise MappingError(f"{value!r} is not an amount") from exc
    if not amount.is_finite():
        raise MappingError(f"{value!r} is not an amount")
    if amount.as_tuple().exponent > -2:
        amount = amount.quantize(CENT)
    return str(amount)


def money_sum(values):
    return money(sum((Decimal(v) for v in values), Decimal(0)))


def rate(value):
    """A tax rate as a decimal string, or None."""
    if value is None or value == "":
        return None
    try:
        return format(Decimal(str(value)).normalize(), "f")
    except InvalidOperation as exc:
        raise MappingError(f"{value!r} is not a rate") from exc


def ident(value):
    """A source id as a string (Shopify ids are large integers)."""
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list, bool)):
        raise MappingError(f"{value!r} is not an id")
    return str(value)


def required_ident(payload, key):
    value = ident(payload.get(key)) if isinstance(payload, dict) else None
    if value is None:
        raise MappingError(f"{key} is missing")
    return value


def quantity(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MappingError(f"{value!r} is not a quantity")
    if value != int(value):
        raise MappingError(f"{value!r} is not a whole quantity")
    return int(value)


def text(value):
    if value is None:
        return None
    return str(value)


def tags(value):
    """Shopify's comma-separated tags (or a list) as a list of strings."""
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [t.strip() for t in str(value).split(",") if t.strip()]
