"""The `portal` group's Dagster definitions: its assets (``portal_assets.py``), the refresh job
and its schedule, the sensor that runs the portal after any client_metrics update, the
portal-visibility watch and the go-live job. Thin: the work is in ``proof/``."""

from typing import Any

import dagster as dg
import pydantic

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.factory.portal_assets import (
    GROUP,
    KEYS,
    POOL,
    build_portal_assets,
    next_update,
    portal_specs,
    preview_dir,
)
from zartsalgo_pipelines.factory.resources import ZartsalgoDatabase

__all__ = [
    "FOLLOW_RUN_TAGS",
    "FOLLOW_SENSOR",
    "GROUP",
    "KEYS",
    "PORTAL_JOB",
    "build_portal_assets",
    "build_portal_defs",
    "next_update",
    "portal_visibility_watch",
    "preview_dir",
]

PORTAL_JOB = "portal_refresh"
FOLLOW_SENSOR = "portal_follows_client_metrics"
FOLLOW_INTERVAL_SECONDS = 30
# On the runs the sensor starts, so they can be told from a person's "Materialize".
FOLLOW_RUN_TAGS = {"zartsalgo/trigger": "portal_follows_client_metrics"}


@dg.sensor(
    name="portal_visibility_watch",
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every live provider has fresh visible cards for every client it serves; "
    "otherwise one portal_visibility incident (deduped, resolves itself).",
)
def portal_visibility_watch(
    context: dg.SensorEvaluationContext, zartsalgo_db: ZartsalgoDatabase
) -> dg.SensorResult:
    # Imported here, as in every asset body: a code server loads the definitions without
    # loading the proof's HTTP and alerting code (docs/performance.md, definitions load).
    from zartsalgo_pipelines.incidents.notify import notify
    from zartsalgo_pipelines.proof.watch import watch

    with zartsalgo_db.engine().begin() as conn:
        results = watch(conn, portal_specs())
    notify(e for r in results for e in r.events)
    facts = (
        "; ".join(
            f"{r.provider_key}: {r.clients - len(r.without_fresh_cards)} of {r.clients} clients "
            "see fresh cards"
            for r in results
        )
        or "no live provider"
    )
    return dg.SensorResult(skip_reason=facts, cursor=utcnow().isoformat())


class GoLiveConfig(dg.Config):
    provider: str = pydantic.Field(description="Provider key, e.g. quote_request.")
    decided_by: str = pydantic.Field(description="Who reviewed the test sync.")
    note: str | None = pydantic.Field(None, description="What was reviewed.")
    withdraw: bool = pydantic.Field(False, description="Hide the provider's cards again.")


# In the portal's pool: it rebuilds the cards and notes, so it waits for a running refresh
# (and a refresh for it) as the portal's own steps do (portal_assets.POOL).
@dg.op(
    description="Mark a provider live in the portal (or withdraw it); records who and when.",
    pool=POOL,
)
def go_live_op(
    context: dg.OpExecutionContext, config: GoLiveConfig, zartsalgo_db: ZartsalgoDatabase
) -> dict[str, Any]:
    from zartsalgo_pipelines.clock import proof_now
    from zartsalgo_pipelines.errors import TooLongError
    from zartsalgo_pipelines.incidents.notify import notify
    from zartsalgo_pipelines.proof.golive import GoLiveRefusedError, decide

    specs = {s.key: s for s in portal_specs()}
    if config.provider not in specs:
        raise dg.Failure(f"unknown provider `{config.provider}`; known: {sorted(specs)}")
    spec = specs[config.provider]
    with zartsalgo_db.engine().begin() as conn:
        try:
            row, events = decide(
                conn,
                list(specs.values()),
                spec,
                live=not config.withdraw,
                decided_by=config.decided_by,
                note=config.note,
                now=proof_now(),
            )
        except (GoLiveRefusedError, TooLongError) as error:
            raise dg.Failure(str(error), allow_retries=False) from None
    notify(events)  # after the commit
    context.add_output_metadata({k: str(v) for k, v in row.items()})
    return {k: str(v) for k, v in row.items()}


@dg.job(description="Go-live gate: mark a provider's cards live in the portal after review.")
def portal_go_live() -> None:
    go_live_op()


def build_portal_defs(providers: dg.Definitions) -> dg.Definitions:
    """The portal group over every provider's client_metrics found in ``providers``."""
    metric_keys: list[dg.AssetKey] = []
    owners: list[str] = []
    for assets_def in providers.assets or []:
        if not isinstance(assets_def, dg.AssetsDefinition):
            continue
        for key in assets_def.keys:
            if key.path[-1] == "client_metrics":
                metric_keys.append(key)
                owners += assets_def.specs_by_key[key].owners
    refresh = dg.define_asset_job(
        PORTAL_JOB,
        selection=dg.AssetSelection.groups(GROUP),
        description="Rebuild cards, notes, tasks and the preview.",
    )
    schedule = dg.ScheduleDefinition(
        name="portal_refresh_schedule",
        cron_schedule="30 * * * *",
        target=refresh,
        description="Rebuild the portal every hour, after the providers' syncs, so cards stay "
        "fresh for the portal-visibility watch.",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    follow = dg.AutomationConditionSensorDefinition(
        FOLLOW_SENSOR,
        target=dg.AssetSelection.groups(GROUP),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=FOLLOW_INTERVAL_SECONDS,
        run_tags=FOLLOW_RUN_TAGS,
        description="Runs the portal group after any provider's client_metrics was "
        "materialized by a run that did not include the portal (a group selection, `dg "
        "launch`, the UI, the Celery job); never twice for a sync job that had it.",
    )
    return dg.Definitions(
        assets=build_portal_assets(metric_keys, owners),
        jobs=[portal_go_live, refresh],
        schedules=[schedule],
        sensors=[portal_visibility_watch, follow],
    )
