"""When each client's newest record is from, and how many arrived recently (data freshness)."""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class Arrivals:
    """One client's records by the provider's own time: the newest (up to now), how many in
    the lookback window, and when the newest new or changed record was stored."""

    client_key: str
    newest: dt.datetime | None
    recent: int
    first_recent: dt.datetime | None  # the oldest record in the lookback window
    last_stored_at: dt.datetime | None


def arrivals(
    conn: sa.Connection,
    table: sa.Table,
    provider_key: str,
    field: str,
    since: dt.datetime,
    now: dt.datetime,
) -> list[Arrivals]:
    """Per client: newest ``field`` value not after ``now``, records with ``field`` in
    [since, now] and the oldest of them, newest ``updated_at``. One GROUP BY over the
    provider's records."""
    time = table.c[field]
    is_date = isinstance(time.type, sa.Date) and not isinstance(time.type, sa.DateTime)
    upper, lower = (now.date(), since.date()) if is_date else (now, since)
    inside = sa.and_(time >= lower, time <= upper)
    query = (
        sa.select(
            table.c.client_key,
            sa.func.max(sa.case((time <= upper, time))),
            sa.func.sum(sa.case((inside, 1), else_=0)),
            sa.func.min(sa.case((inside, time))),
            sa.func.max(table.c.updated_at),
        )
        .where(table.c.provider_key == provider_key)
        .group_by(table.c.client_key)
    )
    return [
        Arrivals(client, _moment(newest), int(recent or 0), _moment(first), stored)
        for client, newest, recent, first, stored in conn.execute(query)
    ]


def _moment(value: object) -> dt.datetime | None:
    if isinstance(value, str):  # SQLite returns the max of a CASE as text
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value if isinstance(value, dt.datetime) else None
