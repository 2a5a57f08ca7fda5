"""MySQL bulk path: rows go to the server as a file through ``LOAD DATA LOCAL INFILE``.

pymysql escapes every value in Python before it builds a multi-row INSERT; on a chunk of a few
thousand rows that escaping cost more than the server's work. The file is MySQL's own text
format (tab-separated, backslash escapes, ``\\N`` for NULL), so it loads straight into the
columns with no per-column conversion on the server, and writing it costs one ``str.join`` per
row plus a ``str.replace`` only on values that hold a backslash, tab or newline. (The ``csv``
module, quoting every field, scanned each character of the 700-byte payloads in Python's
dialect machinery and was a fifth of a first load's CPU.)

Upserts load into a temporary staging table (one per target table and connection, no
indexes) and then run one ``INSERT .. SELECT .. ON DUPLICATE KEY UPDATE``; plain inserts load
straight into the target. Both run inside the caller's transaction, so a chunk still commits
or rolls back whole. Why LOAD DATA LOCAL is safe here: docs/design.md.
"""

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from zartsalgo_pipelines.errors import ZartsalgoError

if TYPE_CHECKING:  # imported where frames are formatted: the code server never needs pandas
    import pandas as pd

BULK_MIN_ROWS = 200  # below this a multi-row INSERT is cheaper than a file round trip
NULL = "\\N"


def _text(value: str) -> str:
    # The three characters the format gives a meaning to; `in` is a C scan, so clean values
    # (nearly all) cost no copy. The backslash goes first so the escapes added stay escapes.
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value:
        value = value.replace("\t", "\\t")
    if "\n" in value:
        value = value.replace("\n", "\\n")
    return value


def field(value: Any) -> str:
    """One value in LOAD DATA's text format (MySQL parses dates, decimals and numbers)."""
    if value is None:
        return NULL
    if type(value) is str:
        return _text(value)
    if value is True or value is False:
        return "1" if value else "0"
    if isinstance(value, dict | list):
        return _text(json.dumps(value, ensure_ascii=False, default=str))
    return _text(str(value))  # int, float, Decimal, datetime ("2026-11-16 10:00:00"), date


def column_texts(series: "pd.Series") -> list[str]:
    """A typed column of a mapped frame as field texts, formatted by pandas in bulk.

    Text columns are escaped by three vectorised replaces (C++ with pyarrow strings) and
    datetimes formatted by pandas' own formatter; the rest go through ``field`` per value.
    This and one ``"\\t".join`` per row replace a dict per row and a call per value.
    """
    import pandas as pd

    if isinstance(series.dtype, pd.DatetimeTZDtype | pd.StringDtype):
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            # Naive UTC, as the columns store it. Microseconds are always written; a DATETIME
            # column without fractions treats them as it treats any datetime sent (MariaDB
            # truncates, MySQL rounds).
            series = series.dt.tz_convert(None).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
        else:
            series = (
                series.str.replace("\\", "\\\\", regex=False)
                .str.replace("\t", "\\t", regex=False)
                .str.replace("\n", "\\n", regex=False)
            )
        texts: list[str] = series.astype(object).where(series.notna(), NULL).tolist()
        return texts
    if pd.api.types.is_bool_dtype(series.dtype):
        return [NULL if pd.isna(v) else "1" if v else "0" for v in series.astype(object)]
    return [field(v) for v in series.astype(object).where(series.notna(), None).tolist()]


