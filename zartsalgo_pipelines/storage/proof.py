"""SQL of the proof end: metric buckets from the record tables, and the reads and writes of
client_metrics, portal cards, report notes, admin tasks, go-live records and incident impact.

Nothing here reads a raw payload except ``payload_rows``, which the payload scan uses to look
for leaks (it only compares, never copies a value into a portal table).
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.storage.models import (
    AdminTask,
    ClientMetric,
    DataImportBatch,
    IncidentAlert,
    IntegrationConnection,
    IntegrationDeadLetter,
    IntegrationExternalObject,
    PortalCard,
    PortalGoLive,
    ReportNote,
    table_of,
)
from zartsalgo_pipelines.storage.upsert import upsert

client_metrics = table_of(ClientMetric)
cards = table_of(PortalCard)
notes = table_of(ReportNote)
tasks = table_of(AdminTask)
go_live = table_of(PortalGoLive)
alerts = table_of(IncidentAlert)
connections = table_of(IntegrationConnection)
batches = table_of(DataImportBatch)
external_objects = table_of(IntegrationExternalObject)
dead_letters = table_of(IntegrationDeadLetter)

# The portal's one read path: only visible and caveated cards and notes (a view, so a hidden
# item cannot be read through it whatever a writer does). Not part of Base.metadata: the view
# is created by migration 0007 and declared here for reading.
_view_meta = sa.MetaData()
portal_feed = sa.Table(
    "portal_feed",
    _view_meta,
    sa.Column("item_type", sa.String(8)),
    sa.Column("item_id", sa.BigInteger),
    sa.Column("provider_key", sa.String(64)),
    sa.Column("client_key", sa.String(64)),
    sa.Column("metric_key", sa.String(64)),
    sa.Column("period", sa.String(8)),
    sa.Column("period_start", sa.Date),
    sa.Column("title", sa.String(200)),
    sa.Column("body", sa.Text),
    sa.Column("status", sa.String(20)),
    sa.Column("visibility", sa.String(10)),
    sa.Column("caveat", sa.String(300)),
    sa.Column("computed_at", sa.DateTime),
)


@dataclass(frozen=True)
class Bucket:
    """Aggregates of one client's records in one 15-minute UTC slot (or one date)."""

    client_key: str
    slot: str
    records: int
    present: int
    matching: int
    total: Decimal | None
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


def metric_buckets(
    conn: sa.Connection, table: sa.Table, provider_key: str, metric: MetricSpec, is_date: bool
) -> list[Bucket]:
    """One GROUP BY over the provider's records: counts, present, matching and sums per slot."""
    time = table.c[metric.time_field]
    slot = _slot(time, conn.dialect.name, is_date).label("slot")
    field = table.c[metric.field] if metric.field else None
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
            sa.func.sum(field) if metric.measure in {"sum", "average"} else sa.literal(None),
            sa.func.min(table.c.last_batch_id),
            sa.func.max(table.c.last_batch_id),
        )
        .where(table.c.provider_key == provider_key, time.is_not(None))
        .group_by(table.c.client_key, slot)
    )
    if metric.filter is not None:
        column = table.c[metric.filter.field]
        if metric.filter.values is not None:
            query = query.where(column.in_(metric.filter.values))
        else:
            query = query.where(column.is_not(None) if metric.filter.present else column.is_(None))
    found = []
    for client, slot_text, records, present, match, total, first, last in conn.execute(query):
        found.append(
            Bucket(
                client_key=client,
                slot=str(slot_text),
                records=int(records),
                present=int(present or 0),
                matching=int(match or 0),
                total=None if total is None else Decimal(str(total)),
                values=int(present or 0),
                first_batch_id=first,
                last_batch_id=last,
            )
        )
    return found


