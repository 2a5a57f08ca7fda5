"""A chunk's import rows: exactly one per input row, with its outcome and where it came from.

A record that took several lines of its file (a CSV value with line breaks) says so in its
reason, so lines in and rows accounted agree or the batch says why not.
"""

import sqlalchemy as sa

from zartsalgo_pipelines.mapping.apply import MappedChunk
from zartsalgo_pipelines.storage import bulk_lines, mysql_bulk
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
    """The MySQL path for the one table every row writes: the file built column by column in
    Arrow (``storage/bulk_lines.py``). A line formatted per row in Python was a fifth of the
    writer thread's time, which the mapping thread waited for under the interpreter lock."""
    _, batch_id, first_row_number, chunk, _ = job
    rows = chunk.rows
    lines = bulk_lines.file_lines(
        [
            bulk_lines.constant(batch_id),
            bulk_lines.integers(range(first_row_number, first_row_number + len(rows))),
            bulk_lines.texts([clip(external_id, 191) for external_id in chunk.external_ids]),
            bulk_lines.texts(statuses),
            bulk_lines.texts([row_reason(chunk, index) for index in range(len(rows))]),
            bulk_lines.texts(chunk.hashes),
            bulk_lines.texts([row.source_ref[:255] for row in rows]),
            bulk_lines.integers([row.position for row in rows]),
        ]
    )
    mysql_bulk.load_text(conn, import_rows.name, IMPORT_ROW_COLUMNS, lines)


def row_reason(chunk: MappedChunk, index: int) -> str | None:
    """Why the row failed or was ignored, else what its source row notes (the lines it took)."""
    return chunk.reasons[index] or chunk.rows[index].note


def clip(value: str | None, length: int) -> str | None:
    return value[:length] if value else None
