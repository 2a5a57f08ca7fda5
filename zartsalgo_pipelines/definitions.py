"""Every provider's definitions, loaded from ``defs/``, plus the shared database resource."""

from pathlib import Path

import dagster as dg

from zartsalgo_pipelines.factory.operations_jobs import OPERATIONS_JOBS
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
                    selection=dg.AssetSelection.tag("connection_status", "connected"),
                    description="Sync every connected provider (what `dev.py start` runs).",
                ),
            ],
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
