"""The limits of the columns the pipeline fills, declared once: read off the models.

SQLite enforces none of them and MySQL's LOAD DATA only warns about them, so mapping checks
every value against these limits (``mapping/schema.py``, ``mapping/apply.py``) and a value that
does not fit fails its row with a reason, the same on both databases. Nothing here is a second
copy of a number in the models: change a column there and the check follows.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from zartsalgo_pipelines.errors import TooLongError

# MariaDB's JSON columns are LONGTEXT with a JSON_VALID check, which refuses a document nested
# 32 levels deep (error 4040; MySQL's native JSON allows 100). A scalar is level 0, ``[]`` 1.
JSON_MAX_DEPTH = 31

# MySQL refuses a statement longer than its max_allowed_packet (16 MiB by default on MariaDB,
# 64 MiB on MySQL 8) and drops the connection: "MySQL server has gone away", and the chunk with
# every row in it is lost. A row's payload is written in one statement (its external object,
# or its dead letter with a reason and failures of at most a few KB), and escaping for the
# statement at most doubles it, so a payload up to 7 MiB keeps every statement under 15 MiB.
# A record whose canonical JSON is longer fails its row (``mapping/bounds.py``), on SQLite too.
REQUIRED_PACKET_BYTES = 16 * 1024 * 1024
ROW_PAYLOAD_MAX_BYTES = 7 * 1024 * 1024

# Bytes of UTF-8 a MySQL text type holds (utf8mb4 stores each character in 1 to 4 bytes).
# (MySQL's own text types derive from String, not Text.)
_TEXT_BYTES: list[tuple[type[sa.types.TypeEngine[str]], int]] = [
    (mysql.TINYTEXT, 255),
    (mysql.MEDIUMTEXT, 16_777_215),
    (mysql.LONGTEXT, 4_294_967_295),
    (sa.Text, 65_535),
]
_INTEGER_MAX: dict[type[sa.types.TypeEngine[int]], int] = {
    sa.SmallInteger: 2**15 - 1,
    sa.BigInteger: 2**63 - 1,
    sa.Integer: 2**31 - 1,
}


@dataclass(frozen=True)
class ColumnLimit:
    """What one column can store; None where the column sets no such limit."""

    max_chars: int | None = None  # VARCHAR(n): characters
    max_bytes: int | None = None  # TEXT types: bytes of UTF-8
    whole_digits: int | None = None  # DECIMAL(p, s): p - s digits before the point
    scale: int | None = None  # DECIMAL(p, s): s digits after it
    max_abs: int | None = None  # integer columns

    @property
    def below(self) -> Decimal | None:
        """The magnitude a DECIMAL value must stay under (10 ** whole digits)."""
        return None if self.whole_digits is None else Decimal(10) ** self.whole_digits


def _mysql_type(column: sa.Column[object]) -> sa.types.TypeEngine[object]:
    # A type declared with_variant(..., "mysql") answers with the variant on that dialect.
    return column.type.dialect_impl(mysql.dialect())


def column_limit(column: sa.Column[object]) -> ColumnLimit:
    """The limit of ``column`` as the stricter of the two databases applies it (MySQL)."""
    column_type = _mysql_type(column)
    for kind, size in _TEXT_BYTES:
        if isinstance(column_type, kind):
            declared = getattr(column_type, "length", None)
            return ColumnLimit(max_bytes=min(size, declared) if declared else size)
    if isinstance(column_type, sa.String) and column_type.length:
        return ColumnLimit(max_chars=column_type.length)
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
        precision, scale = column_type.precision, column_type.scale or 0
        if precision is not None:
            return ColumnLimit(whole_digits=precision - scale, scale=scale)
    for integer, largest in _INTEGER_MAX.items():
        if isinstance(column_type, integer):
            return ColumnLimit(max_abs=largest)
    return ColumnLimit()


def table_limits(table: sa.Table) -> dict[str, ColumnLimit]:
    """Every column's limit, by column name."""
    return {column.name: column_limit(column) for column in table.columns}


def refuse_overlong(table: sa.Table, values: Mapping[str, str | None]) -> None:
    """Raise ``TooLongError`` naming each value (by column) its column of ``table`` cannot hold
    whole: a name or note typed by a person is refused, never cut to fit."""
    problems = []
    for name, value in values.items():
        limit = column_limit(table.c[name])
        if value is None:
            continue
        if limit.max_chars is not None and len(value) > limit.max_chars:
            problems.append(f"{name} is {len(value)} characters; at most {limit.max_chars} fit")
        elif limit.max_bytes is not None and len(value.encode()) > limit.max_bytes:
            problems.append(f"{name} is {len(value.encode())} bytes; at most {limit.max_bytes} fit")
    if problems:
        raise TooLongError("; ".join(problems) + ": shorten it, nothing was written")
