"""When each client's newest record is from, and how many arrived recently (data freshness)."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True)
class Arrivals:
    """One client's records by the provider's own time: the newest (up to now), how many in
    the lookback window that ends at the newest (the usual rate before any silence) and the
    oldest of those, and when the newest new or changed record was stored."""

    client_key: str
    newest: dt.datetime | None
    recent: int
    first_recent: dt.datetime | None  # the oldest record in that window
    last_stored_at: dt.datetime | None


def _days_before(moment: Any, days: int, dialect: str, is_date: bool) -> Any:
    """``moment`` minus ``days`` days, in the database (the window ends at each client's own
    newest record, so it cannot be a bound parameter)."""
    if dialect == "sqlite":
        return (sa.func.date if is_date else sa.func.datetime)(moment, f"-{days} days")
    return sa.func.date_sub(moment, sa.text(f"INTERVAL {int(days)} DAY"))


def arrivals(
    conn: sa.Connection,
    table: sa.Table,
    provider_key: str,
    field: str,
    lookback_days: int,
    now: dt.datetime,
) -> list[Arrivals]:
    """Per client: newest ``field`` value not after ``now``; the records in the
    ``lookback_days`` before it (and the oldest of them); newest ``updated_at``."""
    time = table.c[field]
    is_date = isinstance(time.type, sa.Date) and not isinstance(time.type, sa.DateTime)
    upper = now.date() if is_date else now
    mine = table.c.provider_key == provider_key
    newest = (
        sa.select(
            table.c.client_key.label("client_key"),
            sa.func.max(sa.case((time <= upper, time))).label("newest"),
            sa.func.max(table.c.updated_at).label("stored"),
        )
        .where(mine)
        .group_by(table.c.client_key)
        .subquery()
    )
    since = _days_before(newest.c.newest, lookback_days, conn.dialect.name, is_date)
    window = (
        sa.select(
            newest.c.client_key,
            newest.c.newest,
            sa.func.count(time),
            sa.func.min(time),
            newest.c.stored,
        )
        .select_from(
            newest.outerjoin(
                table,
                sa.and_(
                    mine,
                    table.c.client_key == newest.c.client_key,
                    time <= newest.c.newest,
                    time >= since,
                ),
            )
        )
        .group_by(newest.c.client_key, newest.c.newest, newest.c.stored)
    )
    return [
        Arrivals(client, _moment(last), int(count or 0), _moment(first), _moment(stored))
        for client, last, count, first, stored in conn.execute(window)
    ]


def records_between(
    conn: sa.Connection,
    table: sa.Table,
    provider_key: str,
    field: str,
    since: dt.datetime,
    until: dt.datetime,
) -> tuple[int, dt.datetime | None]:
    """How many of the provider's records have ``field`` in [since, until], and the oldest."""
    time = table.c[field]
    is_date = isinstance(time.type, sa.Date) and not isinstance(time.type, sa.DateTime)
    lower, upper = (since.date(), until.date()) if is_date else (since, until)
    count, first = conn.execute(
        sa.select(sa.func.count(), sa.func.min(time)).where(
            table.c.provider_key == provider_key, time >= lower, time <= upper
        )
    ).one()
    return int(count or 0), _moment(first)


def _moment(value: object) -> dt.datetime | None:
    if isinstance(value, str):  # SQLite returns dates and datetimes of an aggregate as text
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value if isinstance(value, dt.datetime) else None
