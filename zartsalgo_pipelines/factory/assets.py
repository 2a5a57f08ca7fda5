"""Spec -> the four assets of one provider: raw_extract -> mapped_records -> dead_letter ->
client_metrics. Assets stay thin: they call ``pipeline`` and ``proof`` and report metadata.
Nothing they report carries a raw payload value or a secret: counts, ids, masked examples.
"""

from pathlib import Path

import dagster as dg

from zartsalgo_pipelines.factory.asset_shared import (
    ASSET_NAMES,
    METADATA_LIST_LIMIT,
    asset_keys,
    bounded_list,
    provider_assets,
    provider_pool,
)
from zartsalgo_pipelines.factory.intake_assets import build_mapped_records, build_raw_extract
from zartsalgo_pipelines.factory.outcome_assets import build_client_metrics, build_dead_letter
from zartsalgo_pipelines.specs.models import ProviderSpec

__all__ = [
    "ASSET_NAMES",
    "METADATA_LIST_LIMIT",
    "asset_keys",
    "bounded_list",
    "build_provider_assets",
    "provider_pool",
]


def build_provider_assets(spec: ProviderSpec, spec_dir: Path) -> list[dg.AssetsDefinition]:
    """The provider's asset group: raw_extract -> mapped_records -> dead_letter ->
    client_metrics, each built by its own function from what they share."""
    shared = provider_assets(spec, spec_dir)
    return [
        build_raw_extract(shared),
        build_mapped_records(shared),
        build_dead_letter(shared),
        build_client_metrics(shared),
    ]
