"""The Arrow-built LOAD DATA files are byte for byte the files the per-value formatter writes
(``mysql_bulk.field`` / ``column_texts``), for every column type a mapped frame holds and for
texts with every character the format escapes. What the files load to is tested against MySQL
in ``test_mysql_bulk.py`` and by every pipeline test on MySQL."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zartsalgo_pipelines.mapping.casting import DTYPES
from zartsalgo_pipelines.storage import bulk_lines, mysql_bulk

# Texts built from the characters the format gives a meaning to, and a few beyond ASCII.
TEXTS = st.none() | st.text(alphabet=st.sampled_from(list("aZ \\\t\n\r\"'N0é❄漢")), max_size=8)
STAMPS = st.none() | st.datetimes(
    min_value=dt.datetime(1, 1, 1),
    max_value=dt.datetime(9999, 12, 31),
    timezones=st.just(dt.UTC),
)
INTEGERS = st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
FLOATS = st.none() | st.floats() | st.sampled_from([100.0, 1e16, 1e-5, 2.5e-7, -0.0, 1e15 + 0.5])
FLAGS = st.none() | st.booleans()


def per_value_lines(frame: pd.DataFrame, tail: str) -> bytes:
    texts = [mysql_bulk.column_texts(frame[name]) for name in frame.columns]
    return "".join("\t".join(parts) + tail + "\n" for parts in zip(*texts, strict=True)).encode()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(TEXTS, STAMPS, INTEGERS, FLOATS, FLAGS), min_size=1, max_size=30),
    st.sampled_from(["k", "quote\\req", None, 7]),
)
def test_arrow_lines_equal_the_per_value_lines(
    rows: list[tuple[object, ...]], constant: object
) -> None:
    kinds = {"text": "string", "at": "datetime", "count": "integer", "amount": "decimal"}
    values = dict(zip([*kinds, "flag"], zip(*rows, strict=True), strict=True))
    # A chunk's rows keep their positions: the index does not start at 0.
    index = pd.Index(range(100, 100 + len(rows)))
    frame = pd.DataFrame(
        {
            name: pd.Series(pd.array(list(values[name]), dtype=DTYPES[kind]), index=index)
            for name, kind in [*kinds.items(), ("flag", "boolean")]
        }
    )
    columns = [bulk_lines.series(frame[name]) for name in frame.columns]
    built = bulk_lines.file_lines([*columns, bulk_lines.constant(constant)])
    assert built == per_value_lines(frame, "\t" + mysql_bulk.field(constant))


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=30))
def test_texts_escaped_as_field_does_payloads_with_backslashes_doubled(
    values: list[str | None],
) -> None:
    payloads = [(value or "").encode() for value in values]
    built = bulk_lines.file_lines([bulk_lines.texts(values), bulk_lines.payloads(payloads)])
    expected = b"".join(
        mysql_bulk.field(value).encode() + b"\t" + payload.replace(b"\\", b"\\\\") + b"\n"
        for value, payload in zip(values, payloads, strict=True)
    )
    assert built == expected


def test_values_that_are_not_texts_are_formatted_as_field_formats_them() -> None:
    values = [7, None, "a\tb", dt.date(2026, 12, 8), True, 2.5]
    expected = b"".join(mysql_bulk.field(value).encode() + b"\n" for value in values)
    assert bulk_lines.file_lines([bulk_lines.texts(values)]) == expected


def test_a_field_left_missing_is_refused_not_dropped() -> None:
    import pyarrow as pa

    missing = pa.array([b"a", None], bulk_lines.BYTES)
    with pytest.raises(ValueError, match="no text"):
        bulk_lines.file_lines([missing, bulk_lines.constant("k")])
