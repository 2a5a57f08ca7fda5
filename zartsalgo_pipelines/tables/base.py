"""The declarative ``Base`` every table registers on, the column types they share, ``table_of``.

Strings that end up in unique keys stay at 191 characters so utf8mb4 keys fit every MySQL row
format. Timestamps are naive UTC.
"""

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only
# Provider ids compare byte for byte on both databases (docs/hostile_input.md): SQLite's default
# BINARY collation does; MySQL's default utf8mb4 collation would take `QR-1` and `qr-1` for one
# id. (utf8mb4_bin pads with spaces, but ids are trimmed before they are stored.)
ProviderId = sa.String(191).with_variant(
    mysql.VARCHAR(191, collation="utf8mb4_bin"), "mysql", "mariadb"
)
# Provider timestamps keep their microseconds on MySQL, as SQLite keeps them.
ProviderTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# Free text a person typed (a pasted email): TEXT would stop at 64 KB on MySQL.
LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


class JsonText(sa.JSON):
    """JSON the pipeline writes itself (orjson's output of a parsed document, always valid),
    stored on MySQL as LONGTEXT: MariaDB's JSON is LONGTEXT with a ``JSON_VALID`` check that
    parses every payload again as it is stored, and MySQL's converts it to its binary form; on a
    first load of ~700-byte payloads that was about a sixth of the server's time for the
    external objects (docs/performance.md). Read and written as JSON (SQLAlchemy's processors);
    SQLite's column is unchanged. MySQL's JSON functions read such text as they read JSON."""

    cache_ok = True


@compiles(JsonText, "mysql")
@compiles(JsonText, "mariadb")
def _json_text_on_mysql(type_: JsonText, compiler: Any, **kw: Any) -> str:
    return "LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: sa.JSON, list[Any]: sa.JSON}


def table_of(model: type[Base]) -> sa.Table:
    """The Core table of a model, typed as a Table (declarative types it as a FromClause)."""
    return cast(sa.Table, model.__table__)
