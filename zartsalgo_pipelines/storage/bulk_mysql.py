"""MySQL bulk path: rows go to the server as a CSV file through ``LOAD DATA LOCAL INFILE``.

pymysql escapes every value in Python before it builds a multi-row INSERT; on a chunk of a few
thousand rows that escaping cost more than the server's work. A CSV file is written with plain
string operations and parsed by the server. Upserts load into a temporary staging table (one per
target table and connection, no indexes) and then run one ``INSERT .. SELECT .. ON DUPLICATE KEY
UPDATE``; plain inserts load straight into the target. Both run inside the caller's transaction,
so a chunk still commits or rolls back whole.

LOAD DATA LOCAL lets the server ask the client for a file; the connection is only ever to
ZartsAlgo's own database, and only files this module wrote are sent.
"""

import csv
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

BULK_MIN_ROWS = 200  # below this a multi-row INSERT is cheaper than a file round trip


def _writer_for(table: sa.Table | None, names: Sequence[str]) -> Any:
    """Per-column converters for values csv cannot write as MySQL reads them."""
    converters: list[Any] = []
    for name in names:
        column_type = table.c[name].type if table is not None and name in table.c else None
        if isinstance(column_type, sa.Boolean):
            converters.append(lambda v: None if v is None else int(v))
        elif isinstance(column_type, sa.JSON):
            converters.append(
                lambda v: (
                    v
                    if v is None or isinstance(v, str)
                    else json.dumps(v, ensure_ascii=False, default=str)
                )
            )
        else:
            converters.append(None)
    return converters


def _write_csv(
    table: sa.Table | None, names: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> str:
    # csv (C) with every field quoted: None becomes "" and is read back as NULL (see load_into);
    # the pipeline never stores an empty string (blank provider values are missing values).
    converters = _writer_for(table, names)
    handle, path = tempfile.mkstemp(prefix="zartsalgo-", suffix=".csv")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n", doublequote=True)
        if any(converters):
            writer.writerows(
                [v if f is None else f(v) for v, f in zip(row.values(), converters, strict=True)]
                for row in rows
            )
        else:
            writer.writerows(row.values() for row in rows)
    return path


def load_into(
    conn: sa.Connection,
    table_name: str,
    names: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    table: sa.Table | None = None,
) -> None:
    """LOAD DATA LOCAL INFILE ``rows`` (dicts with keys ``names``, in that order) into
    ``table_name``; ``table`` gives the column types."""
    path = _write_csv(table, names, rows)
    try:
        variables = ", ".join(f"@v{i}" for i in range(len(names)))
        assignments = ", ".join(f"`{n}` = NULLIF(@v{i}, '')" for i, n in enumerate(names))
        conn.exec_driver_sql(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE `{table_name}` CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY ',' ENCLOSED BY '\"' ESCAPED BY '' "
            f"LINES TERMINATED BY '\\n' ({variables}) SET {assignments}",
            (path,),
        )
    finally:
        os.unlink(path)


def stage(
    conn: sa.Connection, table: sa.Table, names: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> sa.Table:
    """Load ``rows`` into this connection's empty staging copy of ``table``; return it."""
    name = f"zt_stage_{table.name}"
    columns = ", ".join(f"`{n}`" for n in names)
    # Temporary tables live with the connection and never cause an implicit commit.
    conn.exec_driver_sql(f"DROP TEMPORARY TABLE IF EXISTS `{name}`")
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE `{name}` SELECT {columns} FROM `{table.name}` WHERE 1 = 0"
    )
    load_into(conn, name, names, rows, table)
    return sa.Table(name, sa.MetaData(), *(sa.Column(n, table.c[n].type) for n in names))
