"""Stale-sync watch: when a provider's last good batch is older than its window, record an
incident for the owner and ask for a new sync; otherwise say how fresh it is. Run health:
sweep stuck batches and alert on failed runs in a row. Webhook deliveries: request a run.

Each sensor imports the code it calls in its body, as the assets do: a code server loads the
definitions without the pipeline's, the storage's or the alerting code (docs/performance.md)."""

import datetime as dt
from typing import Any

import dagster as dg

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.factory.asset_shared import TRIGGER_TAG, WEBHOOK_TRIGGER
from zartsalgo_pipelines.factory.liveness import run_liveness
from zartsalgo_pipelines.factory.provider_runs import provider_job_names, provider_runs
from zartsalgo_pipelines.factory.resources import ZartsalgoDatabase
from zartsalgo_pipelines.specs.models import ProviderSpec


def build_stale_sync_sensor(spec: ProviderSpec, job: Any) -> dg.SensorDefinition:

    @dg.sensor(
        name=f"{spec.key}_stale_sync",
        job=job,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Opens a stale_sync incident and requests a sync when {spec.key} has not "
        f"synced successfully for {spec.stale_after_hours:g} h.",
    )
    def stale_sync(
        context: dg.SensorEvaluationContext, zartsalgo_db: ZartsalgoDatabase
    ) -> dg.SensorResult:
        from zartsalgo_pipelines.incidents.alerts import raise_alert, resolve_alerts
        from zartsalgo_pipelines.incidents.kinds import STALE_SYNC
        from zartsalgo_pipelines.incidents.notify import notify
        from zartsalgo_pipelines.incidents.staleness import age_text, sync_is_stale
        from zartsalgo_pipelines.storage.queries import last_successful_sync

        if spec.status != "connected":
            reason = f"{spec.key} is {spec.status}; stale-sync watch applies to connected providers"
            return dg.SensorResult(skip_reason=reason, cursor=context.cursor)
        now = utcnow()
        with zartsalgo_db.engine().begin() as conn:
            last = last_successful_sync(conn, spec.key)
            fresh = not sync_is_stale(last, now, spec.stale_after_hours)
            if fresh:
                events = resolve_alerts(conn, spec.key, STALE_SYNC)
            else:
                since = "never" if last is None else f"{age_text(now - last)} ago"
                events = raise_alert(
                    conn,
                    spec,
                    STALE_SYNC,
                    since=since,
                    stale_after_hours=spec.stale_after_hours,
                    details={
                        "last_success": last.isoformat() if last else None,
                        "window_hours": spec.stale_after_hours,
                    },
                )
        notify(events)  # after the commit: never announce what was rolled back
        cursor = last.isoformat() if last else "never"
        if fresh and last is not None:
            return dg.SensorResult(
                skip_reason=f"{spec.key} last synced {age_text(now - last)} ago; stale after "
                f"{spec.stale_after_hours:g} h",
                cursor=cursor,
            )
        # One run per stale episode: the key changes only when a newer sync has succeeded.
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"{spec.key}-stale-since-{cursor}", tags={"trigger": STALE_SYNC}
                )
            ],
            cursor=cursor,
        )

    return stale_sync


def build_run_health_sensor(spec: ProviderSpec) -> dg.SensorDefinition:
    """Sweeps the provider's stuck batches (``pipeline/sweep.py``, with Dagster's view of which
    runs have ended) and marks failed the runs whose processes died (``dead_runs.py``), freeing
    their pool slots; opens `failed_runs` when its last N finished runs all failed (a crash
    before any batch opened counts too), whichever job ran them; resolves it after a success."""
    limit = spec.alerts.failed_runs_in_a_row
    jobs = provider_job_names(spec)

    @dg.sensor(
        name=f"{spec.key}_run_health",
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Fails stuck {spec.key} batches whose run or process died, and alerts the "
        f"owner after {limit} failed runs in a row of {', '.join(f'`{j}`' for j in jobs)}.",
    )
    def run_health(
        context: dg.SensorEvaluationContext, zartsalgo_db: ZartsalgoDatabase
    ) -> dg.SensorResult:
        from zartsalgo_pipelines.factory.dead_runs import end_dead_runs
        from zartsalgo_pipelines.incidents.alerts import raise_alert, resolve_alerts
        from zartsalgo_pipelines.incidents.kinds import FAILED_RUNS
        from zartsalgo_pipelines.incidents.notify import notify
        from zartsalgo_pipelines.pipeline.sweep import sweep_stuck_batches

        engine = zartsalgo_db.engine()
        swept = sweep_stuck_batches(engine, spec, run_is_alive=run_liveness(context.instance))
        swept_note = f"; swept stuck batches {[b.batch_id for b in swept]}" if swept else ""
        ended = end_dead_runs(context.instance, engine, spec)
        swept_note += f"; marked failed runs {ended} (their processes are gone)" if ended else ""
        runs = provider_runs(context.instance, spec, limit)
        if not runs:
            return dg.SensorResult(
                skip_reason=f"no finished run has materialized {spec.key} assets yet{swept_note}",
                cursor=None,
            )
        failed = [r for r in runs if r.status != dg.DagsterRunStatus.SUCCESS]
        with engine.begin() as conn:
            if len(runs) == limit and len(failed) == limit:
                events = raise_alert(
                    conn,
                    spec,
                    FAILED_RUNS,
                    limit=limit,
                    details={
                        "run_ids": [r.run_id for r in runs],
                        "jobs": [r.job_name for r in runs],
                    },
                )
            elif runs[0].status == dg.DagsterRunStatus.SUCCESS:
                events = resolve_alerts(conn, spec.key, FAILED_RUNS)
            else:
                events = []
        notify(events)
        return dg.SensorResult(
            skip_reason=f"{len(failed)} of the last {len(runs)} runs of {spec.key} failed; "
            f"alert after {limit} in a row{swept_note}",
            cursor=runs[0].run_id,
        )

    return run_health


