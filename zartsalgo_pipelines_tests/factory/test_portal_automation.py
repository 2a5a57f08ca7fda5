"""Scenario: every materialization of a provider's client_metrics is followed by the portal group,
however it was started, and never twice. With the shipped definitions (the connected
quote_request and the paused crm_deals, whose client_metrics is never materialized), a real
Dagster instance and real materializations of the demo export: after `group:quote_request`
alone (what `dg launch --assets "group:quote_request"` and the UI's "Materialize all" run),
evaluating the automation requests the four portal assets; after the portal ran, nothing; after
a `quote_request_sync` run, which includes the portal, nothing; after `client_metrics` alone
(`dagster asset materialize --select quote_request/client_metrics`), the portal again. A tick in
the middle of a sync run (its client_metrics done, its portal steps waiting for the `portal`
pool) requests nothing either, nor does the tick after the run. The sensor that evaluates it
runs by default; the portal keeps its pool."""

import threading
import time
from collections.abc import Callable

import dagster as dg

from zartsalgo_pipelines.factory.portal import (
    FOLLOW_RUN_TAGS,
    FOLLOW_SENSOR,
    GROUP,
    KEYS,
    PORTAL_JOB,
)

PORTAL = set(KEYS.values())
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class Ticks:
    """The automation sensor's evaluations, one after another, as the daemon would tick."""

    def __init__(self, definitions: dg.Definitions, instance: dg.DagsterInstance) -> None:
        self.definitions, self.instance, self.cursor = definitions, instance, None

    def requested(self) -> set[dg.AssetKey]:
        result = dg.evaluate_automation_conditions(
            defs=self.definitions, instance=self.instance, cursor=self.cursor
        )
        self.cursor = result.cursor
        return {key for key in PORTAL | self.metrics() if result.get_num_requested(key)}

    def metrics(self) -> set[dg.AssetKey]:
        graph = self.definitions.resolve_asset_graph()
        return {k for k in graph.get_all_asset_keys() if k.path[-1] == "client_metrics"}


def materialize(
    definitions: dg.Definitions, instance: dg.DagsterInstance, selection: dg.AssetSelection
) -> None:
    """What `dg launch --assets ...` and the UI run: the implicit asset job on a selection."""
    job = definitions.resolve_implicit_global_asset_job_def()
    keys = selection.resolve(definitions.resolve_asset_graph())
    result = job.get_subset(asset_selection=keys).execute_in_process(
        instance=instance, run_config=QUIET
    )
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == keys, keys - materialized


def run_job(definitions: dg.Definitions, instance: dg.DagsterInstance, name: str) -> None:
    job = definitions.resolve_job_def(name)
    assert job.execute_in_process(instance=instance, run_config=QUIET).success


def test_the_portal_follows_every_client_metrics_update_once(
    definitions: dg.Definitions, instance: dg.DagsterInstance
) -> None:
    ticks = Ticks(definitions, instance)
    metrics = dg.AssetKey(["quote_request", "client_metrics"])
    assert ticks.requested() == set()  # nothing synced yet: nothing to follow

    materialize(definitions, instance, dg.AssetSelection.groups("quote_request"))
    assert ticks.requested() == PORTAL
    assert ticks.requested() == set()  # requested once, not again on every tick

    run_job(definitions, instance, PORTAL_JOB)  # what the sensor's run does
    assert ticks.requested() == set()

    run_job(definitions, instance, "quote_request_sync")  # it had the portal already
    assert ticks.requested() == set()

    materialize(definitions, instance, dg.AssetSelection.assets(metrics))
    assert ticks.requested() == PORTAL


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.05)  # between polls only: the condition, not the pause, decides


def test_a_tick_during_a_sync_run_leaves_the_portal_to_the_run(
    definitions: dg.Definitions,
) -> None:
    pools = {"concurrency": {"pools": {"default_limit": 1}}}
    with dg.instance_for_test(overrides=pools) as instance:
        ticks = Ticks(definitions, instance)
        assert ticks.requested() == set()
        instance.event_log_storage.set_concurrency_slots("portal", 0)  # hold the portal steps
        job = definitions.resolve_job_def("quote_request_sync")
        results: list[dg.ExecuteInProcessResult] = []
        run = threading.Thread(
            target=lambda: results.append(
                job.execute_in_process(instance=instance, run_config=QUIET)
            )
        )
        run.start()
        try:

            def portal_waiting() -> bool:
                info = instance.event_log_storage.get_concurrency_info("portal")
                return any(s.step_key == "portal__portal_cards" for s in info.pending_steps)

            wait_for(portal_waiting, "portal_cards waiting for the portal pool")
            assert instance.get_latest_materialization_event(
                dg.AssetKey(["quote_request", "client_metrics"])
            )
            assert ticks.requested() == set()  # the run will do it
        finally:
            instance.event_log_storage.set_concurrency_slots("portal", 1)
            run.join(timeout=300)
        assert results and results[0].success
        assert instance.get_latest_materialization_event(KEYS["portal_preview"])
        assert ticks.requested() == set()


def test_the_sensor_runs_by_default_and_the_portal_keeps_its_pool(
    definitions: dg.Definitions,
) -> None:
    sensor = definitions.resolve_sensor_def(FOLLOW_SENSOR)
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 30
    assert sensor.run_tags == FOLLOW_RUN_TAGS
    graph = definitions.resolve_asset_graph()
    assert sensor.asset_selection.resolve(graph) == PORTAL
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert (node.automation_condition is not None) == (key.path[0] == GROUP), key
        if key.path[0] == GROUP:
            assert node.pools == {"portal"}
    # Ours covers every automated asset, so Dagster adds no default (stopped) sensor of its own.
    names = {s.name for s in definitions.get_repository_def().sensor_defs}
    assert "default_automation_condition_sensor" not in names
