"""Each new external object is linked to its own record, whether the links come from the ids
the loads gave (MySQL, ids proven consecutive) or from the join by external id (ids not proven
consecutive: here ``auto_increment_increment = 2``, as a multi-primary cluster sets it)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.benchmark.throughput import load_spec
from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.samples.quote_request import generate_records, write_jsonl
from zartsalgo_pipelines.storage.engine import create_engine
from zartsalgo_pipelines.tables import Base
from zartsalgo_pipelines.tables.core import external_objects, links
from zartsalgo_pipelines.tables.records import QuoteRequest

pytestmark = pytest.mark.mysql
records = QuoteRequest.__table__


@pytest.fixture
def statements(mysql_url: str) -> Iterator[tuple[sa.Engine, list[str]]]:
    """An engine on the emptied MySQL test database, and every statement it runs."""
    engine = create_engine(mysql_url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    seen: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    yield engine, seen
    engine.dispose()


def first_load(engine: sa.Engine, folder: Path, rows: int, chunk_size: int) -> int:
    write_jsonl(generate_records(rows), folder / "quote_requests.jsonl")
    spec = load_spec(folder, chunk_size)
    review = process_extract(engine, spec, extract_files(engine, spec, folder).batch_id)
    return review.rows_created


def mismatched_links(conn: sa.Connection) -> int:
    """Links whose object and record are not the same provider object."""
    pairs = (
        sa.select(sa.func.count())
        .select_from(links)
        .join(external_objects, external_objects.c.id == links.c.external_object_id)
        .join(records, records.c.id == links.c.record_id)
        .where(
            (external_objects.c.external_id != records.c.external_id)
            | (external_objects.c.provider_key != records.c.provider_key)
        )
    )
    return conn.execute(pairs).scalar_one()


@pytest.mark.parametrize("increment", [1, 2])
def test_every_new_object_is_linked_to_its_own_record(
    statements: tuple[sa.Engine, list[str]], tmp_path: Path, increment: int
) -> None:
    engine, seen = statements

    @sa.event.listens_for(engine, "connect")
    def step(dbapi_connection: Any, _: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET SESSION auto_increment_increment = {increment}")

    engine.dispose()  # the connection that emptied the tables is pooled without the setting

    created = first_load(engine, tmp_path / "export", rows=1_500, chunk_size=500)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(links)).scalar_one() == created
        assert mismatched_links(conn) == 0
        linked = sa.select(links.c.external_object_id).scalar_subquery()
        unlinked = sa.select(sa.func.count()).where(external_objects.c.id.not_in(linked))
        assert conn.execute(unlinked).scalar_one() == 0
    loaded = [s for s in seen if s.startswith("LOAD DATA") and "`integration_object_links`" in s]
    joined = [s for s in seen if s.startswith("INSERT INTO integration_object_links")]
    # Three chunks of new objects: each linked from its ids, or each by the join.
    assert (len(loaded), len(joined)) == ((3, 0) if increment == 1 else (0, 3))
