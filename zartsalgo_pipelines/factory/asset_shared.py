"""What every asset of one provider shares: keys, decorator arguments, metadata bounds."""

import datetime as dt
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pydantic

from zartsalgo_pipelines.factory.resources import database_kind
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.rest import RestSource

ASSET_NAMES = ("raw_extract", "mapped_records", "dead_letter", "client_metrics")
# The tag holds the status the spec declares (planned, connected, paused, disconnected), which
# changes only with the spec. The live connection status (degraded while an incident is open,
# disconnected after a refused credential) lives in the database: in each `mapped_records`
# materialization's metadata, `zartsalgo status` and the portal (docs/operations.md).
SPEC_STATUS_TAG = "spec_status"
# Dagster stores each event in a 64 KB TEXT column on MySQL: lists in metadata keep their last
# items only (the count says how many there were), so no value grows with the backlog.
METADATA_LIST_LIMIT = 20

# The webhook ingest job's runs carry this tag: their client_metrics and portal rebuild only
# the clients the run's batches marked (proof/refresh_scope.py); every other run, the hourly
# portal refresh included, rebuilds everything (what time alone changes).
TRIGGER_TAG = "trigger"
WEBHOOK_TRIGGER = "webhook"


def marked_only(context: dg.AssetExecutionContext) -> bool:
    """Whether this run rebuilds only what its batches marked (a webhook run)."""
    return context.run.tags.get(TRIGGER_TAG) == WEBHOOK_TRIGGER


def bounded_list(items: list[Any]) -> dict[str, Any] | list[Any]:
    """``items`` itself when short, else its last METADATA_LIST_LIMIT items and the count."""
    if len(items) <= METADATA_LIST_LIMIT:
        return items
    return {"count": len(items), "last": items[-METADATA_LIST_LIMIT:]}


def provider_pool(spec: ProviderSpec) -> str | None:
    """The Dagster concurrency pool of a REST provider's extract: the provider key."""
    return spec.key if isinstance(spec.source, RestSource) else None


class ExtractConfig(dg.Config):
    full_resync: bool = pydantic.Field(
        False,
        description="REST sources: ignore the stored incremental cursor and read everything "
        "from the spec's initial_value (a full re-sync).",
    )


def asset_keys(spec: ProviderSpec) -> dict[str, dg.AssetKey]:
    return {name: dg.AssetKey([spec.key, name]) for name in ASSET_NAMES}


@dataclass(frozen=True)
class ProviderAssets:
    """What every asset of one provider shares: its spec, keys and the decorator arguments."""

    spec: ProviderSpec
    spec_dir: Path
    keys: dict[str, dg.AssetKey]
    database: str  # the kinds name the database in use, not always MySQL
    common: dict[str, Any]
    about: dict[str, Any]  # descriptive metadata of the intake assets
    spec_link: dict[str, Any]  # every asset's link to its defs.yaml


def spec_reference(spec_file: Path) -> dg.CodeReferencesMetadataValue:
    """The UI's link from an asset to the spec it comes from: what Dagster's component loader
    adds, and definitions.py reads the specs itself. The classes are beta in Dagster 1.13 and
    warn on each use; the warning says nothing a user of this project can act on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.CodeReferencesMetadataValue(
            code_references=[
                dg.LocalFileCodeReference(file_path=str(spec_file.resolve()), label="defs.yaml")
            ]
        )


def provider_assets(spec: ProviderSpec, spec_dir: Path) -> ProviderAssets:
    """The group, owners, tags, freshness and descriptive metadata of a provider's assets."""
    common: dict[str, Any] = {
        "group_name": spec.key,
        "owners": [spec.owner],
        "tags": {
            "provider": spec.key,
            "object_type": spec.object_type,
            SPEC_STATUS_TAG: spec.status,
        },
        "freshness_policy": dg.FreshnessPolicy.time_window(
            fail_window=dt.timedelta(hours=spec.stale_after_hours)
        ),
    }
    about = {
        "provider": spec.display_name,
        SPEC_STATUS_TAG: spec.status,
        "owner": spec.owner,
        "reason": spec.reason,
        "auth_model": spec.auth.model,
        "spec_version": spec.version,
    }
    spec_link = {"dagster/code_references": spec_reference(spec_dir / "defs.yaml")}
    return ProviderAssets(
        spec, spec_dir, asset_keys(spec), database_kind(), common, about | spec_link, spec_link
    )
