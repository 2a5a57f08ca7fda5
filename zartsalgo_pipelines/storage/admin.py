"""Server-level statements: making and dropping a scratch database, and a liveness probe."""

import re

import sqlalchemy as sa

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _checked(name: str) -> str:
    # A database name cannot be a bound parameter; only plain identifiers are spliced in.
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name


def create_database(admin: sa.Engine, name: str) -> None:
    """Create database ``name`` (utf8mb4) on the MySQL server ``admin`` is connected to."""
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {_checked(name)} CHARACTER SET utf8mb4"))


def drop_database(admin: sa.Engine, name: str) -> None:
    """Drop database ``name`` on the MySQL server ``admin`` is connected to."""
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE {_checked(name)}"))


def ping(engine: sa.Engine) -> None:
    """One round trip to the database; raises ``SQLAlchemyError`` when it is unreachable."""
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
