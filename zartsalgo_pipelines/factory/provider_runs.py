"""A provider's runs, whichever job ran them: its own sync, the shared jobs, its webhook
ingest. Read by the run-health sensor and the dead-run check."""

import dagster as dg

from zartsalgo_pipelines.factory.assets import asset_keys
from zartsalgo_pipelines.specs.models import ProviderSpec

_FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
# Jobs that materialize assets of many providers: the all-providers job (definitions.py) and
# the implicit job behind the UI's "Materialize" buttons. A run of one counts for a provider
# when its asset selection includes one of the provider's assets, or when it has none (the
# whole job: every connected provider for all_providers_sync, every asset for __ASSET_JOB).
SHARED_ASSET_JOBS = ("all_providers_sync", "__ASSET_JOB")
# How many recent runs of a shared job are read per tick to find the provider's.
SHARED_JOB_SCAN = 50


def provider_job_names(spec: ProviderSpec) -> list[str]:
    """Every job whose runs materialize the provider's assets."""
    names = [f"{spec.key}_sync", *SHARED_ASSET_JOBS]
    if spec.status != "connected":
        names.remove("all_providers_sync")  # it selects connected providers only
    if spec.webhook is not None:
        names.append(f"{spec.key}_webhook_ingest")
    return names


def provider_runs(
    instance: dg.DagsterInstance,
    spec: ProviderSpec,
    limit: int,
    statuses: list[dg.DagsterRunStatus] = _FINISHED,
) -> list[dg.DagsterRun]:
    """The provider's last ``limit`` runs in ``statuses`` (default: finished), newest first,
    whichever job ran them."""
    keys = set(asset_keys(spec).values())
    records = []
    for name in provider_job_names(spec):
        shared = name in SHARED_ASSET_JOBS
        found = instance.get_run_records(
            filters=dg.RunsFilter(job_name=name, statuses=statuses),
            limit=SHARED_JOB_SCAN if shared else limit,
        )
        # No selection (None, or empty for a whole job run in process) means the job's own.
        records += [
            r
            for r in found
            if not r.dagster_run.asset_selection or keys & r.dagster_run.asset_selection
        ]
    records.sort(key=lambda r: r.create_timestamp, reverse=True)
    return [r.dagster_run for r in records[:limit]]
