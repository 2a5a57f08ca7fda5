"""The one ingestion path: rows in, every row accounted for. Assets, CLI and benchmark call this.

A batch commits per chunk (mapping + every table touched + counters, in one transaction). If a
chunk fails, its transaction rolls back, the batch is closed as ``failed`` with the error, and
the chunks before it stay: a re-run then sees those rows as duplicates and finishes the rest.
If the process dies instead, the crash sweep (``ingest/sweep.py``) fails the batch at the start
of the next extract or ingest, and the same holds (docs/crash_safety.md).
"""

import contextlib
import gc
import hashlib
import itertools
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.ingest.batches import (
    BatchLostError,
    BatchNotClaimedError,
    BatchReview,
    claim_batch,
    close_batch,
    mark_extracted,
    open_batch,
    review,
    touch,
)
from zartsalgo_pipelines.ingest.landing import (
    LandingExistsError,
    create_landing_dir,
    landing_dir,
)
from zartsalgo_pipelines.ingest.owners import BatchOwner, RunIsAlive
from zartsalgo_pipelines.ingest.providers import (
    advance_cursor,
    record_sync_result,
    register_provider,
)
from zartsalgo_pipelines.ingest.stats import FailureStats
from zartsalgo_pipelines.ingest.sweep import STUCK_BATCH, sweep_stuck_batches
from zartsalgo_pipelines.ingest.writer import ChunkWriter
from zartsalgo_pipelines.mapping.apply import FieldMap
from zartsalgo_pipelines.proof.alerts import evaluate_batch_alerts, resolve_alerts
from zartsalgo_pipelines.proof.notify import notify
from zartsalgo_pipelines.sources.files import SourceRow, iter_file_rows, resolve_paths
from zartsalgo_pipelines.specs.models import FileSource, ProviderSpec
from zartsalgo_pipelines.storage.batches import batch_token


@dataclass(frozen=True)
class Extract:
    """A landed raw extract: the batch it opened, its landing folder and the files it holds."""

    batch_id: int
    files: list[str]
    bytes: int
    fingerprint: str
    landing: Path


def extract_files(
    engine: sa.Engine,
    spec: ProviderSpec,
    spec_dir: Path,
    *,
    owner: BatchOwner | None = None,
    run_is_alive: RunIsAlive | None = None,
) -> Extract:
    """Land the provider's export files unchanged and open an ``extracted`` batch for them.

    Landing a copy keeps the extract reproducible after the provider replaces its export.
    Stuck batches of the provider are swept first (``ingest/sweep.py``).
    """
    sweep_stuck_batches(engine, spec, run_is_alive=run_is_alive)
    source = spec.file_source
    paths = resolve_paths(source.path, spec_dir)
    if not paths:
        # A missing export is a failed sync: it counts towards the failed-batches alert.
        message = f"Provider `{spec.key}`: no export file matches source.path `{source.path}`"
        with engine.begin() as conn:
            register_provider(conn, spec)
            batch_id = open_batch(
                conn, spec, source_kind="file", source_ref=source.path, owner=owner
            )
        fail_batch(engine, spec, batch_id, message)
        raise FileNotFoundError(message)
    names = [_relative_name(p, spec_dir) for p in paths]
    digest = hashlib.sha256()
    with engine.begin() as conn:
        register_provider(conn, spec)
        batch_id = open_batch(
            conn,
            spec,
            source_kind="file",
            source_ref=", ".join(names),
            status="extracting",
            owner=owner,
        )
        token = batch_token(conn, batch_id)
    target = landing_dir(spec.key, batch_id, token)
    size = 0
    try:
        create_landing_dir(target)
        for path, name in zip(paths, names, strict=True):
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            size += destination.stat().st_size
            with destination.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
            with engine.begin() as conn:
                touch(conn, batch_id, "extracting")
        with engine.begin() as conn:
            mark_extracted(conn, batch_id, digest.hexdigest())
    except LandingExistsError as error:
        fail_batch(engine, spec, batch_id, str(error))  # the folder is not ours: keep it
        raise
    except (OSError, BatchLostError) as error:
        shutil.rmtree(target, ignore_errors=True)
        fail_batch(engine, spec, batch_id, f"extract failed: {type(error).__name__}: {error}")
        raise
    return Extract(batch_id, names, size, digest.hexdigest(), target)


