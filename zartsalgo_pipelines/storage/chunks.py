"""Writing one classified chunk (``pipeline/classify.py`` plans it) set-based.

Everything for a chunk happens in the caller's transaction, so after a crash no record exists
without its import row, and the batch counters always equal the import rows written.
Per chunk: one bulk write per touched table, one INSERT .. SELECT for links, one bulk insert of
import rows. No statement per row.
"""

import datetime as dt
from collections import Counter
from typing import Any

import orjson
import pandas as pd
import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.mapping.apply import (
    FAILED,
    VALID,
    KnownFailure,
    MappedChunk,
    dead_letter_payload,
)
from zartsalgo_pipelines.pipeline.classify import ChunkPlan
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import mysql_bulk
from zartsalgo_pipelines.storage.import_batches import add_counts
from zartsalgo_pipelines.storage.models import (
    RECORD_MODELS,
    DataImportRow,
    IntegrationDeadLetter,
    IntegrationExternalObject,
    IntegrationObjectLink,
    IntegrationObjectVersion,
    table_of,
)
from zartsalgo_pipelines.storage.upsert import insert_many, upsert

objects = table_of(IntegrationExternalObject)
links = table_of(IntegrationObjectLink)
import_rows = table_of(DataImportRow)
dead_letters = table_of(IntegrationDeadLetter)
versions = table_of(IntegrationObjectVersion)


def write_chunk(
    conn: sa.Connection, spec: ProviderSpec, batch_id: int, chunk: MappedChunk, plan: ChunkPlan
) -> Counter[str]:
    """Store one planned chunk in the caller's transaction; return its outcome counts."""
    now = utcnow()
    _write_import_rows(conn, batch_id, plan.first_row_number, chunk, plan.statuses)
    if plan.latest:
        _write_records(conn, spec, batch_id, chunk, plan.latest, set(plan.created), now)
        _write_versions(conn, spec, batch_id, chunk, plan.changed)
        if plan.created:
            _link(conn, spec, batch_id, plan.first_row_number, len(chunk.rows), now)
    _write_dead_letters(conn, spec, batch_id, plan.first_row_number, chunk, now)
    counts = Counter(plan.statuses)
    counts.pop(VALID, None)
    add_counts(conn, batch_id, dict(counts))
    return counts


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


def _write_records(
    conn: sa.Connection,
    spec: ProviderSpec,
    batch_id: int,
    chunk: MappedChunk,
    latest: dict[str, int],
    created: set[str],
    now: dt.datetime,
) -> None:
    """Write the newest version of each changed object. Objects first seen in this chunk are
    plain inserts (nothing can clash: records, objects and versions commit together), which the
    MySQL bulk path loads straight into the table; known ones are upserts."""
    new = [index for external_id, index in latest.items() if external_id in created]
    known = [index for external_id, index in latest.items() if external_id not in created]
    if conn.dialect.name == "mysql" and len(new) >= mysql_bulk.BULK_MIN_ROWS:
        _load_new_records(conn, spec, batch_id, chunk, new, now)
    elif new:
        records, externals = _record_rows(spec, batch_id, chunk, new, now)
        insert_many(conn, table_of(RECORD_MODELS[spec.object_type]), records)
        insert_many(conn, objects, externals)
    if not known:
        return  # a chunk of only new objects slices no frame for the upserts
    records, externals = _record_rows(spec, batch_id, chunk, known, now)
    mapped = [e.target for e in spec.fields]
    upsert(
        conn,
        table_of(RECORD_MODELS[spec.object_type]),
        records,
        key=["provider_key", "external_id"],
        update={c: "new" for c in [*mapped, "source_context", "last_batch_id", "updated_at"]},
    )
    upsert(
        conn,
        objects,
        externals,
        key=["provider_key", "object_type", "external_id"],
        update={
            c: "new"
            for c in (
                "payload_hash",
                "last_seen_at",
                "source_updated_at",
                "raw_payload",
                "last_batch_id",
            )
        },
    )


