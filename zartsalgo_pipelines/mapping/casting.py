"""Vectorised casts from provider values to the field-map types.

Casting happens before pandera because pandera's own coercion reports a failed cast and then
runs the value checks on the uncast column, which raise TypeErrors that carry no row index and
take minutes on large chunks. Here a failed cast is a row-level failure with the raw value.
"""

from collections.abc import Callable
from typing import Any

import pandas as pd

_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}

DTYPES: dict[str, Any] = {
    "string": "str",
    "category": "str",
    "integer": "Int64",
    "decimal": "Float64",
    "boolean": "boolean",
    "datetime": pd.DatetimeTZDtype(unit="us", tz="UTC"),
    "date": pd.DatetimeTZDtype(unit="us", tz="UTC"),
}


def _text(values: pd.Series) -> pd.Series:
    def one(value: Any) -> Any:
        if value is None or isinstance(value, dict | list):
            return value
        text = str(value).strip()
        return text or None

    return values.map(one, na_action="ignore").astype(object)


def _string(values: pd.Series) -> pd.Series:
    text = _text(values)
    # A nested object where text is expected does not cast (it fails with its value shown).
    is_text = text.map(lambda v: isinstance(v, str)).astype(bool)
    return text.where(is_text, None).astype("str")


def _numeric(values: pd.Series) -> pd.Series:
    # Booleans are numbers to pandas; a provider sending `true` as a budget is a bad value.
    plain = values.map(lambda v: None if isinstance(v, bool) else v, na_action="ignore")
    return pd.to_numeric(plain.astype(object), errors="coerce")


def _integer(values: pd.Series) -> pd.Series:
    numbers = _numeric(values)
    whole = numbers.where(numbers.isna() | (numbers % 1 == 0))
    return whole.astype("Int64")


def _decimal(values: pd.Series) -> pd.Series:
    return _numeric(values).astype("Float64")


def _boolean(values: pd.Series) -> pd.Series:
    def one(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        return True if text in _TRUE else False if text in _FALSE else None

    return values.map(one, na_action="ignore").astype("boolean")


def _datetime(values: pd.Series) -> pd.Series:
    text = _text(values).map(lambda v: v if isinstance(v, str) else None, na_action="ignore")
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    return parsed.astype(DTYPES["datetime"])


def _date(values: pd.Series) -> pd.Series:
    return _datetime(values).dt.normalize()


CASTS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "string": _string,
    "category": _string,
    "integer": _integer,
    "decimal": _decimal,
    "boolean": _boolean,
    "datetime": _datetime,
    "date": _date,
}


def is_given(values: pd.Series) -> pd.Series:
    """True where the provider sent a value (not missing, not an empty or blank string)."""
    return (
        values.map(lambda v: not (isinstance(v, str) and not v.strip()), na_action="ignore")
        .fillna(False)
        .astype(bool)
    )


def cast(values: pd.Series, field_type: str) -> tuple[pd.Series, pd.Series]:
    """Cast ``values``; return the typed series and a mask of given values that did not cast."""
    typed = CASTS[field_type](values)
    failed = is_given(values) & typed.isna().to_numpy()
    return typed, failed
