"""Reads and writes of ``admin_tasks``: work for a provider's owner, one open per key."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.storage.upsert import insert_if_absent
from zartsalgo_pipelines.tables.core import tasks


def open_tasks(conn: sa.Connection) -> dict[str, dict[str, Any]]:
    """Open admin tasks by their open_key."""
    return {r["open_key"]: r for r in task_rows(conn, open_only=True)}


def task_rows(conn: sa.Connection, *, open_only: bool = False) -> list[dict[str, Any]]:
    query = sa.select(tasks).order_by(tasks.c.id)
    if open_only:
        query = query.where(tasks.c.resolved_at.is_(None))
    return [dict(r) for r in conn.execute(query).mappings()]


def open_task(conn: sa.Connection, row: dict[str, Any]) -> bool:
    """Open a task unless one with its open_key is open (another refresh opened it first)."""
    return insert_if_absent(conn, tasks, row, "open_key")


def touch_tasks(conn: sa.Connection, ids: Sequence[int], now: dt.datetime) -> None:
    if ids:
        conn.execute(sa.update(tasks).where(tasks.c.id.in_(ids)).values(last_checked_at=now))


def resolve_tasks(conn: sa.Connection, ids: Sequence[int], now: dt.datetime, why: str) -> None:
    """Close tasks; clearing open_key keeps the row as history and frees the key."""
    if ids:
        conn.execute(
            sa.update(tasks)
            .where(tasks.c.id.in_(ids))
            .values(resolved_at=now, last_checked_at=now, resolution=why, open_key=None)
        )
