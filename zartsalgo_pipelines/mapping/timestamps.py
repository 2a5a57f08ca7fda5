"""Timestamps as the columns keep them: to the microsecond, each value parsed on its own terms.

pandas gives a parsed column one resolution, inferred from its values: one value with
nanoseconds made a whole chunk parse in nanoseconds, whose range ends in 2262, so
``9999-12-31T23:59:59Z`` failed beside it and loaded alone, and the nanoseconds were then cut to
microseconds without a word. The columns keep microseconds (``DATETIME(6)`` on MySQL), so a time
finer than that cannot be stored as sent: it is refused with its own check. Digits beyond the
sixth that are all zeros name the same instant and are dropped. With no value finer than a
microsecond left, pandas never parses a chunk in nanoseconds, and a value parses the same
whatever its neighbours.
"""

import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MICROSECONDS_CHECK = "a time to the microsecond (no finer time is stored)"
DTYPE = pd.DatetimeTZDtype(unit="us", tz="UTC")
_FRACTION = re.compile(r"(?<=[0-9])[.,]([0-9]{7,})")
_FINER = "[0-9][.,][0-9]{7,}"  # where _FRACTION matches (RE2 has no look-behind)
_TEXT = pa.large_string()


def finer_than_microseconds(value: Any) -> bool:
    """Whether ``value`` is a text naming a time finer than a microsecond."""
    if type(value) is not str:
        return False
    match = _FRACTION.search(value)
    return match is not None and bool(match.group(1)[6:].strip("0"))


def _to_microseconds(text: str) -> str | None:
    """``text`` with at most six fraction digits, or None when a seventh or later is not 0."""
    match = _FRACTION.search(text)
    if match is None:
        return text
    if match.group(1)[6:].strip("0"):
        return None
    return text[: match.start(1) + 6] + text[match.end(1) :]


def parse_timestamps(values: list[Any]) -> pd.Series:
    """UTC timestamps in microseconds (positional index); NaT where a value is missing, not a
    time, or finer than a microsecond."""
    # RFC 3339 allows a lowercase `t` and `z`; pandas' ISO 8601 parser knows only uppercase.
    # Upper-casing changes nothing else in a timestamp, and a failure still shows the raw value.
    # Both steps run on the whole column in Arrow; only a text with seven or more fraction
    # digits (none in most exports) goes through ``_to_microseconds`` one by one.
    texts = pc.utf8_upper(pa.array([v if type(v) is str else None for v in values], _TEXT))
    finer = pc.match_substring_regex(texts, _FINER)
    listed = texts.to_numpy(zero_copy_only=False)
    if pc.any(finer).as_py():
        for position in np.flatnonzero(pc.fill_null(finer, False).to_numpy(zero_copy_only=False)):
            listed[position] = _to_microseconds(listed[position])
    parsed = pd.to_datetime(
        pd.Series(listed, dtype=object), errors="coerce", utc=True, format="ISO8601"
    )
    return parsed.astype(DTYPE)
