"""Scenario: `benchmark --latency` runs end to end on the embedded default with real processes
(a `dagster job execute` run, the direct functions, the webhook receiver and the Dagster
daemon), prints its JSON summary last, and accounts for every webhook delivery exactly once.
No figure is asserted: speed is what the benchmark reports, not what a test checks."""

import json
import subprocess
import sys

LATENCY_KEYS = {
    "sync_dagster_s",
    "sync_direct_s",
    "sync_overhead_ratio",
    "definitions_load_s",
    "definitions_load_100_s",
    "webhook_p50_s",
    "webhook_p95_s",
    "webhook_deliveries",
    "webhook_accounted",
}


def test_latency_benchmark_accounts_for_every_delivery_and_prints_its_summary() -> None:
    completed = subprocess.run(
        [
            *(sys.executable, "-m", "zartsalgo_pipelines.benchmark", "--latency"),
            *("--deliveries", "3", "--rate", "2", "--specs", "2", "--repeat", "2"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    assert set(summary) >= LATENCY_KEYS
    assert summary["webhook_deliveries"] == 3
    assert summary["webhook_accounted"] == 3, completed.stderr[-3000:]
    assert summary["webhook_p50_s"] is not None  # every delivery reached the client's card
    assert summary["sync_overhead_ratio"] > 0
    assert summary["repeats"] == 2
    assert "median of 2:" in completed.stdout
