"""A run's share of the provider's waiting work: sweep, then claim and process each extracted
batch and group of webhook deliveries this run can take; skip the others with the reason, and
look again while there was something to take (docs/crash_safety.md)."""

from dataclasses import dataclass

import sqlalchemy as sa

from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.owners import BatchOwner, RunIsAlive
from zartsalgo_pipelines.pipeline.deliveries import process_deliveries
from zartsalgo_pipelines.pipeline.run import process_extract
from zartsalgo_pipelines.pipeline.sweep import sweep_stuck_batches
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import (
    BatchNotClaimedError,
    BatchReview,
    pending_batches,
)


@dataclass
class PendingResult:
    """What one run did with the provider's extracted batches."""

    reviews: list[BatchReview]
    skipped: list[str]  # one stated reason per batch this run did not take


def process_pending(
    engine: sa.Engine,
    spec: ProviderSpec,
    stats: FailureStats | None = None,
    *,
    owner: BatchOwner | None = None,
    run_is_alive: RunIsAlive | None = None,
) -> PendingResult:
    """Sweep stuck batches, then process every ``extracted`` batch this run can claim.

    Each batch goes to exactly one run; a batch another run took or is waiting behind that
    run's lease is skipped with the reason.
    """
    sweep_stuck_batches(engine, spec, run_is_alive=run_is_alive)
    result = PendingResult([], [])
    with engine.connect() as conn:
        pending = pending_batches(conn, spec.key)
    for batch_id in pending:
        try:
            result.reviews.append(process_extract(engine, spec, batch_id, stats, owner=owner))
        except BatchNotClaimedError as error:
            result.skipped.append(str(error))
    return result


def process_waiting(
    engine: sa.Engine,
    spec: ProviderSpec,
    stats: FailureStats | None = None,
    *,
    owner: BatchOwner | None = None,
    run_is_alive: RunIsAlive | None = None,
) -> PendingResult:
    """Process the provider's extracted batches, then its stored webhook deliveries, and look
    again until a round finds nothing this run can take.

    A run that finds the ingest lease held skips with the reason and ends; what it could not
    take is taken by the run holding the lease, which looks again after every round, each time
    with its lease free: a batch extracted while another run ingested no longer waits for some
    later sync. ``skipped`` holds the reasons of the last round, what others still hold.
    """
    reviews: list[BatchReview] = []
    while True:
        pending = process_pending(engine, spec, stats, owner=owner, run_is_alive=run_is_alive)
        delivered = process_deliveries(
            engine, spec, stats, owner=owner, run_is_alive=run_is_alive, skipped=pending.skipped
        )
        reviews += pending.reviews + delivered
        if not pending.reviews and not delivered:
            return PendingResult(reviews, pending.skipped)
