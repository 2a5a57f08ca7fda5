"""A chunk's metric facts (``tables/facts.py``): the fact rows, one value per declared measure,
and for a restated fact the values it had before, with the external objects as for records.

Set-based like every chunk write: new facts are plain inserts (a LOAD DATA file on MySQL),
known ones upserts; the values of every changed fact go in with one statement that finds each
fact's id by its external id in the database (a JSON_TABLE join on MySQL, an INSERT .. SELECT
executemany on SQLite), so no id travels back to Python.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import orjson
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from zartsalgo_pipelines.specs.facts import DIMENSION_PREFIX, MEASURE_PREFIX
from zartsalgo_pipelines.storage import mysql_bulk
from zartsalgo_pipelines.storage.chunk_writes import ChunkWrite
from zartsalgo_pipelines.storage.chunk_writes.records import (
    context_json,
    external_object_row,
    load_new_objects,
    upsert_known_objects,
)
from zartsalgo_pipelines.storage.lookups import listed
from zartsalgo_pipelines.storage.upsert import NEW, insert_many, upsert
from zartsalgo_pipelines.tables.core import external_objects as objects
from zartsalgo_pipelines.tables.core import fact_revisions, fact_values, facts

FACT_COLUMNS = [
    *("external_id", "client_key", "fact_date", "fact_hour", "currency", "dimensions"),
    *("source_context", "provider_key", "last_batch_id", "created_at", "updated_at"),
]


def write_facts(
    conn: sa.Connection, job: ChunkWrite, latest: dict[str, int], created: set[str]
) -> None:
    """Write the newest version of each changed fact, its measures, and for a fact stored
    before, a revision of each measure whose value changed."""
    new = [index for external_id, index in latest.items() if external_id in created]
    known = [index for external_id, index in latest.items() if external_id not in created]
    rows = _fact_rows(job, new + known)
    if conn.dialect.name == "mysql" and len(new) >= mysql_bulk.BULK_MIN_ROWS:
        _load(conn, facts.name, FACT_COLUMNS, rows[: len(new)])
        load_new_objects(conn, job, new, None)
    elif new:
        insert_many(conn, facts, rows[: len(new)])
        insert_many(conn, objects, [external_object_row(job, i, None) for i in new])
    before: dict[tuple[str, str], tuple[int, Decimal | None]] = {}
    if known:
        update = {c: NEW for c in FACT_COLUMNS if c not in {"provider_key", "external_id"}}
        del update["created_at"]
        upsert(conn, facts, rows[len(new) :], key=["provider_key", "external_id"], update=update)
        upsert_known_objects(conn, [external_object_row(job, i, None) for i in known])
        before = _stored_values(conn, job, [r["external_id"] for r in rows[len(new) :]])
    values = _value_rows(job, new + known)
    _write_values(conn, job, values)
    _write_revisions(conn, job, values, before)


def _fact_rows(job: ChunkWrite, indexes: list[int]) -> list[dict[str, Any]]:
    """The metric_facts rows of rows ``indexes`` (dimensions as one JSON object each)."""
    spec, batch_id, _, chunk, now = job
    frame = chunk.valid.loc[indexes]
    dimensions = [c for c in frame.columns if c.startswith(DIMENSION_PREFIX)]
    names = [c.removeprefix(DIMENSION_PREFIX) for c in dimensions]
    dimension_values = zip(*(_plain(frame[c]) for c in dimensions), strict=True) if names else None
    days = [d.date() for d in frame["fact_date"].dt.tz_convert(None)]
    hours = _plain(frame["fact_hour"]) if "fact_hour" in frame else [None] * len(indexes)
    currencies = _plain(frame["currency"]) if "currency" in frame else [None] * len(indexes)
    rows = []
    for position, index in enumerate(indexes):
        given = next(dimension_values) if dimension_values is not None else ()
        shown = {n: v for n, v in zip(names, given, strict=True) if v is not None}
        rows.append(
            {
                "external_id": chunk.external_ids[index],
                "client_key": frame["client_key"].iat[position],
                "fact_date": days[position],
                "fact_hour": hours[position],
                "currency": currencies[position],
                "dimensions": orjson.dumps(shown, option=orjson.OPT_SORT_KEYS).decode()
                if shown
                else None,
                "source_context": context_json(chunk.contexts.get(index)),
                "provider_key": spec.key,
                "last_batch_id": batch_id,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def _plain(series: pd.Series) -> list[Any]:
    """A typed column as Python values, None for missing."""
    return series.astype(object).where(series.notna(), None).tolist()


def _load(
    conn: sa.Connection, table: str, names: list[str], rows: list[dict[str, Any]]
) -> None:
    """LOAD DATA ``rows`` (their JSON texts and dates already in the file's form)."""
    field = mysql_bulk.field
    text = "".join("\t".join(field(row[n]) for n in names) + "\n" for row in rows)
    mysql_bulk.load_text(conn, table, names, text)


def decimal_text(value: float | None) -> str | None:
    """A measure as the exact decimal the provider sent (a float's shortest text, which
    ``tables/facts.MeasureValue`` keeps whole), written without an exponent."""
    return None if value is None else format(Decimal(repr(value)), "f")


def _value_rows(job: ChunkWrite, indexes: list[int]) -> list[tuple[str, str, str | None]]:
    """(external id, measure, value as decimal text) for every declared measure of each row."""
    frame = job.chunk.valid.loc[indexes]
    ids = [job.chunk.external_ids[i] for i in indexes]
    found: list[tuple[str, str, str | None]] = []
    for column in frame.columns:
        if not column.startswith(MEASURE_PREFIX):
            continue
        measure = column.removeprefix(MEASURE_PREFIX)
        for external_id, value in zip(ids, _plain(frame[column]), strict=True):
            assert external_id is not None  # a valid row has its id
            found.append((external_id, measure, decimal_text(value)))
    return found


def _write_values(
    conn: sa.Connection, job: ChunkWrite, values: list[tuple[str, str, str | None]]
) -> None:
    """Insert or replace each (fact, measure) value, finding the fact by its external id."""
    if not values:
        return
    if conn.dialect.name == "mysql":
        rows = sa.text(
            "JSON_TABLE(:zt_values, '$[*]' COLUMNS (external_id VARCHAR(191) PATH '$[0]', "
            "measure_key VARCHAR(64) PATH '$[1]', value DECIMAL(15, 6) PATH '$[2]')) AS v"
        ).bindparams(zt_values=orjson.dumps(values).decode())
        pairs = (
            sa.select(facts.c.id, sa.literal_column("v.measure_key"), sa.literal_column("v.value"))
            .select_from(rows)
            .join(
                facts,
                (facts.c.provider_key == job.spec.key)
                & (facts.c.external_id == sa.literal_column("v.external_id")),
            )
        )
        insert = mysql.insert(fact_values).from_select(["fact_id", "measure_key", "value"], pairs)
        conn.execute(insert.on_duplicate_key_update(value=insert.inserted.value))
        return
    conn.exec_driver_sql(
        "INSERT INTO metric_fact_values (fact_id, measure_key, value) SELECT id, ?, ? "
        "FROM metric_facts WHERE provider_key = ? AND external_id = ? "
        "ON CONFLICT (fact_id, measure_key) DO UPDATE SET value = excluded.value",
        [(measure, value, job.spec.key, external_id) for external_id, measure, value in values],
    )


def _stored_values(
    conn: sa.Connection, job: ChunkWrite, external_ids: list[str]
) -> dict[tuple[str, str], tuple[int, Decimal | None]]:
    """(external id, measure) -> (fact id, stored value) of facts about to be restated."""
    query = (
        sa.select(facts.c.external_id, facts.c.id, fact_values.c.measure_key, fact_values.c.value)
        .select_from(facts.join(fact_values, fact_values.c.fact_id == facts.c.id))
        .where(facts.c.provider_key == job.spec.key)
    )
    found = conn.execute(listed(conn, query, facts.c.external_id, external_ids))
    return {
        (external_id, measure): (fact_id, None if value is None else Decimal(str(value)))
        for external_id, fact_id, measure, value in found
    }


def _write_revisions(
    conn: sa.Connection,
    job: ChunkWrite,
    values: list[tuple[str, str, str | None]],
    before: dict[tuple[str, str], tuple[int, Decimal | None]],
) -> None:
    """A revision for each measure of a stored fact whose value changed."""
    rows = []
    for external_id, measure, text in values:
        stored = before.get((external_id, measure))
        if stored is None:
            continue  # a new fact, or a measure it never had a row for
        fact_id, old = stored
        new = None if text is None else Decimal(text)
        if _same(old, new):
            continue
        rows.append(_revision(fact_id, measure, old, new, job.batch_id, job.now))
    insert_many(conn, fact_revisions, rows)


def _same(old: Decimal | None, new: Decimal | None) -> bool:
    if old is None or new is None:
        return old is new
    return old.compare(new) == 0


def _revision(
    fact_id: int,
    measure: str,
    old: Decimal | None,
    new: Decimal | None,
    batch_id: int,
    now: dt.datetime,
) -> dict[str, Any]:
    return {
        "fact_id": fact_id,
        "measure_key": measure,
        "value_before": old,
        "value_after": new,
        "batch_id": batch_id,
        "revised_at": now,
    }
