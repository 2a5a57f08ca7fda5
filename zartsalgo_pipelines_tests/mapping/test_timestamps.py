"""Timestamps parse as the per-value definition parses them: upper-cased, fraction digits
beyond the sixth dropped when they are zeros, refused when they are not; a value that is not a
text is missing. The column steps in Arrow are held to that definition here."""

from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from zartsalgo_pipelines.mapping.timestamps import DTYPE, _to_microseconds, parse_timestamps

DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=12)
STAMPS = st.builds(
    lambda day, clock, separator, fraction, zone: f"{day}{separator}{clock}{fraction}{zone}",
    st.sampled_from(["2026-11-16", "1999-01-31", "9999-12-31", "2026-02-30"]),
    st.sampled_from(["10:00:00", "23:59:59", "00:00"]),
    st.sampled_from(["T", "t", " "]),
    st.one_of(st.just(""), st.builds(lambda s, d: s + d, st.sampled_from([".", ","]), DIGITS)),
    st.sampled_from(["Z", "z", "+02:00", "", "-0530"]),
)
VALUES = st.lists(
    st.one_of(STAMPS, st.none(), st.integers(), st.text(max_size=12), st.just("0000000.12345678")),
    max_size=20,
)


def per_value(values: list[Any]) -> pd.Series:
    """The definition, value by value."""
    texts = [_to_microseconds(v.upper()) if type(v) is str else None for v in values]
    parsed = pd.to_datetime(
        pd.Series(texts, dtype=object), errors="coerce", utc=True, format="ISO8601"
    )
    return parsed.astype(DTYPE)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_a_column_parses_as_its_values_do_one_by_one(values: list[Any]) -> None:
    pd.testing.assert_series_equal(parse_timestamps(values), per_value(values))
