"""Read-side queries the assets, checks, sensors and CLI share (none of them write SQL)."""

import datetime as dt
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.tables.core import connections, dead_letters, import_rows


def import_row_counts(conn: sa.Connection, batch_id: int) -> dict[str, int]:
    """Import rows of a batch by status (what the batch counters must equal)."""
    query = (
        sa.select(import_rows.c.status, sa.func.count())
        .where(import_rows.c.batch_id == batch_id)
        .group_by(import_rows.c.status)
    )
    return {status: count for status, count in conn.execute(query)}


def failed_rows_without_dead_letter(conn: sa.Connection, provider_key: str, batch_id: int) -> int:
    """Failed import rows of a batch whose payload has no dead-letter record (must be 0)."""
    letter = sa.select(dead_letters.c.id).where(
        dead_letters.c.provider_key == provider_key,
        dead_letters.c.payload_hash == import_rows.c.payload_hash,
    )
    query = sa.select(sa.func.count()).where(
        import_rows.c.batch_id == batch_id,
        import_rows.c.status == "failed",
        ~sa.exists(letter),
    )
    return int(conn.execute(query).scalar_one())


def open_dead_letters_since(conn: sa.Connection, provider_key: str, batch_id: int) -> int:
    """Open dead letters of a provider last failed in ``batch_id`` or a later batch."""
    query = sa.select(sa.func.count()).where(
        dead_letters.c.provider_key == provider_key,
        dead_letters.c.state == "open",
        dead_letters.c.last_batch_id >= batch_id,
    )
    return int(conn.execute(query).scalar_one())


def dead_letter_summary(conn: sa.Connection, provider_key: str) -> dict[str, Any]:
    """Open dead letters of a provider, grouped by failing field and check."""
    query = (
        sa.select(dead_letters.c.failing_field, dead_letters.c.failing_check, sa.func.count())
        .where(dead_letters.c.provider_key == provider_key, dead_letters.c.state == "open")
        .group_by(dead_letters.c.failing_field, dead_letters.c.failing_check)
        .order_by(sa.func.count().desc())
    )
    groups = [
        {"field": field, "check": check, "rows": count}
        for field, check, count in conn.execute(query)
    ]
    return {"open": sum(g["rows"] for g in groups), "by_reason": groups}


def connection_value(conn: sa.Connection, provider_key: str, column: str) -> Any:
    """One column of the provider's connection row (None without a row)."""
    query = sa.select(connections.c[column]).where(connections.c.provider_key == provider_key)
    return conn.execute(query).scalar()


def last_successful_sync(conn: sa.Connection, provider_key: str) -> dt.datetime | None:
    return connection_value(conn, provider_key, "last_successful_sync_at")


def connection_status(conn: sa.Connection, provider_key: str) -> str | None:
    return connection_value(conn, provider_key, "status")
