"""Scenario: every `zartsalgo` command and subcommand has `--json`, found by walking the click
command tree (the lazily loaded `proof` and `portal` groups included, whose short help the
top-level help lists without loading them); the commands that gained it print one JSON document
(`resolve`, `portal refresh`, `portal preview`, `portal go-live`), `portal refresh` refreshes
the incident impact as the `portal_refresh` job does, and `webhooks serve --json` logs one JSON
object per line. On SQLite and MySQL, through click's runner or a real process."""

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from zartsalgo_pipelines.cli import LAZY, main
from zartsalgo_pipelines.incidents.alerts import raise_alert
from zartsalgo_pipelines.incidents.kinds import UNREACHABLE
from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines_tests.helpers import quote
from zartsalgo_pipelines_tests.ops.seeding import load

ZARTSALGO = Path(sys.executable).parent / "zartsalgo"


def leaves(group: click.Group, ctx: click.Context) -> Iterator[tuple[str, click.Command]]:
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            inner = click.Context(command, parent=ctx, info_name=name)
            yield from ((f"{name} {sub}", leaf) for sub, leaf in leaves(command, inner))
        else:
            yield name, command


def test_every_command_and_subcommand_has_json() -> None:
    found = dict(leaves(main, click.Context(main, info_name="zartsalgo")))
    # The tree walked is the whole tree: the lazily loaded groups' commands are in it.
    assert {"status", "manual", "webhooks serve", "proof explain", "portal go-live"} <= set(found)
    without = [
        name
        for name, command in found.items()
        if not any("--json" in option.opts for option in command.params)
    ]
    assert without == []


def test_the_top_level_help_lists_lazy_groups_with_their_own_help() -> None:
    ctx = click.Context(main, info_name="zartsalgo")
    for name, entry in LAZY.items():
        command = main.get_command(ctx, name)
        assert command is not None
        assert entry.short_help == command.get_short_help_str(limit=1000)


def invoke(db_url: str, *args: str) -> click.testing.Result:
    result = CliRunner().invoke(main, list(args), env={"ZARTSALGO_DATABASE_URL": db_url})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_resolve_says_what_it_closed_in_json(db_url, engine, make_spec) -> None:
    load(engine, make_spec(), [quote(1, contact__email="nope"), quote(2, budget__amount=-1)])
    with engine.connect() as conn:
        ids = [
            str(i)
            for i in conn.execute(sa.text("SELECT id FROM integration_dead_letters")).scalars()
        ]
    done = invoke(
        db_url, "resolve", "quote_request", *ids, "--state", "ignored", "--note", "x", "--json"
    )
    assert done.exit_code == 0
    said = json.loads(done.stdout)
    assert said.pop("preview").endswith("index.html")  # closing them refreshed the portal
    assert said == {"closed": 2, "state": "ignored", "not_open": 0}
    # Closed already: the JSON says so on stdout, the error line goes to stderr, exit 1.
    again = invoke(
        db_url, "resolve", "quote_request", ids[0], "--state", "ignored", "--note", "y", "--json"
    )
    assert again.exit_code == 1
    assert json.loads(again.stdout) == {
        "closed": 0,
        "state": "ignored",
        "not_open": 1,
        "preview": "None",
    }
    assert "1 id(s) were not open for quote_request" in again.stderr


def test_portal_commands_answer_in_json_and_refresh_sets_incident_impact(
    db_url, engine, data_dir, make_spec
) -> None:
    spec = make_spec()
    # Received an hour ago: the current period is open, so its cards are not final.
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    records = [quote(n, submitted_at=now.isoformat().replace("+00:00", "Z")) for n in (1, 2, 3)]
    rows = [SourceRow("p.jsonl", i, r) for i, r in enumerate(records, start=1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "p.jsonl"), rows)

    live = invoke(db_url, "portal", "go-live", "quote_request", "--by", "ana", "--json")
    assert live.exit_code == 0, live.output
    decision = json.loads(live.stdout)
    assert (decision["provider"], decision["action"], decision["decided_by"]) == (
        "quote_request",
        "live",
        "ana",
    )
    with engine.begin() as conn:
        raise_alert(conn, spec, UNREACHABLE, details={})
    impact_of = sa.text("SELECT client_impact FROM incident_alerts WHERE kind = 'unreachable'")
    with engine.connect() as conn:
        assert conn.execute(impact_of).scalar_one() is None
    refreshed = invoke(db_url, "portal", "refresh", "--json")
    assert refreshed.exit_code == 0, refreshed.output
    assert Path(json.loads(refreshed.stdout)["preview"]).is_file()
    with engine.connect() as conn:
        assert conn.execute(impact_of).scalar_one()  # what the client is told about it

    preview = invoke(db_url, "portal", "preview", "--json")
    assert preview.exit_code == 0
    assert json.loads(preview.stdout) == {"preview": json.loads(refreshed.stdout)["preview"]}


def test_webhooks_serve_json_logs_one_object_per_line(db_url, data_dir) -> None:
    env = os.environ | {
        "ZARTSALGO_DATABASE_URL": db_url,
        "ZARTSALGO_DATA_DIR": str(data_dir),
        "QUOTE_REQUEST_WEBHOOK_SECRET": "whsec-json-log",
    }
    server = subprocess.Popen(
        [str(ZARTSALGO), "webhooks", "serve", "--port", "0", "--json"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        first: list[dict[str, object]] = []
        for line in server.stderr:  # until the receiver says where it listens
            first.append(json.loads(line))
            if "webhook receiver on " in str(first[-1]["message"]):
                break
    finally:
        server.terminate()
        rest = server.communicate(timeout=30)[1]
    entries = first + [json.loads(line) for line in rest.splitlines() if line.strip()]
    assert all(set(entry) >= {"time", "level", "logger", "message"} for entry in entries)
    assert any("webhook receiver on http://127.0.0.1:" in str(e["message"]) for e in entries)
    assert len(entries) > len(first)  # the shutdown is logged too, as JSON


@pytest.fixture(autouse=True)
def _no_dagster_instance(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A command run here must not report to a developer's own .dagster_home/.
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "no_dagster_home"))
