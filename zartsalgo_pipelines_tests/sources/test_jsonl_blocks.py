"""Scenario: a JSON-lines export read a block of lines at a time (one test for 19-digit runs per
block, orjson alone on a block without one) gives exactly the rows of reading it line by line
with ``jsontext.loads``: the same positions, records, errors and texts, whatever the lines
hold (long integers, blank lines, broken JSON, invalid UTF-8, a BOM, a line without its newline)
and wherever a block ends."""

import io
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from zartsalgo_pipelines.sources import jsontext
from zartsalgo_pipelines.sources.files import _jsonl_bytes_rows
from zartsalgo_pipelines.sources.rows import SourceRow, as_row

LINES = [
    b'{"id": "a", "n": 1}',
    b'{"id": "b", "n": 1180591620717411303424}',  # beyond 64 bits: read by the standard library
    b'{"id": "c", "t": "1234567890123456789"}',  # 19 digits in a text
    b'{"id": "d", "f": 1.5e3, "x": [1, {"y": null}]}',
    b"",
    b"   ",
    b'{"id": "e"',  # cut short
    b"[1, 2]",
    b'"text"',
    b"\xff\xfe not UTF-8",
    b'{"n": NaN}',
    b'{"id": "\xc3\xa9t\xc3\xa9"}',
]


def _line_by_line(data: bytes, source_ref: str) -> Iterator[SourceRow]:
    """The reader as it was: every line on its own through ``jsontext.loads``."""
    for position, line in enumerate(io.BytesIO(data), start=1):
        if position == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        try:
            value: Any = jsontext.loads(line)
        except jsontext.JSONDecodeError as error:
            if not line.strip():
                continue
            text = line.decode("utf-8", errors="replace").strip()
            yield SourceRow(source_ref, position, None, f"line is not valid JSON ({error})", text)
            continue
        if type(value) is dict:
            yield SourceRow(source_ref, position, value)
        else:
            yield as_row(source_ref, position, value, line.decode("utf-8").strip())


exports = st.tuples(
    st.booleans(),  # a BOM
    st.lists(st.tuples(st.sampled_from(LINES), st.sampled_from([b"\n", b"\r\n"])), max_size=12),
    st.booleans(),  # the last line without its newline
).map(lambda e: (b"\xef\xbb\xbf" if e[0] else b"") + _joined(e[1], e[2]))


def _joined(lines: list[tuple[bytes, bytes]], cut_last: bool) -> bytes:
    data = b"".join(line + end for line, end in lines)
    return data.rstrip(b"\r\n") if cut_last else data


@settings(max_examples=300, deadline=None)
@given(data=exports, block=st.sampled_from([1, 20, 64, 1 << 18]))
def test_blocks_of_lines_read_as_line_by_line(data: bytes, block: int) -> None:
    rows = list(_jsonl_bytes_rows(io.BytesIO(data), "x.jsonl", block))
    expected = list(_line_by_line(data, "x.jsonl"))
    assert [repr(row) for row in rows] == [repr(row) for row in expected]
