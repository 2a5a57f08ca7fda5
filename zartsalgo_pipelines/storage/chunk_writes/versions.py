"""A chunk's payload versions and the links of its new external objects to their records."""

import sqlalchemy as sa

from zartsalgo_pipelines.storage import bulk_lines, mysql_bulk
from zartsalgo_pipelines.storage.chunk_writes import ChunkWrite, NewIds
from zartsalgo_pipelines.storage.upsert import insert_many
from zartsalgo_pipelines.tables import OBJECT_MODELS, table_of
from zartsalgo_pipelines.tables.core import external_objects as objects
from zartsalgo_pipelines.tables.core import import_rows, links, versions


def write_versions(conn: sa.Connection, job: ChunkWrite, changed: list[int]) -> None:
    spec, batch_id, _, chunk, _ = job
    if conn.dialect.name == "mysql" and len(changed) >= mysql_bulk.BULK_MIN_ROWS:
        lines = bulk_lines.file_lines(
            [
                bulk_lines.constant(spec.key),
                bulk_lines.constant(spec.object_type),
                bulk_lines.texts([chunk.external_ids[i] for i in changed]),
                bulk_lines.texts([chunk.hashes[i] for i in changed]),
                bulk_lines.constant(batch_id),
            ]
        )
        names = ["provider_key", "object_type", "external_id", "payload_hash", "batch_id"]
        mysql_bulk.load_text(conn, versions.name, names, lines)
        return
    insert_many(
        conn,
        versions,
        [
            {
                "provider_key": spec.key,
                "object_type": spec.object_type,
                "external_id": chunk.external_ids[index],
                "payload_hash": chunk.hashes[index],
                "batch_id": batch_id,
            }
            for index in changed
        ],
    )


def link_new_objects(conn: sa.Connection, job: ChunkWrite, new_ids: NewIds | None) -> None:
    """Link this chunk's new external objects to their records: from the ids their loads
    gave when known (``NewIds``), else with one INSERT .. SELECT.

    The ids known, the links are a file of consecutive pairs: the join below cost about as
    much of the server's time a row as storing the records themselves. Otherwise the chunk's
    ``created`` import rows (a primary-key range) name the new objects; both joins use unique
    keys, so no ids travel to the client and no IN list is built.
    """
    spec, batch_id, first_row, chunk, now = job
    records = table_of(OBJECT_MODELS[spec.object_type])
    columns = [c.name for c in links.columns if c.name != "id"]  # the SELECT's order
    if new_ids is not None:
        count = new_ids.count
        lines = bulk_lines.file_lines(
            [
                bulk_lines.integers(range(new_ids.objects_first, new_ids.objects_first + count)),
                bulk_lines.constant(records.name),
                bulk_lines.integers(range(new_ids.records_first, new_ids.records_first + count)),
                bulk_lines.constant("external_id"),
                bulk_lines.constant(now),
                bulk_lines.constant(batch_id),
            ]
        )
        mysql_bulk.load_text(conn, links.name, columns, lines)
        return
    pairs = (
        sa.select(
            objects.c.id,
            sa.literal(records.name),
            records.c.id,
            sa.literal("external_id"),
            sa.literal(now, sa.DateTime()),
            sa.literal(batch_id, sa.BigInteger()),
        )
        .select_from(import_rows)
        .join(
            objects,
            (objects.c.provider_key == spec.key)
            & (objects.c.object_type == spec.object_type)
            & (objects.c.external_id == import_rows.c.external_id),
        )
        .join(
            records,
            (records.c.provider_key == spec.key)
            & (records.c.external_id == import_rows.c.external_id),
        )
        .where(
            import_rows.c.batch_id == batch_id,
            import_rows.c.row_number.between(first_row, first_row + len(chunk.rows) - 1),
            import_rows.c.status == "created",
        )
    )
    conn.execute(sa.insert(links).from_select(columns, pairs))