def _context_json(context: dict[str, Any] | None) -> str | None:
    """A record's unmapped fields as JSON text (orjson, as for the payload hash: ``json.dumps``
    took 3 us of every new row)."""
    if not context:
        return None
    return orjson.dumps(context, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _record_rows(
    spec: ProviderSpec, batch_id: int, chunk: MappedChunk, indexes: list[int], now: dt.datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Driver-ready dicts of records and external objects for rows ``indexes``."""
    values = driver_rows(chunk.valid.loc[indexes])
    records = []
    externals = []
    for index, row in zip(indexes, values, strict=True):
        records.append(
            row
            | {
                "provider_key": spec.key,
                "source_context": _context_json(chunk.contexts.get(index)),
                "last_batch_id": batch_id,
                "created_at": now,
                "updated_at": now,
            }
        )
        externals.append(
            {
                "provider_key": spec.key,
                "object_type": spec.object_type,
                "external_id": chunk.external_ids[index],
                "payload_hash": chunk.hashes[index],
                "first_seen_at": now,
                "last_seen_at": now,
                "source_updated_at": row.get("source_updated_at"),
                "raw_payload": chunk.payloads[index].decode(),
                "last_batch_id": batch_id,
            }
        )
    return records, externals


EXTERNAL_OBJECT_COLUMNS = [
    "provider_key",
    "object_type",
    "external_id",
    "payload_hash",
    "first_seen_at",
    "last_seen_at",
    "source_updated_at",
    "raw_payload",
    "last_batch_id",
]


def _load_new_records(
    conn: sa.Connection,
    spec: ProviderSpec,
    batch_id: int,
    chunk: MappedChunk,
    indexes: list[int],
    now: dt.datetime,
) -> None:
    """The MySQL path for new records and their external objects: file lines built column by
    column (``mysql_bulk.column_texts``), never a dict per row. Half of a first load's Python
    time had gone into building, merging and escaping those dicts."""
    field = mysql_bulk.field
    frame = chunk.valid.loc[indexes]
    texts = {name: mysql_bulk.column_texts(frame[name]) for name in frame.columns}
    contexts = [field(_context_json(chunk.contexts.get(index))) for index in indexes]
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
    # Bytes lines: the payloads are UTF-8 already and go into the file as they are.
    head = f"{field(spec.key)}\t{field(spec.object_type)}\t"
    seen = f"{field(now)}\t{field(now)}"
    updated_at = texts.get("source_updated_at") or [mysql_bulk.NULL] * len(indexes)
    tail = f"\t{batch_id}\n".encode()
    lines = (
        f"{head}{field(chunk.external_ids[i])}\t{chunk.hashes[i]}\t{seen}\t{updated}\t".encode()
        + mysql_bulk.json_field(chunk.payloads[i])
        + tail
        for i, updated in zip(indexes, updated_at, strict=True)
    )
    mysql_bulk.load_text(conn, objects.name, EXTERNAL_OBJECT_COLUMNS, b"".join(lines))


def _write_versions(
    conn: sa.Connection, spec: ProviderSpec, batch_id: int, chunk: MappedChunk, changed: list[int]
) -> None:
    if conn.dialect.name == "mysql" and len(changed) >= mysql_bulk.BULK_MIN_ROWS:
        field = mysql_bulk.field
        head = f"{field(spec.key)}\t{field(spec.object_type)}\t"
        lines = "".join(
            f"{head}{field(chunk.external_ids[i])}\t{chunk.hashes[i]}\t{batch_id}\n"
            for i in changed
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


def _link(
    conn: sa.Connection,
    spec: ProviderSpec,
    batch_id: int,
    first_row: int,
    rows: int,
    now: dt.datetime,
) -> None:
    """Link this chunk's new external objects to their records with one INSERT .. SELECT.

    The chunk's ``created`` import rows (a primary-key range) name the new objects; both joins
    use unique keys, so no ids travel to the client and no IN list is built.
    """
    records = table_of(RECORD_MODELS[spec.object_type])
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
            import_rows.c.row_number.between(first_row, first_row + rows - 1),
            import_rows.c.status == "created",
        )
    )
    columns = [
        "external_object_id",
        "record_table",
        "record_id",
        "match_method",
        "linked_at",
        "batch_id",
    ]
    conn.execute(sa.insert(links).from_select(columns, pairs))


IMPORT_ROW_COLUMNS = [
    "batch_id",
    "row_number",
    "external_id",
    "status",
    "reason",
    "payload_hash",
    "source_ref",
    "source_position",
]


def _write_import_rows(
    conn: sa.Connection,
    batch_id: int,
    first_row_number: int,
    chunk: MappedChunk,
    statuses: list[str],
) -> None:
    if conn.dialect.name == "mysql" and len(chunk.rows) >= mysql_bulk.BULK_MIN_ROWS:
        _load_import_rows(conn, batch_id, first_row_number, chunk, statuses)
        return
    insert_many(
        conn,
        import_rows,
        [
            {
                "batch_id": batch_id,
                "row_number": first_row_number + index,
                "external_id": _clip(chunk.external_ids[index], 191),
                "status": status,
                "reason": chunk.reasons[index],
                "payload_hash": chunk.hashes[index],
                "source_ref": row.source_ref[:255],
                "source_position": row.position,
            }
            for index, (row, status) in enumerate(zip(chunk.rows, statuses, strict=True))
        ],
    )


def _load_import_rows(
    conn: sa.Connection,
    batch_id: int,
    first_row_number: int,
    chunk: MappedChunk,
    statuses: list[str],
) -> None:
    """The MySQL path for the one table every row writes: file lines formatted directly.

    Batch id, row number, status, hash and position never need escaping; the source ref is
    escaped once per file; only external id and reason go through the general escaper.
    Building a dict per row and escaping all eight values was a quarter of a re-run's time.
    """
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
            f"{field(_clip(chunk.external_ids[index], 191))}\t{status}\t"
            f"{field(chunk.reasons[index])}\t{chunk.hashes[index]}\t{ref}\t{row.position}\n"
        )
    mysql_bulk.load_text(conn, import_rows.name, IMPORT_ROW_COLUMNS, "".join(lines))


def _clip(value: str | None, length: int) -> str | None:
    return value[:length] if value else None


DEAD_LETTER_BULK_MIN_ROWS = 50


def _write_dead_letters(
    conn: sa.Connection,
    spec: ProviderSpec,
    batch_id: int,
    first_row_number: int,
    chunk: MappedChunk,
    now: dt.datetime,
) -> None:
    failed = [i for i, outcome in enumerate(chunk.outcomes) if outcome == FAILED]
    if conn.dialect.name == "mysql" and chunk.known_failures:
        _touch_known_dead_letters(conn, spec, batch_id, first_row_number, chunk, now)
        failed = [i for i in failed if i not in chunk.known_failures]
    if not failed:
        return
    rows = []
    for index in failed:
        first = chunk.failures[index][0]
        rows.append(
            {
                "provider_key": spec.key,
                "payload_hash": chunk.hashes[index],
                "external_id": _clip(chunk.external_ids[index], 191),
                "first_batch_id": batch_id,
                "last_batch_id": batch_id,
                "row_number": first_row_number + index,
                "source_ref": chunk.rows[index].source_ref[:255],
                "source_position": chunk.rows[index].position,
                "reason": chunk.reasons[index],
                "failures": KnownFailure.to_json(chunk.failures[index]),
                "failing_field": first.field[:64],
                "failing_check": first.check[:200],
                "raw_payload": dead_letter_payload(chunk, index),
                "first_failed_at": now,
                "last_failed_at": now,
                "attempts": 1,
                "state": "open",
            }
        )
    upsert(
        conn,
        dead_letters,
        rows,
        # Payloads of ~700 bytes: past a few dozen rows the file beats pymysql's escaping.
        bulk_min_rows=DEAD_LETTER_BULK_MIN_ROWS,
        key=["provider_key", "payload_hash"],
        update={
            "last_batch_id": "new",
            "row_number": "new",
            "source_ref": "new",
            "source_position": "new",
            "reason": "new",
            "failures": "new",
            "failing_field": "new",
            "failing_check": "new",
            "last_failed_at": "new",
            # A literal, not a bound 1: pymysql cannot bind inside ON DUPLICATE KEY UPDATE.
            "attempts": dead_letters.c.attempts + sa.literal_column("1"),
        },
    )


def _touch_known_dead_letters(
    conn: sa.Connection,
    spec: ProviderSpec,
    batch_id: int,
    first_row_number: int,
    chunk: MappedChunk,
    now: dt.datetime,
) -> None:
    """Record that open dead letters failed again, in one UPDATE joined to a JSON_TABLE.

    Their payload, reason and failures are what the dead letter already holds (that is how
    they were recognised), so only where and when they were last seen changes; sending each
    700-byte payload back through the upsert cost a re-run more than all its lookups.
    """
    seen = [
        [
            chunk.hashes[index],
            first_row_number + index,
            chunk.rows[index].source_ref[:255],
            chunk.rows[index].position,
        ]
        for index in sorted(chunk.known_failures)
    ]
    conn.execute(
        sa.text(
            "UPDATE integration_dead_letters AS d JOIN JSON_TABLE(:seen, '$[*]' COLUMNS ("
            "payload_hash VARCHAR(32) PATH '$[0]', `row_number` BIGINT PATH '$[1]', "
            "source_ref VARCHAR(255) PATH '$[2]', source_position BIGINT PATH '$[3]')) AS s "
            "ON d.provider_key = :provider_key AND d.payload_hash = s.payload_hash "
            "SET d.attempts = d.attempts + 1, d.last_batch_id = :batch_id, "
            "d.`row_number` = s.`row_number`, d.source_ref = s.source_ref, "
            "d.source_position = s.source_position, d.last_failed_at = :now"
        ),
        {
            "seen": orjson.dumps(seen).decode(),
            "provider_key": spec.key,
            "batch_id": batch_id,
            "now": now,
        },
    )
