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

import datetime as dt
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

BULK_MIN_ROWS = 200  # below this a multi-row INSERT is cheaper than a file round trip


def _field(value: Any) -> str:
    if value is None:
        return "NULL"  # unquoted: read as NULL (a quoted "NULL" is the text NULL)
    if value is True or value is False:
        return "1" if value else "0"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=str)
    elif isinstance(value, dt.datetime):
        value = value.isoformat(" ")
    text = value if isinstance(value, str) else str(value)
    return '"' + text.replace('"', '""') + '"'


def _write_csv(names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    handle, path = tempfile.mkstemp(prefix="zartsalgo-", suffix=".csv")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
        out.writelines(",".join([_field(row[n]) for n in names]) + "\n" for row in rows)
    return path


def load_into(
    conn: sa.Connection, table_name: str, names: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    """LOAD DATA LOCAL INFILE ``rows`` into ``table_name`` (columns ``names``)."""
    path = _write_csv(names, rows)
    try:
        columns = ", ".join(f"`{n}`" for n in names)
        conn.exec_driver_sql(
            f"LOAD DATA LOCAL INFILE %s INTO TABLE `{table_name}` CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
            f"LINES TERMINATED BY '\\n' ({columns})",
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
    load_into(conn, name, names, rows)
    return sa.Table(name, sa.MetaData(), *(sa.Column(n, table.c[n].type) for n in names))
