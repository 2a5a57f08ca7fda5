"""Values as a client reads them: percent with one decimal, money with its currency, counts as
whole numbers. Never `NaN`, `Infinity` or four decimals."""

from decimal import ROUND_HALF_UP, Decimal

CURRENCIES = frozenset({"EUR", "USD", "GBP", "CHF"})
NO_VALUE = "-"


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_value(value: Decimal | None, unit: str) -> str:
    """``11 requests``, ``75.0 %``, ``1,200.50 EUR``; a dash for no value."""
    if value is None or not value.is_finite():
        return NO_VALUE
    if unit == "percent":
        return f"{_round(value, 1)} %"
    if unit in CURRENCIES:
        return f"{_round(value, 2):,} {unit}"
    if value == value.to_integral_value():
        return f"{int(value):,} {unit}"
    return f"{_round(value, 1):,} {unit}"


def format_change(change: Decimal | None, change_pct: Decimal | None, unit: str) -> str:
    """``+2 requests (+22.2 %)``; for percentages the change is in points."""
    if change is None:
        return NO_VALUE
    sign = "+" if change > 0 else ""
    if unit == "percent":
        text = f"{sign}{_round(change, 1)} points"
    else:
        text = sign + format_value(change, unit)
    if change_pct is not None:
        pct_sign = "+" if change_pct > 0 else ""
        text += f" ({pct_sign}{_round(change_pct, 1)} %)"
    return text


def format_count(records: int) -> str:
    return f"{records:,} record{'s' if records != 1 else ''}"
