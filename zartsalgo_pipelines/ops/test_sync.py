"""A test sync: the provider's own source mapped, validated and classified against what is
stored, on the same path as a sync, writing nothing."""

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa

from zartsalgo_pipelines.mapping.apply import FieldMap
from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.pipeline.classify import KnownVersions, classify_chunk
from zartsalgo_pipelines.pipeline.run import chunked
from zartsalgo_pipelines.sources.files import (
    NoExportFileError,
    SourceRow,
    as_row,
    iter_file_rows,
    resolve_paths,
)
from zartsalgo_pipelines.sources.rest import (
    iter_pages,
    open_provider_session,
    start_cursor,
)
from zartsalgo_pipelines.specs.loading import LoadedSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.rest import RestSource
from zartsalgo_pipelines.storage.import_batches import OUTCOMES


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
        for chunk_rows in chunked(selected, spec.effective_chunk_size):
            mapped, plan, additions = classify_chunk(
                conn, spec, field_map, chunk_rows, would_add, next_row
            )
            would_add.add(additions)
            review.counts.update(plan.statuses)
            review.stats.add(mapped)
            next_row += len(chunk_rows)
            if on_chunk is not None:
                on_chunk(next_row - 1)
    return review


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
        raise NoExportFileError(spec.key, source.path)
    for path in files:
        yield from iter_file_rows(path, source.format, path.name, source.encoding)


def api_rows(spec: ProviderSpec) -> Iterator[SourceRow]:
    """The records of the provider's API pages as rows, page by page (nothing is landed)."""
    incremental = spec.rest_source.incremental
    since = start_cursor(incremental, None) if incremental else None
    with open_provider_session(spec) as http:
        for page in iter_pages(spec, http, since=since):
            ref = f"page {page.number}"
            for position, record in enumerate(page.records, start=1):
                text = None if isinstance(record, dict) else orjson.dumps(record).decode()
                yield as_row(ref, position, record, text)
