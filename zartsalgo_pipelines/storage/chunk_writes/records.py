"""A chunk's records and their external objects: plain inserts for new ones, upserts for known."""

import json
from typing import TYPE_CHECKING, Any

import orjson
import pandas as pd
import sqlalchemy as sa

from zartsalgo_pipelines.storage import bulk_lines, mysql_bulk
from zartsalgo_pipelines.storage.chunk_writes import ChunkWrite, NewIds
from zartsalgo_pipelines.storage.upsert import NEW, insert_many, upsert
from zartsalgo_pipelines.tables import RECORD_MODELS, table_of
from zartsalgo_pipelines.tables.core import external_objects as objects

if TYPE_CHECKING:
    import pyarrow as pa

# The order the file lines of ``_load_new_records`` follow.
EXTERNAL_OBJECT_COLUMNS = [c.name for c in objects.columns if c.name != "id"]


def driver_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Typed frame -> driver-ready dicts (naive UTC datetimes, None for missing)."""
    columns: dict[str, list[Any]] = {}
    for name in frame.columns:
        series = frame[name]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            naive = series.dt.tz_convert(None)
            columns[name] = [None if pd.isna(v) else v.to_pydatetime() for v in naive]
        else:
            columns[name] = series.astype(object).where(series.notna(), None).tolist()
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


def write_records(
    conn: sa.Connection, job: ChunkWrite, latest: dict[str, int], created: set[str]
) -> NewIds | None:
    """Write the newest version of each changed object. Objects first seen in this chunk are
    plain inserts (nothing can clash: records, objects and versions commit together), which the
    MySQL bulk path loads straight into the table; known ones are upserts. Returns the new
    rows' ids when they are known without a lookup (the MySQL bulk path, ``NewIds``)."""
    new = [index for external_id, index in latest.items() if external_id in created]
    known = [index for external_id, index in latest.items() if external_id not in created]
    records_table = table_of(RECORD_MODELS[job.spec.object_type])
    new_ids = None
    if conn.dialect.name == "mysql" and len(new) >= mysql_bulk.BULK_MIN_ROWS:
        new_ids = _load_new_records(conn, job, new)
    elif new:
        records, externals = _record_rows(job, new)
        insert_many(conn, records_table, records)
        insert_many(conn, objects, externals)
    if known:  # a chunk of only new objects slices no frame for the upserts
        _upsert_known_records(conn, job, known)
    return new_ids


def _upsert_known_records(conn: sa.Connection, job: ChunkWrite, known: list[int]) -> None:
    records_table = table_of(RECORD_MODELS[job.spec.object_type])
    records, externals = _record_rows(job, known)
    mapped = [e.target for e in job.spec.fields]
    upsert(
        conn,
        records_table,
        records,
        key=["provider_key", "external_id"],
        update={c: "new" for c in [*mapped, "source_context", "last_batch_id", "updated_at"]},
    )
    upsert_known_objects(conn, externals)


def upsert_known_objects(conn: sa.Connection, externals: list[dict[str, Any]]) -> None:
    """The newest payload of objects seen before; each keeps when it was first seen."""
    key = ["provider_key", "object_type", "external_id"]
    update = {c: NEW for c in EXTERNAL_OBJECT_COLUMNS if c not in {*key, "first_seen_at"}}
    upsert(conn, objects, externals, key=key, update=update)


def context_json(context: dict[str, Any] | None) -> str | None:
    """A record's unmapped fields as JSON text (orjson, as for the payload hash: ``json.dumps``
    took 3 us of every new row)."""
    if not context:
        return None
    try:
        return orjson.dumps(context, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # an integer beyond 64 bits (orjson's error is a TypeError): kept whole
        return json.dumps(context, ensure_ascii=False, default=str)


def _record_rows(
    job: ChunkWrite, indexes: list[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Driver-ready dicts of records and external objects for rows ``indexes``."""
    spec, batch_id, _, chunk, now = job
    values = driver_rows(chunk.valid.loc[indexes])
    records = []
    externals = []
    for index, row in zip(indexes, values, strict=True):
        records.append(
            row
            | {
                "provider_key": spec.key,
                "source_context": context_json(chunk.contexts.get(index)),
                "last_batch_id": batch_id,
                "created_at": now,
                "updated_at": now,
            }
        )
        externals.append(external_object_row(job, index, row.get("source_updated_at")))
    return records, externals


def external_object_row(job: ChunkWrite, index: int, updated_at: Any) -> dict[str, Any]:
    """The external object of row ``index`` (its whole payload, internal only)."""
    spec, batch_id, _, chunk, now = job
    return {
        "provider_key": spec.key,
        "object_type": spec.object_type,
        "external_id": chunk.external_ids[index],
        "payload_hash": chunk.hashes[index],
        "first_seen_at": now,
        "last_seen_at": now,
        "source_updated_at": updated_at,
        "raw_payload": chunk.payloads[index].decode(),
        "last_batch_id": batch_id,
    }


def _load_new_records(conn: sa.Connection, job: ChunkWrite, indexes: list[int]) -> NewIds | None:
    """The MySQL path for new records and their external objects: the files built column by
    column in Arrow (``storage/bulk_lines.py``), never a dict, a call or a line per row; the
    ids both loads gave, when proven consecutive (``mysql_bulk.loaded_ids``)."""
    spec, batch_id, _, chunk, now = job
    frame = chunk.valid.loc[indexes]
    fields = {name: bulk_lines.series(frame[name]) for name in frame.columns}
    contexts = bulk_lines.texts([context_json(chunk.contexts.get(index)) for index in indexes])
    system = [bulk_lines.constant(value) for value in (spec.key, batch_id, now, now)]
    records_table = table_of(RECORD_MODELS[spec.object_type]).name
    mysql_bulk.load_text(
        conn,
        records_table,
        [*fields, "source_context", "provider_key", "last_batch_id", "created_at", "updated_at"],
        bulk_lines.file_lines([*fields.values(), contexts, *system]),
    )
    records_first = mysql_bulk.loaded_ids(conn, records_table, len(indexes))
    load_new_objects(conn, job, indexes, fields.get("source_updated_at"))
    objects_first = mysql_bulk.loaded_ids(conn, objects.name, len(indexes))
    if records_first is None or objects_first is None:
        return None
    return NewIds(records_first, objects_first, len(indexes))


def load_new_objects(
    conn: sa.Connection, job: ChunkWrite, indexes: list[int], updated_at: "pa.Array | None"
) -> None:
    """LOAD DATA the external objects of rows ``indexes`` (``updated_at``: their
    ``source_updated_at`` as fields, None when the objects have none)."""
    spec, batch_id, _, chunk, now = job
    constant = bulk_lines.constant
    seen = constant(now)
    lines = bulk_lines.file_lines(
        [
            constant(spec.key),
            constant(spec.object_type),
            bulk_lines.texts([chunk.external_ids[i] for i in indexes]),
            bulk_lines.texts([chunk.hashes[i] for i in indexes]),
            seen,
            seen,
            constant(None) if updated_at is None else updated_at,
            # The payloads are UTF-8 already and go into the file as they are.
            bulk_lines.payloads([chunk.payloads[i] for i in indexes]),
            constant(batch_id),
        ]
    )
    mysql_bulk.load_text(conn, objects.name, EXTERNAL_OBJECT_COLUMNS, lines)
