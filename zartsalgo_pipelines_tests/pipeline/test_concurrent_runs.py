"""Scenario: two runs of one provider at the same time, on SQLite and MySQL.

Each `extracted` batch and each group of webhook deliveries is claimed by exactly one run (a
conditional UPDATE whose row count says who won, under the provider's ingest lease); the other
run skips it with a stated reason. Two real concurrent runs (threads released together) end
with every batch succeeded exactly once, no batch failed, no deadlock or duplicate-key error,
and the data right.
"""

import json
import threading
from collections.abc import Callable
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.factory.provider_defs import build_provider_defs
from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase
from zartsalgo_pipelines.mapping.stats import FailureStats
from zartsalgo_pipelines.ops.manual import manual_entry
from zartsalgo_pipelines.owners import BatchOwner
from zartsalgo_pipelines.pipeline.deliveries import store_delivery
from zartsalgo_pipelines.pipeline.pending import PendingResult, process_waiting
from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.engine import create_engine
from zartsalgo_pipelines.storage.import_batches import BatchNotClaimedError, claim_batch
from zartsalgo_pipelines_tests.helpers import count, quote

RUN_A = BatchOwner.this_process(run_id="run-a")
RUN_B = BatchOwner.this_process(run_id="run-b")


@pytest.fixture
def spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    spec = make_spec(source={"kind": "file", "path": "*.jsonl", "format": "jsonl"}, chunk_size=50)
    assert spec.webhook is not None
    return spec.model_copy(update={"webhook": spec.webhook.model_copy(update={"batch_size": 40})})


def test_a_batch_another_run_took_is_skipped_with_the_reason(engine, spec, write_export) -> None:
    folder = write_export([quote(n) for n in range(1, 11)])
    first = extract_files(engine, spec, folder).batch_id
    second = extract_files(engine, spec, folder).batch_id
    with engine.begin() as conn:
        claim_batch(conn, spec, first, RUN_A)  # run A holds batch 1 and the lease
    with pytest.raises(BatchNotClaimedError, match=f"batch {first} is no longer extracted"):
        process_extract(engine, spec, first, owner=RUN_B)
    busy = rf"batch {first} \(run run-a\) is being ingested"
    with pytest.raises(BatchNotClaimedError, match=busy):
        process_extract(engine, spec, second, owner=RUN_B)
    with engine.connect() as conn:
        statuses = conn.execute(
            sa.text("SELECT id, status, run_id FROM data_import_batches ORDER BY id")
        ).all()
    # Nothing of run B's attempts changed a batch: no batch wrongly failed.
    expected = [(first, "running", "run-a"), (second, "extracted", None)]
    assert [tuple(r) for r in statuses] == expected


