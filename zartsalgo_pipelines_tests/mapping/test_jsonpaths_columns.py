"""Scenario: a source path read as a column gives, for every record of a chunk, exactly what
JMESPath gives for that record alone: the same value of the same type (``true`` is not ``1``,
``1.0`` is not ``1``), or, where JMESPath raises, that record's ``ExpressionFailure`` with
JMESPath's own error. The compiled closures (key chains mapped in C, filters with a literal
text compared directly, a chunk evaluated without a ``try`` per record) are checked against
the interpreter on generated records, which hold every JSON type where a path expects objects.
"""

import json
from typing import Any

import jmespath
from hypothesis import given, settings
from hypothesis import strategies as st

from zartsalgo_pipelines.jsonpaths import ExpressionFailure, _failure, compile_column

KEYS = ["a", "b", "ref", "text", "id"]
scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([0.0, 1.0, "", "x"])
values = st.recursive(
    scalars | st.sampled_from(KEYS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=12,
)
records = st.lists(st.dictionaries(st.sampled_from(KEYS), values, max_size=5), max_size=6)

PATHS = [
    "a",
    "a.b",
    "a.b.ref",
    "a[?ref=='x'].text | [0]",
    "a[?ref!='x'].text",
    "a[?'x'==ref].id",
    "a[?ref==`1`].text",
    "a[?ref==`true`].text",
    "a[?ref].text",
    "a[?@ == `0`]",
    "a[*].b.ref",
    "a[0]",
    "a[-1].b",
    "a[].text",
    "[a, b.ref]",
    "a | [0]",
    "b == 'x'",
    "b != `true`",
    "join('|', [id, text])",
    "join(', ', a[*].text)",
    "length(a)",
]


def _reference(path: str, record: Any) -> Any:
    try:
        return jmespath.search(path, record)
    except Exception as error:
        return _failure(path, error)


def _typed(value: Any) -> str:
    """A value with its types spelled out: ``==`` takes ``True`` for ``1`` and ``1.0``."""
    if isinstance(value, ExpressionFailure):
        return repr(value)
    return json.dumps(value, default=repr)


@settings(max_examples=150, deadline=None)
@given(chunk=records)
def test_every_path_reads_each_record_as_jmespath_does(chunk: list[dict[str, Any]]) -> None:
    for path in PATHS:
        column = compile_column(path)(chunk)
        expected = [_reference(path, record) for record in chunk]
        assert [_typed(v) for v in column] == [_typed(v) for v in expected], path
