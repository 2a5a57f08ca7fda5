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

from zartsalgo_pipelines.specs.facts import DIMENSION_PREFIX, MEASURE_PREFIX
from zartsalgo_pipelines.storage import bulk_lines, mysql_bulk
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
    columns = _columns(job, new + known)
    if conn.dialect.name == "mysql" and len(new) >= mysql_bulk.BULK_MIN_ROWS:
        _load_new_facts(conn, job, columns, len(new))
        load_new_objects(conn, job, new, None)
    elif new:
        insert_many(conn, facts, _fact_rows(job, columns, 0, len(new)))
        insert_many(conn, objects, [external_object_row(job, i, None) for i in new])
    before: dict[tuple[str, str], tuple[int, Decimal | None]] = {}
    if known:
        rows = _fact_rows(job, columns, len(new), len(new) + len(known))
        update = {c: NEW for c in FACT_COLUMNS if c not in {"provider_key", "external_id"}}
        del update["created_at"]
        upsert(conn, facts, rows, key=["provider_key", "external_id"], update=update)
        upsert_known_objects(conn, [external_object_row(job, i, None) for i in known])
        before = _stored_values(conn, job, [r["external_id"] for r in rows])
    _write_values(conn, job, columns)
    _write_revisions(conn, job, columns, before)


def _columns(job: ChunkWrite, indexes: list[int]) -> dict[str, Any]:
    """The chunk's changed facts column by column: each fact column as a list, the dimensions
    as one JSON text each, each measure as exact decimal texts (``measures``)."""
    chunk = job.chunk
    frame = chunk.valid.loc[indexes]
    size = len(indexes)
    dimensions = [c for c in frame.columns if c.startswith(DIMENSION_PREFIX)]
    names = [c.removeprefix(DIMENSION_PREFIX) for c in dimensions]
    given = zip(*(_plain(frame[c]) for c in dimensions), strict=True) if names else None
    shown = [
        {n: v for n, v in zip(names, next(given), strict=True) if v is not None} if given else {}
        for _ in range(size)
    ]
    return {
        "external_id": [chunk.external_ids[i] for i in indexes],
        "client_key": _plain(frame["client_key"]),
        "fact_date": [d.date() for d in frame["fact_date"].dt.tz_convert(None)],
        "fact_hour": _plain(frame["fact_hour"]) if "fact_hour" in frame else [None] * size,
        "currency": _plain(frame["currency"]) if "currency" in frame else [None] * size,
        "dimensions": [
            orjson.dumps(d, option=orjson.OPT_SORT_KEYS).decode() if d else None for d in shown
        ],
        "source_context": [context_json(chunk.contexts.get(i)) for i in indexes],
        "measures": {
            c.removeprefix(MEASURE_PREFIX): [decimal_text(v) for v in _plain(frame[c])]
            for c in frame.columns
            if c.startswith(MEASURE_PREFIX)
        },
    }


def _fact_rows(job: ChunkWrite, columns: dict[str, Any], first: int, last: int) -> list[Any]:
    """The metric_facts rows of positions first..last-1 of ``columns``."""
    fixed = {"provider_key": job.spec.key, "last_batch_id": job.batch_id}
    fixed |= {"created_at": job.now, "updated_at": job.now}
    names = [n for n in FACT_COLUMNS if n not in fixed]
    return [{n: columns[n][p] for n in names} | fixed for p in range(first, last)]


def _load_new_facts(
    conn: sa.Connection, job: ChunkWrite, columns: dict[str, Any], count: int
) -> None:
    """LOAD DATA the first ``count`` facts of ``columns``, the file built by Arrow."""
    constant = bulk_lines.constant
    lines = bulk_lines.file_lines(
        [
            bulk_lines.texts(columns["external_id"][:count]),
            bulk_lines.texts(columns["client_key"][:count]),
            bulk_lines.texts([d.isoformat() for d in columns["fact_date"][:count]]),
            bulk_lines.integers(columns["fact_hour"][:count]),
            bulk_lines.texts(columns["currency"][:count]),
            bulk_lines.texts(columns["dimensions"][:count]),
            bulk_lines.texts(columns["source_context"][:count]),
            *(constant(v) for v in (job.spec.key, job.batch_id, job.now, job.now)),
        ]
    )
    mysql_bulk.load_text(conn, facts.name, FACT_COLUMNS, lines)


def _plain(series: pd.Series) -> list[Any]:
    """A typed column as Python values, None for missing."""
    return series.astype(object).where(series.notna(), None).tolist()


