"""A chunk's import rows: exactly one per input row, with its outcome and where it came from.

A record that took several lines of its file (a CSV value with line breaks) says so in its
reason, so lines in and rows accounted agree or the batch says why not.
"""

import sqlalchemy as sa

from zartsalgo_pipelines.mapping.apply import MappedChunk
from zartsalgo_pipelines.storage import mysql_bulk
from zartsalgo_pipelines.storage.chunk_writes import ChunkWrite
from zartsalgo_pipelines.storage.upsert import insert_many
from zartsalgo_pipelines.tables.core import import_rows

# The order the hand-formatted file lines of ``_load_import_rows`` follow, written out: read off
# the model, a reordered column would move values into the wrong column without an error.
IMPORT_ROW_COLUMNS = [
    *("batch_id", "row_number", "external_id", "status"),
    *("reason", "payload_hash", "source_ref", "source_position"),
]


def write_import_rows(conn: sa.Connection, job: ChunkWrite, statuses: list[str]) -> None:
    _, batch_id, first_row_number, chunk, _ = job
    if conn.dialect.name == "mysql" and len(chunk.rows) >= mysql_bulk.BULK_MIN_ROWS:
        _load_import_rows(conn, job, statuses)
        return
    insert_many(
        conn,
        import_rows,
        [
            {
                "batch_id": batch_id,
                "row_number": first_row_number + index,
                "external_id": clip(chunk.external_ids[index], 191),
                "status": status,
                "reason": row_reason(chunk, index),
                "payload_hash": chunk.hashes[index],
                "source_ref": row.source_ref[:255],
                "source_position": row.position,
            }
            for index, (row, status) in enumerate(zip(chunk.rows, statuses, strict=True))
        ],
    )


def _load_import_rows(conn: sa.Connection, job: ChunkWrite, statuses: list[str]) -> None:
    """The MySQL path for the one table every row writes: file lines formatted directly.

    Batch id, row number, status, hash and position never need escaping; the source ref is
    escaped once per file; only external id and reason go through the general escaper.
    Building a dict per row and escaping all eight values was a quarter of a re-run's time.
    """
    _, batch_id, first_row_number, chunk, _ = job
    field = mysql_bulk.field
    batch = str(batch_id)
    refs: dict[str, str] = {}
    lines = []
    for index, (row, status) in enumerate(zip(chunk.rows, statuses, strict=True)):
        ref = refs.get(row.source_ref)
        if ref is None:
            ref = refs[row.source_ref] = field(row.source_ref[:255])
        lines.append(
            f"{batch}\t{first_row_number + index}\t"
            f"{field(clip(chunk.external_ids[index], 191))}\t{status}\t"
            f"{field(row_reason(chunk, index))}\t{chunk.hashes[index]}\t{ref}\t{row.position}\n"
        )
    mysql_bulk.load_text(conn, import_rows.name, IMPORT_ROW_COLUMNS, "".join(lines))


def row_reason(chunk: MappedChunk, index: int) -> str | None:
    """Why the row failed or was ignored, else what its source row notes (the lines it took)."""
    return chunk.reasons[index] or chunk.rows[index].note


def clip(value: str | None, length: int) -> str | None:
    return value[:length] if value else None
