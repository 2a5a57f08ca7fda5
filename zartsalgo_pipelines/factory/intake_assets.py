"""The intake assets of one provider: raw_extract (lands a batch) and mapped_records (maps and
stores it, every row accounted for)."""

from typing import Any

import dagster as dg

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.factory.asset_shared import (
    ExtractConfig,
    ProviderAssets,
    bounded_list,
    provider_pool,
)
from zartsalgo_pipelines.factory.checks import (
    ABOVE_TOLERANCE,
    accounting_check,
    field_check_specs,
    field_checks,
)
from zartsalgo_pipelines.factory.liveness import ownership
from zartsalgo_pipelines.factory.resources import ZartsalgoDatabase
from zartsalgo_pipelines.mapping.errors import SchemaLevelError
from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.specs.rest import RestSource
from zartsalgo_pipelines.storage.queries import (
    connection_status,
)

# The ingestion path (pipeline/) and the metrics (proof/) bring pandas, pyarrow and pandera:
# each asset imports them when it runs, so loading the definitions does not (docs/performance.md).


def build_raw_extract(shared: ProviderAssets) -> dg.AssetsDefinition:
    """The `raw_extract` asset of one provider."""
    spec, spec_dir, keys, common, about = (
        shared.spec,
        shared.spec_dir,
        shared.keys,
        shared.common,
        shared.about,
    )
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

    return raw_extract


def build_mapped_records(shared: ProviderAssets) -> dg.AssetsDefinition:
    """The `mapped_records` asset of one provider."""
    spec, keys, database, common, about = (
        shared.spec,
        shared.keys,
        shared.database,
        shared.common,
        shared.about,
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

    return mapped_records
