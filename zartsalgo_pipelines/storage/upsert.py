"""Set-based writes: one executemany per table and chunk, with each dialect's own upsert."""

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    update: Mapping[str, Any],
    text_columns: Sequence[str] = (),
) -> None:
    """Insert ``rows``; on a clash of ``key`` set ``update`` (column -> "new" or an expression).

    ``update`` maps a column to ``"new"`` (take the inserted value) or to a SQL expression.
    ``text_columns`` are JSON columns whose values are already serialised text, bound as text
    so the JSON payload is not encoded a second time.
    """
    if not rows:
        return
    binds = {name: sa.bindparam(name, type_=sa.Text) for name in text_columns}
    stmt: sa.Executable
    if conn.dialect.name == "mysql":
        my = mysql.insert(table).values(binds) if binds else mysql.insert(table)
        # With nothing to update, "key = key" is MySQL's idiom for "insert or ignore".
        stmt = my.on_duplicate_key_update(
            {c: my.inserted[c] if v == "new" else v for c, v in update.items()}
            or {key[0]: table.c[key[0]]}
        )
    elif conn.dialect.name == "sqlite":
        lite = sqlite.insert(table).values(binds) if binds else sqlite.insert(table)
        stmt = (
            lite.on_conflict_do_update(
                index_elements=list(key),
                set_={c: lite.excluded[c] if v == "new" else v for c, v in update.items()},
            )
            if update
            else lite.on_conflict_do_nothing(index_elements=list(key))
        )
    else:
        raise NotImplementedError(f"no upsert for dialect {conn.dialect.name}; use MySQL or SQLite")
    conn.execute(stmt, list(rows))


def insert_many(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Plain executemany insert (pymysql folds it into multi-row INSERT statements)."""
    if rows:
        conn.execute(sa.insert(table), list(rows))
