"""Scenario: a chunk's payloads and hashes, computed a chunk at a time, are each row's
``canonical_json`` and ``payload_hash``, byte for byte, whatever the records hold (integers
beyond 64 bits and nesting orjson refuses send the chunk through the one-by-one path). The hash
definition itself is pinned: a re-run must stay duplicate-exact against hashes stored before."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from zartsalgo_pipelines.mapping.bounds import canonical_json
from zartsalgo_pipelines.mapping.outcomes import fingerprints, payload_hash
from zartsalgo_pipelines.sources.rows import SourceRow


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=10,
)
rows = st.lists(
    st.one_of(
        st.dictionaries(st.text(max_size=4), values).map(lambda r: SourceRow("x", 1, r)),
        st.text(max_size=20).map(lambda t: SourceRow("x", 1, None, "not JSON", t)),
        st.just(SourceRow("x", 1, {"deep": _nested(300)})),  # beyond orjson's 254 levels
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(chunk=rows)
def test_a_chunks_fingerprints_are_each_rows(chunk: list[SourceRow]) -> None:
    payloads, hashes = fingerprints(chunk)
    each = [canonical_json(r.record if r.error is None else r.raw_text) for r in chunk]
    assert payloads == each
    assert hashes == [payload_hash(p) for p in each]


def test_the_hash_definition_is_the_one_stored_hashes_were_made_with() -> None:
    chunk = [
        SourceRow("x", 1, {"b": [1, 2.5, None, True], "a": {"z": "é", "y": 2**70}}),
        SourceRow("x", 2, {"id": "x", "n": 1}),
        SourceRow("x", 3, None, "line is not valid JSON", "not json {"),
    ]
    assert fingerprints(chunk)[1] == [
        "881e9b1023ce04fab7d45cf15b80165c",
        "9bd89df7b52e027c63181d8a9148171b",
        "631a3b733ef5bc55414ede4dfa1a250a",
    ]
