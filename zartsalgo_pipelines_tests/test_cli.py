"""Scenario: the `zartsalgo` console script, run as a user runs it (a real process, the real
entry point), against the test databases: validate, status, test-sync, manual, replay and
resolve print readable tables or JSON and exit non-zero on failure. A broken spec is refused by
`validate` with file, line and path and without echoing an inline secret; every command whose
database is down prints one line (password masked) and exits 1; `python -m
zartsalgo_pipelines.cli` finds every command."""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from zartsalgo_pipelines_tests.helpers import count, quote

ZARTSALGO = Path(sys.executable).parent / "zartsalgo"


def run(db_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "ZARTSALGO_DATABASE_URL": db_url,
        "ZARTSALGO_DATA_DIR": str(data_dir),
        # Not a developer's own .dagster_home/: manual and replay report to the instance there.
        "DAGSTER_HOME": str(data_dir / "no_dagster_home"),
    }
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
    rows = {r["provider"]: r for r in json.loads(status.stdout)}
    assert rows["crm_deals"]["spec_status"] == "paused" and rows["crm_deals"]["stale"] is False
    row = rows["quote_request"]
    assert row["open_dead_letters"] == 2
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


def test_check_connection_reports_and_exits_by_result(db_url, data_dir) -> None:
    connected = run(db_url, data_dir, "check-connection", "quote_request", "--json")
    assert connected.returncode == 0, connected.stderr
    assert json.loads(connected.stdout)["result"] == "connected"
    # crm_deals needs HUBSPOT_PRIVATE_APP_TOKEN, which the test environment does not set.
    env_free = run(db_url, data_dir, "check-connection", "crm_deals", "--json")
    assert env_free.returncode == 1
    answer = json.loads(env_free.stdout)
    assert answer["result"] == "not_configured"
    assert "HUBSPOT_PRIVATE_APP_TOKEN is not set" in answer["detail"]


