"""Set-based writes: one executemany per table and chunk, with each dialect's own upsert.

SQLAlchemy builds and compiles the statement (``INSERT .. ON DUPLICATE KEY UPDATE`` for MySQL,
``INSERT .. ON CONFLICT`` for SQLite); the rows then go straight to the driver's
``executemany``. Going through ``Connection.execute`` instead re-processes every parameter of
every row in Python, which cost more than the database itself on large chunks. Column types'
bind processors still apply (SQLite datetimes keep SQLAlchemy's storage format) and JSON values
are serialised here once.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, sqlite

from zartsalgo_pipelines.storage import mysql_bulk

NEW = "new"  # in ``update``: take the value the row tried to insert


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    update: Mapping[str, Any],
    bulk_min_rows: int = mysql_bulk.BULK_MIN_ROWS,
) -> None:
    """Insert ``rows``; on a clash of ``key`` set ``update`` (column -> NEW or an expression).

    With an empty ``update`` a clashing row is left as it is (insert-or-ignore). On MySQL,
    ``bulk_min_rows`` or more rows go through a staging table loaded with LOAD DATA.
    """
    if not rows:
        return
    stmt: sa.Executable
    if conn.dialect.name == "mysql":
        my = mysql.insert(table)
        staged = len(rows) >= bulk_min_rows
        if staged:
            names = list(rows[0])
            source = mysql_bulk.stage(conn, table, names, rows)
            my = mysql.insert(table).from_select(names, sa.select(*source.c))
        # With nothing to update, "key = key" is MySQL's idiom for "insert or ignore".
        stmt = my.on_duplicate_key_update(
            {c: my.inserted[c] if v == NEW else v for c, v in update.items()}
            or {key[0]: table.c[key[0]]}
        )
        if staged:
            conn.execute(stmt)
            return
    elif conn.dialect.name == "sqlite":
        lite = sqlite.insert(table)
        stmt = (
            lite.on_conflict_do_update(
                index_elements=list(key),
                set_={c: lite.excluded[c] if v == NEW else v for c, v in update.items()},
            )
            if update
            else lite.on_conflict_do_nothing(index_elements=list(key))
        )
    else:
        raise NotImplementedError(f"no upsert for dialect {conn.dialect.name}; use MySQL or SQLite")
    _executemany(conn, table, stmt, rows)


def insert_if_absent(
    conn: sa.Connection, table: sa.Table, row: Mapping[str, Any], key: str
) -> bool:
    """Insert ``row`` unless a row with the same unique ``key`` exists; whether it was
    inserted. The database decides, so two writers at once never both insert."""
    if conn.dialect.name == "mysql":
        my = mysql.insert(table).values(**row)
        # A clash changes nothing and inserts no id (the driver counts matched rows, so the
        # rowcount is 1 either way; the new id is 0 unless a row was inserted).
        result = conn.execute(my.on_duplicate_key_update({key: table.c[key]}))
        return bool(result.lastrowid)
    if conn.dialect.name == "sqlite":
        stmt = sqlite.insert(table).values(**row).on_conflict_do_nothing(index_elements=[key])
        return conn.execute(stmt).rowcount == 1
    raise NotImplementedError(f"no upsert for dialect {conn.dialect.name}; use MySQL or SQLite")


def upsert_all_columns(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    keep: Sequence[str] = (),
) -> None:
    """``upsert`` where a clash rewrites every column but the id, ``key`` and ``keep``."""
    kept = {"id", *key, *keep}
    update = {c.name: NEW for c in table.columns if c.name not in kept}
    upsert(conn, table, rows, key=key, update=update)


def insert_many(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Plain executemany insert (pymysql folds it into multi-row INSERT statements)."""
    if not rows:
        return
    if conn.dialect.name == "mysql" and len(rows) >= mysql_bulk.BULK_MIN_ROWS:
        mysql_bulk.load_into(conn, table.name, list(rows[0]), rows)
    else:
        _executemany(conn, table, sa.insert(table), rows)


def _executemany(
    conn: sa.Connection, table: sa.Table, stmt: Any, rows: Sequence[Mapping[str, Any]]
) -> None:
    names = list(rows[0])
    compiled = stmt.compile(dialect=conn.dialect, column_keys=names)
    processors: list[Any] = []
    for name in names:
        column_type = table.c[name].type
        if isinstance(column_type, sa.JSON):
            processors.append(_json)
        else:
            processors.append(column_type.bind_processor(conn.dialect))
    order = [names.index(p) for p in compiled.positiontup] if compiled.positional else None
    converted: list[Any] = []
    for row in rows:
        values = [
            v if f is None or v is None else f(v)
            for v, f in zip(row.values(), processors, strict=True)
        ]
        if order is None:
            converted.append(dict(zip(names, values, strict=True)))
        else:
            converted.append(tuple(values[i] for i in order))
    conn.exec_driver_sql(compiled.string, converted)


def _json(value: Any) -> Any:
    # Pre-serialised text (raw payloads, built once for the hash) passes through unchanged.
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
