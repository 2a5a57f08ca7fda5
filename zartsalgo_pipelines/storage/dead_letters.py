"""Dead-letter statements of the data owner's tools: reading open ones, closing them."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.storage.proof.refresh_marks import mark_batch_provider, mark_clients
from zartsalgo_pipelines.tables.core import dead_letters
from zartsalgo_pipelines.tables.limits import refuse_overlong


def open_dead_letters(
    conn: sa.Connection,
    provider_key: str,
    *,
    ids: Sequence[int] = (),
    reason_contains: str | None = None,
) -> list[tuple[int, Any]]:
    """``(id, raw_payload)`` of the provider's open dead letters, oldest first, optionally only
    ``ids`` and only those whose reason contains ``reason_contains``."""
    query = sa.select(dead_letters.c.id, dead_letters.c.raw_payload).where(
        dead_letters.c.provider_key == provider_key, dead_letters.c.state == "open"
    )
    if ids:
        query = query.where(dead_letters.c.id.in_(list(ids)))
    if reason_contains:
        query = query.where(dead_letters.c.reason.contains(reason_contains))
    return [(i, p) for i, p in conn.execute(query.order_by(dead_letters.c.id)).all()]


def mark_replayed(conn: sa.Connection, ids: Sequence[int], batch_id: int) -> None:
    """Dead letters ``ids`` were stored by replay batch ``batch_id``."""
    conn.execute(
        sa.update(dead_letters)
        .where(dead_letters.c.id.in_(list(ids)))
        .values(state="replayed", replayed_batch_id=batch_id)
    )
    # A letter leaves the failed rows of its client's periods: which client is in its payload.
    mark_batch_provider(conn, batch_id, utcnow())


def close_open(
    conn: sa.Connection, provider_key: str, ids: Sequence[int], *, state: str, note: str
) -> int:
    """Close the provider's open dead letters among ``ids`` as ``state``; returns how many.
    A note too long for its column raises ``TooLongError`` with nothing written (MySQL
    refused it, SQLite kept it)."""
    refuse_overlong(dead_letters, {"resolution_note": note})
    result = conn.execute(
        sa.update(dead_letters)
        .where(
            dead_letters.c.provider_key == provider_key,
            dead_letters.c.id.in_(list(ids)),
            dead_letters.c.state == "open",
        )
        .values(state=state, resolution_note=note)
    )
    if result.rowcount:
        mark_clients(conn, provider_key, [None], utcnow(), metrics_done=True)
    return result.rowcount or 0