def test_webhooks_serve_is_the_documented_receiver(db_url, data_dir, engine) -> None:
    secret = "whsec-cli-test"
    env = os.environ | {
        "ZARTSALGO_DATABASE_URL": db_url,
        "ZARTSALGO_DATA_DIR": str(data_dir),
        "QUOTE_REQUEST_WEBHOOK_SECRET": secret,
    }
    env.pop("QUOTE_REQUEST_WEBHOOK_SECRET_PREVIOUS", None)
    server = subprocess.Popen(
        [str(ZARTSALGO), "webhooks", "serve", "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        # The receiver logs its address once it is bound: wait for that line, not for a time.
        url = ""
        for line in server.stderr:
            if "webhook receiver on " in line:
                url = line.split("webhook receiver on ")[1].split()[0]
                break
        assert url.startswith("http://127.0.0.1:")
        body = json.dumps({"type": "quote_request.created", "data": quote(1)}).encode()
        stamp = str(int(time.time()))
        mac = hmac.new(secret.encode(), b"msg_cli." + stamp.encode() + b"." + body, hashlib.sha256)
        headers = {
            "webhook-id": "msg_cli",
            "webhook-timestamp": stamp,
            "webhook-signature": "v1," + base64.b64encode(mac.digest()).decode(),
        }
        answer = requests.post(
            f"{url}/webhooks/quote_request", data=body, headers=headers, timeout=10
        )
        assert answer.status_code == 202, answer.text
        assert requests.get(f"{url}/healthz", timeout=10).json()["providers"] == ["quote_request"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert count(engine, "integration_webhook_deliveries") == 1


def test_python_dash_m_finds_every_command(db_url: str, data_dir: Path) -> None:
    env = os.environ | {"ZARTSALGO_DATABASE_URL": db_url, "ZARTSALGO_DATA_DIR": str(data_dir)}
    command = ["check-connection", "quote_request", "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "zartsalgo_pipelines.cli", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["result"] == "connected"


SHIPPED_SPEC = Path(__file__).parents[1] / "zartsalgo_pipelines" / "defs" / "quote_request"
INLINE_SECRET = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
# `{line}` is the line of the shipped spec that the replacement changes.
BROKEN_SPECS = [
    pytest.param(
        "  status: connected", "\tstatus: connected", r":{line}:1: YAML syntax error: ", id="tab"
    ),
    pytest.param(
        "target: contact_phone",
        "target: contact_name",
        r":{line}: attributes\.fields\.7\.target: .*is mapped twice",
        id="duplicate-target",
    ),
    pytest.param(
        "secrets: [QUOTE_REQUEST_WEBHOOK_SECRET,",
        f"secrets: [{INLINE_SECRET},",
        r":{line}: attributes\.webhook\.secrets\.0: .*value not shown",
        id="inline-secret",
    ),
]


@pytest.mark.parametrize(("old", "new", "says"), BROKEN_SPECS)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_validate_names_file_and_line_and_never_echoes_a_secret(
    tmp_path: Path, data_dir: Path, old: str, new: str, says: str, as_json: bool
) -> None:
    defs = tmp_path / "defs"
    shutil.copytree(SHIPPED_SPEC, defs / "quote_request")
    spec_file = defs / "quote_request" / "defs.yaml"
    text = spec_file.read_text(encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    says = says.replace("{line}", str(line))
    spec_file.write_text(text.replace(old, new), "utf-8")
    done = run("sqlite://", data_dir, "validate", "--defs", str(defs), *(["--json"] * as_json))
    assert done.returncode == 1
    said = json.loads(done.stdout)["error"] if as_json else done.stderr
    assert re.search(re.escape(str(spec_file)) + says, said), said
    assert "Traceback" not in done.stderr and INLINE_SECRET not in done.stdout + done.stderr


DOWN = "mysql+pymysql://zartsalgo:s3cret-pw@127.0.0.1:1/zartsalgo"  # nobody listens on port 1


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["test-sync", "quote_request"],
        ["replay", "quote_request"],
        ["resolve", "quote_request", "1", "--state", "ignored", "--note", "x"],
        ["manual", "quote_request", "{export}", "--by", "a", "--reason", "b"],
        ["check-connection", "quote_request"],
        ["webhooks", "serve", "--port", "0"],
    ],
    ids=lambda args: args[0] if args[0] != "webhooks" else "webhooks-serve",
)
def test_a_command_whose_database_is_down_says_so_in_one_line(
    data_dir: Path, write_export, args: list[str]
) -> None:
    folder = write_export([quote(1)], "one.jsonl")
    done = run(DOWN, data_dir, *[a.replace("{export}", str(folder / "one.jsonl")) for a in args])
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: database mysql+pymysql://zartsalgo:***@127.0.0.1:1/zartsalgo is unavailable: "
        + done.stderr.split("is unavailable: ", 1)[-1].strip()
    ], done.stderr
    assert "Can't connect" in done.stderr and "s3cret-pw" not in done.stderr + done.stdout


def test_status_sweeps_a_batch_whose_process_died_first(db_url, engine, data_dir) -> None:
    """A sync killed on this host leaves its batch `running`; `status` fails it (with the
    stuck-batch alert) before it reports, instead of showing it as still in progress."""
    from zartsalgo_pipelines.owners import BatchOwner
    from zartsalgo_pipelines.specs.loading import provider_spec
    from zartsalgo_pipelines.storage.connections import register_provider
    from zartsalgo_pipelines.storage.import_batches import open_batch

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    spec = provider_spec("quote_request").spec
    dead = BatchOwner.this_process()
    dead = BatchOwner(None, dead.host, ended.pid, None)
    with engine.begin() as conn:
        register_provider(conn, spec)
        batch_id = open_batch(conn, spec, source_kind="file", source_ref="x", owner=dead)
    done = run(db_url, data_dir, "status", "--json")
    assert done.returncode == 0, done.stderr
    report = {r["provider"]: r for r in json.loads(done.stdout)}
    assert report["quote_request"]["swept_batches"] == [batch_id]
    assert "stuck_batch" in report["quote_request"]["open_alerts"]
    with engine.connect() as conn:
        status = conn.execute(
            sa.text("SELECT status FROM data_import_batches WHERE id = :b"), {"b": batch_id}
        ).scalar_one()
    assert status == "failed"
