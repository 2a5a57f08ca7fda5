"""Reads and writes of ``report_notes``: one paragraph per client and period."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.storage.upsert import upsert_all_columns
from zartsalgo_pipelines.tables.core import notes


def write_notes(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    upsert_all_columns(conn, notes, rows, key=["client_key", "period", "period_start"])


def note_rows(conn: sa.Connection, client_key: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(notes).order_by(notes.c.client_key, notes.c.period, notes.c.period_start)
    if client_key:
        query = query.where(notes.c.client_key == client_key)
    return [dict(r) for r in conn.execute(query).mappings()]
