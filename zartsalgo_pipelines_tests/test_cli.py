"""Scenario: the `zartsalgo` console script, run as a user runs it (a real process, the real
entry point), against the test databases: validate, status, test-sync, manual, replay and
resolve print readable tables or JSON and exit non-zero on failure."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines_tests.helpers import count, quote

ZARTSALGO = Path(sys.executable).parent / "zartsalgo"


def run(db_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"ZARTSALGO_DATABASE_URL": db_url, "ZARTSALGO_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [str(ZARTSALGO), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_validate_lists_the_shipped_provider(db_url, data_dir) -> None:
    done = run(db_url, data_dir, "validate", "--json")
    assert done.returncode == 0, done.stderr
    assert "quote_request" in json.loads(done.stdout)["providers"]


def test_manual_then_status_then_replay_then_resolve(
    db_url, engine, data_dir, write_export
) -> None:
    folder = write_export(
        [quote(1), quote(2, status="archived_by_crm"), quote(3, contact__email="nope")],
        "call.jsonl",
    )
    manual = run(
        db_url,
        data_dir,
        "manual",
        "quote_request",
        str(folder / "call.jsonl"),
        "--by",
        "ana@zartsalgo.example",
        "--reason",
        "website down",
        "--json",
    )
    assert manual.returncode == 0, manual.stderr
    review = json.loads(manual.stdout)
    assert (review["source_kind"], review["rows_created"], review["rows_failed"]) == (
        "manual",
        1,
        2,
    )

    status = run(db_url, data_dir, "status", "--json")
    assert status.returncode == 0, status.stderr
    (row,) = json.loads(status.stdout)
    assert row["provider"] == "quote_request" and row["open_dead_letters"] == 2
    assert row["stale"] is False and row["last_success"] is not None

    replay = run(
        db_url, data_dir, "replay", "quote_request", "--reason-contains", "archived", "--json"
    )
    assert replay.returncode == 0, replay.stderr
    assert len(json.loads(replay.stdout)["still_failing"]) == 1  # the shipped map still refuses it

    with engine.connect() as conn:
        ids = [
            str(i)
            for i in conn.execute(sa.text("SELECT id FROM integration_dead_letters")).scalars()
        ]
    resolve = run(
        db_url,
        data_dir,
        "resolve",
        "quote_request",
        *ids,
        "--state",
        "ignored",
        "--note",
        "test data",
    )
    assert resolve.returncode == 0, resolve.stderr
    assert "2 dead letter(s) marked ignored" in resolve.stdout
    assert count(engine, "integration_dead_letters", "WHERE state = 'ignored'") == 2


def test_test_sync_of_a_file_writes_nothing(db_url, engine, data_dir, write_export) -> None:
    folder = write_export([quote(1), quote(2, budget__amount=-4)], "probe.jsonl")
    done = run(
        db_url, data_dir, "test-sync", "quote_request", "--file", str(folder / "probe.jsonl")
    )
    assert done.returncode == 0, done.stderr
    assert "nothing written" in done.stdout
    assert "budget_amount  at least 0" in done.stdout
    assert count(engine, "data_import_batches") == 0 and count(engine, "quote_requests") == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["test-sync", "no_such_provider"], "unknown provider `no_such_provider`"),
        (
            ["manual", "quote_request", "missing.jsonl", "--by", "a", "--reason", "b"],
            "does not exist",
        ),
        (["manual", "quote_request"], "Missing argument"),
        (["resolve", "quote_request", "999", "--state", "resolved", "--note", "x"], "not open"),
    ],
)
def test_failures_exit_non_zero_with_a_reason(db_url, data_dir, args, message) -> None:
    done = run(db_url, data_dir, *args)
    assert done.returncode != 0
    assert message in done.stderr
