"""Scenario: a `zartsalgo` command imports only what it uses. In a new Python process (nothing
imported before), `zartsalgo --help` and `zartsalgo status` run without loading pandas,
pandera, pyarrow, numpy or Dagster; a command that maps rows (`test-sync`) does load pandas,
which shows the probe sees a heavy import when there is one. Times are the benchmark's to
report (`benchmark --latency`: cli_help_s, cli_status_s), not this test's."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zartsalgo_pipelines_tests.helpers import quote

HEAVY = ("pandas", "pandera", "pyarrow", "numpy", "dagster")

# Runs the command in this process's interpreter the way the console script does, then reports
# which heavy modules it had loaded when it ended (normally or by SystemExit).
PROBE = f"""
import json, sys
from zartsalgo_pipelines.cli import main
try:
    main(sys.argv[1:], prog_name="zartsalgo")
except SystemExit as end:
    code = end.code
else:
    code = 0
heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)
print(json.dumps({{"code": code, "heavy": heavy}}), file=sys.stderr)
"""


def loaded_by(db_url: str, data_dir: Path, *args: str) -> dict[str, object]:
    env = os.environ | {"ZARTSALGO_DATABASE_URL": db_url, "ZARTSALGO_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    report: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize(
    "args",
    [["--help"], ["status"], ["status", "--json"], ["manual", "--help"], ["proof", "--help"]],
    ids=" ".join,
)
def test_help_and_status_load_no_heavy_module(db_url: str, data_dir: Path, args) -> None:
    report = loaded_by(db_url, data_dir, *args)
    assert report["code"] == 0
    assert report["heavy"] == []


def test_a_command_that_maps_rows_loads_pandas(db_url, data_dir, write_export) -> None:
    folder = write_export([quote(1)], "probe.jsonl")
    report = loaded_by(
        db_url, data_dir, "test-sync", "quote_request", "--file", str(folder / "probe.jsonl")
    )
    assert report["code"] in (0, None)
    assert "pandas" in report["heavy"] and "pandera" in report["heavy"]
