"""The one ingestion path: rows in, every row accounted for. Assets, CLI and benchmark call this.

A batch commits per chunk (mapping + every table touched + counters, in one transaction). If a
chunk fails, its transaction rolls back, the batch is closed as ``failed`` with the error, and
the chunks before it stay: a re-run then sees those rows as duplicates and finishes the rest.
If the process dies instead, the crash sweep (``pipeline/sweep.py``) fails the batch at the start
of the next extract or ingest, and the same holds (docs/crash_safety.md).
"""

import hashlib
import itertools
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from zartsalgo_pipelines.mapping.apply import FieldMap
from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.owners import BatchOwner, RunIsAlive
from zartsalgo_pipelines.pipeline.landing import (
    LandingExistsError,
    create_landing_dir,
    landing_dir,
)
from zartsalgo_pipelines.pipeline.lifecycle import (
    close_succeeded,
    fail_batch,
    open_provider_batch,
)
from zartsalgo_pipelines.pipeline.sweep import sweep_stuck_batches
from zartsalgo_pipelines.pipeline.tuning import batch_tuning
from zartsalgo_pipelines.pipeline.writer import ChunkWriter
from zartsalgo_pipelines.sources.files import (
    NoExportFileError,
    SourceRow,
    iter_file_rows,
    resolve_paths,
)
from zartsalgo_pipelines.specs.models import FileSource, ProviderSpec
from zartsalgo_pipelines.storage.batches import batch_token
from zartsalgo_pipelines.storage.import_batches import (
    BatchLostError,
    BatchNotClaimedError,
    BatchReview,
    claim_batch,
    mark_extracted,
    touch,
)


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
    source_kind: str = "file",
) -> Extract:
    """Land the provider's export files unchanged and open an ``extracted`` batch for them
    (``source_kind`` `sample` for a provider's sample export, ``pipeline/samples.py``).

    Landing a copy keeps the extract reproducible after the provider replaces its export.
    Stuck batches of the provider are swept first (``pipeline/sweep.py``).
    """
    sweep_stuck_batches(engine, spec, run_is_alive=run_is_alive)
    paths = resolve_paths(spec.file_source.path, spec_dir)
    if not paths:
        raise _missing_export(engine, spec, owner)
    names = [_relative_name(p, spec_dir) for p in paths]
    with engine.begin() as conn:
        batch_id = open_provider_batch(
            conn,
            spec,
            source_kind=source_kind,
            source_ref=", ".join(names),
            status="extracting",
            owner=owner,
        )
        token = batch_token(conn, batch_id)
    target = landing_dir(spec.key, batch_id, token)
    try:
        size, fingerprint = _land_copies(engine, batch_id, paths, names, target)
        with engine.begin() as conn:
            mark_extracted(conn, batch_id, fingerprint)
    except LandingExistsError as error:
        fail_batch(engine, spec, batch_id, str(error))  # the folder is not ours: keep it
        raise
    except (OSError, BatchLostError) as error:
        shutil.rmtree(target, ignore_errors=True)
        fail_batch(engine, spec, batch_id, f"extract failed: {type(error).__name__}: {error}")
        raise
    return Extract(batch_id, names, size, fingerprint, target)


def _missing_export(
    engine: sa.Engine, spec: ProviderSpec, owner: BatchOwner | None
) -> NoExportFileError:
    """Open and fail a batch for an export that is not there; returns the error to raise.

    A missing export is a failed sync: it counts towards the failed-batches alert.
    """
    pattern = spec.file_source.path
    missing = NoExportFileError(spec.key, pattern)
    with engine.begin() as conn:
        batch_id = open_provider_batch(
            conn, spec, source_kind="file", source_ref=pattern, owner=owner
        )
    fail_batch(engine, spec, batch_id, str(missing))
    return missing


def _land_copies(
    engine: sa.Engine, batch_id: int, paths: list[Path], names: list[str], target: Path
) -> tuple[int, str]:
    """Create ``target`` and copy each file there under its name; returns the bytes and hash.

    The batch's heartbeat beats after each file, so a large export is not taken for a stuck one.
    """
    create_landing_dir(target)
    digest = hashlib.sha256()
    size = 0
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
    return size, digest.hexdigest()


def _relative_name(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.name  # never store a machine path, only the file's name


def landed_rows(spec: ProviderSpec, landing: Path) -> Iterator[SourceRow]:
    """Stream the rows of a landed extract (its folder), file by file, in name order."""
    # API pages land as JSON lines (pipeline/api_extract.py); exports keep their own format.
    source = spec.source
    fmt, encoding = (
        (source.format, source.encoding) if isinstance(source, FileSource) else ("jsonl", "utf-8")
    )
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        name = path.relative_to(landing).as_posix()
        yield from iter_file_rows(path, fmt, name, encoding)


def chunked(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    """Lists of ``size`` rows; the generator keeps no reference to the list it handed out, so
    the caller's ``del`` frees the chunk's parsed records at once. Held here until the next
    chunk was read, they were walked by the per-chunk GC pass and freed only then."""
    iterator = iter(rows)
    held = [list(itertools.islice(iterator, size))]
    while held[0]:
        yield held.pop()
        held.append(list(itertools.islice(iterator, size)))


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
    size = chunk_size or spec.effective_chunk_size
    _claim_for_ingest(engine, spec, batch_id, owner or BatchOwner.this_process())
    writer = ChunkWriter(engine, spec, batch_id, revalidate_failures=revalidate_failures)
    try:
        _write_chunks(writer, field_map, chunked(rows, size), stats)
    except Exception as error:
        fail_batch(engine, spec, batch_id, f"{type(error).__name__}: {error}")
        raise
    return close_succeeded(engine, spec, batch_id, on_success)


def _claim_for_ingest(
    engine: sa.Engine, spec: ProviderSpec, batch_id: int, owner: BatchOwner
) -> None:
    """Take the batch and the provider's ingest lease for ``owner``; a batch that cannot be
    taken is closed as failed before the error goes on."""
    try:
        with engine.begin() as conn:
            claim_batch(conn, spec, batch_id, owner, from_statuses=("running", "extracted"))
    except BatchNotClaimedError as error:
        fail_batch(engine, spec, batch_id, str(error))
        raise


def _write_chunks(
    writer: ChunkWriter,
    field_map: FieldMap,
    chunks: Iterable[list[SourceRow]],
    stats: FailureStats | None,
) -> None:
    """Plan and submit every chunk, then wait for the writes and raise the first write error.

    When the source or the mapping fails (even on Ctrl-C), the chunks already submitted are
    whole and are still written before the error goes on: the caller then fails the batch with
    no write of it under way.
    """
    next_row = 1
    try:
        with batch_tuning() as collect:
            for chunk_rows in chunks:
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
        return open_provider_batch(conn, spec, source_kind=source_kind, source_ref=ref, owner=owner)
