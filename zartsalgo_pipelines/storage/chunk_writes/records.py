"""A chunk's records and their external objects: plain inserts for new ones, upserts for known."""

import json
from typing import Any

import orjson
import pandas as pd
import sqlalchemy as sa

from zartsalgo_pipelines.storage import mysql_bulk
from zartsalgo_pipelines.storage.chunk_writes import ChunkWrite
from zartsalgo_pipelines.storage.upsert import NEW, insert_many, upsert
from zartsalgo_pipelines.tables import RECORD_MODELS, table_of
from zartsalgo_pipelines.tables.core import external_objects as objects

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
) -> None:
    """Write the newest version of each changed object. Objects first seen in this chunk are
    plain inserts (nothing can clash: records, objects and versions commit together), which the
    MySQL bulk path loads straight into the table; known ones are upserts."""
    new = [index for external_id, index in latest.items() if external_id in created]
    known = [index for external_id, index in latest.items() if external_id not in created]
    records_table = table_of(RECORD_MODELS[job.spec.object_type])
    if conn.dialect.name == "mysql" and len(new) >= mysql_bulk.BULK_MIN_ROWS:
        _load_new_records(conn, job, new)
    elif new:
        records, externals = _record_rows(job, new)
        insert_many(conn, records_table, records)
        insert_many(conn, objects, externals)
    if not known:
        return  # a chunk of only new objects slices no frame for the upserts
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


def _load_new_records(conn: sa.Connection, job: ChunkWrite, indexes: list[int]) -> None:
    """The MySQL path for new records and their external objects: file lines built column by
    column (``mysql_bulk.column_texts``), never a dict per row. Half of a first load's Python
    time had gone into building, merging and escaping those dicts."""
    spec, batch_id, _, chunk, now = job
    field = mysql_bulk.field
    frame = chunk.valid.loc[indexes]
    texts = {name: mysql_bulk.column_texts(frame[name]) for name in frame.columns}
    contexts = [field(context_json(chunk.contexts.get(index))) for index in indexes]
    system = f"\t{field(spec.key)}\t{batch_id}\t{field(now)}\t{field(now)}\n"
    records = "".join(
        "\t".join(parts) + system for parts in zip(*texts.values(), contexts, strict=True)
    )
    mysql_bulk.load_text(
        conn,
        table_of(RECORD_MODELS[spec.object_type]).name,
        [*texts, "source_context", "provider_key", "last_batch_id", "created_at", "updated_at"],
        records,
    )
    load_new_objects(conn, job, indexes, texts.get("source_updated_at"))


def load_new_objects(
    conn: sa.Connection, job: ChunkWrite, indexes: list[int], updated_at: list[str] | None
) -> None:
    """LOAD DATA the external objects of rows ``indexes`` (``updated_at``: field texts)."""
    spec, batch_id, _, chunk, now = job
    field = mysql_bulk.field
    # Bytes lines: the payloads are UTF-8 already and go into the file as they are.
    head = f"{field(spec.key)}\t{field(spec.object_type)}\t"
    seen = f"{field(now)}\t{field(now)}"
    updated_at = updated_at or [mysql_bulk.NULL] * len(indexes)
    tail = f"\t{batch_id}\n".encode()
    lines = (
        f"{head}{field(chunk.external_ids[i])}\t{chunk.hashes[i]}\t{seen}\t{updated}\t".encode()
        + mysql_bulk.json_field(chunk.payloads[i])
        + tail
        for i, updated in zip(indexes, updated_at, strict=True)
    )
    mysql_bulk.load_text(conn, objects.name, EXTERNAL_OBJECT_COLUMNS, b"".join(lines))
