"""Engines for the embedded SQLite default and for MySQL, and URL masking for anything printed."""

from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.tables.limits import REQUIRED_PACKET_BYTES


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url`` with the settings this pipeline relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "mysql" and "charset" not in parsed.query:
        # Provider payloads carry emoji and every script: utf8mb4 or the row fails.
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    # local_infile: bulk writes send files with LOAD DATA LOCAL (storage/mysql_bulk.py).
    engine = sa.create_engine(parsed, pool_pre_ping=True, connect_args={"local_infile": True})
    sa.event.listen(engine, "connect", _mysql_session)
    return engine


# Added to the server's own sql_mode, never replacing it: a value that does not fit its column
# is an error, not a warning (docs/hostile_input.md). STRICT_ALL_TABLES also covers tables whose
# engine has no transactions (STRICT_TRANS_TABLES, MariaDB's default, does not).
STRICT_MODES = (
    "STRICT_ALL_TABLES",
    "NO_ZERO_IN_DATE",
    "NO_ZERO_DATE",
    "ERROR_FOR_DIVISION_BY_ZERO",
    "NO_ENGINE_SUBSTITUTION",
)


class PacketTooSmallError(ZartsalgoError):
    """The server's max_allowed_packet is below what a row of the pipeline may need."""

    retryable: ClassVar[bool] = False  # the server's setting must change first


def check_packet(max_allowed_packet: int) -> None:
    """Refuse a server whose packet cannot hold the largest statement a row may need.

    The rows are bounded for a 16 MiB packet (``tables/limits.py``). On a smaller one, a row
    within that bound would end in "MySQL server has gone away" and lose its whole chunk, so
    no connection is made instead.
    """
    if max_allowed_packet < REQUIRED_PACKET_BYTES:
        raise PacketTooSmallError(
            f"the MySQL server's max_allowed_packet is {max_allowed_packet} bytes; zartsalgo "
            f"needs at least {REQUIRED_PACKET_BYTES} (the default of MariaDB 10.6+ and MySQL "
            "8.0): set max_allowed_packet=16M or more in the server's configuration"
        )


def _mysql_session(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("SELECT @@max_allowed_packet")
    check_packet(int(cursor.fetchone()[0]))
    modes = ", ".join(f"'{mode}'" for mode in STRICT_MODES)
    cursor.execute(f"SET SESSION sql_mode = CONCAT_WS(',', @@SESSION.sql_mode, {modes})")
    # Every chunk looks up its ids and hashes with IN lists of thousands of values. MariaDB
    # turns an IN list of 1,000+ values into a join with a derived table, and beyond
    # eq_range_index_dive_limit (200) values both servers guess costs from index statistics;
    # either way the plan scanned every stored row of the provider per chunk: 0.16-0.2 s per
    # chunk at 300k stored rows, growing with the table. A range read with one index dive per
    # value takes 0.04 s, whatever the table size.
    cursor.execute("SET SESSION eq_range_index_dive_limit = 0")  # 0 = always dive
    if "mariadb" in str(connection.get_server_info()).lower():
        cursor.execute("SET SESSION in_predicate_conversion_threshold = 0")  # 0 = never convert
    cursor.close()


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the UI, sensors) never block a sync
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def mask_url(url: str | sa.URL) -> str:
    """The URL with its password hidden, safe for logs and metadata."""
    return make_url(url).render_as_string(hide_password=True)