def _relative_name(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.name  # never store a machine path, only the file's name


def landed_rows(spec: ProviderSpec, landing: Path) -> Iterator[SourceRow]:
    """Stream the rows of a landed extract (its folder), file by file, in name order."""
    # API pages land as JSON lines (ingest/api_extract.py); exports keep their own format.
    source = spec.source
    fmt, encoding = (
        (source.format, source.encoding) if isinstance(source, FileSource) else ("jsonl", "utf-8")
    )
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        name = path.relative_to(landing).as_posix()
        yield from iter_file_rows(path, fmt, name, encoding)


def chunked(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


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

    The writer (``ingest/writer.py``) spends a chunk mostly waiting on the server, between
    short bursts of Python, and it is the slower side of a first load. After each of its dozen
    round trips a chunk it needs the GIL, which the mapping thread keeps until CPython's switch
    interval (5 ms by default) makes it let go: up to 60 ms a chunk of the writer doing
    nothing. In back-to-back 200k-row first loads on MySQL, 0.2 ms took 10-20 % less time
    than the default, and re-runs took the same. The previous interval comes back afterwards.
    """
    return _SWITCH_INTERVAL.held()


def ingest_rows(
    engine: sa.Engine,
    spec: ProviderSpec,
    batch_id: int,
    rows: Iterable[SourceRow],
    *,
    chunk_size: int | None = None,
    field_map: FieldMap | None = None,
    stats: FailureStats | None = None,
    revalidate_failures: bool = False,
    owner: BatchOwner | None = None,
    on_success: Callable[[sa.Connection], object] | None = None,
) -> BatchReview:
    """Map, validate and store ``rows`` as batch ``batch_id``; returns the batch review.

    The batch must be ``running`` (a direct batch, or claimed by ``owner``) or ``extracted``;
    it takes the provider's ingest lease, so no other batch of the provider writes meanwhile.
    Raises whatever stopped the batch after closing it as ``failed``. ``stats``, when given,
    collects per-field failure counts for the asset checks. ``revalidate_failures`` validates
    payloads already dead-lettered under this spec instead of failing them again as their dead
    letter records (a replay). ``on_success`` runs in the transaction that closes the batch.
    """
    field_map = field_map or FieldMap(spec)
    size = chunk_size or spec.chunk_size or settings.chunk_size()
    try:
        with engine.begin() as conn:
            claim_batch(
                conn,
                spec,
                batch_id,
                owner or BatchOwner.this_process(),
                from_statuses=("running", "extracted"),
            )
    except BatchNotClaimedError as error:
        fail_batch(engine, spec, batch_id, str(error))
        raise
    next_row = 1
    writer = ChunkWriter(engine, spec, batch_id, revalidate_failures=revalidate_failures)
    try:
        try:
            with young_generation_gc() as collect, prompt_writer_handoff():
                for chunk_rows in chunked(rows, size):
                    mapped, plan = writer.plan(field_map, chunk_rows, next_row)
                    writer.submit(mapped, plan)
                    if stats is not None:
                        stats.add(mapped)
                    next_row += len(chunk_rows)
                    del chunk_rows  # the parsed records go now, before any GC pass
                    collect()
        except BaseException:
            writer.drain()
            raise
        writer.close()
    except Exception as error:
        fail_batch(engine, spec, batch_id, f"{type(error).__name__}: {error}")
        raise
    with engine.begin() as conn:
        if not close_batch(conn, spec, batch_id, "succeeded"):
            raise BatchLostError(f"batch {batch_id} was failed by the sweep before it closed")
        if on_success is not None:
            on_success(conn)
        record_sync_result(conn, spec.key, batch_id, None)
        advance_cursor(conn, spec, batch_id)
        events = evaluate_batch_alerts(conn, spec)
        events += resolve_alerts(conn, spec.key, STUCK_BATCH)
        result = review(conn, batch_id)
    notify(events)
    return result


def fail_batch(engine: sa.Engine, spec: ProviderSpec, batch_id: int, message: str) -> None:
    """Close a batch as failed, remember the error on the connection, raise the alerts due.

    A batch the sweep failed already keeps the sweep's reason.
    """
    with engine.begin() as conn:
        if not close_batch(conn, spec, batch_id, "failed", message):
            return
        record_sync_result(conn, spec.key, batch_id, message)
        events = evaluate_batch_alerts(conn, spec)
    notify(events)


def process_extract(
    engine: sa.Engine,
    spec: ProviderSpec,
    batch_id: int,
    stats: FailureStats | None = None,
    *,
    owner: BatchOwner | None = None,
) -> BatchReview:
    """Claim an ``extracted`` batch for ``owner`` and map and store its landed extract.

    Raises ``BatchNotClaimedError`` (the batch unchanged) when another run took the batch or
    holds the provider's ingest lease.
    """
    owner = owner or BatchOwner.this_process()
    with engine.begin() as conn:
        claim_batch(conn, spec, batch_id, owner)
        token = batch_token(conn, batch_id)
    rows = landed_rows(spec, landing_dir(spec.key, batch_id, token))
    return ingest_rows(engine, spec, batch_id, rows, stats=stats, owner=owner)


def open_direct_batch(
    engine: sa.Engine,
    spec: ProviderSpec,
    source_kind: str,
    ref: str,
    owner: BatchOwner | None = None,
) -> int:
    """A batch for rows that do not come through a landed extract (manual entry, replay)."""
    with engine.begin() as conn:
        register_provider(conn, spec)
        return open_batch(conn, spec, source_kind=source_kind, source_ref=ref, owner=owner)
