"""Jobs the data owner launches from the UI launchpad: dead-letter replay, manual entry and a
test sync. They call the same functions as the `zartsalgo` CLI; replay and manual batches are
reported as materializations of `<provider>/mapped_records`, so they appear in the asset's
history and lineage like any other batch."""

from pathlib import Path

import dagster as dg
import pydantic
import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.factory.history import batch_materialization
from zartsalgo_pipelines.factory.resources import ZartsalgoDatabase
from zartsalgo_pipelines.specs.errors import ProviderSpecError
from zartsalgo_pipelines.specs.loading import LoadedSpec, provider_spec

# The data owner's tools (ops/) map rows with pandas and pandera: each op imports them when it
# runs, so loading the definitions (the code server, every run worker) does not.


def _provider(key: str) -> LoadedSpec:
    try:
        return provider_spec(key)
    except ProviderSpecError as error:
        raise dg.Failure(str(error), allow_retries=False) from error


# As long as `zartsalgo manual` / `replay` wait by default while a sync writes.
LEASE_WAIT_SECONDS = 60.0


def _live_status(engine: sa.Engine, provider_key: str) -> str:
    """The connection status after the batch, as a sync's materialization carries it."""
    from zartsalgo_pipelines.storage.queries import connection_status

    with engine.connect() as conn:
        return connection_status(conn, provider_key) or "unknown"


def _busy(error: Exception) -> dg.Failure:
    return dg.Failure(
        f"{error}; nothing was written; launch it again once that sync has finished",
        allow_retries=False,
    )


def _repo_path(text: str) -> Path:
    """Launchpad paths are relative to the repository (or absolute)."""
    path = Path(text)
    return path if path.is_absolute() else settings.REPOSITORY_DIR / path


class ReplayConfig(dg.Config):
    provider: str = pydantic.Field(description="Provider key, e.g. quote_request.")
    reason_contains: str | None = pydantic.Field(None, description="Only matching reasons.")
    dead_letter_ids: list[int] = pydantic.Field([], description="Only these dead letters.")
    requested_by: str = pydantic.Field("dagster launchpad", description="Who asks for it.")


@dg.op(description="Replay open dead letters through the current field map as a new batch.")
def replay_dead_letters_op(
    context: dg.OpExecutionContext, config: ReplayConfig, zartsalgo_db: ZartsalgoDatabase
) -> None:
    from zartsalgo_pipelines.errors import TooLongError
    from zartsalgo_pipelines.ops.replay import replay_dead_letters
    from zartsalgo_pipelines.storage.import_batches import BatchNotClaimedError

    engine = zartsalgo_db.engine()
    try:
        result = replay_dead_letters(
            engine,
            _provider(config.provider).spec,
            ids=config.dead_letter_ids,
            reason_contains=config.reason_contains,
            requested_by=config.requested_by,
            wait_seconds=LEASE_WAIT_SECONDS,
            on_wait=context.log.info,
        )
    except TooLongError as error:
        raise dg.Failure(str(error), allow_retries=False) from None
    except BatchNotClaimedError as error:
        raise _busy(error) from error
    if result.review is None:
        context.log.info(f"{config.provider}: no open dead letter matches")
        return
    status = _live_status(engine, config.provider)
    context.log_event(
        batch_materialization(
            result.review, requested_by=config.requested_by, connection_status=status
        )
    )
    _numbers_follow(context, engine, config.provider, result.review.batch_id)
    context.log.info(
        f"replayed {len(result.replayed)} dead letters; {len(result.still_failing)} still fail"
    )


def _numbers_follow(
    context: dg.OpExecutionContext, engine: sa.Engine, provider: str, batch_id: int
) -> None:
    """A hand-made batch changes the provider's numbers as a sync would: its client metrics
    are recomputed and reported, so the portal follows (the `portal_follows_client_metrics`
    sensor), however the sources are doing."""
    from zartsalgo_pipelines.proof.refresh_scope import refresh_marked_metrics

    with engine.begin() as conn:  # every client; the batch's marks are then done
        written = refresh_marked_metrics(conn, _provider(provider).spec, marked_only=False)
    context.log_event(
        dg.AssetMaterialization(
            asset_key=dg.AssetKey([provider, "client_metrics"]),
            description=f"after batch {batch_id}",
            metadata={"cards": len(written), "batch_id": batch_id},
        )
    )


