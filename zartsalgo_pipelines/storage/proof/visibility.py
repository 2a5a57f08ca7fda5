"""The facts a card's visibility is decided from, and the client impact of incidents."""

import datetime as dt
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.storage.proof.golive import live_since
from zartsalgo_pipelines.tables.core import alerts, connections, dead_letters


def provider_facts(conn: sa.Connection, provider_key: str) -> dict[str, Any]:
    """What visibility is decided from: connection, open incidents, go-live."""
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
    return {
        "connection_status": connection.status if connection else None,
        "last_success_at": connection.last_successful_sync_at if connection else None,
        "incidents": [dict(r._mapping) for r in incidents],
        "live_since": live_since(conn, provider_key),
    }


def set_incident_impact(
    conn: sa.Connection, alert_id: int, unsafe: list[str], impact: str | None
) -> None:
    conn.execute(
        sa.update(alerts)
        .where(alerts.c.id == alert_id)
        .values(unsafe_cards=unsafe, client_impact=impact)
    )


def open_failure_payloads(
    conn: sa.Connection, provider_key: str, since: dt.datetime, limit: int
) -> list[Any]:
    """The payloads of the provider's open dead letters that last failed after ``since``
    (newest first, at most ``limit``)."""
    rows = conn.execute(
        sa.select(dead_letters.c.raw_payload)
        .where(
            dead_letters.c.provider_key == provider_key,
            dead_letters.c.state == "open",
            dead_letters.c.last_failed_at >= since,
        )
        .order_by(dead_letters.c.last_failed_at.desc())
        .limit(limit)
    ).scalars()
    return list(rows)
