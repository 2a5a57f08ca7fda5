"""The data owner's tools, on the same ingestion path as the assets: a test sync that writes
nothing, dead-letter replay, resolving dead letters by hand, and manual entry of records."""

import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.mapping.apply import FieldMap
from zartsalgo_pipelines.mapping.bounds import TOO_DEEP_KEY
from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.pipeline.classify import KnownVersions, known_versions, plan_chunk
from zartsalgo_pipelines.pipeline.run import chunked, ingest_rows, open_direct_batch
from zartsalgo_pipelines.settings import MissingSecretError
from zartsalgo_pipelines.sources.files import SourceRow, as_row, iter_file_rows, resolve_paths
from zartsalgo_pipelines.sources.rest import (
    ExtractError,
    cursor_to_send,
    iter_pages,
    open_provider_session,
)
from zartsalgo_pipelines.specs.loading import LoadedSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.rest import RestSource
from zartsalgo_pipelines.storage.dead_letters import close_open, mark_replayed, open_dead_letters
from zartsalgo_pipelines.storage.import_batches import (
    OUTCOMES,
    BatchReview,
    describe_batch,
    row_outcomes,
)

# What reading a provider's source can fail with, each with a clear, secret-free message.
SOURCE_ERRORS = (FileNotFoundError, ExtractError, MissingSecretError)
FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass
class DryRunReview:
    """What a sync would do: counts per outcome, failures by field and check, masked examples."""

    counts: Counter[str] = field(default_factory=Counter)
    stats: FailureStats = field(default_factory=FailureStats)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_total": self.total,
            **{f"rows_{o}": self.counts.get(o, 0) for o in OUTCOMES},
            "failures": {
                name: {"rows": f.count, "checks": f.checks, "masked_examples": f.examples}
                for name, f in self.stats.fields.items()
            },
        }


def dry_run(
    engine: sa.Engine,
    spec: ProviderSpec,
    rows: Iterable[SourceRow],
    limit: int | None = None,
    on_chunk: Callable[[int], object] | None = None,
) -> DryRunReview:
    """Map, validate and classify up to ``limit`` rows against what is stored; write nothing.

    The versions the run would add are kept in memory so later rows classify as a real sync
    would (use ``limit`` on very large exports).
    """
    field_map = FieldMap(spec)
    review = DryRunReview()
    would_add = KnownVersions.empty()
    selected = itertools.islice(rows, limit) if limit else rows
    next_row = 1
    with engine.connect() as conn:
        for chunk_rows in chunked(selected, spec.chunk_size or settings.chunk_size()):
            mapped, known = known_versions(conn, spec, field_map, chunk_rows, would_add)
            before = known.copy()
            plan = plan_chunk(mapped, known, next_row)
            would_add.add(known.since(before))
            review.counts.update(plan.statuses)
            review.stats.add(mapped)
            next_row += len(chunk_rows)
            if on_chunk is not None:
                on_chunk(next_row - 1)
    return review


def file_rows(path: Path, encoding: str = "utf-8") -> Iterator[SourceRow]:
    """Rows of a CSV / JSON / JSON-lines file chosen by its extension."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path.name}: unknown file type; use one of {sorted(FORMATS)}")
    return iter_file_rows(path, fmt, path.name, encoding)


def source_rows(loaded: LoadedSpec) -> Iterator[SourceRow]:
    """Rows of the provider's own source, read in place (a test sync lands nothing): its export
    files, or its API's pages from the incremental initial value (what a full sync reads)."""
    spec = loaded.spec
    if isinstance(spec.source, RestSource):
        yield from api_rows(spec)
        return
    source = spec.file_source
    files = resolve_paths(source.path, loaded.folder)
    if not files:
        raise FileNotFoundError(
            f"Provider `{spec.key}`: no export file matches source.path `{source.path}`"
        )
    for path in files:
        yield from iter_file_rows(path, source.format, path.name, source.encoding)


