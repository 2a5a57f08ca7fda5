"""Incident alert rows and the connection status they move (``incidents/alerts.py`` decides)."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.storage.upsert import insert_if_absent
from zartsalgo_pipelines.tables.core import alerts, batches, connections


def open_key(provider_key: str, kind: str) -> str:
    """What makes an alert open: one per provider and kind (provider keys and kinds are short
    identifiers, so the key fits its 191 characters)."""
    return f"{provider_key}/{kind}"


def insert_alert(conn: sa.Connection, **values: Any) -> bool:
    """Store a new open alert unless one of its provider and kind is open; whether it was
    stored (the unique ``open_key`` decides, so two writers at once never both open one)."""
    key = open_key(values["provider_key"], values["kind"])
    return insert_if_absent(conn, alerts, values | {"open_key": key}, "open_key")


def update_open(conn: sa.Connection, alert_id: int, message: str, details: Any) -> None:
    """What an open alert says now (e.g. which clients are silent today)."""
    conn.execute(
        sa.update(alerts).where(alerts.c.id == alert_id).values(message=message, details=details)
    )


def mark_resolved(conn: sa.Connection, ids: Sequence[int], now: dt.datetime) -> None:
    """Resolve the alerts ``ids`` at ``now``; clearing open_key keeps the row as history."""
    conn.execute(
        sa.update(alerts).where(alerts.c.id.in_(list(ids))).values(resolved_at=now, open_key=None)
    )


def open_rows(
    conn: sa.Connection, provider_key: str | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    """Every open alert (of one provider and kind, if given), oldest first."""
    query = sa.select(alerts).where(alerts.c.resolved_at.is_(None)).order_by(alerts.c.id)
    if provider_key:
        query = query.where(alerts.c.provider_key == provider_key)
    if kind:
        query = query.where(alerts.c.kind == kind)
    return [dict(row) for row in conn.execute(query).mappings()]


def set_connection_status(
    conn: sa.Connection,
    provider_key: str,
    status: str,
    *,
    only_from: Sequence[str],
    now: dt.datetime,
) -> None:
    """Move the provider's connection to ``status`` if it is in one of ``only_from``."""
    conn.execute(
        sa.update(connections)
        .where(
            connections.c.provider_key == provider_key, connections.c.status.in_(list(only_from))
        )
        .values(status=status, updated_at=now)
    )


def recent_finished_batches(conn: sa.Connection, provider_key: str, limit: int) -> list[Any]:
    """The provider's last ``limit`` succeeded or failed batches, newest first."""
    return list(
        conn.execute(
            sa.select(
                batches.c.id,
                batches.c.status,
                batches.c.rows_total,
                batches.c.rows_failed,
                batches.c.rows_ignored,
                batches.c.error,
            )
            .where(
                batches.c.provider_key == provider_key,
                batches.c.status.in_(["succeeded", "failed"]),
            )
            .order_by(batches.c.id.desc())
            .limit(limit)
        ).all()
    )
