"""Stale-sync watch: when a provider's last good batch is older than its window, record an
incident for the owner and ask for a new sync; otherwise say how fresh it is."""

import datetime as dt
from typing import Any

import dagster as dg

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.factory.resources import ZartsalgoDatabase
from zartsalgo_pipelines.pipeline.deliveries import pending_deliveries
from zartsalgo_pipelines.proof.alerts import open_alert, resolve_alerts
from zartsalgo_pipelines.proof.notify import notify
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.queries import last_successful_sync

STALE_SYNC = "stale_sync"


def _age(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def build_stale_sync_sensor(spec: ProviderSpec, job: Any) -> dg.SensorDefinition:
    window = dt.timedelta(hours=spec.stale_after_hours)

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
        if spec.status != "connected":
            reason = f"{spec.key} is {spec.status}; stale-sync watch applies to connected providers"
            return dg.SensorResult(skip_reason=reason, cursor=context.cursor)
        now = utcnow()
        with zartsalgo_db.engine().begin() as conn:
            last = last_successful_sync(conn, spec.key)
            fresh = last is not None and now - last <= window
            if fresh:
                events = resolve_alerts(conn, spec.key, STALE_SYNC)
            else:
                since = "never" if last is None else f"{_age(now - last)} ago"
                events = open_alert(
                    conn,
                    provider_key=spec.key,
                    kind=STALE_SYNC,
                    severity="warning",
                    owner=spec.owner,
                    message=f"{spec.display_name} last synced successfully {since}; "
                    f"stale after {spec.stale_after_hours:g} h",
                    next_action="A new sync was requested; if it fails, check the export drop "
                    "and the run log, then load the file by hand with the manual fallback.",
                    details={
                        "last_success": last.isoformat() if last else None,
                        "window_hours": spec.stale_after_hours,
                    },
                )
        notify(events)  # after the commit: never announce what was rolled back
        cursor = last.isoformat() if last else "never"
        if fresh and last is not None:
            return dg.SensorResult(
                skip_reason=f"{spec.key} last synced {_age(now - last)} ago; stale after "
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


FAILED_RUNS = "failed_runs"
_FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


def build_run_health_sensor(spec: ProviderSpec, job_name: str) -> dg.SensorDefinition:
    """Opens `failed_runs` when the last N finished runs of the provider's sync job all failed
    (a crash before any batch opened counts too); resolves it after a successful run."""
    limit = spec.alerts.failed_runs_in_a_row

    @dg.sensor(
        name=f"{spec.key}_run_health",
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Alerts the owner after {limit} failed `{job_name}` runs in a row.",
    )
    def run_health(
        context: dg.SensorEvaluationContext, zartsalgo_db: ZartsalgoDatabase
    ) -> dg.SensorResult:
        runs = context.instance.get_runs(
            filters=dg.RunsFilter(job_name=job_name, statuses=_FINISHED), limit=limit
        )
        if not runs:
            return dg.SensorResult(skip_reason=f"{job_name} has no finished run yet", cursor=None)
        failed = [r for r in runs if r.status != dg.DagsterRunStatus.SUCCESS]
        with zartsalgo_db.engine().begin() as conn:
            if len(runs) == limit and len(failed) == limit:
                events = open_alert(
                    conn,
                    provider_key=spec.key,
                    kind=FAILED_RUNS,
                    severity="critical",
                    owner=spec.owner,
                    message=f"{spec.display_name}: the last {limit} `{job_name}` runs failed",
                    next_action="Open the latest failed run in the Dagster UI; while it is "
                    "being fixed, enter urgent client updates with `zartsalgo manual`.",
                    details={"run_ids": [r.run_id for r in runs]},
                )
            elif runs[0].status == dg.DagsterRunStatus.SUCCESS:
                events = resolve_alerts(conn, spec.key, FAILED_RUNS)
            else:
                events = []
        notify(events)
        return dg.SensorResult(
            skip_reason=f"{len(failed)} of the last {len(runs)} `{job_name}` runs failed; "
            f"alert after {limit} in a row",
            cursor=runs[0].run_id,
        )

    return run_health


def build_webhook_sensor(spec: ProviderSpec, job: Any) -> dg.SensorDefinition:
    """Turns stored webhook deliveries into runs of the provider's mapped records.

    The run key is the newest stored delivery id, so one burst of deliveries asks for one run;
    the run itself claims deliveries, so a delivery is processed once however many runs start.
    """

    @dg.sensor(
        name=f"{spec.key}_webhook_deliveries",
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING
        if spec.status == "connected"
        else dg.DefaultSensorStatus.STOPPED,
        description=f"Requests a `{spec.key}` mapped-records run when webhook deliveries wait.",
    )
    def webhook_deliveries(
        context: dg.SensorEvaluationContext, zartsalgo_db: ZartsalgoDatabase
    ) -> dg.SensorResult:
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
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"{spec.key}-deliveries-to-{pending.newest_id}",
                    tags={"trigger": "webhook", "pending_deliveries": str(pending.count)},
                )
            ],
            cursor=str(pending.newest_id),
        )

    return webhook_deliveries