def final_periods(
    conn: sa.Connection, provider_key: str, metric_key: str
) -> set[tuple[str, dt.date]]:
    """(client, period start) of this metric's stored cards that are final (never rewritten)."""
    query = sa.select(client_metrics.c.client_key, client_metrics.c.period_start).where(
        client_metrics.c.provider_key == provider_key,
        client_metrics.c.metric_key == metric_key,
        client_metrics.c.is_final.is_(True),
    )
    return {(c, as_date(p)) for c, p in conn.execute(query)}


def as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


METRIC_UPDATE = (
    "period_end",
    "current_value",
    "baseline_value",
    "baseline_kind",
    "change_abs",
    "change_pct",
    "sample_size",
    "period_complete",
    "is_final",
    "first_batch_id",
    "last_batch_id",
    "unit",
    "label",
    "client_meaning",
    "source",
    "status",
    "next_action",
    "surface",
    "computed_at",
)


def write_client_metrics(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    upsert(
        conn,
        client_metrics,
        rows,
        key=["provider_key", "metric_key", "client_key", "period_start"],
        update={c: "new" for c in METRIC_UPDATE},
    )


def metric_rows(conn: sa.Connection, provider_key: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(client_metrics).order_by(
        client_metrics.c.provider_key,
        client_metrics.c.client_key,
        client_metrics.c.metric_key,
        client_metrics.c.period_start,
    )
    if provider_key:
        query = query.where(client_metrics.c.provider_key == provider_key)
    return [dict(r) for r in conn.execute(query).mappings()]


def live_since(conn: sa.Connection, provider_key: str) -> dt.datetime | None:
    """When the provider was marked live, if its newest go-live decision is `live`."""
    row = conn.execute(
        sa.select(go_live.c.action, go_live.c.decided_at)
        .where(go_live.c.provider_key == provider_key)
        .order_by(go_live.c.id.desc())
        .limit(1)
    ).first()
    return row.decided_at if row is not None and row.action == "live" else None


def provider_facts(conn: sa.Connection, provider_key: str) -> dict[str, Any]:
    """What visibility is decided from: connection, open incidents, the latest batch, go-live."""
    connection = conn.execute(
        sa.select(connections.c.status, connections.c.last_successful_sync_at).where(
            connections.c.provider_key == provider_key
        )
    ).first()
    incidents = conn.execute(
        sa.select(alerts.c.id, alerts.c.kind, alerts.c.opened_at).where(
            alerts.c.provider_key == provider_key, alerts.c.resolved_at.is_(None)
        )
    ).all()
    batch = conn.execute(
        sa.select(batches.c.id, batches.c.rows_total, batches.c.rows_failed, batches.c.rows_ignored)
        .where(batches.c.provider_key == provider_key, batches.c.status == "succeeded")
        .order_by(batches.c.id.desc())
        .limit(1)
    ).first()
    checked = (batch.rows_total - batch.rows_ignored) if batch else 0
    return {
        "connection_status": connection.status if connection else None,
        "last_success_at": connection.last_successful_sync_at if connection else None,
        "incidents": [dict(r._mapping) for r in incidents],
        "latest_batch_id": batch.id if batch else None,
        "latest_failed_share": (batch.rows_failed / checked) if batch and checked else 0.0,
        "live_since": live_since(conn, provider_key),
    }


CARD_UPDATE = tuple(
    c.name
    for c in cards.columns
    if c.name not in {"id", "provider_key", "metric_key", "client_key", "period_start"}
)


def write_cards(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    upsert(
        conn,
        cards,
        rows,
        key=["provider_key", "metric_key", "client_key", "period_start"],
        update={c: "new" for c in CARD_UPDATE},
    )


def delete_cards_of_undeclared_metrics(
    conn: sa.Connection, provider_key: str, metric_keys: Sequence[str]
) -> None:
    """A metric removed from the spec takes its cards out of the portal."""
    conn.execute(
        sa.delete(cards).where(
            cards.c.provider_key == provider_key, cards.c.metric_key.not_in(metric_keys)
        )
    )


def card_rows(
    conn: sa.Connection,
    *,
    client_key: str | None = None,
    provider_key: str | None = None,
    shown_only: bool = False,
) -> list[dict[str, Any]]:
    """Portal cards, oldest period first; ``shown_only`` reads through the portal_feed view."""
    query = sa.select(cards).order_by(
        cards.c.client_key, cards.c.provider_key, cards.c.metric_key, cards.c.period_start
    )
    if client_key:
        query = query.where(cards.c.client_key == client_key)
    if provider_key:
        query = query.where(cards.c.provider_key == provider_key)
    if shown_only:
        feed = sa.select(portal_feed.c.item_id).where(portal_feed.c.item_type == "card")
        query = query.where(cards.c.id.in_(feed))
    return [dict(r) for r in conn.execute(query).mappings()]


def feed_rows(conn: sa.Connection, client_key: str | None = None) -> list[dict[str, Any]]:
    """What the portal reads: visible and caveated cards and notes only."""
    query = sa.select(portal_feed).order_by(
        portal_feed.c.client_key, portal_feed.c.period_start, portal_feed.c.item_type
    )
    if client_key:
        query = query.where(portal_feed.c.client_key == client_key)
    return [dict(r) for r in conn.execute(query).mappings()]


def write_notes(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    upsert(
        conn,
        notes,
        rows,
        key=["client_key", "period", "period_start"],
        update={
            c: "new"
            for c in ("period_label", "text", "card_ids", "visibility", "caveat", "computed_at")
        },
    )


def note_rows(conn: sa.Connection, client_key: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(notes).order_by(notes.c.client_key, notes.c.period, notes.c.period_start)
    if client_key:
        query = query.where(notes.c.client_key == client_key)
    return [dict(r) for r in conn.execute(query).mappings()]


def open_tasks(conn: sa.Connection) -> dict[str, dict[str, Any]]:
    """Open admin tasks by their open_key."""
    query = sa.select(tasks).where(tasks.c.resolved_at.is_(None))
    return {r["open_key"]: dict(r) for r in conn.execute(query).mappings()}


def task_rows(conn: sa.Connection, *, open_only: bool = False) -> list[dict[str, Any]]:
    query = sa.select(tasks).order_by(tasks.c.id)
    if open_only:
        query = query.where(tasks.c.resolved_at.is_(None))
    return [dict(r) for r in conn.execute(query).mappings()]


def open_task(conn: sa.Connection, row: dict[str, Any]) -> None:
    conn.execute(sa.insert(tasks).values(**row))


def touch_tasks(conn: sa.Connection, ids: Sequence[int], now: dt.datetime) -> None:
    if ids:
        conn.execute(sa.update(tasks).where(tasks.c.id.in_(ids)).values(last_checked_at=now))


def resolve_tasks(conn: sa.Connection, ids: Sequence[int], now: dt.datetime, why: str) -> None:
    """Close tasks; clearing open_key keeps the row as history and frees the key."""
    if ids:
        conn.execute(
            sa.update(tasks)
            .where(tasks.c.id.in_(ids))
            .values(resolved_at=now, last_checked_at=now, resolution=why, open_key=None)
        )


def set_incident_impact(
    conn: sa.Connection, alert_id: int, unsafe: list[str], impact: str | None
) -> None:
    conn.execute(
        sa.update(alerts)
        .where(alerts.c.id == alert_id)
        .values(unsafe_cards=unsafe, client_impact=None if impact is None else impact[:500])
    )


def record_go_live(conn: sa.Connection, row: dict[str, Any]) -> None:
    conn.execute(sa.insert(go_live).values(**row))


def go_live_history(conn: sa.Connection, provider_key: str) -> list[dict[str, Any]]:
    query = sa.select(go_live).where(go_live.c.provider_key == provider_key).order_by(go_live.c.id)
    return [dict(r) for r in conn.execute(query).mappings()]


def batch_range(conn: sa.Connection, provider_key: str) -> tuple[int | None, int | None]:
    """The lowest and highest batch the provider's stored metric values were built from."""
    row = conn.execute(
        sa.select(
            sa.func.min(client_metrics.c.first_batch_id),
            sa.func.max(client_metrics.c.last_batch_id),
        ).where(client_metrics.c.provider_key == provider_key)
    ).one()
    return row[0], row[1]


def payload_rows(
    conn: sa.Connection, provider_key: str, first: int, last: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(external id, raw payload) of the objects and dead letters of batches first..last,
    streamed: internal data, read only by the payload scan to compare against."""
    objects = sa.select(external_objects.c.external_id, external_objects.c.raw_payload).where(
        external_objects.c.provider_key == provider_key,
        external_objects.c.last_batch_id.between(first, last),
    )
    letters = sa.select(dead_letters.c.external_id, dead_letters.c.raw_payload).where(
        dead_letters.c.provider_key == provider_key,
        dead_letters.c.last_batch_id.between(first, last),
    )
    for query in (objects, letters):
        for external_id, payload in conn.execution_options(yield_per=1000).execute(query):
            yield external_id or "", payload if isinstance(payload, dict) else {}


def portal_texts(conn: sa.Connection) -> Iterator[tuple[str, int, str, str]]:
    """(table, id, column, text) of every text a client may read."""
    text_columns = [c for c in cards.columns if isinstance(c.type, sa.String)]
    for row in conn.execute(sa.select(cards.c.id, *text_columns)).mappings():
        for column in text_columns:
            if row[column.name]:
                yield "portal_cards", row["id"], column.name, str(row[column.name])
    for row in conn.execute(sa.select(notes.c.id, notes.c.text, notes.c.caveat)).mappings():
        for name in ("text", "caveat"):
            if row[name]:
                yield "report_notes", row["id"], name, str(row[name])
    impact = sa.select(alerts.c.id, alerts.c.client_impact).where(
        alerts.c.client_impact.is_not(None)
    )
    for alert_id, text in conn.execute(impact):
        yield "incident_alerts", alert_id, "client_impact", str(text)


def metric_row(
    conn: sa.Connection, provider_key: str, metric_key: str, client_key: str, start: dt.date
) -> dict[str, Any] | None:
    row = (
        conn.execute(
            sa.select(client_metrics).where(
                client_metrics.c.provider_key == provider_key,
                client_metrics.c.metric_key == metric_key,
                client_metrics.c.client_key == client_key,
                client_metrics.c.period_start == start,
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def card_row(
    conn: sa.Connection, provider_key: str, metric_key: str, client_key: str, start: dt.date
) -> dict[str, Any] | None:
    row = (
        conn.execute(
            sa.select(cards).where(
                cards.c.provider_key == provider_key,
                cards.c.metric_key == metric_key,
                cards.c.client_key == client_key,
                cards.c.period_start == start,
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


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
    query = (
        sa.select(
            table.c.last_batch_id,
            sa.func.count(),
            batches.c.source_kind,
            batches.c.rows_failed,
            batches.c.rows_ignored,
            batches.c.finished_at,
        )
        .join(batches, batches.c.id == table.c.last_batch_id)
        .where(
            table.c.provider_key == provider_key,
            table.c.client_key == client_key,
            time >= start,
            time < end,
        )
        .group_by(
            table.c.last_batch_id,
            batches.c.source_kind,
            batches.c.rows_failed,
            batches.c.rows_ignored,
            batches.c.finished_at,
        )
        .order_by(table.c.last_batch_id)
    )
    if metric.filter is not None:
        column = table.c[metric.filter.field]
        if metric.filter.values is not None:
            query = query.where(column.in_(metric.filter.values))
        else:
            query = query.where(column.is_not(None) if metric.filter.present else column.is_(None))
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
