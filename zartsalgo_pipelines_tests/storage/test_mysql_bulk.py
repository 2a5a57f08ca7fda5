"""The MySQL bulk path round-trips every value the pipeline writes: NULL and the empty string
stay apart, and backslashes, tabs, newlines, quotes, a literal `\\N` and non-ASCII text come
back byte for byte, through both the direct load and the staged upsert."""

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.storage import mysql_bulk
from zartsalgo_pipelines.storage.engine import create_engine
from zartsalgo_pipelines.storage.upsert import NEW, insert_many, upsert

pytestmark = pytest.mark.mysql

TRICKY = [
    None,
    "",
    "plain",
    "back\\slash",
    "tab\there",
    "new\nline",
    "carriage\r\nreturn",
    '"quoted", with comma',
    "\\N",
    "\\\\N",
    "ends with backslash\\",
    "Zoë ❄️ 漢字",
    "\\t literally",
]

metadata = sa.MetaData()
scratch = sa.Table(
    "zt_bulk_scratch",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("text", sa.Text),
    sa.Column("label", sa.String(100)),
    sa.Column("payload", sa.JSON),
    sa.Column("flag", sa.Boolean),
    sa.Column("amount", sa.Numeric(14, 2)),
    sa.Column("at", sa.DateTime),
    sa.Column("day", sa.Date),
)


@pytest.fixture
def engine(mysql_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(mysql_url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


def rows(count: int, offset: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "id": offset + n,
            "text": TRICKY[n % len(TRICKY)],
            "label": None if n % 3 == 0 else f"label {n}",
            "payload": json.dumps({"n": n, "text": TRICKY[n % len(TRICKY)]}, ensure_ascii=False),
            "flag": [True, False, None][n % 3],
            "amount": None if n % 4 == 0 else Decimal(f"{n}.25"),
            "at": dt.datetime(2026, 11, 16, 10, 0, n % 60),
            "day": dt.date(2026, 11, 1 + n % 28),
        }
        for n in range(count)
    ]


def stored(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(scratch).order_by(scratch.c.id)).mappings()]


def test_direct_load_round_trips_every_value(engine: sa.Engine) -> None:
    written = rows(mysql_bulk.BULK_MIN_ROWS + 50)  # above the threshold: the LOAD DATA path
    with engine.begin() as conn:
        insert_many(conn, scratch, written)
    back = stored(engine)
    for row in back:
        row["payload"] = json.dumps(row["payload"], ensure_ascii=False)
    assert back == written


def test_staged_upsert_round_trips_and_updates(engine: sa.Engine) -> None:
    first = rows(mysql_bulk.BULK_MIN_ROWS + 10)
    with engine.begin() as conn:
        insert_many(conn, scratch, first)
    changed = [r | {"text": f"{r['text']}\tv2" if r["text"] is not None else None} for r in first]
    with engine.begin() as conn:
        upsert(conn, scratch, changed, key=["id"], update={"text": NEW})
    assert [r["text"] for r in stored(engine)] == [r["text"] for r in changed]


def test_a_short_load_raises_instead_of_losing_rows(engine: sa.Engine) -> None:
    """A LOCAL load skips a row whose key exists and only warns; the count catches it."""
    written = rows(mysql_bulk.BULK_MIN_ROWS + 5)
    with engine.begin() as conn:
        insert_many(conn, scratch, written[:1])
    short = pytest.raises(mysql_bulk.ShortLoadError, match=r"stored 204 of 205 rows: 1062 Dup")
    with short, engine.begin() as conn:
        insert_many(conn, scratch, written)
    assert [r["id"] for r in stored(engine)] == [0]  # the whole load rolled back
