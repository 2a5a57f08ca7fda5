"""Scenario: a manual entry or a replay opens its batch only once it can write. While another
batch of the provider holds the ingest lease (a sync writing), opening refuses at once, naming
the batch that holds it, and nothing is written; with a wait it says why it waits, once, and
opens as soon as the lease is free. A batch left running by a dead process never blocks: it is
swept first."""

import subprocess
import sys
import threading

import pytest

from zartsalgo_pipelines.ops.direct import open_claimed_batch
from zartsalgo_pipelines.owners import BatchOwner
from zartsalgo_pipelines.storage.connections import register_provider
from zartsalgo_pipelines.storage.import_batches import (
    BatchNotClaimedError,
    claim_batch,
    close_batch,
    open_batch,
)
from zartsalgo_pipelines_tests.helpers import count


def test_while_a_sync_writes_nothing_is_written_and_the_holder_is_named(engine, make_spec) -> None:
    spec = make_spec()
    holder = open_claimed_batch(engine, spec, "file", "the nightly export")
    with pytest.raises(BatchNotClaimedError) as busy:
        open_claimed_batch(engine, spec, "replay", "3 dead letters")
    assert f"batch {holder} is being ingested; the replay batch must wait" in str(busy.value)
    assert count(engine, "data_import_batches") == 1


def test_with_a_wait_it_says_why_once_and_opens_when_the_lease_is_free(engine, make_spec) -> None:
    spec = make_spec()
    holder = open_claimed_batch(engine, spec, "file", "the nightly export")
    told: list[str] = []
    waiting = threading.Event()
    opened: list[int] = []

    def enter() -> None:
        def say(why: str) -> None:
            told.append(why)
            waiting.set()

        opened.append(
            open_claimed_batch(
                engine, spec, "manual", "phoned_in.csv", wait_seconds=300, on_wait=say
            )
        )

    worker = threading.Thread(target=enter)
    worker.start()
    assert waiting.wait(timeout=300)
    with engine.begin() as conn:
        close_batch(conn, spec, holder, "succeeded")
    worker.join(timeout=300)
    assert opened and opened[0] > holder
    assert len(told) == 1 and "waiting up to 300 s" in told[0]


def test_a_batch_of_a_dead_process_is_swept_instead_of_waited_for(engine, make_spec) -> None:
    spec = make_spec()
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    dead = BatchOwner(None, BatchOwner.this_process().host, ended.pid, None)
    with engine.begin() as conn:
        register_provider(conn, spec)
        stuck = open_batch(conn, spec, source_kind="file", source_ref="x", owner=dead)
        claim_batch(conn, spec, stuck, dead, from_statuses=("running",))
    batch = open_claimed_batch(engine, spec, "manual", "phoned_in.csv")
    assert batch > stuck
