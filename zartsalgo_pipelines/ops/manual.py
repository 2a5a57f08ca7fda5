"""Manual entry: the fallback when a source is down, a small file of records entered by hand as
a ``manual`` batch on the ingestion path, with who entered it and why.

The file is read whole first (``ops/manual_files.py``: CSV, JSON, JSON lines or .xlsx, its
columns named as the export, the labels or the targets name them); a file that cannot be read,
or a provider busy ingesting, leaves nothing behind.
"""

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from zartsalgo_pipelines.ops.direct import open_claimed_batch
from zartsalgo_pipelines.ops.manual_files import manual_rows
from zartsalgo_pipelines.pipeline.run import ingest_rows
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import (
    BatchReview,
    describe_batch,
    refuse_long_description,
)


def manual_entry(
    engine: sa.Engine,
    spec: ProviderSpec,
    path: Path,
    *,
    entered_by: str,
    reason: str,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], object] | None = None,
) -> BatchReview:
    """The manual fallback: a small file of records, entered as a ``manual`` batch.

    Raises ``ManualFileError`` (a ``ValueError``) for a file that cannot be read and
    ``BatchNotClaimedError`` when a sync still ingests after ``wait_seconds``; neither writes.
    """
    if not entered_by.strip() or not reason.strip():
        raise ValueError("a manual entry needs who entered it (--by) and why (--reason)")
    refuse_long_description(entered_by, reason)
    rows = manual_rows(spec, path)
    batch_id = open_claimed_batch(
        engine, spec, "manual", path.name, wait_seconds=wait_seconds, on_wait=on_wait
    )
    with engine.begin() as conn:
        describe_batch(conn, batch_id, entered_by, reason)
    return ingest_rows(engine, spec, batch_id, rows)