# A webhook run that has not begun yet takes every delivery waiting when its mapped_records
# starts (pipeline/deliveries.py), so while one is queued, launched or starting a delivery has a
# run already: the sensor asks for no other. A started run may be past its claim; then the next
# delivery gets a run of its own (which a run key per newest delivery keeps to one).
NOT_BEGUN = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
]
# A run requested longer ago than this and still not begun is not waited for: one whose launch
# died stays STARTING until run monitoring fails it (minutes), and deliveries must not wait
# that long behind it.
WAITING_RUN_PATIENCE = dt.timedelta(minutes=2)


def waiting_webhook_run(instance: dg.DagsterInstance, spec: ProviderSpec) -> str | None:
    """The id of a recent webhook run of the provider that has not begun, if there is one."""
    found = instance.get_run_records(
        filters=dg.RunsFilter(
            statuses=NOT_BEGUN,
            tags={"provider": spec.key, TRIGGER_TAG: WEBHOOK_TRIGGER},
            created_after=utcnow() - WAITING_RUN_PATIENCE,
        ),
        limit=1,
    )
    return found[0].dagster_run.run_id if found else None


def build_webhook_sensor(spec: ProviderSpec, job: Any) -> dg.SensorDefinition:
    """Turns stored webhook deliveries into runs of the provider's mapped records.

    Deliveries that arrive while one of the provider's webhook runs is queued join it (the
    run claims every waiting delivery when it starts), so a steady stream gives one run per
    run's length, not one per delivery or sensor tick. The run key is the newest stored
    delivery id; the run itself claims deliveries, so a delivery is processed once however
    many runs start.
    """

    @dg.sensor(
        name=f"{spec.key}_webhook_deliveries",
        job=job,
        # Evaluated on every pass of the daemon's sensor loop, which runs every 5 s: one
        # indexed COUNT of waiting deliveries and one read of the provider's not-begun runs a
        # tick. Not 5 here: with the sensors in threads (both dagster.yaml files) a pass comes
        # a hair under 5 s after the last tick, so an interval of 5 skipped every other pass
        # and a delivery waited up to 10 s for its run to be requested.
        minimum_interval_seconds=2,
        default_status=dg.DefaultSensorStatus.RUNNING
        if spec.status == "connected"
        else dg.DefaultSensorStatus.STOPPED,
        description=f"Requests a `{spec.key}` mapped-records run when webhook deliveries wait "
        "and none of its webhook runs is queued.",
    )
    def webhook_deliveries(
        context: dg.SensorEvaluationContext, zartsalgo_db: ZartsalgoDatabase
    ) -> dg.SensorResult:
        from zartsalgo_pipelines.storage.deliveries import pending_deliveries

        if spec.status != "connected":
            return dg.SensorResult(
                skip_reason=f"{spec.key} is {spec.status}; deliveries are kept until it is "
                "connected",
                cursor=context.cursor,
            )
        with zartsalgo_db.engine().connect() as conn:
            pending = pending_deliveries(conn, spec.key)
        if not pending.count:
            return dg.SensorResult(skip_reason="no webhook delivery waiting", cursor=context.cursor)
        queued = waiting_webhook_run(context.instance, spec)
        if queued is not None:
            return dg.SensorResult(
                skip_reason=f"{pending.count} webhook deliveries wait; run {queued} has not "
                "begun and takes them when it starts",
                cursor=context.cursor,
            )
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"{spec.key}-deliveries-to-{pending.newest_id}",
                    tags={TRIGGER_TAG: WEBHOOK_TRIGGER, "pending_deliveries": str(pending.count)},
                )
            ],
            cursor=str(pending.newest_id),
        )

    return webhook_deliveries
