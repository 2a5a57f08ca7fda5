"""Engines for the embedded SQLite default and for MySQL, and URL masking for anything printed."""

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url


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
    # local_infile: bulk writes send CSV files with LOAD DATA LOCAL (storage/bulk_mysql.py).
    return sa.create_engine(parsed, pool_pre_ping=True, connect_args={"local_infile": True})


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the UI, sensors) never block a sync
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def mask_url(url: str | sa.URL) -> str:
    """The URL with its password hidden, safe for logs and metadata."""
    return make_url(url).render_as_string(hide_password=True)
