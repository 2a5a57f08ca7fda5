"""Manual entry: the fallback when a source is down, a small file of records entered by hand as
a ``manual`` batch on the ingestion path, with who entered it and why."""

from pathlib import Path

import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.sources.files import file_rows
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import BatchReview, describe_batch


def manual_entry(
    engine: sa.Engine, spec: ProviderSpec, path: Path, *, entered_by: str, reason: str
) -> BatchReview:
    """The manual fallback: a small file of records, entered as a ``manual`` batch."""
    if not entered_by.strip() or not reason.strip():
        raise ValueError("a manual entry needs who entered it (--by) and why (--reason)")
    batch_id = open_direct_batch(engine, spec, "manual", path.name)
    with engine.begin() as conn:
        describe_batch(conn, batch_id, entered_by, reason)
    return ingest_rows(engine, spec, batch_id, file_rows(path))
