"""Spec -> everything Dagster needs for one provider: assets, checks, job, sensor."""

from pathlib import Path

import dagster as dg

from zartsalgo_pipelines.factory.asset_shared import TRIGGER_TAG, WEBHOOK_TRIGGER
from zartsalgo_pipelines.factory.assets import asset_keys, build_provider_assets
from zartsalgo_pipelines.factory.executors import celery_available, celery_executor
from zartsalgo_pipelines.factory.portal import GROUP as PORTAL_GROUP
from zartsalgo_pipelines.factory.sensors import (
    build_run_health_sensor,
    build_stale_sync_sensor,
    build_webhook_sensor,
)
from zartsalgo_pipelines.specs.models import ProviderSpec


def sync_job_name(provider_key: str) -> str:
    return f"{provider_key}_sync"


def workers_job_name(provider_key: str) -> str:
    return f"{provider_key}_sync_on_workers"


def build_provider_defs(spec: ProviderSpec, spec_dir: Path) -> dg.Definitions:
    """All definitions of one provider; ``spec_dir`` resolves the spec's relative paths."""
    assets = build_provider_assets(spec, spec_dir)
    # A sync ends with the portal refreshed: a client's card reflects the new records as soon as
    # the run succeeds, not at the next hourly portal refresh.
    job = dg.define_asset_job(
        sync_job_name(spec.key),
        selection=dg.AssetSelection.groups(spec.key, PORTAL_GROUP),
        description=f"Sync {spec.display_name}: extract, map, dead-letter, metrics, then the "
        "portal's cards, notes, tasks and preview.",
        tags={"provider": spec.key},
    )
    schedules = []
    if spec.schedule is not None:
        schedules.append(
            dg.ScheduleDefinition(
                name=f"{spec.key}_schedule",
                cron_schedule=spec.schedule.cron,
                execution_timezone=spec.schedule.timezone,
                target=job,
                description=f"Sync {spec.display_name} on `{spec.schedule.cron}` "
                f"({spec.schedule.timezone}).",
                # A provider that is not connected is declared but never runs on its own.
                default_status=dg.DefaultScheduleStatus.RUNNING
                if spec.status == "connected"
                else dg.DefaultScheduleStatus.STOPPED,
            )
        )
    jobs = [job]
    if celery_available():
        # The same sync with each step sent to a Celery worker: how it grows past one machine.
        jobs.append(
            dg.define_asset_job(
                workers_job_name(spec.key),
                selection=dg.AssetSelection.groups(spec.key),
                executor_def=celery_executor(),
                description=f"Sync {spec.display_name} with every step on a Celery worker.",
                tags={"provider": spec.key},
            )
        )
    sensors = [
        build_stale_sync_sensor(spec, job),
        build_run_health_sensor(spec),
    ]
    if spec.webhook is not None:
        keys = asset_keys(spec)
        webhook_job = dg.define_asset_job(
            f"{spec.key}_webhook_ingest",
            selection=dg.AssetSelection.assets(
                keys["mapped_records"], keys["dead_letter"], keys["client_metrics"]
            )
            | dg.AssetSelection.groups(PORTAL_GROUP),
            description=f"Map stored {spec.display_name} webhook deliveries, then refresh the "
            "dead letters, metrics and the portal.",
            # How the sensor finds its queued runs; the marked clients only (asset_shared.py).
            tags={"provider": spec.key, TRIGGER_TAG: WEBHOOK_TRIGGER},
        )
        jobs.append(webhook_job)
        sensors.append(build_webhook_sensor(spec, webhook_job))
    return dg.Definitions(assets=assets, jobs=jobs, schedules=schedules, sensors=sensors)
