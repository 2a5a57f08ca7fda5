"""A background writer: the database stores chunk k while Python maps chunk k+1.

Mapping is CPU in this process; storing is mostly the database server's work on its own core.
Overlapping the two is where the time goes down. The queue holds at most one chunk, so memory
stays bounded by two chunks in flight. Classification stays in the calling thread: it reads the
versions the database has committed plus an overlay of the versions of chunks still queued or
being written, so its answer does not depend on when a commit lands.
"""

import queue
import threading
from collections import deque

import sqlalchemy as sa

from zartsalgo_pipelines.mapping.apply import FieldMap, MappedChunk
from zartsalgo_pipelines.pipeline.classify import (
    ChunkPlan,
    KnownVersions,
    classify_chunk,
)
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.chunks import write_chunk

_DONE = None


class ChunkWriter:
    """Writes planned chunks in order, each in its own transaction, on one worker thread."""

    def __init__(
        self,
        engine: sa.Engine,
        spec: ProviderSpec,
        batch_id: int,
        *,
        revalidate_failures: bool = False,
    ) -> None:
        self.engine, self.spec, self.batch_id = engine, spec, batch_id
        self.revalidate_failures = revalidate_failures
        self._queue: queue.Queue[tuple[MappedChunk, ChunkPlan] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        # New versions of the chunks not yet known to be committed (at most three: queued,
        # being written, and the one just planned).
        self._in_flight: deque[KnownVersions] = deque(maxlen=3)
        self._thread = threading.Thread(target=self._run, name="zartsalgo-chunk-writer")
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _DONE:
            if self._error is None:
                chunk, plan = item
                try:
                    with self.engine.begin() as conn:
                        write_chunk(conn, self.spec, self.batch_id, chunk, plan)
                except BaseException as error:  # handed to the producer, which re-raises it
                    self._error = error

    def plan(
        self, field_map: FieldMap, rows: list[SourceRow], first_row: int
    ) -> tuple[MappedChunk, ChunkPlan]:
        """Map and classify one chunk against committed and in-flight versions."""
        self._raise_if_failed()
        pending = KnownVersions.empty()
        for additions in self._in_flight:
            pending.add(additions)
        with self.engine.connect() as conn:
            chunk, plan, additions = classify_chunk(
                conn,
                self.spec,
                field_map,
                rows,
                pending,
                first_row,
                revalidate_failures=self.revalidate_failures,
            )
        self._in_flight.append(additions)
        chunk.drop_records()
        return chunk, plan

    def submit(self, chunk: MappedChunk, plan: ChunkPlan) -> None:
        self._raise_if_failed()
        self._queue.put((chunk, plan))

    def close(self) -> None:
        """Wait for every submitted chunk; re-raise the first write error."""
        self._queue.put(_DONE)
        self._thread.join()
        self._raise_if_failed()

    def drain(self) -> None:
        """Write what was submitted (the source failed, the chunks are whole), do not raise:
        the caller re-raises the error that stopped it."""
        self._queue.put(_DONE)
        self._thread.join()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error
