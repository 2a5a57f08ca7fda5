"""Stored webhook deliveries -> `webhook` batches, on SQLite and MySQL: each delivery ends as
exactly one import row with the usual statuses, in batches of `webhook.batch_size`, and a
delivery is never processed twice (re-runs, and claims left by a failed batch)."""

import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.deliveries import (
    pending_deliveries,
    process_deliveries,
    store_delivery,
)
from zartsalgo_pipelines.pipeline.lifecycle import fail_batch
from zartsalgo_pipelines.pipeline.run import open_direct_batch
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import review
from zartsalgo_pipelines.tables import DataImportRow, IntegrationWebhookDelivery, table_of
from zartsalgo_pipelines_tests.helpers import DROP, count, quote

deliveries = table_of(IntegrationWebhookDelivery)
rows = table_of(DataImportRow)


@pytest.fixture
def spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    shipped = make_spec()
    assert shipped.webhook is not None
    return shipped.model_copy(
        update={"webhook": shipped.webhook.model_copy(update={"batch_size": 4})}
    )


def push(engine: sa.Engine, spec: ProviderSpec, delivery_id: str, record: object) -> bool:
    body = json.dumps({"type": "quote_request.created", "data": record}).encode()
    return store_delivery(engine, spec.key, delivery_id, body)


def outcomes(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                sa.text(
                    "SELECT d.delivery_id, r.status FROM integration_webhook_deliveries d "
                    "JOIN data_import_rows r ON r.batch_id = d.batch_id "
                    "AND r.source_position = d.id"
                )
            ).all()
        )


def test_each_delivery_ends_as_exactly_one_import_row(
    engine: sa.Engine, spec: ProviderSpec
) -> None:
    pushed = {
        "d1": quote(1),
        "d2": quote(2),
        "d3": quote(1, status="won", updated_at="2026-11-17T10:00:00Z"),  # update of d1
        "d4": quote(4, contact__email="not-an-email"),  # fails the field map
        "d5": quote(5, is_test=True),  # ignored
        "d6": quote(2),  # same payload as d2 under a new delivery id: duplicate
        "d7": quote(7, client=DROP),  # required client missing
    }
    for delivery_id, record in pushed.items():
        assert push(engine, spec, delivery_id, record)
    assert not push(engine, spec, "d1", quote(1))  # redelivery: not stored again

    reviews = process_deliveries(engine, spec)

    assert [r.rows_total for r in reviews] == [4, 3]  # batch_size 4
    assert all(r.adds_up and r.source_kind == "webhook" for r in reviews)
    assert outcomes(engine) == {
        "d1": "created",
        "d2": "created",
        "d3": "updated",
        "d4": "failed",
        "d5": "ignored",
        "d6": "duplicate",
        "d7": "failed",
    }
    assert count(engine, "quote_requests") == 2
    assert count(engine, "integration_dead_letters") == 2
    with engine.connect() as conn:
        refs = (
            conn.execute(
                sa.text("SELECT source_ref FROM integration_dead_letters ORDER BY source_ref")
            )
            .scalars()
            .all()
        )
        assert pending_deliveries(conn, spec.key).count == 0
    assert refs == ["webhook delivery d4", "webhook delivery d7"]


def test_processing_again_changes_nothing(engine: sa.Engine, spec: ProviderSpec) -> None:
    for n in range(1, 4):
        push(engine, spec, f"d{n}", quote(n))
    process_deliveries(engine, spec)
    before = count(engine, "data_import_rows"), count(engine, "data_import_batches")
    assert process_deliveries(engine, spec) == []
    assert (count(engine, "data_import_rows"), count(engine, "data_import_batches")) == before


def test_deliveries_held_by_a_failed_batch_are_processed_once_by_the_next_run(
    engine: sa.Engine, spec: ProviderSpec
) -> None:
    for n in range(1, 4):
        push(engine, spec, f"d{n}", quote(n))
    # A run claimed them and died: its batch was closed as failed, nothing of it was written.
    dead = open_direct_batch(engine, spec, "webhook", "3 webhook deliveries")
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE integration_webhook_deliveries SET batch_id = :b"), {"b": dead}
        )
        assert pending_deliveries(conn, spec.key).count == 0
    fail_batch(engine, spec, dead, "worker lost")

    reviews = process_deliveries(engine, spec)

    assert len(reviews) == 1 and reviews[0].rows_created == 3
    assert set(outcomes(engine).values()) == {"created"}
    with engine.connect() as conn:
        assert review(conn, dead).rows_total == 0
        # Import rows of ANY batch, the failed one included, that came from each delivery.
        ref = sa.literal("webhook delivery ") + deliveries.c.delivery_id
        rows_per_delivery = conn.execute(
            sa.select(deliveries.c.delivery_id, sa.func.count(rows.c.batch_id))
            .select_from(deliveries.outerjoin(rows, rows.c.source_ref == ref))
            .group_by(deliveries.c.delivery_id)
        ).all()
    assert dict(rows_per_delivery) == {"d1": 1, "d2": 1, "d3": 1}
