"""Scenario: the columnar mapping path stores exactly what the row path stores, row for row.

The same exports go through both paths (``ZARTSALGO_MAPPING_PATH`` = ``rows`` and
``columnar``) into two fresh databases of the same kind, SQLite or MySQL, each export twice
(a re-run: duplicates and known failures), and every table of both databases is compared row
for row: outcomes, reasons, dead letters, records, external objects and payloads, versions,
links, counters, and the ids, which both databases assign in the same order. Only what the
clock, the process or chance gives differs and is left out: timestamps of when something was
written (``CLOCK``), the batch's random landing token and its owner (host, pid, run).

The exports: the shipped sample (the demo export of the example day), the hostile corpus of
``test_hostile_input.py`` (each of its rows among plain ones), the Google Ads sample (facts),
and hypothesis-generated exports (``test_properties.py``'s records: any id, text, number,
time), in small chunks and above MySQL's bulk threshold.
"""

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from zartsalgo_pipelines.mapping.apply import FieldMap
from zartsalgo_pipelines.pipeline.run import (
    extract_files,
    ingest_rows,
    open_direct_batch,
    process_extract,
)
from zartsalgo_pipelines.samples.ads import ad_rows
from zartsalgo_pipelines.samples.demo import EXAMPLE_DAY
from zartsalgo_pipelines.settings import MAPPING_PATH_ENV, mapping_path
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import mysql_bulk
from zartsalgo_pipelines.storage.admin import create_database, drop_database
from zartsalgo_pipelines.storage.engine import create_engine
from zartsalgo_pipelines.storage.migrate import upgrade_head
from zartsalgo_pipelines.tables import Base
from zartsalgo_pipelines_tests.ads import shipped_ads
from zartsalgo_pipelines_tests.conftest import MYSQL_SERVER_URL, SHIPPED_SPEC
from zartsalgo_pipelines_tests.helpers import quote
from zartsalgo_pipelines_tests.pipeline.test_hostile_input import HOSTILE
from zartsalgo_pipelines_tests.pipeline.test_properties import PROFILE, records

# When a row was written, not what it holds: the clock's, different in every run.
CLOCK = {
    "created_at",
    "updated_at",
    "first_seen_at",
    "last_seen_at",
    "started_at",
    "finished_at",
    "heartbeat_at",
    "first_failed_at",
    "last_failed_at",
    "linked_at",
    "computed_at",
    "received_at",
    "processed_at",
    "revised_at",
    "last_successful_sync_at",
    "opened_at",
    "resolved_at",
    "last_checked_at",
    "due_at",
    "decided_at",
    "marked_at",
    "refreshed_at",
}
# A batch's random landing token and the process that held it.
CHANCE = {"token", "run_id", "owner_host", "owner_pid", "owner_pid_start"}
PATHS = ("rows", "columnar")


@pytest.fixture(scope="session")
def sqlite_twin_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('twin') / 'columnar.sqlite'}"
    upgrade_head(url)
    return url


@pytest.fixture(scope="session")
def mysql_twin_url(mysql_url: str) -> Iterator[str]:
    """A second database on the server of ``mysql_url`` (which is made first, or skipped)."""
    server = sa.engine.make_url(MYSQL_SERVER_URL)
    name = f"zt_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.render_as_string(hide_password=False))
    create_database(admin, name)
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade_head(url)
    yield url
    drop_database(admin, name)
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def twins(request: pytest.FixtureRequest) -> Iterator[dict[str, sa.Engine]]:
    """Two empty databases of one kind: one for each mapping path."""
    urls = {
        "rows": request.getfixturevalue(f"{request.param}_url"),
        "columnar": request.getfixturevalue(f"{request.param}_twin_url"),
    }
    engines = {path: create_engine(url) for path, url in urls.items()}
    for engine in engines.values():
        _empty(engine)
    yield engines
    for engine in engines.values():
        engine.dispose()


def _empty(engine: sa.Engine) -> None:
    """Empty tables whose ids start again at 1: the session's databases served other tests
    (SQLite's rowids start again by themselves; MySQL's AUTO_INCREMENT is set back)."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        if conn.dialect.name == "sqlite":
            return
        for table in Base.metadata.sorted_tables:
            if table.autoincrement_column is not None:
                conn.execute(sa.text(f"ALTER TABLE {table.name} AUTO_INCREMENT = 1"))


def tables(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in key order, without the clock's and chance's columns."""
    found = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            kept = [c for c in table.columns if c.name not in CLOCK | CHANCE]
            order = list(table.primary_key.columns) or kept
            found[table.name] = [tuple(r) for r in conn.execute(sa.select(*kept).order_by(*order))]
    return found


