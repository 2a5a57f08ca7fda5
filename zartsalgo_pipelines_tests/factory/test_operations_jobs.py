"""Scenario: the launchpad jobs (manual entry, dead-letter replay, test sync) run through
Dagster with config on SQLite and MySQL, use the same code as the CLI, and report their batches
as materializations of `<provider>/mapped_records`."""

import dagster as dg
import sqlalchemy as sa

from zartsalgo_pipelines.factory.operations_jobs import (
    dead_letter_replay,
    manual_records_entry,
    provider_test_sync,
)
from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase
from zartsalgo_pipelines_tests.helpers import count, quote


def run(job: dg.JobDefinition, db_url: str, op: str, config: dict) -> dg.ExecuteInProcessResult:  # type: ignore[type-arg]
    return job.execute_in_process(
        run_config={"ops": {op: {"config": config}}},
        resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def test_manual_entry_then_replay_show_up_as_mapped_records_batches(
    db_url, engine, write_export
) -> None:
    folder = write_export([quote(1), quote(2, contact__email="nope")], "call.jsonl")
    manual = run(
        manual_records_entry,
        db_url,
        "manual_entry_op",
        {
            "provider": "quote_request",
            "path": str(folder / "call.jsonl"),
            "entered_by": "ana@zartsalgo.example",
            "reason": "form down",
        },
    )
    assert manual.success
    (event, numbers) = manual.get_asset_materialization_events()
    assert event.asset_key == dg.AssetKey(["quote_request", "mapped_records"])
    # the numbers follow the hand-made batch: client_metrics recomputed, so the portal follows
    assert numbers.asset_key == dg.AssetKey(["quote_request", "client_metrics"])
    metadata = event.materialization.metadata
    assert metadata["source_kind"].value == "manual" and metadata["rows_failed"].value == 1
    assert metadata["entered_by"].value == "ana@zartsalgo.example"
    assert metadata["connection_status"].value == "connected"  # live, as a sync's carries it

    replay = run(
        dead_letter_replay, db_url, "replay_dead_letters_op", {"provider": "quote_request"}
    )
    assert replay.success
    (event, _) = replay.get_asset_materialization_events()
    assert event.materialization.metadata["source_kind"].value == "replay"
    with engine.connect() as conn:
        attempts = conn.execute(
            sa.text("SELECT attempts FROM integration_dead_letters")
        ).scalar_one()
    assert attempts == 2  # the shipped map still refuses the email


def test_test_sync_job_reports_and_writes_nothing(db_url, engine, write_export) -> None:
    folder = write_export([quote(1), quote(2, status="gone")], "probe.jsonl")
    result = run(
        provider_test_sync,
        db_url,
        "test_sync_op",
        {
            "provider": "quote_request",
            "path": str(folder / "probe.jsonl"),
            "limit": 10,
        },
    )
    assert result.success
    review = result.output_for_node("test_sync_op")
    assert (review["rows_created"], review["rows_failed"]) == (1, 1)
    assert count(engine, "data_import_batches") == 0


def test_unknown_provider_fails_the_run_clearly(db_url) -> None:
    result = run(dead_letter_replay, db_url, "replay_dead_letters_op", {"provider": "nope"})
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error
    assert error is not None and "unknown provider `nope`" in error.message


def test_a_replay_asked_by_a_name_too_long_fails_clearly_and_writes_nothing(
    db_url, engine, write_export
) -> None:
    folder = write_export([quote(2, contact__email="nope")], "call.jsonl")
    manual = {
        "provider": "quote_request",
        "path": str(folder / "call.jsonl"),
        "entered_by": "ana@zartsalgo.example",
        "reason": "form down",
    }
    assert run(manual_records_entry, db_url, "manual_entry_op", manual).success
    config = {"provider": "quote_request", "requested_by": "a" * 201}
    result = run(dead_letter_replay, db_url, "replay_dead_letters_op", config)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data
    # A dg.Failure (its description, no retry), as for every refusal of the launchpad's jobs
    assert failure.user_failure_data is not None
    assert "entered_by is 201 characters; at most 200 fit" in failure.user_failure_data.description
    assert count(engine, "data_import_batches") == 1  # the manual entry's only