def decimal_text(value: float | None) -> str | None:
    """A measure as the exact decimal the provider sent (a float's shortest text, which
    ``tables/facts.MeasureValue`` keeps whole), written without an exponent."""
    if value is None:
        return None
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text else text


def _write_values(conn: sa.Connection, job: ChunkWrite, columns: dict[str, Any]) -> None:
    """Insert or replace every measure value of the changed facts, each fact found by its
    external id in the database: one JSON_TABLE row per fact on MySQL (one index lookup per
    fact, whatever the measures), one INSERT .. SELECT per value on SQLite."""
    measures: dict[str, list[str | None]] = columns["measures"]
    ids = columns["external_id"]
    if not ids or not measures:
        return
    if conn.dialect.name != "mysql":
        conn.exec_driver_sql(
            "INSERT INTO metric_fact_values (fact_id, measure_key, value) SELECT id, ?, ? "
            "FROM metric_facts WHERE provider_key = ? AND external_id = ? "
            "ON CONFLICT (fact_id, measure_key) DO UPDATE SET value = excluded.value",
            [
                (name, value, job.spec.key, external_id)
                for name, values in measures.items()
                for external_id, value in zip(ids, values, strict=True)
            ],
        )
        return
    if len(ids) >= mysql_bulk.BULK_MIN_ROWS:
        _load_values(conn, job, ids, measures)
        return
    names = list(measures)
    paths = ", ".join(f"m{n} DECIMAL(15, 6) PATH '$[{n + 1}]'" for n in range(len(names)))
    listed = [[e, *vs] for e, *vs in zip(ids, *measures.values(), strict=True)]
    source = (
        f"JSON_TABLE(:zt_facts, '$[*]' COLUMNS (external_id VARCHAR(191) PATH '$[0]', {paths}))"
        " AS v"
    )
    _insert_values(conn, job, source, {"zt_facts": orjson.dumps(listed).decode()}, names)


def _load_values(
    conn: sa.Connection, job: ChunkWrite, ids: list[str], measures: dict[str, list[str | None]]
) -> None:
    """The MySQL path for many facts: one staging row per fact (external id, its measures)
    loaded as a file, then one INSERT .. SELECT: a LOAD DATA costs the server less than the
    same rows read from a JSON_TABLE (0.14 s against 0.33 s for 8,000 facts of 4 measures)."""
    names = list(measures)
    stage = "zt_stage_fact_values"
    columns = ", ".join(f"m{n} DECIMAL(15, 6)" for n in range(len(names)))
    conn.exec_driver_sql(f"DROP TEMPORARY TABLE IF EXISTS {stage}")
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {stage} (external_id VARCHAR(191) COLLATE utf8mb4_bin, {columns})"
    )
    lines = bulk_lines.file_lines(
        [bulk_lines.texts(ids), *(bulk_lines.texts(values) for values in measures.values())]
    )
    mysql_bulk.load_text(conn, stage, ["external_id", *(f"m{n}" for n in range(len(names)))], lines)
    _insert_values(conn, job, f"{stage} AS v", {}, names)


def _insert_values(
    conn: sa.Connection,
    job: ChunkWrite,
    source: str,
    params: dict[str, Any],
    names: list[str],
) -> None:
    """INSERT .. SELECT each fact's measures from ``source`` (a row source aliased ``v`` with
    external_id, m0, m1, ...): one index lookup per fact, crossed with the measure names."""
    alias = "v"
    params = params | {"zt_provider": job.spec.key}
    kinds = " UNION ALL ".join(f"SELECT :zt_k{n} AS k" for n in range(len(names)))
    cases = " ".join(f"WHEN :zt_k{n} THEN {alias}.m{n}" for n in range(len(names)))
    params |= {f"zt_k{n}": name for n, name in enumerate(names)}
    conn.execute(
        sa.text(
            "INSERT INTO metric_fact_values (fact_id, measure_key, value) "
            f"SELECT f.id, m.k, CASE m.k {cases} END FROM {source} "
            f"JOIN metric_facts AS f ON f.provider_key = :zt_provider "
            f"AND f.external_id = {alias}.external_id CROSS JOIN ({kinds}) AS m WHERE 1 "
            "ON DUPLICATE KEY UPDATE value = VALUES(value)"
        ),
        params,
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
    columns: dict[str, Any],
    before: dict[tuple[str, str], tuple[int, Decimal | None]],
) -> None:
    """A revision for each measure of a stored fact whose value changed."""
    if not before:
        return
    rows = []
    ids = columns["external_id"]
    values = [
        (external_id, measure, text)
        for measure, texts in columns["measures"].items()
        for external_id, text in zip(ids, texts, strict=True)
    ]
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
