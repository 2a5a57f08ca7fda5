"""The clients a chunk changes, marked for the portal in the chunk's own transaction: the
clients of its new and updated rows, the clients those updated rows belonged to before (an
update may move a record to another client), and every client of the provider when a row
failed (a failed row is placed by its payload, which only the proof reads)."""

import sqlalchemy as sa

from zartsalgo_pipelines.mapping.apply import FAILED
from zartsalgo_pipelines.storage.chunk_writes import ChunkWrite
from zartsalgo_pipelines.storage.proof.refresh_marks import existing_clients, mark_clients
from zartsalgo_pipelines.tables import RECORD_MODELS, table_of
from zartsalgo_pipelines.tables.core import facts


def mark_touched_clients(
    conn: sa.Connection, job: ChunkWrite, latest: dict[str, int], created: set[str]
) -> None:
    """Before the chunk's rows are written: mark what the chunk is about to change."""
    spec, chunk = job.spec, job.chunk
    clients: set[str | None] = set()
    if latest and "client_key" in chunk.valid.columns:
        written = chunk.valid.loc[list(latest.values()), "client_key"]
        clients.update(str(c) for c in written.dropna().unique())
    known = [external_id for external_id in latest if external_id not in created]
    if known:
        table = facts if spec.reports_facts else table_of(RECORD_MODELS[spec.object_type])
        clients.update(existing_clients(conn, table, spec.key, known))
    if any(outcome == FAILED for outcome in chunk.outcomes):
        clients.add(None)
    mark_clients(conn, spec.key, clients, job.now, job.batch_id)
