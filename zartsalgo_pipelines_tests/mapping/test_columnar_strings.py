"""Scenario: the columnar path keeps as sent exactly the values the row path's
``strip() or None`` keeps as sent: missing values, and texts (UTF-8 ones) with none of the 29
characters ``str.isspace`` knows at either edge. Anything else (whitespace at an edge, a number
or a structure, a lone surrogate) is handed to the row path, and a blank text is missing."""

import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from zartsalgo_pipelines.mapping.columnar import _strings

SPACES = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
texts = st.lists(st.sampled_from([*SPACES, "a", "é", "\U0001f33f", "\ud800", "-"]), max_size=5)
values = st.one_of(texts.map("".join), st.none(), st.integers(), st.just(["a"]))


def _plain(value: Any) -> bool:
    if value is None:
        return True
    if type(value) is not str or value.strip() != value:
        return False
    try:
        value.encode()
    except UnicodeError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(column=st.lists(values, max_size=12))
def test_plain_texts_are_those_strip_keeps(column: list[Any]) -> None:
    array, plain = _strings(column)
    assert plain.tolist() == [_plain(v) for v in column]
    kept = array.to_pylist()
    assert [kept[p] for p, v in enumerate(column) if _plain(v)] == [
        v or None for v in column if _plain(v)
    ]