def test_two_concurrent_runs_process_each_batch_and_delivery_exactly_once(
    db_url, engine, spec, write_export
) -> None:
    folder = write_export([quote(n) for n in range(1, 301)])
    extracts = [extract_files(engine, spec, folder).batch_id for _ in range(2)]
    for n in range(1, 201):
        body = json.dumps({"type": "quote_request.created", "data": quote(1000 + n)}).encode()
        assert store_delivery(engine, spec.key, f"msg-{n:04d}", body)
    start = threading.Barrier(2)
    results: dict[str, Any] = {}

    def run(name: str, owner: BatchOwner) -> None:
        own_engine = create_engine(db_url)  # a run is its own process: its own connections
        try:
            start.wait()
            results[name] = process_waiting(own_engine, spec, owner=owner)
        except BaseException as error:  # reported below, with the run's name
            results[name] = error
        finally:
            own_engine.dispose()

    threads = [threading.Thread(target=run, args=(n, o)) for n, o in (("a", RUN_A), ("b", RUN_B))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    errors = {n: r for n, r in results.items() if isinstance(r, BaseException)}
    assert not errors, errors
    done = [r for result in results.values() for r in result.reviews]
    assert all(r.status == "succeeded" and r.adds_up for r in done)
    with engine.connect() as conn:
        statuses = dict(conn.execute(sa.text("SELECT id, status FROM data_import_batches")).all())
    assert set(statuses.values()) == {"succeeded"}  # no batch failed, none left behind
    assert sorted(r.batch_id for r in done) == sorted(statuses)  # each by exactly one run
    for result in results.values():
        assert all("being ingested" in s or "another run took it" in s for s in result.skipped)
    files = sorted((r.rows_created, r.rows_duplicate) for r in done if r.batch_id in extracts)
    assert files == [(0, 300), (300, 0)]
    assert count(engine, "quote_requests") == 500
    assert count(engine, "integration_webhook_deliveries", "WHERE processed_at IS NULL") == 0
    assert count(engine, "data_import_rows") == 2 * 300 + 200


class _HoldingStats(FailureStats):
    """A real run's stats, pausing the run at its first chunk (it holds the lease then) until
    the test has let the other run try."""

    def __init__(self, holding: threading.Event, go_on: threading.Event) -> None:
        super().__init__()
        self.holding, self.go_on = holding, go_on

    def add(self, chunk: Any) -> None:
        super().add(chunk)
        if not self.holding.is_set():
            self.holding.set()
            self.go_on.wait(120)


def test_the_run_holding_the_lease_takes_the_batch_that_waited_for_it(
    db_url, engine, spec, write_export
) -> None:
    """Two syncs at once: run B's extract lands batch 2 while run A ingests batch 1; B cannot
    take batch 2 (A holds the lease) and ends. Batch 2 used to stay `extracted` until some
    later sync; A now looks again once its lease is free and takes it."""
    folder = write_export([quote(n) for n in range(1, 11)])
    first = extract_files(engine, spec, folder).batch_id
    holding, go_on = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def run_a() -> None:
        own_engine = create_engine(db_url)
        try:
            stats = _HoldingStats(holding, go_on)
            results["a"] = process_waiting(own_engine, spec, stats, owner=RUN_A)
        except BaseException as error:  # reported below
            results["a"] = error
        finally:
            own_engine.dispose()

    thread = threading.Thread(target=run_a)
    thread.start()
    try:
        assert holding.wait(120), "run A never reached its first chunk"
        second = extract_files(engine, spec, folder).batch_id
        b = process_waiting(engine, spec, owner=RUN_B)
        assert b.reviews == []
        assert f"batch {second} must wait" in b.skipped[0]
    finally:
        go_on.set()
        thread.join()
    a = results["a"]
    assert isinstance(a, PendingResult), a
    assert [r.batch_id for r in a.reviews] == [first, second]
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, run_id FROM data_import_batches")).all()
    assert [tuple(r) for r in rows] == [("succeeded", "run-a")] * 2


def test_mapped_records_skips_with_the_reason_while_another_run_holds_the_work(
    db_url, engine, spec, write_export, tmp_path
) -> None:
    folder = write_export([quote(n) for n in range(1, 6)])
    first = extract_files(engine, spec, folder).batch_id
    extract_files(engine, spec, folder)
    with engine.begin() as conn:
        claim_batch(conn, spec, first, RUN_A)
    mapped = next(
        a
        for a in build_provider_defs(spec, folder).assets or []
        if isinstance(a, dg.AssetsDefinition) and a.key.path[-1] == "mapped_records"
    )
    result = dg.materialize(
        [mapped],
        resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert metadata["batch_ids"] == []
    assert metadata["skipped"] == [
        f"quote_request: batch {first} (run run-a) is being ingested; {what} must wait for the "
        "run that holds the ingest lease or the next run"
        for what in (f"batch {first + 1}", "the stored webhook deliveries")
    ]
    with engine.connect() as conn:
        statuses = (
            conn.execute(sa.text("SELECT status FROM data_import_batches ORDER BY id"))
            .scalars()
            .all()
        )
    assert statuses == ["running", "extracted"]  # nothing failed, nothing taken twice

    manual = tmp_path / "manual.jsonl"
    manual.write_text(json.dumps(quote(99)) + "\n", encoding="utf-8")
    with pytest.raises(BatchNotClaimedError, match="is being ingested"):
        manual_entry(engine, spec, manual, entered_by="ana", reason="urgent update")
    assert count(engine, "quote_requests") == 0


def test_mapped_records_says_which_run_took_the_batch_of_its_extract(
    db_url, engine, spec, write_export
) -> None:
    """The run holding the lease takes every batch that waits, so a run's own extract may be
    ingested by another run before its mapped_records starts (seen under load with Celery):
    that is no failure, and the step says which run took it."""
    folder = write_export([quote(n) for n in range(1, 6)])

    @dg.success_hook
    def another_run_takes_it(context: dg.HookContext) -> None:
        if context.op.name.endswith("raw_extract"):
            other = create_engine(db_url)
            assert len(process_waiting(other, spec, owner=RUN_B).reviews) == 1
            other.dispose()

    provider = build_provider_defs(spec, folder)
    keys = [dg.AssetKey([spec.key, name]) for name in ("raw_extract", "mapped_records")]
    job = dg.define_asset_job("both", selection=keys, hooks={another_run_takes_it})
    defs = dg.Definitions.merge(
        provider,
        dg.Definitions(jobs=[job], resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)}),
    )
    result = defs.resolve_job_def("both").execute_in_process(
        instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    (mapped,) = [e for e in result.get_asset_materialization_events() if e.asset_key == keys[1]]
    skipped = mapped.materialization.metadata["skipped"].value
    with engine.connect() as conn:
        batch = conn.execute(sa.text("SELECT id FROM data_import_batches")).scalar_one()
    taken = f"batch {batch} of this run's extract was taken by run run-b (succeeded)"
    assert skipped == [f"quote_request: {taken}"]
