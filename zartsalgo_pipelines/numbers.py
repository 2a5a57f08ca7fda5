"""Numbers as providers send them: the strict grammar of a number written as text, and the
exact decimal arithmetic of a field map's ``scale`` and ``round``.

Shared by the spec (a ``constant`` or ``default`` is checked when the spec loads) and the
mapping (every value of a chunk), so both read a number the same way. Decimal, never binary
floating point: ``1536240000 * 0.000001`` is 1536.24, not 1536.2399999999998.
"""

import decimal
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# Digits are ASCII only (`\d` would take any script's digits); no thousands separators, no
# underscores, no hex, no `inf` or `nan`. An exponent only where the field declares it.
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_WITH_EXPONENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

# Products are exact up to this many digits; a longer one is refused, never rounded silently.
_EXACT = decimal.Context(
    prec=60,
    rounding=ROUND_HALF_UP,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero],
)
# `round` is asked for: rounding is expected there, only an impossible result is refused.
_ROUNDING = decimal.Context(
    prec=60,
    rounding=ROUND_HALF_UP,
    traps=[decimal.InvalidOperation, decimal.Overflow],
)


def is_number_text(text: str, allow_exponent: bool = False) -> bool:
    """Whether ``text`` (already stripped) is a number in plain decimal notation, or with an
    exponent (`1.5e6`) when ``allow_exponent`` is true."""
    grammar = _WITH_EXPONENT if allow_exponent else _PLAIN
    return grammar.fullmatch(text) is not None


def number_of(value: Any, allow_exponent: bool = False) -> int | float | str | None:
    """``value`` if it is a number a provider may send: a JSON number, or a text in the grammar
    (returned stripped); None if it is not one (booleans, objects, lists and other texts)."""
    if type(value) is int or type(value) is float:
        return value
    if type(value) is str:
        text = value.strip()
        return text if text and is_number_text(text, allow_exponent) else None
    return None


def as_decimal(number: int | float | str) -> Decimal:
    """A number (as ``number_of`` returns it) as the decimal it was written as; a float is
    taken by its shortest text, which is what the provider's JSON said."""
    return Decimal(repr(number)) if type(number) is float else Decimal(number)


def transformed(
    number: int | float | str, scale: Decimal | None, places: int | None
) -> Decimal | None:
    """``number * scale``, rounded half up to ``places`` decimals when given; exact, or None
    when the result cannot be had exactly (too many digits, out of range, not finite)."""
    try:
        value = as_decimal(number)
        if not value.is_finite():
            return None
        if scale is not None:
            value = _EXACT.multiply(value, scale)
        if places is not None:
            value = value.quantize(Decimal(1).scaleb(-places), context=_ROUNDING)
    except decimal.DecimalException:
        return None
    return value
