"""Scenario: a sync is killed with SIGKILL (its whole process group) at a known point, on SQLite
and MySQL: mid-ingest of an export after two committed chunks (plain Python, and a real run of
the `<key>_sync` job), inside the second group of webhook deliveries, and mid-extract of a REST
source after two landed pages.

Right after the kill the work is stuck exactly as a crash leaves it (a `running`/`extracting`
batch, claimed deliveries, a landing folder, a connection that says `connected`, no alert).
The sweep (run on its own, or by the next sync) fails the batch with the reason, gives back its
claims, removes its landing folder and opens one `stuck_batch` incident; the next sync then
completes the work exactly once (rows accounted, no duplicate records, every delivery
processed once) and resolves the incident.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.incidents.alerts import open_alerts
from zartsalgo_pipelines.incidents.kinds import STUCK_BATCH
from zartsalgo_pipelines.pipeline.api_extract import extract_api
from zartsalgo_pipelines.pipeline.deliveries import process_deliveries, store_delivery
from zartsalgo_pipelines.pipeline.landing import landing_dir
from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.pipeline.sweep import sweep_stuck_batches
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.queries import connection_status
from zartsalgo_pipelines_tests import crash_child
from zartsalgo_pipelines_tests.fake_api import FakeApi, crm_spec
from zartsalgo_pipelines_tests.helpers import count, quote

DEADLINE_SECONDS = 120


def wait_for(condition: Callable[[], bool], child: subprocess.Popen[bytes], what: str) -> None:
    """Poll ``condition`` until it holds; fail if the child exits first or the deadline passes."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if child.poll() is not None:
            _, err = child.communicate()
            pytest.fail(f"child exited ({child.returncode}) before {what}: {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {DEADLINE_SECONDS} s")
        time.sleep(0.05)  # between polls only: the condition, not the pause, decides


