"""Spec -> the four assets of one provider: raw_extract -> mapped_records -> dead_letter ->
client_metrics. Assets stay thin: they call ``pipeline`` and ``proof`` and report metadata.
Nothing they report carries a raw payload value or a secret: counts, ids, masked examples.
"""

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg
import pydantic

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.factory.checks import (
    ABOVE_TOLERANCE,
    accounting_check,
    field_check_specs,
    field_checks,
    gate_check,
    gate_spec,
)
from zartsalgo_pipelines.factory.liveness import ownership
from zartsalgo_pipelines.factory.resources import ZartsalgoDatabase, database_kind
from zartsalgo_pipelines.mapping.errors import SchemaLevelError
from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.rest import RestSource
from zartsalgo_pipelines.storage.import_batches import latest_batch, review
from zartsalgo_pipelines.storage.queries import (
    connection_status,
    dead_letter_summary,
    failed_rows_without_dead_letter,
)

# The ingestion path (pipeline/) and the metrics (proof/) bring pandas, pyarrow and pandera:
# each asset imports them when it runs, so loading the definitions does not (docs/performance.md).

ASSET_NAMES = ("raw_extract", "mapped_records", "dead_letter", "client_metrics")
# Dagster stores each event in a 64 KB TEXT column on MySQL: lists in metadata keep their last
# items only (the count says how many there were), so no value grows with the backlog.
METADATA_LIST_LIMIT = 20


def bounded_list(items: list[Any]) -> dict[str, Any] | list[Any]:
    """``items`` itself when short, else its last METADATA_LIST_LIMIT items and the count."""
    if len(items) <= METADATA_LIST_LIMIT:
        return items
    return {"count": len(items), "last": items[-METADATA_LIST_LIMIT:]}


def provider_pool(spec: ProviderSpec) -> str | None:
    """The Dagster concurrency pool of a REST provider's extract: the provider key."""
    return spec.key if isinstance(spec.source, RestSource) else None


class ExtractConfig(dg.Config):
    full_resync: bool = pydantic.Field(
        False,
        description="REST sources: ignore the stored incremental cursor and read everything "
        "from the spec's initial_value (a full re-sync).",
    )


def asset_keys(spec: ProviderSpec) -> dict[str, dg.AssetKey]:
    return {name: dg.AssetKey([spec.key, name]) for name in ASSET_NAMES}


