"""Scenario: the production deployment runs as real processes on MariaDB and stops cleanly.

deploy/Procfile starts the code server (`dagster api grpc`), the webserver, one daemon and the
webhook receiver under honcho, with deploy/dagster.yaml (Dagster's storage in its own MariaDB
database, queued runs, pools) and deploy/workspace.yaml (the webserver and daemon reach the code
over gRPC). One stack serves every test in this module, in order:

- a provider sync launched through the webserver's GraphQL API succeeds; its run,
  materializations and check results are rows of the MySQL storage, and no stored event body
  comes near the 64 KB TEXT column;
- the daemon records a schedule tick and a sensor tick (the test's quote_request schedule is
  due every minute; it and the portal's hourly schedule are stopped afterwards with `dagster
  schedule stop`, and the daemon's state says so);
- two extract runs of one REST provider queued together: the second waits on the provider's
  pool while the first holds the (fake) API, and the API never sees two of them at once;
- with two Celery workers started by the test, the sync job on workers succeeds, every step ran
  in one of the workers, and the batch's accounting adds up;
- in chromium: each provider's asset group and lineage, "Materialize all" for quote_request
  launches a run that succeeds (screenshot in the test artifacts), and the daemon's
  `portal_follows_client_metrics` sensor runs the portal group after it;
- SIGTERM stops the whole stack (each service acknowledges it) and leaves no process behind.

Every wait ends on progress (``stack.wait_for``): a loaded machine makes this module slower,
never red. A killed test runner leaves nothing of its stack: ``test_killed_runner.py``.
"""

import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.factory.portal import FOLLOW_RUN_TAGS
from zartsalgo_pipelines.settings import DEFAULT_CELERY_BROKER_URL
from zartsalgo_pipelines.storage.import_batches import review
from zartsalgo_pipelines_tests.browser import artifacts_dir
from zartsalgo_pipelines_tests.conftest import MYSQL_SERVER_URL
from zartsalgo_pipelines_tests.deploy.stack import STALL_SECONDS, Stack, started_stack, wait_for

pytestmark = pytest.mark.mysql

# Dagster's event bodies live in 64 KB TEXT columns on MySQL; ours stay far below.
EVENT_BODY_BOUND = 16 * 1024
SYNC_ASSETS = ("raw_extract", "mapped_records", "dead_letter", "client_metrics")
UI_TIMEOUT_MS = int(STALL_SECONDS * 1000)  # a page that shows nothing for this long is stuck
PORTAL_ASSETS = ("portal_cards", "report_notes", "admin_tasks", "portal_preview")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _broker_up(url: str) -> bool:
    parsed = sa.engine.make_url(url.replace("pyamqp://", "mysql://", 1))
    try:
        with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 5672), 5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    admin = sa.engine.make_url(MYSQL_SERVER_URL)
    try:
        sa.create_engine(admin).connect().close()
    except sa.exc.OperationalError as error:
        _unavailable(f"MySQL-compatible server at {admin.host}:{admin.port} unreachable: {error}")
    root = tmp_path_factory.mktemp("stack")
    yield from started_stack(root, admin, DEFAULT_CELERY_BROKER_URL)


def _events(stack: Stack, run_id: str, kind: str) -> list[sa.Row[Any]]:
    return stack.dagster_sql(
        "SELECT step_key, asset_key, event FROM event_logs "
        "WHERE run_id = :run AND dagster_event_type = :kind",
        run=run_id,
        kind=kind,
    )


def test_a_sync_launched_through_graphql_is_stored_in_mysql(stack: Stack) -> None:
    stack.quiet("crm_deals")  # the stale-sync sensor's first run
    run_id = stack.launch("crm_deals_sync")
    assert stack.wait_for_run(run_id) == "SUCCESS", stack.tail()

    [(status,)] = stack.dagster_sql("SELECT status FROM runs WHERE run_id = :r", r=run_id)
    assert status == "SUCCESS"
    materialized = {row.asset_key for row in _events(stack, run_id, "ASSET_MATERIALIZATION")}
    # A provider's sync ends with the portal group refreshed.
    assert materialized == {f'["crm_deals", "{name}"]' for name in SYNC_ASSETS} | {
        f'["portal", "{name}"]' for name in PORTAL_ASSETS
    }
    checks = stack.dagster_sql(
        "SELECT check_name, execution_status FROM asset_check_executions WHERE run_id = :r",
        r=run_id,
    )
    assert {"rows_accounted", "every_failure_dead_lettered"} <= {c.check_name for c in checks}
    assert all(c.execution_status == "SUCCEEDED" for c in checks), checks


