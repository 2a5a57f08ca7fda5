"""Scenario: the stale-sync sensor compares a provider's last successful sync with its spec's
window. Stale: one incident for the owner (not one per tick) and one sync request per stale
episode. Fresh: a skip that states the fact, and the incident resolves itself."""

import datetime as dt
from collections.abc import Callable

import dagster as dg
import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.factory.provider_defs import build_provider_defs
from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase
from zartsalgo_pipelines.pipeline.run import open_direct_batch
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.helpers import count


def tick(spec: ProviderSpec, db_url: str, tmp_path, cursor: str | None = None) -> dg.SensorResult:
    sensor = next(iter(build_provider_defs(spec, tmp_path).sensors or []))
    assert isinstance(sensor, dg.SensorDefinition)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance,
            cursor=cursor,
            resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
        )
        result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def set_last_success(engine: sa.Engine, spec: ProviderSpec, hours_ago: float | None) -> None:
    open_direct_batch(engine, spec, "manual", "registers the provider")
    when = None if hours_ago is None else utcnow() - dt.timedelta(hours=hours_ago)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE integration_connections SET last_successful_sync_at = :t"), {"t": when}
        )


@pytest.fixture
def spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    return make_spec(stale_after_hours=24)


@pytest.mark.parametrize("hours_ago", [None, 30.0], ids=["never synced", "30 h ago"])
def test_stale_provider_opens_one_incident_and_requests_one_sync(
    db_url, engine, spec, tmp_path, hours_ago
) -> None:
    set_last_success(engine, spec, hours_ago)
    first = tick(spec, db_url, tmp_path)
    second = tick(spec, db_url, tmp_path, cursor=first.cursor)
    assert len(first.run_requests or []) == 1
    assert first.run_requests and second.run_requests
    assert first.run_requests[0].run_key == second.run_requests[0].run_key  # Dagster dedupes
    assert count(engine, "incident_alerts", "WHERE resolved_at IS NULL") == 1
    with engine.connect() as conn:
        alert = conn.execute(
            sa.text("SELECT kind, owner, message, details FROM incident_alerts")
        ).one()
    assert alert.kind == "stale_sync" and alert.owner == spec.owner
    assert "stale after 24 h" in alert.message


def test_fresh_provider_skips_with_the_fact_and_resolves_the_incident(
    db_url, engine, spec, tmp_path
) -> None:
    set_last_success(engine, spec, None)
    tick(spec, db_url, tmp_path)
    set_last_success(engine, spec, 2.0)
    result = tick(spec, db_url, tmp_path)
    assert not result.run_requests
    assert result.skip_reason is not None
    assert (
        result.skip_reason.skip_message == "quote_request last synced 2.0 h ago; stale after 24 h"
    )
    assert result.cursor is not None
    assert count(engine, "incident_alerts", "WHERE resolved_at IS NULL") == 0
    assert count(engine, "incident_alerts", "WHERE resolved_at IS NOT NULL") == 1


def test_paused_provider_is_not_watched(db_url, make_spec, tmp_path) -> None:
    result = tick(make_spec(status="paused"), db_url, tmp_path)
    assert not result.run_requests
    assert result.skip_reason is not None and "paused" in result.skip_reason.skip_message


@pytest.mark.parametrize(
    ("status", "default"),
    [("connected", dg.DefaultScheduleStatus.RUNNING), ("paused", dg.DefaultScheduleStatus.STOPPED)],
)
def test_schedule_comes_from_the_spec_and_never_runs_a_paused_provider(
    make_spec, tmp_path, status, default
) -> None:
    spec = make_spec(status=status, schedule={"cron": "15 6 * * *", "timezone": "Europe/Berlin"})
    (schedule,) = build_provider_defs(spec, tmp_path).schedules or []
    assert isinstance(schedule, dg.ScheduleDefinition)
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("15 6 * * *", "Europe/Berlin")
    assert schedule.default_status == default
    assert schedule.job_name == "quote_request_sync"
    with dg.instance_for_test() as instance:
        result = schedule.evaluate_tick(dg.build_schedule_context(instance=instance))
    assert result.run_requests is not None and len(result.run_requests) == 1


def test_no_schedule_declared_means_no_schedule(make_spec, tmp_path) -> None:
    assert not build_provider_defs(make_spec(schedule=None), tmp_path).schedules


def test_failed_runs_in_a_row_open_one_alert_and_a_success_resolves_it(
    db_url, engine, make_spec, tmp_path
) -> None:
    spec = make_spec(alerts={"failed_runs_in_a_row": 2})
    open_direct_batch(engine, spec, "manual", "registers the provider")
    sensor = next(
        s
        for s in build_provider_defs(spec, tmp_path).sensors or []
        if isinstance(s, dg.SensorDefinition) and s.name == "quote_request_run_health"
    )
    resources = {RESOURCE_KEY: ZartsalgoDatabase(url=db_url)}

    def add_run(status: dg.DagsterRunStatus) -> None:
        instance.add_run(dg.DagsterRun(job_name="quote_request_sync", status=status))

    def tick() -> dg.SensorResult:
        result = sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(result, dg.SensorResult)
        return result

    with dg.instance_for_test() as instance:
        assert tick().skip_reason is not None  # no run yet
        add_run(dg.DagsterRunStatus.FAILURE)
        tick()
        assert count(engine, "incident_alerts") == 0  # one failure is not yet a pattern
        add_run(dg.DagsterRunStatus.FAILURE)
        tick()
        tick()
        assert (
            count(engine, "incident_alerts", "WHERE kind = 'failed_runs' AND resolved_at IS NULL")
            == 1
        )
        with engine.connect() as conn:
            status = conn.execute(
                sa.text("SELECT status FROM integration_connections")
            ).scalar_one()
        assert status == "degraded"
        add_run(dg.DagsterRunStatus.SUCCESS)
        result = tick()
    assert count(engine, "incident_alerts", "WHERE resolved_at IS NULL") == 0
    assert result.skip_reason is not None
    assert "1 of the last 2" in result.skip_reason.skip_message
