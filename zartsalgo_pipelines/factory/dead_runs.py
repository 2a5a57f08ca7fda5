"""Runs whose processes died: marked failed, their pool slots given back.

Dagster's run monitoring cannot tell that the process of a run dies when the run was started by
`dagster asset materialize` or by the default run launcher (neither can report on its run
worker), so after `kill -9` the run stayed STARTED and kept its concurrency slot: every later
step of the pool (a REST provider's extract, the portal) waited for good. The run-health sensor
sweeps the provider's stuck batches and then asks here about the provider's STARTED runs.

A run is taken for dead when a process that owned one of its batches ran on this host and is
gone, and the process that orchestrates the run, the pid Dagster recorded when the run's
process or its executor started, is gone from this host too (a pid taken since by a process
that started later does not count). A run whose orchestrator lives is left alone: when only a
step's process died, the orchestrator fails or retries that step itself. A run with no batch of
this host (killed before its first batch opened, or on another machine) is not judged here.
"""

import dagster as dg
import sqlalchemy as sa

from zartsalgo_pipelines.factory.provider_runs import provider_runs
from zartsalgo_pipelines.owners import host_name, process_is_alive, process_started_at
from zartsalgo_pipelines.specs.models import ProviderSpec

IN_PROGRESS = [dg.DagsterRunStatus.STARTED]
# How many in-progress runs of each of the provider's jobs are looked at per tick.
RUN_SCAN = 20
# /proc's boot time is in whole seconds: a process started this soon after the run's first
# event may still be its own.
_CLOCK_SLACK_SECONDS = 2.0


def end_dead_runs(instance: dg.DagsterInstance, engine: sa.Engine, spec: ProviderSpec) -> list[str]:
    """Mark the provider's dead runs failed and free their pool slots; their run ids."""
    from zartsalgo_pipelines.storage.batches import run_batch_owners

    runs = provider_runs(instance, spec, RUN_SCAN, statuses=IN_PROGRESS)
    if not runs:
        return []
    with engine.connect() as conn:
        owners = run_batch_owners(conn, [r.run_id for r in runs])
    here = host_name()
    ended = []
    for run in runs:
        gone = [
            (pid, host)
            for host, pid, started in owners.get(run.run_id, [])
            if host == here and pid is not None and not process_is_alive(pid, started)
        ]
        if not gone or _orchestrator_alive(instance, run.run_id):
            continue
        pid, host = gone[0]
        instance.report_run_failed(
            run,
            f"{spec.key}: the processes of this run are gone (its batch's pid {pid} on {host} "
            "and the run's own): killed or crashed. Marked failed by the crash sweep of the "
            f"{spec.key}_run_health sensor; its pool slots are freed.",
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        ended.append(run.run_id)
    return ended


def _orchestrator_alive(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether the process Dagster recorded as the run's own (its first engine event carrying
    a pid and no step) still runs here; True when no such pid was recorded."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=50
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None or event.step_key is not None:
            continue
        recorded = event.engine_event_data.metadata.get("pid")
        if recorded is None:
            continue
        pid = int(str(recorded.value))
        if not process_is_alive(pid, None):
            return False
        started = process_started_at(pid)
        return started is None or started <= record.event_log_entry.timestamp + _CLOCK_SLACK_SECONDS
    return True