def test_no_stored_event_body_comes_near_mysql_text_limit(stack: Stack) -> None:
    [(largest_event,)] = stack.dagster_sql("SELECT MAX(LENGTH(event)) FROM event_logs")
    [(largest_check,)] = stack.dagster_sql(
        "SELECT MAX(LENGTH(evaluation_event)) FROM asset_check_executions"
    )
    assert 0 < largest_event < EVENT_BODY_BOUND
    assert 0 < largest_check < EVENT_BODY_BOUND


def test_the_daemon_records_schedule_and_sensor_ticks(stack: Stack) -> None:
    def ticks() -> set[str]:
        rows = stack.dagster_sql(
            "SELECT DISTINCT type FROM job_ticks WHERE status IN ('SUCCESS', 'SKIPPED')"
        )
        return {row.type for row in rows}

    def tick_count() -> int:
        return int(stack.dagster_sql("SELECT COUNT(*) FROM job_ticks")[0][0])

    # The quote_request schedule is due every minute; the daemon's ticks are its progress.
    wait_for(
        lambda: {"SCHEDULE", "SENSOR"} <= ticks(),
        "a schedule tick and a sensor tick",
        progress=tick_count,
    )
    # From here on only the tests and the sensors start runs: the portal's automation sensor
    # is then the only one to rebuild the portal after a run without it.
    for schedule in ("quote_request_schedule", "portal_refresh_schedule"):
        stack.dagster_cli("schedule", "stop", schedule)
        [(status,)] = stack.dagster_sql(
            "SELECT status FROM jobs WHERE job_type = 'SCHEDULE' AND job_body LIKE :name",
            name=f'%"{schedule}"%',
        )
        assert status == "STOPPED", schedule


def _step_window(stack: Stack, run_id: str, step: str) -> tuple[float, float]:
    rows = stack.dagster_sql(
        "SELECT dagster_event_type, timestamp FROM event_logs WHERE run_id = :r AND step_key = :s "
        "AND dagster_event_type IN ('STEP_START', 'STEP_SUCCESS')",
        r=run_id,
        s=step,
    )
    times = {row.dagster_event_type: row.timestamp.timestamp() for row in rows}
    return times["STEP_START"], times["STEP_SUCCESS"]


def test_two_runs_of_one_rest_provider_take_turns_on_its_pool(stack: Stack) -> None:
    stack.quiet("crm_deals")
    api = stack.api
    api.gate.clear()  # the first extract to reach the API is held there
    api.arrived.clear()
    api.max_in_flight = 0
    try:
        extract = [["crm_deals", "raw_extract"]]
        runs = [stack.launch("crm_deals_sync", {"test": "pool"}, extract) for _ in range(2)]
        wait_for(
            api.arrived.is_set,
            "the first extract to reach the fake API",
            progress=lambda: stack.run_progress(*runs),
        )

        def waiting_on_pool() -> bool:
            """One run holds the pool's one slot; the other is kept in the queue by the run
            coordinator (its first step needs the full pool) or its extract step waits."""
            holders = [
                row.run_id
                for row in stack.dagster_sql(
                    "SELECT run_id FROM concurrency_slots WHERE concurrency_key = 'crm_deals' "
                    "AND run_id IS NOT NULL"
                )
            ]
            if len(holders) != 1 or holders[0] not in runs:
                return False
            other = runs[1] if holders[0] == runs[0] else runs[0]
            pending = stack.dagster_sql(
                "SELECT COUNT(*) FROM pending_steps WHERE run_id = :r "
                "AND assigned_timestamp IS NULL",
                r=other,
            )
            return stack.run_status(other) == "QUEUED" or pending[0][0] > 0

        wait_for(
            waiting_on_pool,
            "the other run's extract to wait on the crm_deals pool",
            progress=lambda: stack.run_progress(*runs),
        )
        assert api.max_in_flight == 1
    finally:
        api.gate.set()
    assert [stack.wait_for_run(r) for r in runs] == ["SUCCESS", "SUCCESS"], stack.tail()
    assert api.max_in_flight == 1
    first, second = sorted(_step_window(stack, r, "crm_deals__raw_extract") for r in runs)
    assert first[1] <= second[0]  # the second extract started after the first one finished


