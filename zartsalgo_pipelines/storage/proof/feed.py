"""The ``portal_feed`` view, the portal's one read path, and its read."""

from typing import Any

import sqlalchemy as sa

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


def feed_rows(conn: sa.Connection, client_key: str | None = None) -> list[dict[str, Any]]:
    """What the portal reads: visible and caveated cards and notes only."""
    query = sa.select(portal_feed).order_by(
        portal_feed.c.client_key, portal_feed.c.period_start, portal_feed.c.item_type
    )
    if client_key:
        query = query.where(portal_feed.c.client_key == client_key)
    return [dict(r) for r in conn.execute(query).mappings()]
