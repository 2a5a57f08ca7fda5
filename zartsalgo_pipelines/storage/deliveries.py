"""Webhook delivery rows: stored by the receiver, watched by the sensor, read by their batch.

The claims themselves (one conditional UPDATE each) are in ``storage/batches.py`` with the
other ownership statements.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.tables.core import batches, deliveries


def store_delivery(engine: sa.Engine, provider_key: str, delivery_id: str, body: bytes) -> bool:
    """Store a verified delivery before it is acknowledged; False if its id was seen before."""
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(deliveries).values(
                    provider_key=provider_key,
                    delivery_id=delivery_id,
                    received_at=utcnow(),
                    body_sha256=hashlib.sha256(body).hexdigest(),
                    body=body.decode("utf-8"),
                )
            )
    except sa.exc.IntegrityError:
        return False  # the unique (provider_key, delivery_id) key: a redelivery
    return True


@dataclass(frozen=True)
class PendingDeliveries:
    count: int
    newest_id: int | None


def pending_deliveries(conn: sa.Connection, provider_key: str) -> PendingDeliveries:
    """Deliveries stored and not yet taken by a batch (what the sensor watches)."""
    row = conn.execute(
        sa.select(sa.func.count(), sa.func.max(deliveries.c.id)).where(
            deliveries.c.provider_key == provider_key, deliveries.c.batch_id.is_(None)
        )
    ).one()
    return PendingDeliveries(int(row[0]), row[1])


def release_failed_claims(conn: sa.Connection, provider_key: str) -> int:
    """Give back deliveries held by failed batches (a run that died after claiming)."""
    failed = sa.select(batches.c.id).where(
        batches.c.provider_key == provider_key, batches.c.status == "failed"
    )
    result = conn.execute(
        sa.update(deliveries)
        .where(
            deliveries.c.provider_key == provider_key,
            deliveries.c.processed_at.is_(None),
            deliveries.c.batch_id.in_(failed),
        )
        .values(batch_id=None)
    )
    return result.rowcount or 0


def claimed_bodies(conn: sa.Connection, batch_id: int) -> list[tuple[int, str, Any]]:
    """``(id, delivery_id, body)`` of the deliveries claimed by ``batch_id``, in arrival order."""
    claimed = conn.execute(
        sa.select(deliveries.c.id, deliveries.c.delivery_id, deliveries.c.body)
        .where(deliveries.c.batch_id == batch_id)
        .order_by(deliveries.c.id)
    ).all()
    return [(row_id, delivery_id, body) for row_id, delivery_id, body in claimed]
