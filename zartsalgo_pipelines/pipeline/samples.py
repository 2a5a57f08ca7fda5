"""A provider's sample export (the spec's `sample`) through the one ingestion path.

The local demo shows a provider that is not connected yet (the paused `ads_google`) from its
sample export: landed and mapped like any export, as a batch whose source is `sample`, so every
row is accounted for, failed rows are dead letters and a re-run is all duplicates. The sample
holds the records as the provider's own extract lands them (an API's with the `_account` its
fan-out adds). It never moves an API's incremental cursor: the batch's source is the file.
"""

from pathlib import Path

import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import BatchReview


def sample_spec(spec: ProviderSpec) -> ProviderSpec:
    """The spec reading its sample export instead of its source."""
    if spec.sample is None:
        raise ValueError(f"provider `{spec.key}` declares no `sample`")
    return spec.model_copy(update={"source": spec.sample})


def load_sample(engine: sa.Engine, spec: ProviderSpec, spec_dir: Path) -> BatchReview:
    """Land and map the provider's sample export as a `sample` batch; returns its review."""
    reading = sample_spec(spec)
    extract = extract_files(engine, reading, spec_dir, source_kind="sample")
    return process_extract(engine, reading, extract.batch_id)
