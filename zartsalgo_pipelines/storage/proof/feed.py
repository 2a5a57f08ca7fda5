"""The portal's one read path: the ``portal_feed`` view (``tables/proof.py``)."""

from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.tables.proof import portal_feed


def feed_rows(conn: sa.Connection, client_key: str | None = None) -> list[dict[str, Any]]:
    """What the portal reads: visible and caveated cards and notes only."""
    query = sa.select(portal_feed).order_by(
        portal_feed.c.client_key, portal_feed.c.period_start, portal_feed.c.item_type
    )
    if client_key:
        query = query.where(portal_feed.c.client_key == client_key)
    return [dict(r) for r in conn.execute(query).mappings()]
