"""The outcome assets of one provider: dead_letter (the failed rows, and the gate that holds
client_metrics back above the tolerance) and client_metrics."""

import dagster as dg

from zartsalgo_pipelines.factory.asset_shared import ProviderAssets, marked_only
from zartsalgo_pipelines.factory.checks import (
    gate_check,
    gate_spec,
    gate_verdict,
)
from zartsalgo_pipelines.factory.resources import ZartsalgoDatabase
from zartsalgo_pipelines.storage.import_batches import latest_batch, review
from zartsalgo_pipelines.storage.queries import (
    dead_letter_summary,
    failed_rows_without_dead_letter,
)

# The ingestion path (pipeline/) and the metrics (proof/) bring pandas, pyarrow and pandera:
# each asset imports them when it runs, so loading the definitions does not (docs/performance.md).


def build_dead_letter(shared: ProviderAssets) -> dg.AssetsDefinition:
    """The `dead_letter` asset of one provider."""
    spec, keys, database, common = shared.spec, shared.keys, shared.database, shared.common

    @dg.asset(
        key=keys["dead_letter"],
        deps=[keys["mapped_records"]],
        kinds={"python", database},
        metadata=shared.spec_link,
        check_specs=[
            dg.AssetCheckSpec(
                "every_failure_dead_lettered", asset=keys["dead_letter"], blocking=True
            ),
            gate_spec(keys["dead_letter"]),
        ],
        description=f"{spec.display_name} rows that failed the field map, kept whole with the "
        "reason, field and check, waiting for a fix and replay.",
        **common,
    )
    def dead_letter(
        context: dg.AssetExecutionContext, zartsalgo_db: ZartsalgoDatabase
    ) -> dg.MaterializeResult:
        with zartsalgo_db.engine().connect() as conn:
            batch_id = latest_batch(conn, spec.key, "succeeded")
            summary = dead_letter_summary(conn, spec.key)
            missing = failed_rows_without_dead_letter(conn, spec.key, batch_id) if batch_id else 0
            batch = review(conn, batch_id) if batch_id else None
        return dg.MaterializeResult(
            metadata={
                "batch_id": batch_id or 0,
                "failed_in_batch": batch.rows_failed if batch else 0,
                "open_dead_letters": summary["open"],
                "by_reason": dg.MetadataValue.json(summary["by_reason"][:20]),
                "dagster/row_count": summary["open"],
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="every_failure_dead_lettered",
                    passed=missing == 0,
                    metadata={"failed_rows_without_dead_letter": missing},
                ),
                # Here, not on mapped_records: it blocks client_metrics and nothing else.
                gate_check(context.instance, keys["mapped_records"]),
            ],
        )

    return dead_letter


def build_client_metrics(shared: ProviderAssets) -> dg.AssetsDefinition:
    """The `client_metrics` asset of one provider."""
    spec, keys, database, common = shared.spec, shared.keys, shared.database, shared.common

    @dg.asset(
        key=keys["client_metrics"],
        deps=[keys["mapped_records"], keys["dead_letter"]],
        kinds={"python", database},
        metadata={"metrics": [m.key for m in spec.metrics]} | shared.spec_link,
        description=f"Client-safe metrics from {spec.display_name}: source, baseline, current "
        "value, status and next action per client and period. Never a raw payload.",
        **common,
    )
    def client_metrics(
        context: dg.AssetExecutionContext, zartsalgo_db: ZartsalgoDatabase
    ) -> dg.MaterializeResult:
        from zartsalgo_pipelines.proof.metric_table import latest_metrics_table
        from zartsalgo_pipelines.proof.refresh_scope import refresh_marked_metrics

        # Materialized alone, no blocking check upstream holds this step: judge the gate here.
        verdict = gate_verdict(context.instance, keys["mapped_records"])
        if verdict.above:
            raise dg.Failure(verdict.closed_reason(spec.key), allow_retries=False)

        # A webhook run recomputes the clients its batches marked; any other run, every client.
        with zartsalgo_db.engine().begin() as conn:
            cards = refresh_marked_metrics(conn, spec, marked_only=marked_only(context))
        return dg.MaterializeResult(
            metadata={
                "marked_only": marked_only(context),
                "cards": len(cards),
                "dagster/row_count": len(cards),
                "latest": dg.MetadataValue.md(latest_metrics_table(spec, cards)),
            }
        )

    return client_metrics
