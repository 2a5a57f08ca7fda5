"""Every provider's definitions, loaded from ``defs/``, plus the shared database resource."""

from pathlib import Path

import dagster as dg

from zartsalgo_pipelines.factory.operations_jobs import OPERATIONS_JOBS
from zartsalgo_pipelines.factory.portal import GROUP as PORTAL_GROUP
from zartsalgo_pipelines.factory.portal import build_portal_defs
from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, default_database
from zartsalgo_pipelines.specs.errors import explain_load_error

ALL_PROVIDERS_JOB = "all_providers_sync"


def build_definitions(project: Path = Path(__file__).parent) -> dg.Definitions:
    """Providers from the project's defs folder (one ``defs.yaml`` each), the resource and the
    all-sync job. ``project`` is any path inside a dg project (tests pass a scratch one)."""
    try:
        providers = dg.load_from_defs_folder(path_within_project=project)
    except Exception as error:  # re-raised with the spec problem spelled out
        explained = explain_load_error(error)
        if explained is error:
            raise
        # Not chained: pydantic's own message in the chain would echo an inline secret.
        raise explained from None
    return dg.Definitions.merge(
        providers,
        build_portal_defs(providers),
        dg.Definitions(
            resources={RESOURCE_KEY: default_database()},
            jobs=[
                *OPERATIONS_JOBS,
                dg.define_asset_job(
                    ALL_PROVIDERS_JOB,
                    selection=dg.AssetSelection.tag("connection_status", "connected")
                    | dg.AssetSelection.groups(PORTAL_GROUP),
                    description="Sync every connected provider, then the portal (what "
                    "`dev.py start` runs).",
                ),
            ],
            # Every asset job of this code location (the provider syncs, webhook ingests, the
            # UI's "Materialize all") runs its steps in the run's own process: a small sync pays
            # for one process start and one definitions load instead of one per step. Assets
            # write to the database and pass nothing through Dagster, so nothing depends on step
            # isolation; a crash of the run process is retried by dagster.yaml's run retries
            # and swept by the next batch. A deployment that wants steps on other hosts uses the
            # Celery job (deploy/).
            executor=dg.in_process_executor,
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
