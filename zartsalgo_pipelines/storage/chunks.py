"""Writing one classified chunk (``pipeline/classify.py`` plans it) set-based.

Everything for a chunk happens in the caller's transaction, so after a crash no record exists
without its import row, and the batch counters always equal the import rows written. The
writes, one bulk statement per touched table, are in ``storage/chunk_writes/``.
"""

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.mapping.apply import VALID, MappedChunk
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.chunk_writes import ChunkWrite
from zartsalgo_pipelines.storage.chunk_writes.dead_letters import write_dead_letters
from zartsalgo_pipelines.storage.chunk_writes.facts import write_facts
from zartsalgo_pipelines.storage.chunk_writes.import_rows import write_import_rows
from zartsalgo_pipelines.storage.chunk_writes.marks import mark_touched_clients
from zartsalgo_pipelines.storage.chunk_writes.records import driver_rows, write_records
from zartsalgo_pipelines.storage.chunk_writes.versions import link_new_objects, write_versions
from zartsalgo_pipelines.storage.import_batches import add_counts

__all__ = ["driver_rows", "write_chunk"]


@dataclass
class ChunkPlan:
    """What a chunk will do, decided before anything is written (by ``pipeline/classify``);
    what ``write_chunk`` carries out."""

    first_row_number: int
    statuses: list[str]
    latest: dict[str, int]  # external id -> row index holding its newest new version
    changed: list[int]  # rows that add a payload version (created or updated)
    created: list[str]  # external ids seen for the first time


def write_chunk(
    conn: sa.Connection, spec: ProviderSpec, batch_id: int, chunk: MappedChunk, plan: ChunkPlan
) -> Counter[str]:
    """Store one planned chunk in the caller's transaction; return its outcome counts."""
    job = ChunkWrite(spec, batch_id, plan.first_row_number, chunk, utcnow())
    write_import_rows(conn, job, plan.statuses)
    mark_touched_clients(conn, job, plan.latest, set(plan.created))
    if plan.latest:
        created = set(plan.created)
        if spec.reports_facts:
            write_facts(conn, job, plan.latest, created)
            new_ids = None
        else:
            new_ids = write_records(conn, job, plan.latest, created)
        write_versions(conn, job, plan.changed)
        if plan.created:
            link_new_objects(conn, job, new_ids)
    write_dead_letters(conn, job)
    counts = Counter(plan.statuses)
    counts.pop(VALID, None)
    add_counts(conn, batch_id, dict(counts))
    return counts
