"""Reads and writes of ``client_metrics``: the computed values, final periods, batch range."""

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.storage.upsert import upsert_all_columns
from zartsalgo_pipelines.tables.core import cards, client_metrics

# A row of client_metrics or portal_cards: one provider, metric, client and period.
PERIOD_KEY = ["provider_key", "metric_key", "client_key", "period_start"]


def as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def final_periods(
    conn: sa.Connection, provider_key: str, metric_key: str
) -> dict[tuple[str, dt.date], int | None]:
    """(client, period start) of this metric's stored final values -> the newest batch their
    records came from when they were computed."""
    query = sa.select(
        client_metrics.c.client_key, client_metrics.c.period_start, client_metrics.c.last_batch_id
    ).where(
        client_metrics.c.provider_key == provider_key,
        client_metrics.c.metric_key == metric_key,
        client_metrics.c.is_final.is_(True),
    )
    return {(c, as_date(p)): b for c, p, b in conn.execute(query)}


def write_client_metrics(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    # ``period`` is left as first stored: the update never rewrote it.
    upsert_all_columns(conn, client_metrics, rows, key=PERIOD_KEY, keep=["period"])


def metric_rows(
    conn: sa.Connection, provider_key: str | None = None, client_keys: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Stored metric values (of one provider; of ``client_keys`` only, if given)."""
    query = sa.select(client_metrics).order_by(
        client_metrics.c.provider_key,
        client_metrics.c.client_key,
        client_metrics.c.metric_key,
        client_metrics.c.period_start,
    )
    if provider_key:
        query = query.where(client_metrics.c.provider_key == provider_key)
    if client_keys is not None:
        query = query.where(client_metrics.c.client_key.in_(sorted(client_keys)))
    return [dict(r) for r in conn.execute(query).mappings()]


def period_row(
    conn: sa.Connection,
    table: sa.Table,
    provider_key: str,
    metric_key: str,
    client_key: str,
    start: dt.date,
) -> dict[str, Any] | None:
    """The row of one provider, metric, client and period in ``table`` (metrics or cards)."""
    row = (
        conn.execute(
            sa.select(table).where(
                table.c.provider_key == provider_key,
                table.c.metric_key == metric_key,
                table.c.client_key == client_key,
                table.c.period_start == start,
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def metric_row(
    conn: sa.Connection, provider_key: str, metric_key: str, client_key: str, start: dt.date
) -> dict[str, Any] | None:
    return period_row(conn, client_metrics, provider_key, metric_key, client_key, start)


def batch_range(conn: sa.Connection, provider_key: str) -> tuple[int | None, int | None]:
    """The lowest and highest batch the provider's stored metric values were built from."""
    row = conn.execute(
        sa.select(
            sa.func.min(client_metrics.c.first_batch_id),
            sa.func.max(client_metrics.c.last_batch_id),
        ).where(client_metrics.c.provider_key == provider_key)
    ).one()
    return row[0], row[1]


def forget_metric(conn: sa.Connection, provider_key: str, metric_key: str) -> None:
    """Remove the metric's values and cards (rendering the proof as of another moment, in a
    transaction that is rolled back: what is computed then is all there is)."""
    for table in (client_metrics, cards):
        conn.execute(
            sa.delete(table).where(
                table.c.provider_key == provider_key, table.c.metric_key == metric_key
            )
        )