@pytest.fixture(scope="module")
def workers(stack: Stack) -> list[int]:
    if not _broker_up(stack.env["ZARTSALGO_CELERY_BROKER_URL"]):
        _unavailable("RabbitMQ broker at 127.0.0.1:5672 unreachable: start it for Celery tests")
    return [stack.start_worker(f"zt-worker-{n}").pid for n in (1, 2)]


def test_the_sync_on_workers_runs_every_step_in_a_celery_worker(
    stack: Stack, workers: list[int]
) -> None:
    stack.quiet("quote_request")
    run_id = stack.launch("quote_request_sync_on_workers")
    assert stack.wait_for_run(run_id) == "SUCCESS", stack.tail()

    from dagster._serdes import deserialize_value

    starts = [deserialize_value(r.event) for r in _events(stack, run_id, "STEP_START")]
    assert {e.dagster_event.step_key for e in starts} == {
        f"quote_request__{name}" for name in SYNC_ASSETS
    }
    assert {e.dagster_event.pid for e in starts} <= set(workers), (starts, workers)
    handed = [
        deserialize_value(r.event)
        for r in _events(stack, run_id, "ENGINE_EVENT")
        if b"in celery worker" in (r.event.encode() if isinstance(r.event, str) else r.event)
    ]
    hosts = {e.dagster_event.engine_event_data.metadata["Celery worker"].value for e in handed}
    assert hosts and all(h.startswith("zt-worker-") for h in hosts), hosts

    # The batch this run landed (another sync started meanwhile by a sensor may have ingested
    # it: the run holding the lease takes what waits); whoever did, it is accounted for.
    [landed] = [
        deserialize_value(r.event)
        for r in _events(stack, run_id, "ASSET_MATERIALIZATION")
        if "raw_extract" in r.asset_key
    ]
    batch_id = landed.dagster_event.materialization.metadata["batch_id"].value
    engine = sa.create_engine(stack.app_db_url)
    with engine.connect() as conn:
        batch = review(conn, int(batch_id))
    engine.dispose()
    assert batch.status == "succeeded" and batch.rows_total > 0 and batch.adds_up
    [(accounted,)] = stack.dagster_sql(
        "SELECT execution_status FROM asset_check_executions "
        "WHERE run_id = :r AND check_name = 'rows_accounted'",
        r=run_id,
    )
    assert accounted == "SUCCEEDED"


def _ui_runs(stack: Stack) -> set[str]:
    """Runs of the implicit asset job, which is what "Materialize all" launches (the portal
    runs the automation sensor starts are of that job too, and tagged)."""
    rows = stack.dagster_sql(
        "SELECT run_id FROM runs WHERE pipeline_name = '__ASSET_JOB' AND run_id NOT IN "
        "(SELECT run_id FROM run_tags WHERE run_tags.key = :tag)",
        tag=next(iter(FOLLOW_RUN_TAGS)),
    )
    return {row.run_id for row in rows}


def _portal_runs_after(stack: Stack, run_id: str) -> list[str]:
    """Portal runs the automation sensor started after ``run_id`` was created."""
    rows = stack.dagster_sql(
        "SELECT r.run_id FROM runs r JOIN run_tags t ON t.run_id = r.run_id "
        "WHERE t.key = :tag AND r.create_timestamp >= "
        "(SELECT create_timestamp FROM runs WHERE run_id = :run)",
        tag=next(iter(FOLLOW_RUN_TAGS)),
        run=run_id,
    )
    return [row.run_id for row in rows]


