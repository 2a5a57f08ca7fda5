"""Scenario: the per-thread timeline of a first load runs on SQLite and MySQL, on both mapping
paths, and accounts for the writer thread's time by its statements (no timing thresholds: only
that each step was measured and that parts are not larger than their whole)."""

import pytest

from zartsalgo_pipelines.benchmark.timeline import STEPS, WRITER_THREAD
from zartsalgo_pipelines_tests.benchmark.test_throughput import run_benchmark

ALWAYS = [label for _, _, label in STEPS if "LOAD DATA" not in label and "handing" not in label]


def check(timeline: dict[str, dict[str, object]]) -> None:
    assert list(timeline) == ["columnar", "rows"]
    for figures in timeline.values():
        steps = figures["steps"]
        assert isinstance(steps, dict)
        assert set(ALWAYS) <= set(steps)
        assert steps[WRITER_THREAD]["wall"] >= steps["writer: write_chunk"]["wall"] > 0
        assert figures["wall"] > 0 and figures["mapping_thread_cpu"] > 0  # type: ignore[operator]


def test_the_timeline_on_sqlite_times_both_paths() -> None:
    check(run_benchmark("--timeline")["timeline"])


@pytest.mark.mysql
def test_the_timeline_on_mysql_times_the_load_statements(mysql_url: str) -> None:
    summary = run_benchmark("--timeline", "--database-url", mysql_url)
    check(summary["timeline"])
    for figures in summary["timeline"].values():
        assert figures["steps"]["writer:   of these, LOAD DATA statements"]["wall"] > 0