def assert_same_tables(twins: dict[str, sa.Engine]) -> None:
    rows, columnar = (tables(twins[path]) for path in PATHS)
    for name, expected in rows.items():
        got = columnar[name]
        for number, (want, have) in enumerate(zip(expected, got, strict=False)):
            assert have == want, f"{name} row {number}: columnar {have!r} != rows {want!r}"
        assert len(got) == len(expected), f"{name}: {len(got)} rows != {len(expected)}"
    assert any(rows.values()), "nothing was stored: the comparison proves nothing"


def sync_both(
    twins: dict[str, sa.Engine],
    monkeypatch: pytest.MonkeyPatch,
    spec: ProviderSpec,
    folder: Path,
    runs: int = 2,
) -> None:
    """Land and map ``folder``'s export ``runs`` times on each path, through the setting."""
    for path in PATHS:
        monkeypatch.setenv(MAPPING_PATH_ENV, path)
        for _ in range(runs):
            extract = extract_files(twins[path], spec, folder)
            process_extract(twins[path], spec, extract.batch_id)
    monkeypatch.delenv(MAPPING_PATH_ENV)


def ingest_both(twins: dict[str, sa.Engine], spec: ProviderSpec, rows: list[SourceRow]) -> int:
    """Map ``rows`` twice on each path, as direct batches; returns the rows the columnar path
    took itself (the rest it handed to the row path)."""
    taken = 0
    for path in PATHS:
        for _ in range(2):
            field_map = FieldMap(spec, columnar=path == "columnar")
            batch = open_direct_batch(twins[path], spec, "manual", "differential")
            ingest_rows(twins[path], spec, batch, rows, field_map=field_map)
            taken += field_map.columnar_rows
    return taken


def test_the_shipped_sample_is_stored_the_same_on_both_paths(
    twins: dict[str, sa.Engine],
    make_spec: Callable[..., ProviderSpec],
    shipped_sample: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sync_both(twins, monkeypatch, make_spec(chunk_size=200), SHIPPED_SPEC.parent)
    assert_same_tables(twins)


@pytest.mark.parametrize("plain", [4, mysql_bulk.BULK_MIN_ROWS + 20], ids=["small", "bulk"])
def test_the_hostile_corpus_is_stored_the_same_on_both_paths(
    twins: dict[str, sa.Engine],
    make_spec: Callable[..., ProviderSpec],
    write_export: Callable[[list[Any], str], Path],
    monkeypatch: pytest.MonkeyPatch,
    plain: int,
) -> None:
    export: list[Any] = [quote(n) for n in range(1, plain + 1)]
    for number, (_case, changes, *_rest) in enumerate(HOSTILE, start=plain + 1):
        export.insert(len(export) // 2, quote(number, **changes))
    export += ["not json at all", "[1, 2]", quote(1), quote(2, status="won")]
    spec = make_spec(source={"kind": "file", "path": "*.jsonl", "format": "jsonl"}, chunk_size=7)
    sync_both(twins, monkeypatch, spec, write_export(export))
    assert_same_tables(twins)


def test_the_ads_sample_facts_are_stored_the_same_on_both_paths(
    twins: dict[str, sa.Engine],
) -> None:
    sent = ad_rows(EXAMPLE_DAY)[:300]
    sent[10] = sent[10] | {"metrics": {"clicks": -1}}
    rows = [SourceRow("ads.jsonl", n, r) for n, r in enumerate(sent, start=1)]
    spec = shipped_ads().model_copy(update={"chunk_size": 120})
    assert ingest_both(twins, spec, rows) > 0
    assert_same_tables(twins)


@pytest.mark.parametrize("bulk", [False, True], ids=["small_chunks", "bulk_chunks"])
def test_any_export_is_stored_the_same_on_both_paths(
    twins: dict[str, sa.Engine], make_spec: Callable[..., ProviderSpec], bulk: bool
) -> None:
    @settings(parent=PROFILE)
    @given(
        sent=st.lists(records(), min_size=1, max_size=12),
        chunk_size=st.sampled_from([2, 5, 1000]),
        casefold=st.booleans(),
    )
    def run(sent: list[dict[str, Any]], chunk_size: int, casefold: bool) -> None:
        if bulk:
            sent = [quote(90_000 + n) for n in range(mysql_bulk.BULK_MIN_ROWS)] + sent
        fields = [
            e.model_dump(exclude_none=True) | {"casefold": casefold and e.target == "external_id"}
            for e in make_spec().fields
        ]
        spec = make_spec(key=f"diff_{uuid.uuid4().hex[:8]}", chunk_size=chunk_size, fields=fields)
        rows = [SourceRow("export.jsonl", n, r) for n, r in enumerate(sent, start=1)]
        ingest_both(twins, spec, rows)
        assert_same_tables(twins)

    run()


def test_the_setting_names_its_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAPPING_PATH_ENV, "vectorised")
    with pytest.raises(ValueError, match="columnar, rows"):
        mapping_path()
    monkeypatch.setenv(MAPPING_PATH_ENV, "rows")
    assert mapping_path() == "rows"
