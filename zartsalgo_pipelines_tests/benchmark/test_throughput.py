"""The benchmark runs end to end on SQLite and MySQL and leaves no scratch database behind;
it reports what bounds the pipeline (its CPU per row, the write bound per table); its peak RSS
is the pipeline process's own, not the parent's."""

import json
import multiprocessing
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from zartsalgo_pipelines.benchmark.facts import FACT_TABLES
from zartsalgo_pipelines.benchmark.throughput import WRITTEN_TABLES, peak_rss_mb
from zartsalgo_pipelines.storage.engine import create_engine

SUMMARY_KEYS = {
    "rows",
    "floor_rows_per_s",
    "pipeline_rows_per_s",
    "rerun_rows_per_s",
    "pipeline_ratio",
    "rerun_ratio",
    "pipeline_cpu_us_per_row",
    "rerun_cpu_us_per_row",
    "write_bound_ratio",
    "write_bound_us_per_row",
    "peak_rss_mb",
    "definitions_load_s",
}


SMALL_RUN = ["--rows", "600", "--chunk-size", "200", "--specs", "2"]


def run_benchmark(*args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "zartsalgo_pipelines.benchmark", *SMALL_RUN, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    summary: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return summary


def bench_databases(server_url: str) -> set[str]:
    engine = create_engine(server_url)
    with engine.connect() as conn:
        names = set(conn.exec_driver_sql("SHOW DATABASES LIKE 'zt_bench_%%'").scalars())
    engine.dispose()
    return names


def test_benchmark_on_sqlite_prints_the_summary() -> None:
    summary = run_benchmark()
    assert set(summary) >= SUMMARY_KEYS
    assert summary["rows"] == 600
    assert summary["write_bound_ratio"] is None  # measured on MySQL only
    assert summary["write_bound_us_per_row"] is None
    assert summary["pipeline_ratio"] > 0 and summary["rerun_ratio"] > 0
    assert summary["pipeline_cpu_us_per_row"] > 0 and summary["rerun_cpu_us_per_row"] > 0
    # Both mapping paths side by side, each into an empty database; the first is the summary's.
    assert list(summary["paths"]) == ["columnar", "rows"]
    assert summary["mapping_path"] == "columnar"
    for runs in summary["paths"].values():
        for run in (runs["first"], runs["rerun"]):
            assert run["ratio"] > 0 and run["cpu_us_per_row"] > 0 and run["peak_rss_mb"] > 0
    assert summary["paths"]["columnar"]["first"]["rows_per_s"] == summary["pipeline_rows_per_s"]


@pytest.mark.mysql
def test_benchmark_on_mysql_measures_the_write_bound_and_drops_its_database(
    mysql_url: str,
) -> None:
    # The benchmark makes its own scratch database on the server the URL names (others may
    # run at the same time on a shared server: only its own is checked).
    summary = run_benchmark("--database-url", mysql_url)
    assert set(summary) >= SUMMARY_KEYS
    assert summary["database"].startswith("mysql")
    assert summary["write_bound_ratio"] > 0
    per_table = summary["write_bound_us_per_row"]
    assert list(per_table) == WRITTEN_TABLES and all(us > 0 for us in per_table.values())
    # The ratio is the tables' sum: rows / (seconds summed over the tables) / floor.
    total_us = sum(per_table.values())
    ratio = 1e6 / total_us / summary["floor_rows_per_s"]
    assert ratio == pytest.approx(summary["write_bound_ratio"], rel=0.05)
    assert summary["scratch_database"].startswith("zt_bench_")
    assert summary["scratch_database"] not in bench_databases(mysql_url)


def _report_peak(out: Any) -> None:
    out.send(peak_rss_mb())


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_peak_rss_of_a_spawned_child_is_its_own() -> None:
    """Linux carries ru_maxrss over from the forking parent through exec; VmHWM does not."""
    ballast = b"x" * (600 << 20)  # a parent holding 600 MB
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_report_peak, args=(send,))
    child.start()
    peak = receive.recv()
    child.join()
    assert len(ballast) == 600 << 20
    assert 0 < peak < 400


FACT_KEYS = {
    "mode",
    "floor_rows_per_s",
    "fact_floor_rows_per_s",
    "pipeline_ratio_to_fact_floor",
    "pipeline_ratio",
    "rerun_ratio",
    "pipeline_cpu_us_per_row",
    "write_bound_ratio",
    "peak_rss_mb",
    "first_review",
    "rerun_duplicates",
}


def test_facts_benchmark_on_sqlite_loads_and_reruns_the_facts() -> None:
    summary = run_benchmark("--facts")
    assert set(summary) >= FACT_KEYS and summary["mode"] == "facts"
    review = summary["first_review"]
    assert review["rows_total"] == 600 and review["rows_failed"] > 0  # negative clicks
    assert summary["rerun_duplicates"] == review["rows_created"]  # a re-run changes nothing
    assert summary["write_bound_ratio"] is None


@pytest.mark.mysql
def test_facts_benchmark_on_mysql_measures_the_fact_tables(mysql_url: str) -> None:
    summary = run_benchmark("--facts", "--database-url", mysql_url)
    assert list(summary["write_bound_us_per_row"]) == FACT_TABLES
    assert summary["rerun_duplicates"] == summary["first_review"]["rows_created"]
    # Its own scratch database is dropped (another benchmark may run on the same server).
    assert summary["scratch_database"].startswith("zt_bench_")
    assert summary["scratch_database"] not in bench_databases(mysql_url)
