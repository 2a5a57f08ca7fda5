"""Scenario: the data owner's tools as a user runs them (the real console script in a real
process), on SQLite and MySQL:
- the manual-entry example of docs/operations.md runs as written;
- `manual` and `replay` during a sync end with one line (who holds the provider, what to do)
  and write nothing; with `--wait` they enter once the sync has finished;
- manual and replay batches are added to `<provider>/mapped_records`' history in the Dagster
  instance of DAGSTER_HOME (a real folder), and say so when there is none;
- `check-connection` on a paused provider reports and changes nothing: no incident, no status;
- the UI's tags claim no live status; `status`, the portal's facts and the materialization
  metadata read the one stored connection status.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.definitions import build_definitions
from zartsalgo_pipelines.incidents.alerts import raise_alert
from zartsalgo_pipelines.incidents.kinds import UNREACHABLE
from zartsalgo_pipelines.ops.direct import open_claimed_batch
from zartsalgo_pipelines.storage.import_batches import close_batch
from zartsalgo_pipelines.storage.proof.visibility import provider_facts
from zartsalgo_pipelines_tests.helpers import count, quote
from zartsalgo_pipelines_tests.ops.seeding import load

ZARTSALGO = Path(sys.executable).parent / "zartsalgo"
OPERATIONS = Path(__file__).parents[1] / "docs" / "operations.md"


def environment(db_url: str, data_dir: Path, dagster_home: Path) -> dict[str, str]:
    return os.environ | {
        "ZARTSALGO_DATABASE_URL": db_url,
        "ZARTSALGO_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(dagster_home),
    }


def run(
    db_url: str, data_dir: Path, *args: str, home: Path | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = environment(db_url, data_dir, home or data_dir / "no_dagster_home")
    return subprocess.run(
        [str(ZARTSALGO), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=180,
        check=False,
    )


def test_the_documented_manual_entry_example_runs_as_written(db_url, engine, tmp_path) -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    sample = re.search(r"```csv\n(.*?)```", text, re.DOTALL)
    command = re.search(r"```bash\n(zartsalgo manual quote_request phoned_in\.csv .*?)\n```", text)
    assert sample and command, "docs/operations.md lost its manual-entry example"
    (tmp_path / "phoned_in.csv").write_text(sample.group(1), encoding="utf-8")
    args = re.findall(r'"[^"]*"|\S+', command.group(1))[1:]
    done = run(db_url, tmp_path, *[a.strip('"') for a in args], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = sample.group(1).strip().count("\n")
    assert re.search(r"batch \d+ \(manual\) succeeded", done.stdout), done.stdout
    assert count(engine, "quote_requests") == rows


def held_by_a_sync(engine, make_spec) -> int:
    """A batch of this (live) test process holding quote_request's ingest lease."""
    return open_claimed_batch(engine, make_spec(), "file", "the nightly export")


@pytest.mark.parametrize("command", ["manual", "replay"])
def test_during_a_sync_one_line_says_who_holds_it_and_nothing_is_written(
    db_url, engine, data_dir, make_spec, write_export, command
) -> None:
    load(engine, make_spec(), [quote(1, contact__email="nope")])  # a dead letter to replay
    holder = held_by_a_sync(engine, make_spec)
    before = count(engine, "data_import_batches")
    folder = write_export([quote(2)], "phoned_in.jsonl")
    args = {
        "manual": ["manual", "quote_request", str(folder / "phoned_in.jsonl"), "--by", "a"],
        "replay": ["replay", "quote_request"],
    }[command]
    extra = ["--reason", "form down"] if command == "manual" else []
    done = run(db_url, data_dir, *args, *extra, "--wait", "0")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"batch {holder} is being ingested" in lines[0]
    assert "Nothing was written" in lines[0] and "--wait" in lines[0]
    assert count(engine, "data_import_batches") == before


