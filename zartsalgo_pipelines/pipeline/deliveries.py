"""Webhook deliveries: stored by the receiver, then claimed in groups and ingested as
``webhook`` batches through the same path as every other row.

Exactly once: a group of deliveries is claimed by one batch, in the transaction that opens
the batch and takes the provider's ingest lease (so two runs never claim at once, and a crash
never leaves a batch without its claim or a claim without its batch), and ingested as ONE
chunk, hence one transaction. The deliveries are marked processed in the transaction that
closes the batch. If the batch fails, nothing of it was written and the claim is released for
the next run (by the failure, or by the crash sweep when its process died); if it succeeds,
each delivery has exactly one import row and is never claimed again.
"""

import functools
from collections.abc import Iterator

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.jsonpaths import ExpressionFailure, compile_safe_getter
from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.owners import BatchOwner, RunIsAlive
from zartsalgo_pipelines.pipeline.lifecycle import open_provider_batch
from zartsalgo_pipelines.pipeline.run import ingest_rows
from zartsalgo_pipelines.pipeline.sweep import sweep_stuck_batches
from zartsalgo_pipelines.sources import jsontext
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import batches as store
from zartsalgo_pipelines.storage.deliveries import (
    PendingDeliveries,
    claimed_bodies,
    pending_deliveries,
    release_failed_claims,
    store_delivery,
)
from zartsalgo_pipelines.storage.import_batches import (
    BatchNotClaimedError,
    BatchReview,
    claim_batch,
)

# Re-exported: the sensor and the receiver's callers import these from here.
__all__ = [
    "PendingDeliveries",
    "pending_deliveries",
    "process_deliveries",
    "release_failed_claims",
    "store_delivery",
]


def _claim(engine: sa.Engine, spec: ProviderSpec, size: int, owner: BatchOwner) -> int | None:
    """Open a webhook batch, take the ingest lease and claim up to ``size`` unclaimed
    deliveries for it, all in one transaction; None (nothing changed) if none wait.

    Raises ``BatchNotClaimedError`` when another run holds the lease."""
    try:
        with engine.begin() as conn:
            batch_id = open_provider_batch(
                conn, spec, source_kind="webhook", source_ref="", owner=owner
            )
            claim_batch(
                conn,
                spec,
                batch_id,
                owner,
                from_statuses=("running",),
                waiting="the stored webhook deliveries",
            )
            claimed = store.claim_deliveries(conn, spec.key, batch_id, size)
            if not claimed:
                raise _NothingWaitingError  # rolls back: no empty batch is left behind
            store.describe_source(conn, batch_id, f"{claimed} webhook deliveries")
    except _NothingWaitingError:
        return None
    return batch_id


class _NothingWaitingError(ZartsalgoError):
    pass


def _rows(engine: sa.Engine, spec: ProviderSpec, batch_id: int) -> Iterator[SourceRow]:
    assert spec.webhook is not None
    record_of = compile_safe_getter(spec.webhook.record_path)
    with engine.connect() as conn:
        claimed = claimed_bodies(conn, batch_id)
    for row_id, delivery_id, body in claimed:
        ref = f"webhook delivery {delivery_id}"[:255]
        try:
            record = record_of(jsontext.loads(body))  # integers beyond 64 bits stay whole
        except jsontext.JSONDecodeError:
            # The receiver only stores parsed bodies; a row edited by hand still ends dead-lettered.
            yield SourceRow(ref, row_id, None, "delivery body is not valid JSON", body)
            continue
        if isinstance(record, dict):
            yield SourceRow(ref, row_id, record)
        elif isinstance(record, ExpressionFailure):  # this delivery's failure, not the batch's
            yield SourceRow(ref, row_id, None, record.check("record_path"), body)
        else:
            yield SourceRow(ref, row_id, None, "delivery record is not a JSON object", body)


def _mark_processed(conn: sa.Connection, *, batch_id: int) -> None:
    store.mark_deliveries_processed(conn, batch_id, utcnow())


def process_deliveries(
    engine: sa.Engine,
    spec: ProviderSpec,
    stats: FailureStats | None = None,
    *,
    owner: BatchOwner | None = None,
    run_is_alive: RunIsAlive | None = None,
    skipped: list[str] | None = None,
) -> list[BatchReview]:
    """Ingest every unclaimed delivery, ``webhook.batch_size`` per batch; the batch reviews.

    Stuck batches are swept first. When another run holds the provider's ingest lease, this
    run stops claiming and appends the reason to ``skipped``.
    """
    if spec.webhook is None:
        return []
    size = spec.webhook.batch_size
    owner = owner or BatchOwner.this_process()
    sweep_stuck_batches(engine, spec, run_is_alive=run_is_alive)
    with engine.begin() as conn:
        release_failed_claims(conn, spec.key)
    reviews: list[BatchReview] = []
    while True:
        try:
            batch_id = _claim(engine, spec, size, owner)
        except BatchNotClaimedError as error:
            if skipped is not None:
                skipped.append(str(error))
            break
        if batch_id is None:
            break
        try:
            # One chunk per batch: the whole group commits in one transaction, or not at all.
            review = ingest_rows(
                engine,
                spec,
                batch_id,
                _rows(engine, spec, batch_id),
                chunk_size=size,
                stats=stats,
                owner=owner,
                on_success=functools.partial(_mark_processed, batch_id=batch_id),
            )
        except Exception:
            with engine.begin() as conn:
                release_failed_claims(conn, spec.key)
            raise
        reviews.append(review)
    return reviews