def build_provider_assets(spec: ProviderSpec, spec_dir: Path) -> list[dg.AssetsDefinition]:
    """The provider's asset group, its owners, kinds, freshness and field-map checks."""
    keys = asset_keys(spec)
    database = database_kind()  # the kinds name the database in use, not always MySQL
    common: dict[str, Any] = {
        "group_name": spec.key,
        "owners": [spec.owner],
        "tags": {
            "provider": spec.key,
            "object_type": spec.object_type,
            "connection_status": spec.status,
        },
        "freshness_policy": dg.FreshnessPolicy.time_window(
            fail_window=dt.timedelta(hours=spec.stale_after_hours)
        ),
    }
    about = {
        "provider": spec.display_name,
        "connection_status": spec.status,
        "owner": spec.owner,
        "reason": spec.reason,
        "auth_model": spec.auth.model,
        "spec_version": spec.version,
    }

    retry = spec.retries
    retry_policy = dg.RetryPolicy(
        max_retries=retry.max_retries,
        delay=retry.delay_seconds,
        backoff=dg.Backoff[retry.backoff.upper()],
        jitter=None if retry.jitter == "none" else dg.Jitter[retry.jitter.upper()],
    )

    source = spec.source
    if isinstance(source, RestSource):
        source_kinds = {"python", "api"}
        source_about = {"source": f"{source.method} {source.base_url}{source.path}"}
        landed = "the provider's API pages, read with the spec's paginator and landed as a batch"
    else:
        source_kinds = {"python", source.format}
        source_about = {"source": source.path}
        landed = "the provider's export, landed unchanged as a batch"

    @dg.asset(
        key=keys["raw_extract"],
        retry_policy=retry_policy,
        # One pool per REST provider (limit in the deployment's dagster.yaml): two runs never
        # call one provider's API at once, whoever launched them.
        pool=provider_pool(spec),
        kinds=source_kinds,
        metadata=about | source_about,
        description=f"{spec.display_name}: {landed}.",
        **common,
    )
    def raw_extract(
        context: dg.AssetExecutionContext, config: ExtractConfig, zartsalgo_db: ZartsalgoDatabase
    ) -> dg.MaterializeResult:
        if spec.status != "connected":
            raise dg.Failure(
                f"{spec.key} is {spec.status}; only connected providers sync "
                "(set `status: connected` in its defs.yaml once access is confirmed)",
                allow_retries=False,
            )
        from zartsalgo_pipelines.pipeline.api_extract import extract_api
        from zartsalgo_pipelines.pipeline.run import extract_files

        # The batch records this run and process as its owner, for the crash sweep.
        owner = ownership(context)
        if not isinstance(spec.source, RestSource):
            extract = extract_files(zartsalgo_db.engine(), spec, spec_dir, **owner)
            metadata: dict[str, Any] = {"files": bounded_list(extract.files)}
        else:
            try:
                api = extract_api(
                    zartsalgo_db.engine(), spec, full_resync=config.full_resync, **owner
                )
            except ZartsalgoError as error:
                # Retrying cannot fix a refused or missing credential or an answer the spec
                # does not expect; a provider that is down or rate limiting may be back.
                raise dg.Failure(str(error), allow_retries=error.retryable) from None
            extract = api
            metadata = {
                "pages": api.pages,
                "records": api.records,
                "incremental_from": str(api.incremental_from or ""),
                "incremental_cursor": api.incremental_cursor or "",
                **api.http,
            }
        return dg.MaterializeResult(
            metadata={
                "batch_id": extract.batch_id,
                **metadata,
                "bytes": extract.bytes,
                "sha256": extract.fingerprint,
            }
        )

    @dg.asset(
        key=keys["mapped_records"],
        deps=[keys["raw_extract"]],
        kinds={"python", "pandas", database},
        metadata=about | {"object_type": spec.object_type},
        check_specs=[
            *field_check_specs(spec, keys["mapped_records"]),
            dg.AssetCheckSpec(
                "rows_accounted",
                asset=keys["mapped_records"],
                blocking=True,
                description="Every input row is exactly one import row.",
            ),
        ],
        description=f"{spec.display_name} mapped into ZartsAlgo `{spec.object_type}` records "
        "through the field map; every row created, updated, failed, duplicate or ignored.",
        **common,
    )
    def mapped_records(
        context: dg.AssetExecutionContext, zartsalgo_db: ZartsalgoDatabase
    ) -> dg.MaterializeResult:
        from zartsalgo_pipelines.pipeline.deliveries import process_deliveries
        from zartsalgo_pipelines.pipeline.pending import process_pending

        engine = zartsalgo_db.engine()
        stats = FailureStats()
        owner = ownership(context)
        try:
            pending = process_pending(engine, spec, stats, **owner)
        except SchemaLevelError as error:
            raise dg.Failure(str(error)) from error
        reviews, skipped = pending.reviews, pending.skipped
        # Stored webhook deliveries go through the same path, as `webhook` batches.
        reviews += process_deliveries(engine, spec, stats, skipped=skipped, **owner)
        if not reviews and skipped:
            # Another run holds the work: this run did nothing, and says why.
            context.log.info("; ".join(skipped))
            field_results, _ = field_checks(spec, stats)
            with engine.connect() as conn:
                skip_checks = [*field_results, accounting_check(conn, [])]
            return dg.MaterializeResult(
                metadata={"skipped": skipped, "batch_ids": [], ABOVE_TOLERANCE: []},
                check_results=skip_checks,
            )
        if not reviews:
            raise dg.Failure(
                f"{spec.key}: no extracted batch or webhook delivery is waiting; "
                "materialize raw_extract"
            )
        checks, above = field_checks(spec, stats)
        with engine.connect() as conn:
            checks.append(accounting_check(conn, reviews))
            connection = connection_status(conn, spec.key)
        last = reviews[-1]
        return dg.MaterializeResult(
            metadata=last.as_metadata()
            | {
                "batch_ids": bounded_list([r.batch_id for r in reviews]),
                # Read by dead_letter's blocking gate, which runs in a step of its own.
                ABOVE_TOLERANCE: above,
                "skipped": skipped,
                "connection_status": connection or "unknown",
                "dagster/row_count": last.rows_total,
            },
            check_results=checks,
        )

    @dg.asset(
        key=keys["dead_letter"],
        deps=[keys["mapped_records"]],
        kinds={"python", database},
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

    @dg.asset(
        key=keys["client_metrics"],
        deps=[keys["mapped_records"], keys["dead_letter"]],
        kinds={"python", database},
        metadata={"metrics": [m.key for m in spec.metrics]},
        description=f"Client-safe metrics from {spec.display_name}: source, baseline, current "
        "value, status and next action per client and period. Never a raw payload.",
        **common,
    )
    def client_metrics(zartsalgo_db: ZartsalgoDatabase) -> dg.MaterializeResult:
        from zartsalgo_pipelines.proof.metrics import latest_metrics_table, refresh_client_metrics

        with zartsalgo_db.engine().begin() as conn:
            cards = refresh_client_metrics(conn, spec)
        return dg.MaterializeResult(
            metadata={
                "cards": len(cards),
                "dagster/row_count": len(cards),
                "latest": dg.MetadataValue.md(latest_metrics_table(spec, cards)),
            }
        )

    return [raw_extract, mapped_records, dead_letter, client_metrics]