class ManualEntryConfig(dg.Config):
    provider: str = pydantic.Field(description="Provider key, e.g. quote_request.")
    path: str = pydantic.Field(
        description="CSV, JSON, JSON-lines or .xlsx file, relative to the repo; columns named "
        "by export path, label or target (docs/operations.md)."
    )
    entered_by: str = pydantic.Field(description="Who entered the records.")
    reason: str = pydantic.Field(description="Why they are entered by hand.")


@dg.op(description="Enter a small file of records as a manual batch (the manual fallback).")
def manual_entry_op(
    context: dg.OpExecutionContext, config: ManualEntryConfig, zartsalgo_db: ZartsalgoDatabase
) -> None:
    from zartsalgo_pipelines.ops.manual import manual_entry
    from zartsalgo_pipelines.storage.import_batches import BatchNotClaimedError

    path = _repo_path(config.path)
    if not path.is_file():
        raise dg.Failure(f"manual entry file not found: {config.path}")
    engine = zartsalgo_db.engine()
    try:
        review = manual_entry(
            engine,
            _provider(config.provider).spec,
            path,
            entered_by=config.entered_by,
            reason=config.reason,
            wait_seconds=LEASE_WAIT_SECONDS,
            on_wait=context.log.info,
        )
    except ValueError as error:
        raise dg.Failure(str(error)) from error
    except BatchNotClaimedError as error:
        raise _busy(error) from error
    status = _live_status(engine, config.provider)
    context.log_event(
        batch_materialization(review, entered_by=config.entered_by, connection_status=status)
    )
    _numbers_follow(context, engine, config.provider, review.batch_id)


class TestSyncConfig(dg.Config):
    provider: str = pydantic.Field(description="Provider key, e.g. quote_request.")
    limit: int | None = pydantic.Field(1000, description="At most this many rows.")
    path: str | None = pydantic.Field(None, description="A file instead of the source.")


@dg.op(description="What a sync would create, update, fail, skip or ignore; writes nothing.")
def test_sync_op(
    context: dg.OpExecutionContext, config: TestSyncConfig, zartsalgo_db: ZartsalgoDatabase
) -> dict[str, object]:
    from zartsalgo_pipelines.ops.test_sync import dry_run, source_rows
    from zartsalgo_pipelines.sources.files import file_rows

    loaded = _provider(config.provider)
    spec = loaded.spec
    rows = (
        file_rows(_repo_path(config.path), spec.text_encoding)
        if config.path
        else source_rows(loaded)
    )
    try:
        review = dry_run(zartsalgo_db.engine(), spec, rows, config.limit).as_dict()
    # Ours (each with a clear, secret-free message), or a file given by hand that is missing.
    except (ZartsalgoError, FileNotFoundError) as error:
        raise dg.Failure(str(error), allow_retries=False) from None
    context.add_output_metadata({"review": dg.MetadataValue.json(review)})
    return review


class ConnectionCheckConfig(dg.Config):
    provider: str = pydantic.Field(description="Provider key, e.g. crm_deals.")


@dg.op(description="Call the provider once; report connected / auth_failed / unreachable.")
def connection_check_op(
    context: dg.OpExecutionContext, config: ConnectionCheckConfig, zartsalgo_db: ZartsalgoDatabase
) -> dict[str, object]:
    from zartsalgo_pipelines.ops.connection_check import check_connection

    loaded = _provider(config.provider)
    check = check_connection(zartsalgo_db.engine(), loaded.spec, loaded.folder)
    context.add_output_metadata(check.as_dict())
    if check.result != "connected":
        raise dg.Failure(f"{check.result}: {check.detail}", allow_retries=False)
    return check.as_dict()


@dg.job(description="Replay open dead letters (config: provider; reason_contains or ids).")
def dead_letter_replay() -> None:
    replay_dead_letters_op()


@dg.job(description="Manual fallback: enter a small file of records for one provider.")
def manual_records_entry() -> None:
    manual_entry_op()


@dg.job(description="Dry run of a provider's sync before launch; writes nothing.")
def provider_test_sync() -> None:
    test_sync_op()


@dg.job(description="Connection check: call a provider once with its configured credentials.")
def provider_connection_check() -> None:
    connection_check_op()


OPERATIONS_JOBS = [
    dead_letter_replay,
    manual_records_entry,
    provider_test_sync,
    provider_connection_check,
]
