"""Scenario: a batch's rows are handed out in chunks of the chunk size, in order, and a chunk
the caller lets go of is freed at once: the chunking does not keep it (and its parsed records)
alive until the next chunk is read, where the per-chunk GC pass would walk it."""

import weakref
from collections.abc import Iterator

from zartsalgo_pipelines.pipeline.run import chunked
from zartsalgo_pipelines.sources.rows import SourceRow


class _Record(dict[str, int]):
    """A record that can be watched with a weak reference."""


def test_chunks_are_in_order_and_of_the_chunk_size() -> None:
    assert list(chunked(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunked(range(6), 3)) == [[0, 1, 2], [3, 4, 5]]
    assert list(chunked([], 3)) == []


def test_a_chunk_let_go_of_is_freed_before_the_next_is_read() -> None:
    def rows() -> Iterator[SourceRow]:
        for n in range(1, 7):
            yield SourceRow("x.jsonl", n, _Record(n=n))

    chunks = chunked(rows(), 3)
    first = next(chunks)
    watched = [weakref.ref(row.record) for row in first if row.record is not None]
    del first
    assert [ref() for ref in watched] == [None, None, None]
    assert [row.position for row in next(chunks)] == [4, 5, 6]
