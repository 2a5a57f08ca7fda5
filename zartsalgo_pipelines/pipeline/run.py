"""The one ingestion path: rows in, every row accounted for. Assets, CLI and benchmark call this.

A batch commits per chunk (mapping + every table touched + counters, in one transaction). If a
chunk fails, its transaction rolls back, the batch is closed as ``failed`` with the error, and
the chunks before it stay: a re-run then sees those rows as duplicates and finishes the rest.
"""

import hashlib
import itertools
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.mapping.apply import FieldMap
from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.pipeline.tuning import batch_tuning
from zartsalgo_pipelines.pipeline.writer import ChunkWriter
from zartsalgo_pipelines.proof.alerts import evaluate_batch_alerts
from zartsalgo_pipelines.proof.notify import notify
from zartsalgo_pipelines.sources.files import SourceRow, iter_file_rows, resolve_paths
from zartsalgo_pipelines.specs.models import FileSource, ProviderSpec
from zartsalgo_pipelines.storage.connections import (
    advance_cursor,
    record_sync_result,
    register_provider,
)
from zartsalgo_pipelines.storage.import_batches import (
    BatchReview,
    close_batch,
    open_batch,
    review,
)


@dataclass(frozen=True)
class Extract:
    """A landed raw extract: the batch it opened and the files it holds."""

    batch_id: int
    files: list[str]
    bytes: int
    fingerprint: str


def landing_dir(provider_key: str, batch_id: int) -> Path:
    return settings.data_dir() / "landing" / provider_key / f"batch-{batch_id}"


def extract_files(engine: sa.Engine, spec: ProviderSpec, spec_dir: Path) -> Extract:
    """Land the provider's export files unchanged and open an ``extracted`` batch for them.

    Landing a copy keeps the extract reproducible after the provider replaces its export.
    """
    source = spec.file_source
    paths = resolve_paths(source.path, spec_dir)
    if not paths:
        # A missing export is a failed sync: it counts towards the failed-batches alert.
        message = f"Provider `{spec.key}`: no export file matches source.path `{source.path}`"
        with engine.begin() as conn:
            register_provider(conn, spec)
            batch_id = open_batch(conn, spec, source_kind="file", source_ref=source.path)
        fail_batch(engine, spec, batch_id, message)
        raise FileNotFoundError(message)
    names = [_relative_name(p, spec_dir) for p in paths]
    digest = hashlib.sha256()
    with engine.begin() as conn:
        register_provider(conn, spec)
        batch_id = open_batch(
            conn, spec, source_kind="file", source_ref=", ".join(names), status="extracting"
        )
    target = landing_dir(spec.key, batch_id)
    size = 0
    try:
        for path, name in zip(paths, names, strict=True):
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            size += destination.stat().st_size
            with destination.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
    except OSError as error:
        with engine.begin() as conn:
            close_batch(conn, batch_id, "failed", f"extract failed: {type(error).__name__}")
        raise
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE data_import_batches SET status = 'extracted', source_fingerprint = :f "
                "WHERE id = :id"
            ),
            {"f": digest.hexdigest(), "id": batch_id},
        )
    return Extract(batch_id, names, size, digest.hexdigest())


def _relative_name(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.name  # never store a machine path, only the file's name


def landed_rows(spec: ProviderSpec, batch_id: int) -> Iterator[SourceRow]:
    """Stream the rows of a landed extract, file by file, in name order."""
    root = landing_dir(spec.key, batch_id)
    # API pages land as JSON lines (pipeline/api_extract.py); exports keep their own format.
    source = spec.source
    fmt, encoding = (
        (source.format, source.encoding) if isinstance(source, FileSource) else ("jsonl", "utf-8")
    )
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        yield from iter_file_rows(path, fmt, name, encoding)


def chunked(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


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
) -> BatchReview:
    """Map, validate and store ``rows`` as batch ``batch_id``; returns the batch review.

    Raises whatever stopped the batch after closing it as ``failed``. ``stats``, when given,
    collects per-field failure counts for the asset checks. ``revalidate_failures`` validates
    payloads already dead-lettered under this spec instead of failing them again as their dead
    letter records (a replay).
    """
    field_map = field_map or FieldMap(spec)
    size = chunk_size or spec.chunk_size or settings.chunk_size()
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE data_import_batches SET status = 'running' WHERE id = :id"),
            {"id": batch_id},
        )
    next_row = 1
    writer = ChunkWriter(engine, spec, batch_id, revalidate_failures=revalidate_failures)
    try:
        try:
            with batch_tuning() as collect:
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
        close_batch(conn, batch_id, "succeeded")
        record_sync_result(conn, spec.key, batch_id, None)
        advance_cursor(conn, spec, batch_id)
        events = evaluate_batch_alerts(conn, spec)
        result = review(conn, batch_id)
    notify(events)
    return result


def fail_batch(engine: sa.Engine, spec: ProviderSpec, batch_id: int, message: str) -> None:
    """Close a batch as failed, remember the error on the connection, raise the alerts due."""
    with engine.begin() as conn:
        close_batch(conn, batch_id, "failed", message)
        record_sync_result(conn, spec.key, batch_id, message)
        events = evaluate_batch_alerts(conn, spec)
    notify(events)


def process_extract(
    engine: sa.Engine, spec: ProviderSpec, batch_id: int, stats: FailureStats | None = None
) -> BatchReview:
    """Map and store a landed extract (what ``mapped_records`` does)."""
    return ingest_rows(engine, spec, batch_id, landed_rows(spec, batch_id), stats=stats)


def open_direct_batch(engine: sa.Engine, spec: ProviderSpec, source_kind: str, ref: str) -> int:
    """A batch for rows that do not come through a landed extract (manual entry, replay)."""
    with engine.begin() as conn:
        register_provider(conn, spec)
        return open_batch(conn, spec, source_kind=source_kind, source_ref=ref)
