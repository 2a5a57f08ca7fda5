"""What the throughput run reports: rates against the floor, CPU per row, the write bound, and
the JSON summary printed last."""

import argparse
from typing import Any


def figures_of(rows: int, measured: dict[str, Any]) -> dict[str, Any]:
    """Rates, CPU per row and the write bound derived from the measurements."""
    first, rerun, bound = measured["first"], measured["rerun"], measured["bound"]
    bound_seconds = sum(bound.values()) if bound else None
    return {
        "floor_rate": measured["floor_rows"] / measured["floor_seconds"],
        "first_rate": rows / first["seconds"],
        "rerun_rate": rows / rerun["seconds"],
        "first_cpu": first["cpu_seconds"] * 1e6 / rows,
        "rerun_cpu": rerun["cpu_seconds"] * 1e6 / rows,
        "bound_seconds": bound_seconds,
        "bound_rate": rows / bound_seconds if bound_seconds else None,
        "bound_us": {t: round(s * 1e6 / rows, 1) for t, s in bound.items()} if bound else None,
        "peak": max(first["peak_rss_mb"], rerun["peak_rss_mb"]),
        "paths": {
            path: _path_figures(rows, runs, measured["floor_rows"] / measured["floor_seconds"])
            for path, runs in measured.get("paths", {}).items()
        },
    }


def _path_figures(rows: int, runs: dict[str, Any], floor_rate: float) -> dict[str, Any]:
    """One mapping path's first load and re-run: rows/s, ratio to the floor, CPU, peak RSS."""
    figures: dict[str, Any] = {}
    for run in ("first", "rerun"):
        measured = runs[run]
        rate = rows / measured["seconds"]
        figures[run] = {
            "rows_per_s": round(rate),
            "ratio": round(rate / floor_rate, 3),
            "cpu_us_per_row": round(measured["cpu_seconds"] * 1e6 / rows, 1),
            "wall_us_per_row": round(measured["seconds"] * 1e6 / rows, 1),
            "peak_rss_mb": round(measured["peak_rss_mb"]),
        }
    return figures


def print_paths(figures: dict[str, Any]) -> None:
    """The mapping paths side by side, each loading the same export into an empty database."""
    print("mapping paths, each into an empty database (first load | re-run):")
    for path, runs in figures["paths"].items():
        first, rerun = runs["first"], runs["rerun"]
        print(
            f"  {path:9s} first {first['rows_per_s']:>7,} rows/s ({first['ratio']:.2f}x floor), "
            f"CPU {first['cpu_us_per_row']:.0f} us a row ({first['wall_us_per_row']:.0f} wall), "
            f"peak {first['peak_rss_mb']} MB | re-run {rerun['rows_per_s']:>7,} rows/s "
            f"({rerun['ratio']:.2f}x), CPU {rerun['cpu_us_per_row']:.0f} us, "
            f"peak {rerun['peak_rss_mb']} MB"
        )


def print_report(
    args: argparse.Namespace, measured: dict[str, Any], figures: dict[str, Any]
) -> None:
    """The human-readable lines of the run, after the machine, export and database lines."""
    first, rerun, definitions = measured["first"], measured["rerun"], measured["definitions"]
    floor_rows, floor_seconds = measured["floor_rows"], measured["floor_seconds"]
    floor_rate, first_rate, rerun_rate = (
        figures["floor_rate"],
        figures["first_rate"],
        figures["rerun_rate"],
    )
    review = first["review"]
    print(
        f"floor:    {floor_rows:,} mapped rows upserted in {floor_seconds:.2f} s "
        f"= {floor_rate:,.0f} rows/s ({1e6 / floor_rate:.0f} us a row)"
    )
    print(
        f"pipeline ({args.paths[0]}): {args.rows:,} rows in {first['seconds']:.2f} s = "
        f"{first_rate:,.0f} rows/s "
        f"({first_rate / floor_rate:.2f}x floor); review {review}"
    )
    print(
        f"rerun:    {args.rows:,} rows in {rerun['seconds']:.2f} s = {rerun_rate:,.0f} rows/s "
        f"({rerun_rate / floor_rate:.2f}x floor); duplicates {rerun['review']['rows_duplicate']:,}"
    )
    # What bounds the pipeline, per input row: its own process's CPU (both threads; Python
    # runs one thread at a time), and on MySQL the server's cost of storing what it stored.
    first_cpu, rerun_cpu = figures["first_cpu"], figures["rerun_cpu"]
    print(
        f"pipeline process CPU: {first_cpu:.0f} us a row on the first load "
        f"({first['seconds'] * 1e6 / args.rows:.0f} us of wall time), {rerun_cpu:.0f} us on the "
        "re-run"
    )
    bound_seconds, bound_rate, bound_us = (
        figures["bound_seconds"],
        figures["bound_rate"],
        figures["bound_us"],
    )
    if bound_rate and bound_us:
        print(
            f"write bound: the first load's rows LOAD DATA-ed into empty copies in "
            f"{bound_seconds:.2f} s = {bound_rate:,.0f} input rows/s "
            f"({bound_rate / floor_rate:.2f}x floor): the most any first load writing these rows "
            "can reach"
        )
        print(
            "write bound per input row: "
            + ", ".join(f"{table} {us:.1f} us" for table, us in bound_us.items())
        )
    peak = figures["peak"]
    print(f"peak RSS of the pipeline process: {peak:.0f} MB")
    if figures["paths"]:
        print_paths(figures)
    print(
        f"definitions with {args.specs} provider specs: {definitions['seconds']:.2f} s "
        f"({definitions['assets']} assets)"
    )


def summary(
    args: argparse.Namespace, measured: dict[str, Any], figures: dict[str, Any]
) -> dict[str, Any]:
    """The JSON summary, the last line printed."""
    server, definitions = measured["server"], measured["definitions"]
    floor_rate, first_rate, rerun_rate = (
        figures["floor_rate"],
        figures["first_rate"],
        figures["rerun_rate"],
    )
    first_cpu, rerun_cpu, peak = figures["first_cpu"], figures["rerun_cpu"], figures["peak"]
    bound_rate, bound_us = figures["bound_rate"], figures["bound_us"]
    return {
        "rows": args.rows,
        "database": server,
        "scratch_database": measured["scratch_database"],
        "chunk_size": args.chunk_size,
        "floor_rows_per_s": round(floor_rate),
        "pipeline_rows_per_s": round(first_rate),
        "rerun_rows_per_s": round(rerun_rate),
        "pipeline_ratio": round(first_rate / floor_rate, 3),
        "rerun_ratio": round(rerun_rate / floor_rate, 3),
        "pipeline_cpu_us_per_row": round(first_cpu, 1),
        "rerun_cpu_us_per_row": round(rerun_cpu, 1),
        "write_bound_ratio": round(bound_rate / floor_rate, 3) if bound_rate else None,
        "write_bound_us_per_row": bound_us,
        "peak_rss_mb": round(peak),
        "definitions_load_s": round(definitions["seconds"], 2),
        "definitions_specs": args.specs,
        "mapping_path": args.paths[0],
        "paths": figures["paths"],
    }