def test_with_wait_a_manual_entry_goes_in_once_the_sync_has_finished(
    db_url, engine, data_dir, make_spec, write_export
) -> None:
    holder = held_by_a_sync(engine, make_spec)
    folder = write_export([quote(2)], "phoned_in.jsonl")
    entry = subprocess.Popen(
        [
            *(str(ZARTSALGO), "manual", "quote_request", str(folder / "phoned_in.jsonl")),
            *("--by", "ana", "--reason", "form down", "--wait", "600", "--json"),
        ],
        env=environment(db_url, data_dir, data_dir / "no_dagster_home"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert entry.stderr is not None
    said = ""
    for said in entry.stderr:  # the command says why it waits before it waits
        if "is being ingested" in said:
            break
    assert f"batch {holder} is being ingested" in said and "waiting up to 600 s" in said
    with engine.begin() as conn:
        close_batch(conn, make_spec(), holder, "succeeded")
    out, _ = entry.communicate(timeout=600)
    assert entry.returncode == 0
    assert json.loads(out)["rows_created"] == 1


def dagster_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(settings.REPOSITORY_DIR / "dagster.yaml", home / "dagster.yaml")
    return home


def test_manual_and_replay_batches_appear_in_the_assets_history(
    db_url, engine, data_dir, write_export, tmp_path
) -> None:
    home = dagster_home(tmp_path)
    folder = write_export([quote(1), quote(2, status="archived_by_crm")], "phoned_in.jsonl")
    manual = run(
        db_url,
        data_dir,
        *("manual", "quote_request", str(folder / "phoned_in.jsonl")),
        *("--by", "ana@zartsalgo.example", "--reason", "form down", "--json"),
        home=home,
    )
    assert manual.returncode == 0, manual.stderr
    assert json.loads(manual.stdout)["dagster_history"]["reported"] is True
    replay = run(db_url, data_dir, "replay", "quote_request", "--json", home=home)
    assert replay.returncode == 0, replay.stderr
    with dg.DagsterInstance.from_config(str(home)) as instance:
        events = instance.fetch_materializations(
            dg.AssetKey(["quote_request", "mapped_records"]), limit=10
        ).records
    materializations = [e.asset_materialization for e in reversed(events)]
    assert [m.description for m in materializations if m] == [
        f"manual batch {json.loads(manual.stdout)['batch_id']}",
        f"replay batch {json.loads(replay.stdout)['batch_id']}",
    ]
    first = materializations[0]
    assert first is not None
    assert first.metadata["entered_by"].value == "ana@zartsalgo.example"
    assert first.metadata["connection_status"].value == "connected"
    assert first.metadata["rows_created"].value == 1


def test_without_a_dagster_instance_the_batch_is_entered_and_the_output_says_so(
    db_url, engine, data_dir, write_export
) -> None:
    folder = write_export([quote(1)], "phoned_in.jsonl")
    done = run(
        db_url,
        data_dir,
        *("manual", "quote_request", str(folder / "phoned_in.jsonl"), "--by", "a"),
        *("--reason", "form down"),
    )
    assert done.returncode == 0, done.stderr
    assert "not added to quote_request/mapped_records's history in Dagster" in done.stdout
    assert count(engine, "quote_requests") == 1


def test_check_connection_on_a_paused_provider_reports_and_changes_nothing(
    db_url, engine, data_dir
) -> None:
    # crm_deals ships paused and needs HUBSPOT_PRIVATE_APP_TOKEN, which tests do not set.
    done = run(db_url, data_dir, "check-connection", "crm_deals", "--json")
    assert done.returncode == 1
    check = json.loads(done.stdout)
    assert (check["result"], check["recorded"], check["connection_status"]) == (
        "not_configured",
        False,
        "never synced",
    )
    text = run(db_url, data_dir, "check-connection", "crm_deals")
    assert "nothing recorded: the spec says `status: paused`" in text.stdout
    assert count(engine, "incident_alerts") == 0
    assert count(engine, "integration_connections") == 0
    status = json.loads(run(db_url, data_dir, "status", "--json").stdout)
    assert {r["provider"]: r["connection_status"] for r in status}["crm_deals"] == "never synced"


def test_the_ui_the_cli_and_the_portal_read_one_connection_status(
    db_url, engine, data_dir, make_spec
) -> None:
    spec = make_spec()
    load(engine, spec, [quote(1)])
    with engine.begin() as conn:
        raise_alert(conn, spec, UNREACHABLE, details={})  # connected -> degraded
    status = json.loads(run(db_url, data_dir, "status", "--json").stdout)
    cli = {r["provider"]: r["connection_status"] for r in status}["quote_request"]
    with engine.connect() as conn:
        portal = provider_facts(conn, "quote_request")["connection_status"]
    assert cli == portal == "degraded"
    # The UI's tags hold what the spec declares, under a name that says so, never a live state.
    definitions = build_definitions()
    graph = definitions.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        tags = graph.get(key).tags
        assert "connection_status" not in tags, key
    raw = graph.get(dg.AssetKey(["crm_deals", "raw_extract"]))
    assert raw.tags["spec_status"] == "paused"


def test_a_manual_entry_by_a_name_too_long_is_refused_and_writes_nothing(
    db_url, engine, tmp_path
) -> None:
    sample = tmp_path / "one.jsonl"
    sample.write_text(json.dumps(quote(1)) + "\n", encoding="utf-8")
    name = "a" * 201  # data_import_batches.entered_by holds 200 characters
    done = run(
        db_url, tmp_path, "manual", "quote_request", str(sample), "--by", name, "--reason", "x"
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "entered_by is 201 characters; at most 200 fit" in done.stderr
    assert count(engine, "data_import_batches") == 0
