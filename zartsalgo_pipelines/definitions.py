"""Every provider's definitions, built from ``defs/<provider>/defs.yaml``, plus the portal, the
shared database resource and the all-sync job.

The specs are read by ``specs/loading.py`` (PyYAML's C loader, one pydantic validation), not by
``dg.load_from_defs_folder``: Dagster's component loader parses each ``defs.yaml`` with its
pure-Python YAML composer to keep source positions, which was 60 % of the time to load 100
providers (docs/performance.md). Each file is still a Dagster component declaration
(``ProviderComponent``), so ``dg scaffold defs`` and ``dg check yaml`` work on it, and both
loaders build a provider through the same ``build_provider_defs``.
"""

import functools
from pathlib import Path

import dagster as dg

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.factory.asset_shared import SPEC_STATUS_TAG
from zartsalgo_pipelines.factory.operations_jobs import OPERATIONS_JOBS
from zartsalgo_pipelines.factory.portal import GROUP as PORTAL_GROUP
from zartsalgo_pipelines.factory.portal import build_portal_defs
from zartsalgo_pipelines.factory.provider_defs import build_provider_defs
from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, default_database
from zartsalgo_pipelines.specs.loading import load_specs

ALL_PROVIDERS_JOB = "all_providers_sync"


def defs_folder(project: Path) -> Path:
    """The defs folder of the dg project that ``project`` lies in (pyproject's
    ``[tool.dg.project]``), found the way ``dg`` finds it."""
    return Path(dg.ComponentTree.for_project(project).defs_module_path)


def build_definitions(project: Path = Path(__file__).parent) -> dg.Definitions:
    """Providers from the project's defs folder (one ``defs.yaml`` each), the portal, the
    resource and the all-sync job. ``project`` is any path inside a dg project (tests pass a
    scratch one). A refused spec raises ProviderSpecError naming file, line and field path."""
    specs = load_specs(defs_folder(project))
    providers = dg.Definitions.merge(
        *(build_provider_defs(loaded.spec, loaded.folder) for loaded in specs.values())
    )
    return dg.Definitions.merge(
        providers,
        build_portal_defs(providers),
        dg.Definitions(
            resources={RESOURCE_KEY: default_database()},
            jobs=[
                *OPERATIONS_JOBS,
                dg.define_asset_job(
                    ALL_PROVIDERS_JOB,
                    selection=dg.AssetSelection.tag(SPEC_STATUS_TAG, "connected")
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


@functools.lru_cache(maxsize=4)
def _shipped(database_url: str) -> dg.Definitions:
    return build_definitions()


@dg.definitions
def defs() -> dg.Definitions:
    """The shipped project's definitions, built once per process and database.

    Dagster calls this at every reconstruction of the code location, five times in one
    `dagster job execute`; the definitions are immutable and depend on the specs and, through
    the resource and the kinds, on the database (a code server that reloads starts a new
    process, which reads the specs again)."""
    return _shipped(settings.database_url())