@pytest.fixture
def start_child(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    children: list[subprocess.Popen[bytes]] = []

    def start(mode: str, db_url: str, spec: ProviderSpec, *args: str) -> subprocess.Popen[bytes]:
        spec_file = tmp_path / f"spec-{len(children)}.json"
        spec_file.write_text(spec.model_dump_json(), encoding="utf-8")
        child = subprocess.Popen(
            [sys.executable, "-m", crash_child.__name__, mode, db_url, str(spec_file), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, killed whole
        )
        children.append(child)
        return child

    yield start
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def kill_tree(child: subprocess.Popen[bytes]) -> None:
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()  # reaped: the pid is gone, as after any crash
    assert child.returncode == -signal.SIGKILL


def batches(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT id, status, rows_total, finished_at, error, token, owner_pid "
                "FROM data_import_batches ORDER BY id"
            )
        ).all()


def stuck_alerts(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [a for a in open_alerts(conn, "quote_request") if a["kind"] == STUCK_BATCH] + [
            a for a in open_alerts(conn, "crm_deals") if a["kind"] == STUCK_BATCH
        ]


def status_of(engine: sa.Engine, key: str) -> str | None:
    with engine.connect() as conn:
        return connection_status(conn, key)


def assert_stuck(engine: sa.Engine, key: str, status: str) -> Any:
    """What a crash leaves before any sweep: the reason this work exists."""
    stuck = batches(engine)[-1]
    assert stuck.status == status and stuck.finished_at is None and stuck.error is None
    assert status_of(engine, key) == "connected" and not stuck_alerts(engine)
    return stuck


def assert_swept(engine: sa.Engine, key: str, stuck: Any, alert_open: bool) -> None:
    after = next(b for b in batches(engine) if b.id == stuck.id)
    assert after.status == "failed" and after.finished_at is not None
    assert f"pid {stuck.owner_pid}" in after.error and "gone" in after.error
    assert not landing_dir(key, stuck.id, stuck.token).exists()
    with engine.connect() as conn:
        last_error = conn.execute(
            sa.text("SELECT last_error FROM integration_connections WHERE provider_key = :k"),
            {"k": key},
        ).scalar_one()
    if alert_open:  # the next successful batch resolves it (and clears the error)
        assert f"pid {stuck.owner_pid}" in last_error
        (alert,) = stuck_alerts(engine)
        assert f"batch {stuck.id}" in alert["message"]
        assert status_of(engine, key) == "degraded"


@pytest.fixture
def file_spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    return make_spec(source={"kind": "file", "path": "*.jsonl", "format": "jsonl"}, chunk_size=50)


@pytest.mark.parametrize("how", ["sweep", "next sync"])
def test_a_killed_ingest_is_failed_and_the_next_sync_completes_it_once(
    db_url, engine, file_spec, write_export, start_child, how
) -> None:
    folder = write_export([quote(n) for n in range(1, 301)])
    child = start_child("file", db_url, file_spec, str(folder))
    committed = 2 * 50  # the child stops inside chunk 3 (crash_child.STOP_AFTER_ROWS = 120)
    wait_for(
        lambda: [(b.status, b.rows_total) for b in batches(engine)] == [("running", committed)],
        child,
        "a running batch with two committed chunks",
    )
    kill_tree(child)
    stuck = assert_stuck(engine, "quote_request", "running")
    assert landing_dir("quote_request", stuck.id, stuck.token).exists()

    if how == "sweep":
        (swept,) = sweep_stuck_batches(engine, file_spec)
        assert swept.batch_id == stuck.id
        assert sweep_stuck_batches(engine, file_spec) == []  # once
    extract = extract_files(engine, file_spec, folder)
    assert_swept(engine, "quote_request", stuck, alert_open=True)
    review = process_extract(engine, file_spec, extract.batch_id)

    assert review.status == "succeeded" and review.adds_up and review.rows_total == 300
    assert (review.rows_duplicate, review.rows_created) == (committed, 300 - committed)
    assert count(engine, "quote_requests") == 300
    with engine.connect() as conn:
        distinct = conn.execute(
            sa.text("SELECT COUNT(DISTINCT external_id) FROM quote_requests")
        ).scalar_one()
    assert distinct == 300
    assert count(engine, "integration_object_links") == 300
    assert not stuck_alerts(engine)  # resolved by the batch that succeeded
    assert status_of(engine, "quote_request") == "connected"


@pytest.fixture
def webhook_spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    shipped = make_spec()
    assert shipped.webhook is not None
    return shipped.model_copy(
        update={"webhook": shipped.webhook.model_copy(update={"batch_size": 100})}
    )


def push_deliveries(engine: sa.Engine, spec: ProviderSpec, how_many: int) -> None:
    for n in range(1, how_many + 1):
        body = json.dumps({"type": "quote_request.created", "data": quote(n)}).encode()
        assert store_delivery(engine, spec.key, f"msg-{n:04d}", body)


@pytest.mark.parametrize("how", ["sweep", "next sync"])
def test_a_killed_webhook_ingest_gives_its_claims_back_and_each_delivery_is_processed_once(
    db_url, engine, webhook_spec, start_child, how
) -> None:
    push_deliveries(engine, webhook_spec, 500)
    child = start_child("webhooks", db_url, webhook_spec)

    def second_group_claimed() -> bool:
        states = [(b.status, b.rows_total) for b in batches(engine)]
        held = count(engine, "integration_webhook_deliveries", "WHERE batch_id IS NOT NULL")
        return states == [("succeeded", 100), ("running", 0)] and held == 200

    wait_for(second_group_claimed, child, "a running second group of 100 claimed deliveries")
    kill_tree(child)
    stuck = assert_stuck(engine, "quote_request", "running")
    claimed_by_dead = f"WHERE batch_id = {stuck.id}"
    assert count(engine, "integration_webhook_deliveries", claimed_by_dead) == 100

    if how == "sweep":
        (swept,) = sweep_stuck_batches(engine, webhook_spec)
        assert swept.released_deliveries == 100
        assert count(engine, "integration_webhook_deliveries", "WHERE batch_id IS NULL") == 400
        assert_swept(engine, "quote_request", stuck, alert_open=True)
    reviews = process_deliveries(engine, webhook_spec)
    assert_swept(engine, "quote_request", stuck, alert_open=False)

    assert [r.rows_total for r in reviews] == [100, 100, 100, 100]
    assert all(r.status == "succeeded" and r.adds_up for r in reviews)
    assert count(engine, "integration_webhook_deliveries", "WHERE processed_at IS NULL") == 0
    with engine.connect() as conn:
        per_delivery = conn.execute(
            sa.text(
                "SELECT d.delivery_id, COUNT(r.row_number) FROM integration_webhook_deliveries d "
                "JOIN data_import_batches b ON b.id = d.batch_id AND b.status = 'succeeded' "
                "JOIN data_import_rows r ON r.batch_id = d.batch_id AND r.source_position = d.id "
                "GROUP BY d.delivery_id"
            )
        ).all()
    assert len(per_delivery) == 500 and {n for _, n in per_delivery} == {1}
    assert count(engine, "quote_requests") == 500
    assert count(engine, "data_import_rows", f"WHERE batch_id = {stuck.id}") == 0
    assert not stuck_alerts(engine)


@pytest.mark.parametrize("how", ["sweep", "next sync"])
def test_a_killed_api_extract_loses_its_partial_landing_and_the_next_sync_reads_it_all(
    db_url, engine, api: FakeApi, start_child, how
) -> None:
    spec = crm_spec(api)
    child = start_child("api", db_url, spec)

    def two_pages_landed() -> bool:
        rows = batches(engine)
        if [b.status for b in rows] != ["extracting"]:
            return False
        folder = landing_dir(spec.key, rows[0].id, rows[0].token)
        return folder.exists() and len(list(folder.iterdir())) == crash_child.STOP_AFTER_PAGES

    wait_for(two_pages_landed, child, "an extracting batch with two landed pages")
    kill_tree(child)
    stuck = assert_stuck(engine, spec.key, "extracting")

    if how == "sweep":
        assert [b.batch_id for b in sweep_stuck_batches(engine, spec)] == [stuck.id]
    extract = extract_api(engine, spec)
    assert_swept(engine, spec.key, stuck, alert_open=True)
    review = process_extract(engine, spec, extract.batch_id)
    assert extract.pages == 3 and review.rows_total == 7 and review.adds_up
    assert count(engine, "crm_deals") == 3
    assert count(engine, "data_import_rows") == 7


def test_a_killed_dagster_run_is_swept_by_the_run_health_sensor(
    db_url, engine, file_spec, write_export, start_child, tmp_path
) -> None:
    """The whole run's process tree dies: Dagster still thinks the run is going (nobody marked
    it), so the batch's process decides; the sensor sweeps it and the next run completes it."""
    import dagster as dg

    from zartsalgo_pipelines.factory.provider_defs import build_provider_defs
    from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase

    folder = write_export([quote(n) for n in range(1, 301)])
    home = tmp_path / "dagster_home"
    home.mkdir()
    resources = {RESOURCE_KEY: ZartsalgoDatabase(url=db_url)}
    defs = dg.Definitions.merge(
        build_provider_defs(file_spec, folder), dg.Definitions(resources=resources)
    )
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        child = start_child("dagster", db_url, file_spec, str(folder), str(home))
        wait_for(
            lambda: [(b.status, b.rows_total) for b in batches(engine)] == [("running", 100)],
            child,
            "a running batch of a Dagster run with two committed chunks",
        )
        kill_tree(child)
        stuck = assert_stuck(engine, "quote_request", "running")
        with engine.connect() as conn:
            run_id = conn.execute(sa.text("SELECT run_id FROM data_import_batches")).scalar_one()
        run = instance.get_run_by_id(run_id)
        assert run is not None and not run.is_finished  # Dagster alone cannot tell

        sensor = defs.resolve_sensor_def("quote_request_run_health")
        result = sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(result, dg.SensorResult) and result.skip_reason is not None
        assert f"swept stuck batches [{stuck.id}]" in result.skip_reason.skip_message
        assert_swept(engine, "quote_request", stuck, alert_open=True)

        again = defs.resolve_job_def("quote_request_sync").execute_in_process(instance=instance)
    assert again.success
    with engine.connect() as conn:
        last = conn.execute(
            sa.text(
                "SELECT status, rows_total, rows_created, rows_duplicate FROM data_import_batches "
                "ORDER BY id DESC"
            )
        ).first()
    assert tuple(last) == ("succeeded", 300, 200, 100)
    assert count(engine, "quote_requests") == 300
    assert not stuck_alerts(engine)


def test_a_killed_run_is_marked_failed_and_gives_its_pool_slot_back(
    db_url, engine, api: FakeApi, start_child, tmp_path
) -> None:
    """A run killed inside a REST provider's extract held the provider's pool slot: Dagster
    kept the run STARTED and every later extract logged "blocked by limit for pool" for good.
    The run-health sensor, finding the run's processes gone, marks it failed and frees the
    slot, and the next sync runs."""
    import dagster as dg

    from zartsalgo_pipelines.factory.provider_defs import build_provider_defs
    from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase

    spec = crm_spec(api)
    home = tmp_path / "dagster_home"
    home.mkdir()
    resources = {RESOURCE_KEY: ZartsalgoDatabase(url=db_url)}
    defs = dg.Definitions.merge(
        build_provider_defs(spec, tmp_path), dg.Definitions(resources=resources)
    )
    pools = {"concurrency": {"pools": {"default_limit": 1, "granularity": "op"}}}
    with dg.instance_for_test(overrides=pools, temp_dir=str(home)) as instance:
        child = start_child("dagster", db_url, spec, str(tmp_path), str(home))

        def two_pages_landed() -> bool:
            rows = batches(engine)
            if [b.status for b in rows] != ["extracting"]:
                return False
            folder = landing_dir(spec.key, rows[0].id, rows[0].token)
            return folder.exists() and len(list(folder.iterdir())) == crash_child.STOP_AFTER_PAGES

        wait_for(two_pages_landed, child, "an extract holding the pool, two pages landed")
        kill_tree(child)
        with engine.connect() as conn:
            run_id = conn.execute(sa.text("SELECT run_id FROM data_import_batches")).scalar_one()
        slots = instance.event_log_storage.get_concurrency_info(spec.key)
        assert slots.active_run_ids == {run_id}  # the dead run holds the provider's slot

        sensor = defs.resolve_sensor_def(f"{spec.key}_run_health")
        result = sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(result, dg.SensorResult) and result.skip_reason is not None
        assert f"marked failed runs ['{run_id}']" in result.skip_reason.skip_message
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.FAILURE
        assert not instance.event_log_storage.get_concurrency_info(spec.key).active_run_ids
        again = defs.resolve_job_def(f"{spec.key}_sync").execute_in_process(
            instance=instance, raise_on_error=False
        )
    # The next sync's extract took the slot and read every page (3 of the fake API's 7 deals
    # map; the rest fail and hold client_metrics back, as they should).
    assert {"raw_extract", "mapped_records"} <= {
        e.asset_key.path[-1] for e in again.get_asset_materialization_events()
    }
    assert count(engine, "crm_deals") == 3
