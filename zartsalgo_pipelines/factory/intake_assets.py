"""The intake assets of one provider: raw_extract (lands a batch) and mapped_records (maps and
stores it, every row accounted for)."""

from typing import Any

import dagster as dg
import sqlalchemy as sa

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
from zartsalgo_pipelines.factory.liveness import Ownership, ownership
from zartsalgo_pipelines.factory.resources import ZartsalgoDatabase
from zartsalgo_pipelines.mapping.errors import SchemaLevelError
from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.rest import RestSource
from zartsalgo_pipelines.storage.queries import connection_status

# The ingestion path (pipeline/) and the metrics (proof/) bring pandas, pyarrow and pandera:
# each asset imports them when it runs, so loading the definitions does not (docs/performance.md).


def _retry_policy(spec: ProviderSpec) -> dg.RetryPolicy:
    retry = spec.retries
    return dg.RetryPolicy(
        max_retries=retry.max_retries,
        delay=retry.delay_seconds,
        backoff=dg.Backoff[retry.backoff.upper()],
        jitter=None if retry.jitter == "none" else dg.Jitter[retry.jitter.upper()],
    )


def _source_face(spec: ProviderSpec) -> tuple[set[str], dict[str, str], str]:
    """The kinds, the `source` metadata and the description's words for the spec's source."""
    source = spec.source
    if isinstance(source, RestSource):
        return (
            {"python", "api"},
            {"source": f"{source.method} {source.base_url}{source.path}"},
            "the provider's API pages, read with the spec's paginator and landed as a batch",
        )
    return (
        {"python", source.format},
        {"source": source.path},
        "the provider's export, landed unchanged as a batch",
    )


def _land(
    shared: ProviderAssets, engine: sa.Engine, config: ExtractConfig, owner: Ownership
) -> dg.MaterializeResult:
    """Lands one batch from the provider's files or API and says what was read."""
    from zartsalgo_pipelines.pipeline.api_extract import extract_api
    from zartsalgo_pipelines.pipeline.run import extract_files

    spec = shared.spec
    if not isinstance(spec.source, RestSource):
        extract = extract_files(engine, spec, shared.spec_dir, **owner)
        metadata: dict[str, Any] = {"files": bounded_list(extract.files)}
    else:
        try:
            api = extract_api(engine, spec, full_resync=config.full_resync, **owner)
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


def build_raw_extract(shared: ProviderAssets) -> dg.AssetsDefinition:
    """The `raw_extract` asset of one provider."""
    spec, keys = shared.spec, shared.keys
    kinds, source_about, landed = _source_face(spec)

    @dg.asset(
        key=keys["raw_extract"],
        retry_policy=_retry_policy(spec),
        # One pool per REST provider (limit in the deployment's dagster.yaml): two runs never
        # call one provider's API at once, whoever launched them.
        pool=provider_pool(spec),
        kinds=kinds,
        metadata=shared.about | source_about,
        description=f"{spec.display_name}: {landed}.",
        **shared.common,
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
        # The batch records this run and process as its owner, for the crash sweep.
        return _land(shared, zartsalgo_db.engine(), config, ownership(context))

    return raw_extract


def _map_waiting(
    context: dg.AssetExecutionContext, shared: ProviderAssets, engine: sa.Engine
) -> dg.MaterializeResult:
    """Maps every extracted batch and stored webhook delivery that waits, through one path."""
    from zartsalgo_pipelines.pipeline.pending import process_waiting

    spec = shared.spec
    stats = FailureStats()
    try:
        # Stored webhook deliveries go through the same path, as `webhook` batches.
        waiting = process_waiting(engine, spec, stats, **ownership(context))
    except SchemaLevelError as error:
        raise dg.Failure(str(error)) from error
    reviews, skipped = waiting.reviews, waiting.skipped
    if not reviews and not skipped:
        skipped = _taken_by_another_run(context, shared, engine)
    if not reviews and skipped:
        # Another run holds the work: this run did nothing, and says why.
        context.log.info("; ".join(skipped))
        field_results, _ = field_checks(spec, stats)
        with engine.connect() as conn:
            skip_checks = [*field_results, accounting_check(conn, [])]
        # No ABOVE_TOLERANCE: nothing was mapped, the last mapping run's verdict stands.
        return dg.MaterializeResult(
            metadata={"skipped": skipped, "batch_ids": []}, check_results=skip_checks
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


def _taken_by_another_run(
    context: dg.AssetExecutionContext, shared: ProviderAssets, engine: sa.Engine
) -> list[str]:
    """Why nothing waits when this run's own extract landed a batch: the run holding the
    ingest lease took it (it takes what waits before it lets go). Empty when this run
    extracted nothing: then mapping without an extract is a mistake, and the step fails."""
    from zartsalgo_pipelines.storage.batches import batch_owner_run

    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    for record in records:
        landed = record.asset_materialization
        if landed is None or landed.asset_key != shared.keys["raw_extract"]:
            continue
        batch_id = int(str(landed.metadata["batch_id"].value))
        with engine.connect() as conn:
            owner = batch_owner_run(conn, batch_id)
        if owner is not None and owner[1] != context.run.run_id:
            status, run_id = owner
            return [
                f"{shared.spec.key}: batch {batch_id} of this run's extract was taken by run "
                f"{run_id} ({status})"
            ]
    return []


def build_mapped_records(shared: ProviderAssets) -> dg.AssetsDefinition:
    """The `mapped_records` asset of one provider."""
    spec, keys = shared.spec, shared.keys

    @dg.asset(
        key=keys["mapped_records"],
        deps=[keys["raw_extract"]],
        kinds={"python", "pandas", shared.database},
        metadata=shared.about | {"object_type": spec.object_type},
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
        **shared.common,
    )
    def mapped_records(
        context: dg.AssetExecutionContext, zartsalgo_db: ZartsalgoDatabase
    ) -> dg.MaterializeResult:
        return _map_waiting(context, shared, zartsalgo_db.engine())

    return mapped_records
