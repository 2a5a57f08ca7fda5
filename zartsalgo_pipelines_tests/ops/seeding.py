"""Seeding the database through the ingestion path, for the data owner's tools' tests."""

import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec


def load(engine: sa.Engine, spec: ProviderSpec, records: list) -> None:  # type: ignore[type-arg]
    rows = [SourceRow("seed.jsonl", n, r) for n, r in enumerate(records, start=1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "seed.jsonl"), rows)
