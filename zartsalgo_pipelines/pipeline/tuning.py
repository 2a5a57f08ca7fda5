"""CPython and Arrow tuning for a running batch, in one named context: ``batch_tuning()``.

Nothing here runs at import time: the code server, the CLI and the webhook receiver import the
package without changing the process. A batch enters the context for as long as it maps and
writes chunks; everything is restored when the last batch of the process leaves it.
"""

import contextlib
import gc
import sys
import threading
from collections.abc import Callable, Iterator

GC_EVERY_CHUNKS = 4


@contextlib.contextmanager
def young_generation_gc() -> Iterator[Callable[[], object]]:
    """Pause Python's automatic cyclic GC for a batch; the caller calls the function it yields
    after each chunk, which collects young objects every ``GC_EVERY_CHUNKS`` chunks.

    Parsing a chunk allocates hundreds of thousands of dicts and lists; every few hundred
    allocations the automatic collector walks them, and its older-generation passes walk the
    whole heap. That tripled the cost of JSON parsing. Provider records are acyclic (freed by
    reference counting); the only cyclic garbage is a few dozen objects pandas leaves per
    chunk. A pass over generations 0-1 costs ~15 ms at a chunk boundary whatever it finds,
    because the chunks still in flight are young and alive (30,000 objects at 5,000 rows), so
    one pass every fourth chunk keeps memory flat (the same peak at 200k rows) for a quarter of
    the cost: 5 us less per row on a first load, 3 us on a re-run.
    """
    enabled = gc.isenabled()
    gc.disable()
    chunks = 0

    def after_chunk() -> None:
        nonlocal chunks
        chunks += 1
        if chunks % GC_EVERY_CHUNKS == 0:
            gc.collect(1)

    try:
        yield after_chunk
    finally:
        if enabled:
            gc.enable()


WRITER_SWITCH_INTERVAL = 0.0002  # seconds


class _ShortSwitchInterval:
    """The process's switch interval, shortened while any batch runs in it.

    The interval is process-wide, and batches may overlap in threads: the first batch in
    saves the interval, the last one out restores it, so neither is left with the other's.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._batches = 0
        self._saved = 0.0

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._batches == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, WRITER_SWITCH_INTERVAL))
            self._batches += 1
        try:
            yield
        finally:
            with self._lock:
                self._batches -= 1
                if self._batches == 0:
                    sys.setswitchinterval(self._saved)


_SWITCH_INTERVAL = _ShortSwitchInterval()


def prompt_writer_handoff() -> contextlib.AbstractContextManager[None]:
    """Let the writer thread have the GIL back soon after each of its database round trips.

    The writer (``pipeline/writer.py``) spends a chunk mostly waiting on the server, between
    short bursts of Python, and it is the slower side of a first load. After each of its dozen
    round trips a chunk it needs the GIL, which the mapping thread keeps until CPython's switch
    interval (5 ms by default) makes it let go: up to 60 ms a chunk of the writer doing
    nothing. In back-to-back 200k-row first loads on MySQL, 0.2 ms took 10-20 % less time
    than the default, and re-runs took the same. The previous interval comes back afterwards.
    """
    return _SWITCH_INTERVAL.held()


_ARROW_POOL_SET = False


def use_system_allocator_for_arrow() -> None:
    """Arrow memory from the system allocator, once per process.

    pandas keeps the str columns of a chunk in Arrow memory. Arrow's default allocator
    (mimalloc) holds on to what a chunk freed, which raised a large sync's peak RSS by ~40 MB
    for no gain in speed (benchmark, 100k rows); the system allocator hands it back as pandas'
    own arrays do.
    """
    global _ARROW_POOL_SET
    if not _ARROW_POOL_SET:
        import pyarrow

        pyarrow.set_memory_pool(pyarrow.system_memory_pool())
        _ARROW_POOL_SET = True


@contextlib.contextmanager
def batch_tuning() -> Iterator[Callable[[], object]]:
    """Everything a batch tunes while it runs; yields the function to call after each chunk.

    Young-generation GC instead of automatic GC, a short switch interval for the writer
    thread, and Arrow memory from the system allocator.
    """
    use_system_allocator_for_arrow()
    with young_generation_gc() as after_chunk, prompt_writer_handoff():
        yield after_chunk
