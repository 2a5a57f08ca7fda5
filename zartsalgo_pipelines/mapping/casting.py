"""Vectorised casts from provider values to the field-map types.

Casting happens before pandera because pandera's own coercion reports a failed cast and then
runs the value checks on the uncast column, which raise TypeErrors that carry no row index and
took minutes on large chunks. Here a failed cast is a row-level failure with the raw value.
Values arrive as plain lists (one per field); list comprehensions with inline type tests are the
cheapest per-value step in Python, and pandas does the parsing in bulk.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from zartsalgo_pipelines import numbers
from zartsalgo_pipelines.mapping.timestamps import (
    DTYPE,
    MICROSECONDS_CHECK,
    finer_than_microseconds,
    parse_timestamps,
)
from zartsalgo_pipelines.specs.fields import BOOLEAN_TEXTS, FieldMapEntry

DTYPES: dict[str, Any] = {
    "string": "str",
    "category": "str",
    "integer": "Int64",
    "decimal": "Float64",
    "boolean": "boolean",
    "datetime": DTYPE,
    "date": DTYPE,
}

_MISSING = object()  # a value that cannot be cast (kept apart from "not given")


@dataclass(frozen=True)
class CastRules:
    """What a field map entry declares about reading its values (``docs/provider_spec.md``)."""

    allow_exponent: bool = False  # numbers: `1.5e6` in a text
    scale: Decimal | None = None  # numbers: multiplied by this, exactly
    round: int | None = None  # numbers: decimals kept after scale, half up
    format: str | None = None  # dates: the strftime format of the provider's texts

    @classmethod
    def of(cls, entry: FieldMapEntry) -> "CastRules":
        date_format = entry.format if entry.type in {"date", "datetime"} else None
        return cls(entry.allow_exponent, entry.scale, entry.round, date_format)

    def describe(self, field_type: str) -> str:
        """The check a value that does not cast fails, as a dead letter names it."""
        where = f" in the format {self.format}" if self.format else ""
        return f"not a valid {field_type}{where}"


PLAIN = CastRules()


def _text(value: Any) -> Any:
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, dict | list):
        return _MISSING
    return str(value)


def _string(values: list[Any], rules: CastRules = PLAIN) -> tuple[pd.Series, np.ndarray]:
    texts = [v.strip() or None if type(v) is str else _text(v) for v in values]
    failed = np.fromiter((t is _MISSING for t in texts), dtype=bool, count=len(texts))
    if failed.any():
        texts = [None if t is _MISSING else t for t in texts]
    return pd.Series(texts, dtype="str"), failed


def _numbers(values: list[Any], rules: CastRules) -> pd.Series:
    """Numbers as floats (NA where missing or not a number), read strictly: a JSON number, or a
    text in plain decimal notation (an exponent only where declared); scaled and rounded in
    decimal arithmetic first where the field declares it."""
    exponent = rules.allow_exponent
    plain: list[Any] = [numbers.number_of(v, exponent) for v in values]
    if rules.scale is not None or rules.round is not None:
        plain = [
            None if n is None else numbers.transformed(n, rules.scale, rules.round) for n in plain
        ]
    # Python's float() of the text (or the exact decimal) is the nearest float, as it should be.
    return pd.Series([None if n is None else float(n) for n in plain], dtype="Float64")


# Beyond 2**53 a number parsed as a float is no longer the integer that was sent.
_EXACT_INTEGERS = 2**53


def _integer(values: list[Any], rules: CastRules = PLAIN) -> tuple[pd.Series, np.ndarray]:
    parsed = _numbers(values, rules)
    whole = parsed.where(parsed.isna() | ((parsed % 1 == 0) & (parsed.abs() <= _EXACT_INTEGERS)))
    return whole.astype("Int64"), _failed(values, whole)


def _decimal(values: list[Any], rules: CastRules = PLAIN) -> tuple[pd.Series, np.ndarray]:
    parsed = _numbers(values, rules)
    return parsed, _failed(values, parsed)


def _boolean(values: list[Any], rules: CastRules = PLAIN) -> tuple[pd.Series, np.ndarray]:
    flags = [
        v if type(v) is bool else None if v is None else BOOLEAN_TEXTS.get(str(v).strip().lower())
        for v in values
    ]
    series = pd.Series(flags, dtype="boolean")
    return series, _failed(values, series)


def _datetime(values: list[Any], rules: CastRules = PLAIN) -> tuple[pd.Series, np.ndarray]:
    if rules.format:
        return _formatted(values, rules.format)
    series = parse_timestamps(values)  # each value alone: docs/hostile_input.md
    return series, _failed(values, series)


def _formatted(values: list[Any], date_format: str) -> tuple[pd.Series, np.ndarray]:
    """Dates in the provider's declared strftime format (`%Y%m%d`); a number such as 20260829
    is read as its digits. Without a zone in the format the time is UTC."""
    texts = [v.strip() if type(v) is str else str(v) if type(v) is int else None for v in values]
    parsed = pd.to_datetime(
        pd.Series(texts, dtype=object), errors="coerce", utc=True, format=date_format
    )
    series = parsed.astype(DTYPES["datetime"])
    return series, _failed(values, series)


def _date(values: list[Any], rules: CastRules = PLAIN) -> tuple[pd.Series, np.ndarray]:
    series, failed = _datetime(values, rules)
    return series.dt.normalize(), failed


def _failed(values: list[Any], typed: pd.Series) -> np.ndarray:
    """Given values (not missing, not blank) that came out missing did not cast."""
    given = np.fromiter(
        (v is not None and not (type(v) is str and not v.strip()) for v in values),
        dtype=bool,
        count=len(values),
    )
    return given & typed.isna().to_numpy()


CASTS: dict[str, Callable[[list[Any], CastRules], tuple[pd.Series, np.ndarray]]] = {
    "string": _string,
    "category": _string,
    "integer": _integer,
    "decimal": _decimal,
    "boolean": _boolean,
    "datetime": _datetime,
    "date": _date,
}


def failed_check(field_type: str, value: Any) -> str | None:
    """The check a given value that did not cast failed, when it is not the type's own: a time
    finer than the columns keep (None: the field's usual "not a valid ..." applies)."""
    if field_type in ("datetime", "date") and finer_than_microseconds(value):
        return MICROSECONDS_CHECK
    return None


def cast(
    values: list[Any], field_type: str, rules: CastRules = PLAIN
) -> tuple[pd.Series, np.ndarray]:
    """Cast ``values`` under the field's declared ``rules``; return the typed series
    (positional index) and a mask of given values that did not cast."""
    return CASTS[field_type](values, rules)