def api_rows(spec: ProviderSpec) -> Iterator[SourceRow]:
    """The records of the provider's API pages as rows, page by page (nothing is landed)."""
    source = spec.rest_source
    since = cursor_to_send(source.incremental, None) if source.incremental else None
    with open_provider_session(spec) as http:
        for page in iter_pages(spec, http, incremental_value=since):
            ref = f"page {page.number}"
            for position, record in enumerate(page.records, start=1):
                text = None if isinstance(record, dict) else orjson.dumps(record).decode()
                yield as_row(ref, position, record, text)


def manual_entry(
    engine: sa.Engine, spec: ProviderSpec, path: Path, *, entered_by: str, reason: str
) -> BatchReview:
    """The manual fallback: a small file of records, entered as a ``manual`` batch."""
    if not entered_by.strip() or not reason.strip():
        raise ValueError("a manual entry needs who entered it (--by) and why (--reason)")
    batch_id = open_direct_batch(engine, spec, "manual", path.name)
    _describe_batch(engine, batch_id, entered_by, reason)
    return ingest_rows(engine, spec, batch_id, file_rows(path))


@dataclass(frozen=True)
class ReplayResult:
    review: BatchReview | None
    replayed: list[int]  # dead letters now stored (state replayed)
    still_failing: list[int]  # dead letters that failed again (attempts raised, still open)


def replay_dead_letters(
    engine: sa.Engine,
    spec: ProviderSpec,
    *,
    ids: Sequence[int] = (),
    reason_contains: str | None = None,
    requested_by: str = "replay",
) -> ReplayResult:
    """Run open dead letters through the current field map as a ``replay`` batch.

    Each one ends as created, updated, duplicate or failed. Stored ones become ``replayed``
    with the batch that took them; failing ones stay ``open`` with ``attempts`` raised (by the
    normal dead-letter write, since the payload is the same).
    """
    with engine.connect() as conn:
        letters = open_dead_letters(conn, spec.key, ids=ids, reason_contains=reason_contains)
    if not letters:
        return ReplayResult(None, [], [])
    batch_id = open_direct_batch(engine, spec, "replay", f"{len(letters)} dead letters")
    _describe_batch(engine, batch_id, requested_by, reason_contains or "replay")
    # Replays validate again even under an unchanged map: they exist to try once more.
    review = ingest_rows(
        engine,
        spec,
        batch_id,
        (_replay_row(i, p) for i, p in letters),
        revalidate_failures=True,
    )
    with engine.begin() as conn:
        outcome = row_outcomes(conn, batch_id)
        replayed = [i for i, _ in letters if outcome.get(i) not in (None, "failed", "ignored")]
        if replayed:
            mark_replayed(conn, replayed, batch_id)
    failing = [i for i, _ in letters if i not in set(replayed)]
    return ReplayResult(review, replayed, failing)


def _replay_row(letter_id: int, payload: Any) -> SourceRow:
    record = orjson.loads(payload) if isinstance(payload, str | bytes) else payload
    ref = f"dead letter {letter_id}"
    if isinstance(record, dict) and set(record) == {"unparsed_text"}:
        text = record["unparsed_text"]
        return SourceRow(ref, letter_id, None, "line is not valid JSON (replayed)", text)
    if isinstance(record, dict) and set(record) == {TOO_DEEP_KEY}:
        # Kept as text because no JSON column takes it: the record itself is replayed.
        record = json.loads(record[TOO_DEEP_KEY])
    return SourceRow(ref, letter_id, record)


def resolve_dead_letters(
    engine: sa.Engine, spec: ProviderSpec, ids: Sequence[int], *, state: str, note: str
) -> int:
    """Close dead letters by hand (``resolved`` or ``ignored``) with a note; returns how many."""
    if state not in {"resolved", "ignored"}:
        raise ValueError("state must be resolved or ignored")
    if not note.strip():
        raise ValueError("closing a dead letter by hand needs a note")
    with engine.begin() as conn:
        return close_open(conn, spec.key, ids, state=state, note=note)


def _describe_batch(engine: sa.Engine, batch_id: int, entered_by: str, note: str) -> None:
    with engine.begin() as conn:
        describe_batch(conn, batch_id, entered_by, note)
