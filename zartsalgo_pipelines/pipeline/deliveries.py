"""Webhook deliveries: stored by the receiver, then claimed in groups and ingested as
``webhook`` batches through the same path as every other row.

Exactly once: a group of deliveries is claimed by one batch (an UPDATE that only takes
unclaimed rows, so two runs never share one) and ingested as ONE chunk, hence one transaction.
If the batch fails, nothing of it was written and the claim is released for the next run; if
it succeeds, each delivery has exactly one import row and is never claimed again.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.jsonpaths import compile_getter
from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import BatchReview
from zartsalgo_pipelines.storage.models import (
    DataImportBatch,
    IntegrationWebhookDelivery,
    table_of,
)

deliveries = table_of(IntegrationWebhookDelivery)
batches = table_of(DataImportBatch)


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


def _claim(engine: sa.Engine, spec: ProviderSpec, size: int) -> int | None:
    """Open a webhook batch and claim up to ``size`` unclaimed deliveries for it.

    A delivery another run claimed between the SELECT and the UPDATE is simply not this
    batch's: the batch reads back only what it holds."""
    with engine.connect() as conn:
        ids = list(
            conn.execute(
                sa.select(deliveries.c.id)
                .where(deliveries.c.provider_key == spec.key, deliveries.c.batch_id.is_(None))
                .order_by(deliveries.c.id)
                .limit(size)
            ).scalars()
        )
    if not ids:
        return None
    batch_id = open_direct_batch(engine, spec, "webhook", f"{len(ids)} webhook deliveries")
    with engine.begin() as conn:
        conn.execute(
            sa.update(deliveries)
            .where(deliveries.c.id.in_(ids), deliveries.c.batch_id.is_(None))
            .values(batch_id=batch_id)
        )
    return batch_id


def _rows(engine: sa.Engine, spec: ProviderSpec, batch_id: int) -> Iterator[SourceRow]:
    assert spec.webhook is not None
    record_of = compile_getter(spec.webhook.record_path)
    with engine.connect() as conn:
        claimed = conn.execute(
            sa.select(deliveries.c.id, deliveries.c.delivery_id, deliveries.c.body)
            .where(deliveries.c.batch_id == batch_id)
            .order_by(deliveries.c.id)
        ).all()
    for row_id, delivery_id, body in claimed:
        ref = f"webhook delivery {delivery_id}"[:255]
        try:
            record = record_of(orjson.loads(body))
        except orjson.JSONDecodeError:
            # The receiver only stores parsed bodies; a row edited by hand still ends dead-lettered.
            yield SourceRow(ref, row_id, None, "delivery body is not valid JSON", body)
            continue
        if isinstance(record, dict):
            yield SourceRow(ref, row_id, record)
        else:
            yield SourceRow(ref, row_id, None, "delivery record is not a JSON object", body)


def process_deliveries(
    engine: sa.Engine, spec: ProviderSpec, stats: FailureStats | None = None
) -> list[BatchReview]:
    """Ingest every unclaimed delivery, ``webhook.batch_size`` per batch; the batch reviews."""
    if spec.webhook is None:
        return []
    size = spec.webhook.batch_size
    with engine.begin() as conn:
        release_failed_claims(conn, spec.key)
    reviews: list[BatchReview] = []
    while (claim := _claim(engine, spec, size)) is not None:
        batch_id = claim
        try:
            # One chunk per batch: the whole group commits in one transaction, or not at all.
            review = ingest_rows(
                engine, spec, batch_id, _rows(engine, spec, batch_id), chunk_size=size, stats=stats
            )
        except Exception:
            with engine.begin() as conn:
                release_failed_claims(conn, spec.key)
            raise
        with engine.begin() as conn:
            conn.execute(
                sa.update(deliveries)
                .where(deliveries.c.batch_id == batch_id)
                .values(processed_at=utcnow())
            )
        reviews.append(review)
    return reviews
