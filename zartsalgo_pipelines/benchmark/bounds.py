"""What the pipeline is measured against: the floor (the plainest driver upsert of pre-mapped
rows) and, on MySQL, the write bound (LOAD DATA of what a first load stored)."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.mapping.apply import FieldMap
from zartsalgo_pipelines.pipeline.run import chunked
from zartsalgo_pipelines.sources.files import iter_file_rows
from zartsalgo_pipelines.sources.rows import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import mysql_bulk
from zartsalgo_pipelines.storage.chunks import driver_rows
from zartsalgo_pipelines.storage.engine import create_engine
from zartsalgo_pipelines.tables import QuoteRequest, table_of


def measure_floor(url: str, spec: ProviderSpec, export: Path, chunk_size: int) -> tuple[int, float]:
    """Rows/s of the plain driver upsert of pre-mapped rows (mapping happens off the clock)."""
    engine = create_engine(url)
    metadata = sa.MetaData()
    floor = table_of(QuoteRequest).to_metadata(metadata, name="bench_floor")
    metadata.create_all(engine)
    columns = [e.target for e in spec.fields]
    statement = _floor_statement(engine.dialect.name, columns)
    field_map = FieldMap(spec)
    now = time.strftime("%Y-%m-%d %H:%M:%S")

    def params(chunk: list[SourceRow]) -> list[tuple[Any, ...]]:
        mapped = driver_rows(field_map.apply(chunk).valid)
        return [("bench", 1, now, now, *(row[c] for c in columns)) for row in mapped]

    return timed_floor(engine, floor, statement, export, chunk_size, params)


def timed_floor(
    engine: sa.Engine,
    floor: sa.Table,
    statement: str,
    export: Path,
    chunk_size: int,
    params_of: Callable[[list[SourceRow]], list[tuple[Any, ...]]],
) -> tuple[int, float]:
    """(rows written, seconds in the driver) of ``statement`` over the export's chunks as
    ``params_of`` maps them (off the clock); the floor table is dropped after."""
    written, seconds = 0, 0.0
    raw = engine.raw_connection()
    try:
        for chunk in chunked(iter_file_rows(export, "jsonl", export.name), chunk_size):
            params = params_of(chunk)
            started = time.perf_counter()
            cursor = raw.cursor()
            cursor.executemany(statement, params)
            raw.commit()
            cursor.close()
            seconds += time.perf_counter() - started
            written += len(params)
    finally:
        raw.close()
        floor.drop(engine)
        engine.dispose()
    return written, seconds


def _floor_statement(dialect: str, columns: list[str]) -> str:
    """The plain driver upsert of a mapped row into ``bench_floor`` in the dialect's paramstyle."""
    quoted = ", ".join(columns)
    if dialect == "mysql":
        marks = ", ".join(["%s"] * len(columns))
        updates = ", ".join(f"{c} = VALUES({c})" for c in columns if c != "external_id")
        return (
            f"INSERT INTO bench_floor (provider_key, last_batch_id, created_at, updated_at, "
            f"{quoted}) VALUES (%s, %s, %s, %s, {marks}) ON DUPLICATE KEY UPDATE {updates}"
        )
    else:
        marks = ", ".join(["?"] * len(columns))
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "external_id")
        return (
            f"INSERT INTO bench_floor (provider_key, last_batch_id, created_at, updated_at, "
            f"{quoted}) VALUES (?, ?, ?, ?, {marks}) "
            f"ON CONFLICT (provider_key, external_id) DO UPDATE SET {updates}"
        )


# What a first load writes: every input row an import row; every new object a record, an
# external object with its payload, a version and a link (dead letters are ~3 % of rows).
WRITTEN_TABLES = [
    "data_import_rows",
    "quote_requests",
    "integration_external_objects",
    "integration_object_versions",
    "integration_object_links",
]


def measure_write_bound(
    url: str, workdir: Path, tables: list[str] = WRITTEN_TABLES
) -> dict[str, float]:
    """Seconds the server takes to LOAD DATA the rows the first load stored, per table (MySQL).

    Each table's rows are read back and written to a file in the bulk format first (off the
    clock); only the loads into empty copies are timed. ``CREATE TABLE .. LIKE`` keeps columns,
    keys and checks but not foreign keys, so the bound is, if anything, optimistic. The split
    by table shows what the bound is made of (the payloads of the external objects, mostly).
    """
    engine = create_engine(url)
    seconds: dict[str, float] = {}
    try:
        with engine.begin() as conn:
            for table in tables:
                copy = f"bench_copy_{table}"
                mysql_bulk.create_empty_copy(conn, table, copy)
                path = workdir / f"{copy}.tsv"
                lines = 0
                with path.open("w", encoding="utf-8", newline="") as out:
                    rows = mysql_bulk.stream_table(conn, table)
                    names = list(rows.keys())
                    for row in rows:
                        out.write("\t".join(map(mysql_bulk.field, row)) + "\n")
                        lines += 1
                started = time.perf_counter()
                mysql_bulk.load_file(conn, copy, names, path, lines)
                seconds[table] = time.perf_counter() - started
                mysql_bulk.drop_table(conn, copy)
                path.unlink()
    finally:
        engine.dispose()
    return seconds