def test_materialize_all_from_the_ui(stack: Stack, page: Any) -> None:
    location = stack.location
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.set_default_navigation_timeout(UI_TIMEOUT_MS)
    # A fresh UI greets its first visitor with a newsletter dialog; skip it whenever it shows.
    page.add_locator_handler(
        page.get_by_text("Join the Dagster community"),
        lambda _: page.get_by_role("button", name="Skip").click(),
    )
    for group in ("quote_request", "crm_deals"):
        page.goto(f"{stack.web_url}/locations/{location}/asset-groups/{group}/lineage")
        for name in SYNC_ASSETS:  # the group's lineage graph draws the four assets
            page.get_by_text(name, exact=True).first.wait_for(timeout=UI_TIMEOUT_MS)
    page.goto(f"{stack.web_url}/locations/{location}/asset-groups/quote_request/lineage")
    page.get_by_text("client_metrics", exact=True).first.wait_for(timeout=UI_TIMEOUT_MS)
    stack.quiet("quote_request")
    before = _ui_runs(stack)
    page.get_by_role("button", name="Materialize all").click()
    new = wait_for(lambda: _ui_runs(stack) - before, "the UI to launch a run")
    [run_id] = new
    assert stack.wait_for_run(run_id) == "SUCCESS", stack.tail()
    page.goto(f"{stack.web_url}/runs/{run_id}")
    page.get_by_text("Success", exact=True).first.wait_for(timeout=UI_TIMEOUT_MS)
    screenshot = artifacts_dir() / "deploy_materialize_all.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0
    materialized = {row.asset_key for row in _events(stack, run_id, "ASSET_MATERIALIZATION")}
    assert materialized == {f'["quote_request", "{name}"]' for name in SYNC_ASSETS}
    # The run had no portal: the daemon's automation sensor (every 30 s) runs it after.
    portal_run, *_ = wait_for(
        lambda: _portal_runs_after(stack, run_id),
        "the portal to follow",
        progress=stack.instance_progress,
    )
    assert stack.wait_for_run(portal_run) == "SUCCESS", stack.tail()
    portal = {row.asset_key for row in _events(stack, portal_run, "ASSET_MATERIALIZATION")}
    assert portal == {f'["portal", "{name}"]' for name in PORTAL_ASSETS}


# What each service logs when SIGTERM reaches it (the webserver logs nothing at its level).
SIGTERM_ACKNOWLEDGED = {
    "code": "Code server was interrupted",
    "daemon": "shutting down daemon threads",
    "receiver": "SIGTERM received",
}


def test_sigterm_stops_the_whole_stack_with_no_process_left(stack: Stack) -> None:
    """SIGTERM to honcho reaches every service, each handles it, and nothing of the stack is
    left. Honcho gives a service 5 s (fixed) before SIGKILL; on a loaded machine a service that
    is shutting down may need longer, so a SIGKILL is no failure for one that acknowledged the
    SIGTERM in its own log (a service ignoring SIGTERM acknowledges nothing)."""
    left = stack.stop()
    assert left == [], left
    assert stack.process is not None and stack.process.returncode is not None
    log = Path(stack.log).read_text(errors="replace")

    def acknowledged(name: str) -> bool:
        words = SIGTERM_ACKNOWLEDGED.get(name)
        return words is not None and re.search(rf"{name}\.1 +\| .*{words}", log) is not None

    for name in ("code", "web", "daemon", "receiver"):
        assert re.search(rf"{name}\.1 +\| ", log), f"{name} wrote nothing to stdout"
        assert f"sending SIGTERM to {name}.1" in log and f"{name}.1 stopped" in log
        if f"sending SIGKILL to {name}.1" in log:
            assert acknowledged(name), f"honcho killed {name}, which never acknowledged SIGTERM"
    assert all(acknowledged(name) for name in SIGTERM_ACKNOWLEDGED), log[-3000:]
