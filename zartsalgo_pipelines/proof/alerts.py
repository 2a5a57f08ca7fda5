"""Incident alerts: at most one open alert per provider and kind; it resolves itself."""

from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.ingest.providers import utcnow
from zartsalgo_pipelines.storage.models import IncidentAlert, table_of

alerts = table_of(IncidentAlert)


def open_alert(
    conn: sa.Connection,
    *,
    provider_key: str,
    kind: str,
    severity: str,
    owner: str,
    message: str,
    next_action: str,
    details: dict[str, Any],
) -> bool:
    """Open an alert unless one of this kind is already open; True when a new one was opened."""
    already = conn.execute(
        sa.select(alerts.c.id).where(
            alerts.c.provider_key == provider_key,
            alerts.c.kind == kind,
            alerts.c.resolved_at.is_(None),
        )
    ).first()
    if already:
        return False
    conn.execute(
        sa.insert(alerts).values(
            provider_key=provider_key,
            kind=kind,
            severity=severity,
            owner=owner,
            message=message[:1000],
            next_action=next_action[:500],
            details=details,
            opened_at=utcnow(),
        )
    )
    return True


def resolve_alerts(conn: sa.Connection, provider_key: str, kind: str) -> int:
    """Close open alerts of ``kind``; returns how many were closed."""
    result = conn.execute(
        sa.update(alerts)
        .where(
            alerts.c.provider_key == provider_key,
            alerts.c.kind == kind,
            alerts.c.resolved_at.is_(None),
        )
        .values(resolved_at=utcnow())
    )
    return result.rowcount or 0


def open_alerts(conn: sa.Connection, provider_key: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(alerts).where(alerts.c.resolved_at.is_(None)).order_by(alerts.c.id)
    if provider_key:
        query = query.where(alerts.c.provider_key == provider_key)
    return [dict(row) for row in conn.execute(query).mappings()]
