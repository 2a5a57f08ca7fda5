"""Vectorised casts from provider values to the field-map types.

Casting happens before pandera because pandera's own coercion reports a failed cast and then
runs the value checks on the uncast column, which raise TypeErrors that carry no row index and
took minutes on large chunks. Here a failed cast is a row-level failure with the raw value.
Values arrive as plain lists (one per field); list comprehensions with inline type tests are the
cheapest per-value step in Python, and pandas does the parsing in bulk.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from zartsalgo_pipelines.mapping.timestamps import (
    DTYPE,
    MICROSECONDS_CHECK,
    finer_than_microseconds,
    parse_timestamps,
)

_BOOLEANS = {
    "true": True,
    "yes": True,
    "1": True,
    "y": True,
    "t": True,
    "false": False,
    "no": False,
    "0": False,
    "n": False,
    "f": False,
}

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


def _text(value: Any) -> Any:
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, dict | list):
        return _MISSING
    return str(value)


def _string(values: list[Any]) -> tuple[pd.Series, np.ndarray]:
    texts = [v.strip() or None if type(v) is str else _text(v) for v in values]
    failed = np.fromiter((t is _MISSING for t in texts), dtype=bool, count=len(texts))
    if failed.any():
        texts = [None if t is _MISSING else t for t in texts]
    return pd.Series(texts, dtype="str"), failed


def _numbers(values: list[Any]) -> pd.Series:
    # Booleans are numbers to pandas; a provider sending `true` as a budget is a bad value.
    plain = [None if type(v) is bool or isinstance(v, dict | list) else v for v in values]
    return pd.to_numeric(pd.Series(plain, dtype=object), errors="coerce")


# Beyond 2**53 a number parsed as a float is no longer the integer that was sent.
_EXACT_INTEGERS = 2**53


def _integer(values: list[Any]) -> tuple[pd.Series, np.ndarray]:
    numbers = _numbers(values)
    whole = numbers.where(
        numbers.isna() | ((numbers % 1 == 0) & (numbers.abs() <= _EXACT_INTEGERS))
    )
    return whole.astype("Int64"), _failed(values, whole)


def _decimal(values: list[Any]) -> tuple[pd.Series, np.ndarray]:
    numbers = _numbers(values).astype("Float64")
    return numbers, _failed(values, numbers)


def _boolean(values: list[Any]) -> tuple[pd.Series, np.ndarray]:
    flags = [
        v if type(v) is bool else None if v is None else _BOOLEANS.get(str(v).strip().lower())
        for v in values
    ]
    series = pd.Series(flags, dtype="boolean")
    return series, _failed(values, series)


def _datetime(values: list[Any]) -> tuple[pd.Series, np.ndarray]:
    series = parse_timestamps(values)  # each value alone: docs/hostile_input.md
    return series, _failed(values, series)


def _date(values: list[Any]) -> tuple[pd.Series, np.ndarray]:
    series, failed = _datetime(values)
    return series.dt.normalize(), failed


def _failed(values: list[Any], typed: pd.Series) -> np.ndarray:
    """Given values (not missing, not blank) that came out missing did not cast."""
    given = np.fromiter(
        (v is not None and not (type(v) is str and not v.strip()) for v in values),
        dtype=bool,
        count=len(values),
    )
    return given & typed.isna().to_numpy()


CASTS: dict[str, Callable[[list[Any]], tuple[pd.Series, np.ndarray]]] = {
    "string": _string,
    "category": _string,
    "integer": _integer,
    "decimal": _decimal,
    "boolean": _boolean,
    "datetime": _datetime,
    "date": _date,
}


def failed_check(field_type: str, value: Any) -> str:
    """The check a given value that did not cast failed, as its dead letter names it."""
    if field_type in ("datetime", "date") and finer_than_microseconds(value):
        return MICROSECONDS_CHECK
    return f"not a valid {field_type}"


def cast(values: list[Any], field_type: str) -> tuple[pd.Series, np.ndarray]:
    """Cast ``values``; return the typed series (positional index) and a mask of given values
    that did not cast."""
    return CASTS[field_type](values)
