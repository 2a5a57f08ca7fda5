"""The go-live gate's history in ``portal_go_live``: who marked a provider live, when."""

import datetime as dt
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.tables.core import go_live


def record_go_live(conn: sa.Connection, row: dict[str, Any]) -> None:
    conn.execute(sa.insert(go_live).values(**row))


def go_live_history(conn: sa.Connection, provider_key: str) -> list[dict[str, Any]]:
    query = sa.select(go_live).where(go_live.c.provider_key == provider_key).order_by(go_live.c.id)
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
