"""Scenario: which batches the crash sweep fails, and what a swept batch can still do, on SQLite
and MySQL; landing folders keyed by a batch token, with two databases and one data folder.

- A batch whose owner lives is left alone; one whose process on this host is gone (or whose pid
  now names another process), whose Dagster run has ended, or whose heartbeat is older than
  `batch_timeout_minutes` is failed with that reason; another host's process is not judged.
- A live run whose batch was swept (timed out) cannot write another chunk into it.
- Two databases sharing a data folder land their batch 1 in different folders, and each maps
  only its own export; an existing landing folder is refused, never reused.
"""

import datetime as dt
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.owners import BatchOwner, process_is_alive, process_start
from zartsalgo_pipelines.pipeline.landing import LandingExistsError, create_landing_dir, landing_dir
from zartsalgo_pipelines.pipeline.run import (
    extract_files,
    ingest_rows,
    open_direct_batch,
    process_extract,
)
from zartsalgo_pipelines.pipeline.sweep import sweep_stuck_batches
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import batches as store
from zartsalgo_pipelines.storage.connections import register_provider, utcnow
from zartsalgo_pipelines.storage.engine import create_engine
from zartsalgo_pipelines.storage.import_batches import BatchLostError, open_batch
from zartsalgo_pipelines.storage.migrate import upgrade_head
from zartsalgo_pipelines_tests.helpers import count, quote


