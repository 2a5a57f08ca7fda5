"""Aggregates over the record tables that metrics and their explanations are built from."""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.tables.core import batches


@dataclass(frozen=True)
class Bucket:
    """Aggregates of one client's records in one 15-minute UTC slot (or one date)."""

    client_key: str
    slot: str
    records: int
    present: int
    matching: int
    total: Decimal | None
    squares: Decimal | None
    values: int
    first_batch_id: int | None
    last_batch_id: int | None


def _slot(column: Any, dialect: str, is_date: bool) -> Any:
    # 15-minute slots: every time zone offset in use is a multiple of 15 minutes, so each slot
    # falls in exactly one local day, while the result stays clients x slots, not records.
    if is_date:
        return sa.func.date(column)
    if dialect == "sqlite":
        quarter = sa.cast(sa.func.strftime("%M", column), sa.Integer) // 15 * 15
        padded = sa.func.substr(sa.literal("0").op("||")(sa.cast(quarter, sa.String)), -2)
        return sa.func.strftime("%Y-%m-%d %H:", column).op("||")(padded)
    quarter = sa.func.minute(column) // 15 * 15
    return sa.func.concat(
        sa.func.date_format(column, "%Y-%m-%d %H:"), sa.func.lpad(quarter, 2, "0")
    )


def _filtered(query: sa.Select[Any], table: sa.Table, metric: MetricSpec) -> sa.Select[Any]:
    """The query restricted to the records the metric's filter counts."""
    if metric.filter is None:
        return query
    column = table.c[metric.filter.field]
    if metric.filter.values is not None:
        return query.where(column.in_(metric.filter.values))
    return query.where(column.is_not(None) if metric.filter.present else column.is_(None))


def metric_buckets(
    conn: sa.Connection,
    table: sa.Table,
    provider_key: str,
    metric: MetricSpec,
    is_date: bool,
    until: dt.datetime | None = None,
    clients: Collection[str] | None = None,
) -> list[Bucket]:
    """One GROUP BY over the provider's records: counts, present, matching and sums per slot;
    with ``until``, only records whose own time is not after it (the proof as of a moment);
    with ``clients``, only theirs (a refresh of the clients a batch marked)."""
    time = table.c[metric.time_field]
    slot = _slot(time, conn.dialect.name, is_date).label("slot")
    field = table.c[metric.field] if metric.field else None
    # For the tests of averages and sums (proof/comparison.py): the spread of values too.
    total: Any = sa.literal(None)
    squares: Any = sa.literal(None)
    if field is not None and metric.measure in {"sum", "average"}:
        total, squares = sa.func.sum(field), sa.func.sum(field * field)
    matching = (
        sa.func.sum(sa.case((field.in_(metric.matching), 1), else_=0))
        if field is not None and metric.matching
        else sa.literal(0)
    )
    query = (
        sa.select(
            table.c.client_key,
            slot,
            sa.func.count(),
            sa.func.count(field) if field is not None else sa.literal(0),
            matching,
            total,
            squares,
            sa.func.min(table.c.last_batch_id),
            sa.func.max(table.c.last_batch_id),
        )
        .where(table.c.provider_key == provider_key, time.is_not(None))
        .group_by(table.c.client_key, slot)
    )
    if until is not None:
        query = query.where(time <= (until.date() if is_date else until))
    if clients is not None:
        query = query.where(table.c.client_key.in_(sorted(clients)))
    return [_bucket(*row) for row in conn.execute(_filtered(query, table, metric))]


def _bucket(
    client: str,
    slot_text: object,
    records: int,
    present: int | None,
    match: int | None,
    total: object,
    squares: object,
    first: int | None,
    last: int | None,
) -> Bucket:
    return Bucket(
        client_key=client,
        slot=str(slot_text),
        records=int(records),
        present=int(present or 0),
        matching=int(match or 0),
        total=None if total is None else Decimal(str(total)),
        squares=None if squares is None else Decimal(str(squares)),
        values=int(present or 0),
        first_batch_id=first,
        last_batch_id=last,
    )


def records_by_batch(
    conn: sa.Connection,
    table: sa.Table,
    provider_key: str,
    metric: MetricSpec,
    client_key: str,
    start: dt.datetime | dt.date,
    end: dt.datetime | dt.date,
) -> list[dict[str, Any]]:
    """The client's records of one period (naive UTC bounds) by the batch that last wrote
    them, with that batch's own failed and ignored counts (those rows never became records)."""
    time = table.c[metric.time_field]
    batch = (batches.c.source_kind, batches.c.rows_failed, batches.c.rows_ignored)
    query = (
        sa.select(table.c.last_batch_id, sa.func.count(), *batch, batches.c.finished_at)
        .join(batches, batches.c.id == table.c.last_batch_id)
        .where(
            table.c.provider_key == provider_key,
            table.c.client_key == client_key,
            time >= start,
            time < end,
        )
        .group_by(table.c.last_batch_id, *batch, batches.c.finished_at)
        .order_by(table.c.last_batch_id)
    )
    query = _filtered(query, table, metric)
    return [
        {
            "batch_id": b,
            "records": n,
            "source_kind": k,
            "batch_failed_rows": f,
            "batch_ignored_rows": i,
            "finished_at": t,
        }
        for b, n, k, f, i, t in conn.execute(query)
    ]
