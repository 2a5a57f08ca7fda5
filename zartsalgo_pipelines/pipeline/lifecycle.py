"""A batch's life in the pipeline: how it opens (for a provider registered as its spec says
now) and how it ends, closed as ``failed`` or ``succeeded``, with what each outcome records on
the provider's connection (the last result, the incremental cursor) and the alerts it raises or
resolves, in the transaction that closes the batch.
"""

from collections.abc import Callable

import sqlalchemy as sa

from zartsalgo_pipelines.incidents.alerts import evaluate_batch_alerts, resolve_alerts
from zartsalgo_pipelines.incidents.kinds import STUCK_BATCH
from zartsalgo_pipelines.incidents.notify import notify
from zartsalgo_pipelines.owners import BatchOwner
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.connections import (
    advance_cursor,
    record_sync_result,
    register_provider,
)
from zartsalgo_pipelines.storage.import_batches import (
    BatchLostError,
    BatchReview,
    close_batch,
    open_batch,
    review,
)


def open_provider_batch(
    conn: sa.Connection,
    spec: ProviderSpec,
    *,
    source_kind: str,
    source_ref: str,
    owner: BatchOwner | None,
    status: str = "running",
) -> int:
    """Open a batch of the provider, whose rows (provider, connection, field map) are first
    brought to what the spec says now: every batch names the spec version that mapped it."""
    register_provider(conn, spec)
    return open_batch(
        conn, spec, source_kind=source_kind, source_ref=source_ref, status=status, owner=owner
    )


def fail_batch(engine: sa.Engine, spec: ProviderSpec, batch_id: int, message: str) -> None:
    """Close a batch as failed, remember the error on the connection, raise the alerts due.

    A batch the sweep failed already keeps the sweep's reason.
    """
    with engine.begin() as conn:
        if not close_batch(conn, spec, batch_id, "failed", message):
            return
        record_sync_result(conn, spec.key, batch_id, message)
        events = evaluate_batch_alerts(conn, spec)
    notify(events)


def close_succeeded(
    engine: sa.Engine,
    spec: ProviderSpec,
    batch_id: int,
    on_success: Callable[[sa.Connection], object] | None,
) -> BatchReview:
    """Close the batch as ``succeeded``; returns its review.

    In the same transaction: ``on_success``, the connection's last result, the incremental
    cursor and the alerts the batch raises or resolves. Raises ``BatchLostError`` when the sweep
    failed the batch first.
    """
    with engine.begin() as conn:
        if not close_batch(conn, spec, batch_id, "succeeded"):
            raise BatchLostError(f"batch {batch_id} was failed by the sweep before it closed")
        if on_success is not None:
            on_success(conn)
        record_sync_result(conn, spec.key, batch_id, None)
        advance_cursor(conn, spec, batch_id)
        events = evaluate_batch_alerts(conn, spec)
        events += resolve_alerts(conn, spec.key, STUCK_BATCH)
        result = review(conn, batch_id)
    notify(events)
    return result
