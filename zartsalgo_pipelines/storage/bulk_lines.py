"""LOAD DATA files built by Arrow: a chunk's columns escaped and joined in C++, not per row.

The writer thread formats every file a first load sends (records, external objects with their
payloads, versions, links, import rows) while the mapping thread maps the next chunk, and both
hold the same interpreter lock: each microsecond of Python a row spent formatting lines was a
microsecond the mapping thread waited. Here a column becomes one Arrow array of field texts
(``mysql_bulk.field``'s format: backslash, tab and newline escaped, ``\\N`` for missing), the
arrays are joined element-wise with tabs and a newline, and the file is the joined array's
data buffer: no Python call per row or per value.

An object column keeps ``mysql_bulk.field`` per value, floats Python's ``str`` (Arrow's
shortest digits switch to exponents at other magnitudes: ``1e+10`` for ``10000000000.0``); the
files are held byte-equal to ``field``'s by a test.
"""

from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from zartsalgo_pipelines.storage import mysql_bulk

BYTES = pa.large_binary()  # every field as bytes: payloads are UTF-8 already, texts cast free
Field: TypeAlias = pa.Array | pa.Scalar
_NULL = pa.scalar(mysql_bulk.NULL.encode(), BYTES)
_TAB = pa.scalar(b"\t", BYTES)
_NEWLINE = pa.scalar(b"\n", BYTES)
_EMPTY = pa.scalar(b"", BYTES)
# The three characters the format gives a meaning to; the backslash first, so the escapes
# added stay escapes.
_SPECIAL = rb"[\\\t\n]"
_ESCAPES = [(b"\\", b"\\\\"), (b"\t", b"\\t"), (b"\n", b"\\n")]


def constant(value: Any) -> pa.Scalar:
    """One value repeated on every line (a provider key, a batch id, the chunk's clock)."""
    return pa.scalar(mysql_bulk.field(value).encode(), BYTES)


def texts(values: Sequence[Any]) -> pa.Array:
    """Texts (None for missing) as escaped fields; a list holding anything else is formatted
    value by value, as ``mysql_bulk.field`` formats it."""
    try:
        array = pa.array(values, pa.large_string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([mysql_bulk.field(v) for v in values], pa.large_string()).cast(BYTES)
    return _escaped(array.cast(BYTES))


def integers(values: Iterable[int | None]) -> pa.Array:
    """Integers (row numbers, positions, hours; None for missing) as fields."""
    return pc.fill_null(pa.array(values, pa.int64()).cast(pa.string()).cast(BYTES), _NULL)


def payloads(values: Sequence[bytes]) -> pa.Array:
    """Compact JSON payloads (orjson's UTF-8 bytes) as fields: JSON escapes control characters
    itself, so only its backslashes are doubled."""
    array = pa.array(values, BYTES)
    return pc.replace_substring(array, b"\\", b"\\\\")


def series(values: pd.Series) -> pa.Array:
    """A typed column of a mapped frame as fields (what ``mysql_bulk.column_texts`` gives)."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return _timestamps(_array(values))
    if isinstance(dtype, pd.StringDtype):
        return _escaped(_array(values).cast(BYTES))
    if pd.api.types.is_bool_dtype(dtype):
        flags = pa.array(values, pa.bool_())
        return pc.fill_null(pc.if_else(flags, b"1", b"0").cast(BYTES), _NULL)
    if pd.api.types.is_integer_dtype(dtype):
        return integers(pa.array(values, pa.int64()))
    if pd.api.types.is_float_dtype(dtype):
        # Python's own texts (Arrow's shortest digits switch to exponents at other
        # magnitudes): a number's text never holds a character to escape.
        numbers = pa.array(values, pa.float64()).to_pylist()
        return texts([None if number is None else str(number) for number in numbers])
    return pa.array(mysql_bulk.column_texts(values), pa.large_string()).cast(BYTES)


def file_lines(columns: Sequence[Field]) -> bytes:
    """Lines of tab-separated fields, one a row, each ended by a newline: the file's bytes.

    At least one of ``columns`` is an array; scalars are repeated on every line."""
    *fields, last = columns
    if isinstance(last, pa.Scalar):  # the newline joins the last field: one pass, not two
        lines = pc.binary_join_element_wise(*fields, pa.scalar(last.as_py() + b"\n", BYTES), _TAB)
    else:
        joined = pc.binary_join_element_wise(*columns, _TAB)
        lines = pc.binary_join_element_wise(joined, _EMPTY, _NEWLINE)
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    if lines.null_count:  # a missing field not made \N: no line may go missing unseen
        raise ValueError("a LOAD DATA line has a field with no text")
    _, offsets, data = lines.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[[lines.offset, lines.offset + len(lines)]]
    start, end = int(bounds[0]), int(bounds[1])
    return data.slice(start, end - start).to_pybytes() if end > start else b""


def _timestamps(stamps: pa.Array) -> pa.Array:
    """Naive UTC with six fraction digits, as the columns store it (nanoseconds cut, as
    ``%f`` cuts them). numpy's ISO text with a space for its ``T``: Arrow's ``strftime`` took
    1.6 us a value, the writer's largest step."""
    naive = stamps.cast(pa.timestamp("us", tz="UTC"), safe=False).cast(pa.timestamp("us"))
    iso = np.datetime_as_string(naive.to_numpy(zero_copy_only=False), unit="us")
    texts = pc.replace_substring(pa.array(iso, pa.large_string()), "T", " ", max_replacements=1)
    return pc.if_else(naive.is_null(), _NULL, texts.cast(BYTES))


def _array(values: pd.Series) -> pa.Array:
    """The column's Arrow values as one array (a pyarrow-backed column may be chunked)."""
    array = pa.array(values)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _escaped(fields: pa.Array) -> pa.Array:
    # One scan for the three characters; most columns hold none, and each replace copies.
    if pc.any(pc.match_substring_regex(fields, _SPECIAL)).as_py():
        for character, escape in _ESCAPES:
            fields = pc.replace_substring(fields, character, escape)
    return pc.fill_null(fields, _NULL)