def ended_pid() -> int:
    """The pid of a process that ran on this host and has ended (and was reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


ME = BatchOwner.this_process()
CASES: list[tuple[str, Callable[[], BatchOwner], bool | None, float, str | None]] = [
    # name, owner, what the run-liveness callable says (None: no callable), hours since the
    # heartbeat, the reason expected (None: not swept)
    ("owner alive", lambda: ME, None, 0, None),
    ("process gone", lambda: BatchOwner(None, ME.host, ended_pid(), None), None, 0, "is gone"),
    ("pid reused", lambda: BatchOwner(None, ME.host, ME.pid, "1"), None, 0, "is gone"),
    ("run alive", lambda: BatchOwner("r1", "elsewhere", 1, None), True, 0, None),
    ("run ended", lambda: BatchOwner("r1", "elsewhere", 1, None), False, 0, "run r1 has ended"),
    ("run unknown here", lambda: BatchOwner("r1", "elsewhere", 1, None), None, 0, None),
    ("other host", lambda: BatchOwner(None, "elsewhere", ended_pid(), None), None, 0, None),
    ("timed out", lambda: ME, None, 2.5, "no progress for 150 min (batch_timeout_minutes: 60)"),
]


@pytest.fixture
def spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    return make_spec(source={"kind": "file", "path": "*.jsonl", "format": "jsonl"}, chunk_size=4)


def age_heartbeat(engine: sa.Engine, batch_id: int, hours: float) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE data_import_batches SET heartbeat_at = :t WHERE id = :id"),
            {"t": utcnow() - dt.timedelta(hours=hours), "id": batch_id},
        )


@pytest.mark.parametrize(
    ("owner", "run_alive", "hours", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_sweep_fails_exactly_the_batches_whose_owner_is_dead_or_silent(
    engine, spec, owner, run_alive, hours, reason
) -> None:
    with engine.begin() as conn:
        register_provider(conn, spec)
        batch_id = open_batch(
            conn, spec, source_kind="file", source_ref="x", status="extracting", owner=owner()
        )
    age_heartbeat(engine, batch_id, hours)
    alive = None if run_alive is None else (lambda run_id: run_alive)
    swept = sweep_stuck_batches(engine, spec, run_is_alive=alive)
    with engine.connect() as conn:
        status, error = conn.execute(
            sa.text("SELECT status, error FROM data_import_batches WHERE id = :id"),
            {"id": batch_id},
        ).one()
    if reason is None:
        assert (swept, status, error) == ([], "extracting", None)
    else:
        assert [s.batch_id for s in swept] == [batch_id]
        assert status == "failed" and reason in error
        assert count(engine, "incident_alerts", "WHERE kind = 'stuck_batch'") == 1


def test_a_timed_out_batch_takes_no_more_writes_from_its_live_run(engine, spec) -> None:
    batch_id = open_direct_batch(engine, spec, "manual", "slow source")

    def slow_source() -> Iterator[SourceRow]:
        for n in range(1, 5):
            yield SourceRow("slow", n, quote(n))
        # Chunk 1 is written by the writer thread; once it is committed the run goes silent
        # for longer than the timeout and the sweep (another run's) fails the batch.
        deadline = time.monotonic() + 60
        while count(engine, "data_import_rows") < 4:
            assert time.monotonic() < deadline, "chunk 1 was never committed"
            time.sleep(0.02)
        age_heartbeat(engine, batch_id, 2)
        assert [b.batch_id for b in sweep_stuck_batches(engine, spec)] == [batch_id]
        for n in range(5, 9):
            yield SourceRow("slow", n, quote(n))

    with pytest.raises(BatchLostError, match="no longer running"):
        ingest_rows(engine, spec, batch_id, slow_source())
    with engine.connect() as conn:
        status, total, error = conn.execute(
            sa.text("SELECT status, rows_total, error FROM data_import_batches")
        ).one()
    assert status == "failed" and total == 4 and "no progress" in error  # the sweep's reason
    assert count(engine, "data_import_rows") == count(engine, "quote_requests") == 4


@pytest.fixture
def other_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    url = f"sqlite:///{tmp_path / 'other' / 'zartsalgo.sqlite'}"
    upgrade_head(url)
    engine = create_engine(url)
    yield engine
    engine.dispose()


def test_two_databases_sharing_a_data_folder_never_share_a_landing_folder(
    engine, other_engine, spec, write_export, tmp_path, data_dir
) -> None:
    ours = write_export([quote(n) for n in range(1, 6)])
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "export.jsonl").write_text((ours / "export.jsonl").read_text().split("\n")[0] + "\n")
    first = extract_files(engine, spec, ours)
    if first.batch_id > 1:  # MySQL keeps counting across tests: give SQLite the same next id
        placeholder = open_direct_batch(other_engine, spec, "manual", "placeholder")
        with other_engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE data_import_batches SET id = :id, status = 'failed' WHERE id = :p"),
                {"id": first.batch_id - 1, "p": placeholder},
            )
    second = extract_files(other_engine, spec, theirs)
    assert first.batch_id == second.batch_id  # the same id in each database
    assert first.landing != second.landing
    assert {p.parent for p in (first.landing, second.landing)} == {data_dir / "landing" / spec.key}
    assert process_extract(other_engine, spec, second.batch_id).rows_total == 1
    assert process_extract(engine, spec, first.batch_id).rows_total == 5
    assert count(other_engine, "quote_requests") == 1 and count(engine, "quote_requests") == 5
    with engine.connect() as conn:
        token = conn.execute(sa.text("SELECT token FROM data_import_batches")).scalar_one()
    assert first.landing.name == f"batch-{first.batch_id}-{token}"


def test_an_existing_landing_folder_is_refused_and_kept(tmp_path) -> None:
    folder = tmp_path / "landing" / "quote_request" / "batch-1-abc"
    folder.mkdir(parents=True)
    (folder / "page-000001.jsonl").write_text("{}\n")
    with pytest.raises(LandingExistsError, match=r"batch-1-abc exists already; .* never reused"):
        create_landing_dir(folder)
    assert (folder / "page-000001.jsonl").read_text() == "{}\n"
    assert create_landing_dir(folder.parent / "batch-2-def").is_dir()


def test_a_killed_process_not_yet_reaped_is_dead() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    started = process_start(child.pid)
    assert process_is_alive(child.pid, started)
    child.kill()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline, "the killed child never became a zombie"
        time.sleep(0.01)
    assert not process_is_alive(child.pid, started)  # a zombie never writes again
    child.wait()
    assert not process_is_alive(child.pid, started)


def test_a_batch_that_moved_since_the_sweep_looked_is_not_failed(engine, spec) -> None:
    batch_id = open_direct_batch(engine, spec, "manual", "moving")
    with engine.connect() as conn:
        (seen,) = store.active_batches(conn, spec.key)
    age_heartbeat(engine, batch_id, -1)  # the owner made progress meanwhile
    with engine.begin() as conn:
        moved = store.fail_if_unchanged(
            conn, spec.key, batch_id, "running", seen["heartbeat_at"], "stuck", utcnow()
        )
    assert not moved
    with engine.begin() as conn:
        (now_seen,) = store.active_batches(conn, spec.key)
        assert store.fail_if_unchanged(
            conn, spec.key, batch_id, "running", now_seen["heartbeat_at"], "stuck", utcnow()
        )


def test_batches_landed_before_tokens_keep_their_folder_name() -> None:
    assert landing_dir("quote_request", 7, None).name == "batch-7"
    assert landing_dir("quote_request", 7, "ab12").name == "batch-7-ab12"