def load_into(
    conn: sa.Connection, table_name: str, names: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    """LOAD DATA LOCAL INFILE ``rows`` (dicts with keys ``names``, in that order) into
    ``table_name``."""
    text = "".join("\t".join(map(field, row.values())) + "\n" for row in rows)
    load_text(conn, table_name, names, text)


class ShortLoadError(ZartsalgoError):
    """LOAD DATA stored fewer rows than it was sent (the transaction is rolled back)."""

    retryable: ClassVar[bool] = False


class LoadWarningError(ZartsalgoError):
    """LOAD DATA stored a value other than the one sent and only warned (cut, rounded, zeroed):
    LOCAL loads warn whatever the sql_mode, so any warning rolls the transaction back
    (docs/hostile_input.md)."""

    retryable: ClassVar[bool] = False  # the same value is cut again


def load_text(
    conn: sa.Connection, table_name: str, names: Sequence[str], text: str | bytes
) -> None:
    """LOAD DATA LOCAL INFILE ``text``, lines already in the format (see ``field``; bytes are
    UTF-8), into ``table_name``'s columns ``names``."""
    data = text.encode() if isinstance(text, str) else text
    handle, path = tempfile.mkstemp(prefix="zartsalgo-", suffix=".tsv")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        load_file(conn, table_name, names, path, data.count(b"\n"))
    finally:
        os.unlink(path)


def load_file(
    conn: sa.Connection, table_name: str, names: Sequence[str], path: str | Path, rows: int
) -> None:
    """LOAD DATA LOCAL INFILE the ``rows`` lines of the file at ``path`` (in the format).

    LOCAL loads skip rows that clash with a unique key and only warn about them, so the rows
    stored are counted: a short load raises instead of losing rows without a trace.
    """
    columns = ", ".join(f"`{n}`" for n in names)
    result = conn.exec_driver_sql(
        f"LOAD DATA LOCAL INFILE %s INTO TABLE `{table_name}` CHARACTER SET utf8mb4 "
        "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
        f"({columns})",
        (str(path),),
    )
    if result.rowcount != rows:
        raise ShortLoadError(
            f"LOAD DATA into {table_name} stored {result.rowcount} of {rows} rows: "
            + _warnings(conn)
        )
    if conn.exec_driver_sql("SELECT @@warning_count").scalar_one():
        raise LoadWarningError(
            f"LOAD DATA into {table_name} changed values it was sent: {_warnings(conn)}"
        )


def loaded_ids(conn: sa.Connection, table_name: str, rows: int) -> int | None:
    """The id the file's first line got, right after a LOAD DATA of ``rows`` lines into
    ``table_name``, when its lines are proven to have got consecutive ids in file order; else
    None (the caller then matches rows by their keys).

    The proof, whatever ``innodb_autoinc_lock_mode`` and whoever else inserts: the statement's
    ``rows`` ids are distinct, increase line by line, and the first is ``LAST_INSERT_ID()``; if
    the largest id this transaction can see is ``first + rows - 1``, its ``rows`` ids fill
    ``first .. first + rows - 1`` exactly (another writer's id inside that range would leave
    one of them outside it). ``auto_increment_increment`` above 1 or an interleaved writer's ids
    in between fail the test, never silently.
    """
    first, largest = conn.exec_driver_sql(
        f"SELECT LAST_INSERT_ID(), MAX(id) FROM `{table_name}`"
    ).one()
    if not first or largest != first + rows - 1:
        return None
    return int(first)


def _warnings(conn: sa.Connection) -> str:
    # SELECT @@warning_count leaves the warnings of the statement before it in place.
    warnings = conn.exec_driver_sql("SHOW WARNINGS LIMIT 3").all()
    return "; ".join(f"{code} {message}" for _level, code, message in warnings)


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


def create_empty_copy(conn: sa.Connection, table: str, copy: str) -> None:
    """``CREATE TABLE copy LIKE table``: columns, keys and checks, no rows, no foreign keys."""
    conn.exec_driver_sql(f"CREATE TABLE {copy} LIKE {table}")


def stream_table(conn: sa.Connection, table: str) -> sa.CursorResult[Any]:
    """Every row of ``table``, fetched 10,000 at a time (the benchmark reads tables back)."""
    return conn.execution_options(yield_per=10_000).exec_driver_sql(f"SELECT * FROM {table}")


def drop_table(conn: sa.Connection, table: str) -> None:
    """Drop ``table`` (a copy made by ``create_empty_copy``)."""
    conn.exec_driver_sql(f"DROP TABLE {table}")
