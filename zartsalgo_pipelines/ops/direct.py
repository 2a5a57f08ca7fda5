"""Opening the batch of a manual entry or a replay: only once it can write.

A sync holds the provider's ingest lease while it writes; a hand-made batch opened meanwhile
could not take it. So the batch is opened and the lease taken in one transaction: while another
batch holds the lease nothing is written, and the caller may wait for it a bounded time.
"""

import time
from collections.abc import Callable

import sqlalchemy as sa

from zartsalgo_pipelines.owners import BatchOwner
from zartsalgo_pipelines.pipeline.lifecycle import open_provider_batch
from zartsalgo_pipelines.pipeline.sweep import sweep_stuck_batches
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import BatchNotClaimedError, claim_batch

# Between tries while another batch ingests: short at first, then at most this.
_LONGEST_PAUSE_SECONDS = 5.0


def open_claimed_batch(
    engine: sa.Engine,
    spec: ProviderSpec,
    source_kind: str,
    ref: str,
    *,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], object] | None = None,
) -> int:
    """A running batch of ``source_kind`` that holds the provider's ingest lease.

    While another batch holds the lease, tries again for up to ``wait_seconds`` (telling
    ``on_wait`` why, once), then raises ``BatchNotClaimedError``; nothing is written until the
    lease is taken. A batch left running by a dead process is swept first, so it never blocks.
    """
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    pause = 0.2
    told = False
    while True:
        sweep_stuck_batches(engine, spec)
        try:
            return _open_holding_lease(engine, spec, source_kind, ref)
        except BatchNotClaimedError as error:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            if on_wait is not None and not told:
                on_wait(f"{error}; waiting up to {wait_seconds:g} s")
                told = True
            time.sleep(min(pause, left))
            pause = min(pause * 2, _LONGEST_PAUSE_SECONDS)


def _open_holding_lease(engine: sa.Engine, spec: ProviderSpec, source_kind: str, ref: str) -> int:
    owner = BatchOwner.this_process()
    with engine.begin() as conn:
        batch_id = open_provider_batch(
            conn, spec, source_kind=source_kind, source_ref=ref, owner=owner
        )
        # Raises (and so rolls the new batch back) while another batch holds the lease.
        claim_batch(
            conn,
            spec,
            batch_id,
            owner,
            from_statuses=("running",),
            waiting=f"the {source_kind} batch",
        )
    return batch_id
