"""The facts a card's visibility is decided from, and the client impact of incidents."""

from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.storage.proof.golive import live_since
from zartsalgo_pipelines.tables.core import alerts, batches, connections


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


def set_incident_impact(
    conn: sa.Connection, alert_id: int, unsafe: list[str], impact: str | None
) -> None:
    conn.execute(
        sa.update(alerts)
        .where(alerts.c.id == alert_id)
        .values(unsafe_cards=unsafe, client_impact=None if impact is None else impact[:500])
    )
