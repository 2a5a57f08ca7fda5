"""Scenario: `benchmark --latency` runs end to end on the embedded default with real processes
(a `dagster job execute` run, the direct functions, the webhook receiver and the Dagster
daemon), posts webhooks at two rates one after the other, prints each rate's figures and its
JSON summary last, and accounts for every webhook delivery exactly once.
No figure is asserted: speed is what the benchmark reports, not what a test checks."""

import json
import subprocess
import sys
from pathlib import Path

LATENCY_KEYS = {
    "sync_dagster_s",
    "sync_direct_s",
    "sync_overhead_ratio",
    "definitions_load_s",
    "definitions_load_100_s",
    "webhooks",
    "webhook_deliveries",
    "webhook_accounted",
    "python_pass_s",
    "cli_help_s",
    "cli_status_s",
}


def test_latency_benchmark_accounts_for_every_delivery_and_prints_its_summary() -> None:
    completed = subprocess.run(
        [
            *(sys.executable, "-m", "zartsalgo_pipelines.benchmark", "--latency"),
            *("--rates", "2,4", "--seconds", "1.5", "--specs", "2", "--repeat", "2"),
        ],
        capture_output=True,
        text=True,
        timeout=3600,  # a hang guard only: the benchmark's own waits end on progress
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    assert set(summary) >= LATENCY_KEYS
    assert [(w["rate"], w["deliveries"]) for w in summary["webhooks"]] == [
        ("2/s for 1.5 s", 3),
        ("4/s for 1.5 s", 6),
    ]
    tail = completed.stderr[-3000:]
    assert summary["webhook_accounted"] == summary["webhook_deliveries"] == 9, tail
    # every delivery reached the client's card, at both rates
    assert all(w["card_max_s"] is not None for w in summary["webhooks"])
    assert "webhook at 4/s for 1.5 s: -> card p50" in completed.stdout
    assert summary["sync_overhead_ratio"] > 0
    assert summary["repeats"] == 2
    assert "small sync (medians of 2)" in completed.stdout
    assert "command line (medians of 2): `zartsalgo --help`" in completed.stdout
    assert not benchmark_processes_left(), "the benchmark left processes running"


def benchmark_processes_left() -> list[str]:
    """Processes of this checkout's environment whose command line names a latency
    benchmark's scratch folder (its daemon's code server carries the instance's folders in
    its arguments). Another checkout's benchmark on the same machine is not ours to judge."""
    ours = str(Path(sys.executable).parent.parent)
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended while we looked
        if "zartsalgo-latency-" in text and ours in text:
            left.append(text[:200])
    return left
