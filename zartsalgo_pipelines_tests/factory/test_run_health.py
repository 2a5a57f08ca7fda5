"""Scenario: the run-health sensor on a real Dagster instance with real runs, on SQLite and MySQL.

It counts every finished run that materialized the provider's assets, whichever job ran it
(`<key>_sync`, `all_providers_sync`, the UI's "Materialize" = `__ASSET_JOB`), and ignores runs
that materialized only other assets. It also runs the crash sweep with Dagster's view of the
runs: a batch whose run has ended is failed with the reason, one whose run is going stays.
"""

from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.definitions import ALL_PROVIDERS_JOB
from zartsalgo_pipelines.factory.assets import asset_keys
from zartsalgo_pipelines.factory.provider_defs import build_provider_defs
from zartsalgo_pipelines.factory.provider_runs import SHARED_ASSET_JOBS
from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase
from zartsalgo_pipelines.owners import BatchOwner
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.connections import register_provider
from zartsalgo_pipelines.storage.import_batches import open_batch
from zartsalgo_pipelines_tests.helpers import count, quote

OTHER = dg.AssetKey(["elsewhere", "other"])


@dg.asset(key=OTHER)
def other_asset() -> None:
    """An asset of no provider: a run of it alone says nothing about quote_request."""


@pytest.fixture
def spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    return make_spec(
        source={"kind": "file", "path": "*.jsonl", "format": "jsonl"},
        retries={"max_retries": 0},
        alerts={"failed_runs_in_a_row": 2},
    )


def build(spec: ProviderSpec, folder: Path, db_url: str) -> dg.Definitions:
    return dg.Definitions.merge(
        build_provider_defs(spec, folder),
        dg.Definitions(
            assets=[other_asset],
            jobs=[
                dg.define_asset_job(
                    ALL_PROVIDERS_JOB,
                    selection=dg.AssetSelection.tag("spec_status", "connected"),
                )
            ],
            resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
        ),
    )


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, db_url: str) -> str:
    sensor = defs.resolve_sensor_def("quote_request_run_health")
    context = dg.build_sensor_context(
        instance=instance, resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)}
    )
    result = sensor(context)
    assert isinstance(result, dg.SensorResult) and result.skip_reason is not None
    return result.skip_reason.skip_message


def open_failed_runs_alerts(engine: sa.Engine) -> int:
    return count(engine, "incident_alerts", "WHERE kind = 'failed_runs' AND resolved_at IS NULL")


def test_the_all_providers_job_is_watched() -> None:
    assert ALL_PROVIDERS_JOB in SHARED_ASSET_JOBS


def test_runs_of_every_job_that_materializes_the_provider_count(
    db_url, engine, spec, write_export, tmp_path
) -> None:
    folder = write_export([quote(n) for n in range(1, 4)])
    defs = build(spec, folder, db_url)
    provider = list(asset_keys(spec).values())
    everything = defs.resolve_implicit_global_asset_job_def()
    with dg.instance_for_test() as instance:

        def run(job: str, selection: list[dg.AssetKey] | None = None) -> dg.DagsterRun:
            definition = everything if job == "__ASSET_JOB" else defs.resolve_job_def(job)
            result = definition.execute_in_process(
                instance=instance, asset_selection=selection, raise_on_error=False
            )
            assert result.dagster_run.job_name == job
            return result.dagster_run

        assert run("__ASSET_JOB", [OTHER]).status == dg.DagsterRunStatus.SUCCESS
        assert "no finished run has materialized quote_request" in tick(defs, instance, db_url)

        assert run("__ASSET_JOB", provider).status == dg.DagsterRunStatus.SUCCESS
        assert "0 of the last 1 runs of quote_request failed" in tick(defs, instance, db_url)

        (folder / "export.jsonl").unlink()  # the export is gone: every sync fails now
        assert run(ALL_PROVIDERS_JOB).status == dg.DagsterRunStatus.FAILURE
        assert run("__ASSET_JOB", provider).status == dg.DagsterRunStatus.FAILURE
        run("__ASSET_JOB", [OTHER])  # another provider's success changes nothing
        assert "2 of the last 2 runs" in tick(defs, instance, db_url)
        assert open_failed_runs_alerts(engine) == 1
        with engine.connect() as conn:
            details = conn.execute(sa.text("SELECT details FROM incident_alerts")).scalar_one()
        assert "all_providers_sync" in str(details) and "__ASSET_JOB" in str(details)

        write_export([quote(1)])
        assert run("quote_request_sync").status == dg.DagsterRunStatus.SUCCESS
        assert "1 of the last 2 runs" in tick(defs, instance, db_url)
    assert open_failed_runs_alerts(engine) == 0


def test_the_sensor_fails_the_batches_of_ended_runs_and_keeps_the_others(
    db_url, engine, spec, tmp_path
) -> None:
    defs = build(spec, tmp_path, db_url)
    with dg.instance_for_test() as instance:
        ended = (
            defs.resolve_implicit_global_asset_job_def()
            .execute_in_process(instance=instance, asset_selection=[OTHER])
            .dagster_run
        )
        going = instance.add_run(
            dg.DagsterRun(job_name="quote_request_sync", status=dg.DagsterRunStatus.STARTED)
        )
        ids = {}
        with engine.begin() as conn:
            register_provider(conn, spec)
            runs = (("ended", ended.run_id), ("going", going.run_id), ("unknown", "not-here"))
            for name, run_id in runs:
                # A step on another host: only Dagster's run status can tell.
                owner = BatchOwner(run_id, "another-host", 4242, None)
                ids[name] = open_batch(
                    conn,
                    spec,
                    source_kind="file",
                    source_ref=name,
                    owner=owner,
                    status="extracting",
                )
        message = tick(defs, instance, db_url)
    assert f"swept stuck batches [{ids['ended']}]" in message
    with engine.connect() as conn:
        rows = dict(
            conn.execute(sa.text("SELECT source_ref, status FROM data_import_batches")).all()
        )
        error = conn.execute(
            sa.text("SELECT error FROM data_import_batches WHERE id = :id"), {"id": ids["ended"]}
        ).scalar_one()
    # A run this instance does not know is not proven dead: the timeout decides for it.
    assert rows == {"ended": "failed", "going": "extracting", "unknown": "extracting"}
    assert f"its Dagster run {ended.run_id} has ended" in error
    assert count(engine, "incident_alerts", "WHERE kind = 'stuck_batch'") == 1


def test_a_run_whose_orchestrator_lives_is_not_marked_failed(engine, spec) -> None:
    """A step's process that died (here: a real child that exited) while the run's own process
    lives is the orchestrator's to handle (it fails or retries the step): the sensor's check
    for dead runs leaves that run alone, asked from inside the run itself."""
    import subprocess
    import sys

    from zartsalgo_pipelines.factory.dead_runs import end_dead_runs
    from zartsalgo_pipelines.owners import host_name

    seen: dict[str, object] = {}

    @dg.asset(key=["quote_request", "probe"])
    def probe(context: dg.AssetExecutionContext) -> None:
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()  # the batch's process is gone; this process runs the run
        gone = BatchOwner(context.run.run_id, host_name(), child.pid, None)
        with engine.begin() as conn:
            register_provider(conn, spec)
            open_batch(conn, spec, source_kind="file", source_ref="x", owner=gone)
        seen["ended"] = end_dead_runs(context.instance, engine, spec)
        seen["status"] = context.instance.get_run_by_id(context.run.run_id).status  # type: ignore[union-attr]

    job = dg.define_asset_job(f"{spec.key}_sync", selection=[probe])
    defs = dg.Definitions(assets=[probe], jobs=[job])
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(f"{spec.key}_sync").execute_in_process(instance=instance)
    assert result.success
    assert seen == {"ended": [], "status": dg.DagsterRunStatus.STARTED}
