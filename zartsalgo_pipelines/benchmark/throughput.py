"""Throughput and memory of the ingestion path against the database floor, in one run.

    python -m zartsalgo_pipelines.benchmark --rows 300000 [--database-url URL]

1. generates N deterministic quote-request records in the shipped export format (JSON lines);
2. floor: the valid mapped rows written with the fastest plain driver path (executemany of an
   INSERT .. ON DUPLICATE KEY UPDATE / ON CONFLICT DO UPDATE) into one scratch table;
3. pipeline: the functions the assets call (``extract_files`` + ``process_extract``);
4. the pipeline again on the same export (every row a duplicate);
5. on MySQL, the write bound: the rows the first load stored in its five hot tables, loaded
   again with ``LOAD DATA LOCAL INFILE`` into empty copies, files prepared off the clock. It is
   the database's own cost of what the pipeline must write (no mapping, no lookups, no Python
   on the clock), so no client can make the first load faster than it;
6. prints rows/s, ratios to the floor, the pipeline process's CPU per row, peak RSS of the
   pipeline process, the time to load definitions with 100 generated provider specs, and a
   JSON summary as the last line.

The database is a scratch one: a temporary SQLite file, or a new database on the MySQL server
that ``--database-url`` names (created and dropped here; the named database is not touched).
Pipeline runs happen in a child process so their peak RSS is their own.
"""

import argparse
import json
import multiprocessing
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.benchmark.scratch import (
    SHIPPED_SPEC,
    scratch_database,
    write_generated_project,
)
from zartsalgo_pipelines.mapping.apply import FieldMap
from zartsalgo_pipelines.pipeline.run import chunked, extract_files, process_extract
from zartsalgo_pipelines.samples.quote_request import generate_records, write_jsonl
from zartsalgo_pipelines.sources.files import iter_file_rows
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import mysql_bulk
from zartsalgo_pipelines.storage.chunks import driver_rows
from zartsalgo_pipelines.storage.engine import create_engine, mask_url
from zartsalgo_pipelines.storage.migrate import upgrade_head
from zartsalgo_pipelines.storage.models import QuoteRequest, table_of


def load_spec(export_dir: Path, chunk_size: int) -> ProviderSpec:
    attributes = yaml.safe_load(SHIPPED_SPEC.read_text(encoding="utf-8"))["attributes"]
    attributes["source"] = {"kind": "file", "path": str(export_dir / "*.jsonl"), "format": "jsonl"}
    attributes["chunk_size"] = chunk_size
    return ProviderSpec.model_validate(attributes)


def measure_floor(url: str, spec: ProviderSpec, export: Path, chunk_size: int) -> tuple[int, float]:
    """Rows/s of the plain driver upsert of pre-mapped rows (mapping happens off the clock)."""
    engine = create_engine(url)
    metadata = sa.MetaData()
    floor = table_of(QuoteRequest).to_metadata(metadata, name="bench_floor")
    metadata.create_all(engine)
    columns = [e.target for e in spec.fields]
    quoted = ", ".join(columns)
    if engine.dialect.name == "mysql":
        marks = ", ".join(["%s"] * len(columns))
        updates = ", ".join(f"{c} = VALUES({c})" for c in columns if c != "external_id")
        statement = (
            f"INSERT INTO bench_floor (provider_key, last_batch_id, created_at, updated_at, "
            f"{quoted}) VALUES (%s, %s, %s, %s, {marks}) ON DUPLICATE KEY UPDATE {updates}"
        )
    else:
        marks = ", ".join(["?"] * len(columns))
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "external_id")
        statement = (
            f"INSERT INTO bench_floor (provider_key, last_batch_id, created_at, updated_at, "
            f"{quoted}) VALUES (?, ?, ?, ?, {marks}) "
            f"ON CONFLICT (provider_key, external_id) DO UPDATE SET {updates}"
        )
    field_map = FieldMap(spec)
    written, seconds = 0, 0.0
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    raw = engine.raw_connection()
    try:
        rows = iter_file_rows(export, "jsonl", export.name)
        for chunk in chunked(rows, chunk_size):
            mapped = driver_rows(field_map.apply(chunk).valid)
            params = [("bench", 1, now, now, *(row[c] for c in columns)) for row in mapped]
            started = time.perf_counter()
            cursor = raw.cursor()
            cursor.executemany(statement, params)
            raw.commit()
            cursor.close()
            seconds += time.perf_counter() - started
            written += len(params)
    finally:
        raw.close()
        floor.drop(engine)
        engine.dispose()
    return written, seconds


# What a first load writes: every input row an import row; every new object a record, an
# external object with its payload, a version and a link (dead letters are ~3 % of rows).
WRITTEN_TABLES = [
    "data_import_rows",
    "quote_requests",
    "integration_external_objects",
    "integration_object_versions",
    "integration_object_links",
]


def measure_write_bound(url: str, workdir: Path) -> dict[str, float]:
    """Seconds the server takes to LOAD DATA the rows the first load stored, per table (MySQL).

    Each table's rows are read back and written to a file in the bulk format first (off the
    clock); only the loads into empty copies are timed. ``CREATE TABLE .. LIKE`` keeps columns,
    keys and checks but not foreign keys, so the bound is, if anything, optimistic. The split
    by table shows what the bound is made of (the payloads of the external objects, mostly).
    """
    engine = create_engine(url)
    seconds: dict[str, float] = {}
    try:
        with engine.begin() as conn:
            for table in WRITTEN_TABLES:
                copy = f"bench_copy_{table}"
                mysql_bulk.create_empty_copy(conn, table, copy)
                path = workdir / f"{copy}.tsv"
                lines = 0
                with path.open("w", encoding="utf-8", newline="") as out:
                    rows = mysql_bulk.stream_table(conn, table)
                    names = list(rows.keys())
                    for row in rows:
                        out.write("\t".join(map(mysql_bulk.field, row)) + "\n")
                        lines += 1
                started = time.perf_counter()
                mysql_bulk.load_file(conn, copy, names, path, lines)
                seconds[table] = time.perf_counter() - started
                mysql_bulk.drop_table(conn, copy)
                path.unlink()
    finally:
        engine.dispose()
    return seconds


def _pipeline_child(url: str, export_dir: str, chunk_size: int, data_dir: str, out: Any) -> None:
    import os

    os.environ[settings.DATA_DIR_ENV] = data_dir  # this process only: landing under workdir
    engine = create_engine(url)
    spec = load_spec(Path(export_dir), chunk_size)
    cpu, started = cpu_seconds(), time.perf_counter()
    extract = extract_files(engine, spec, Path(export_dir))
    review = process_extract(engine, spec, extract.batch_id)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    engine.dispose()
    out.send(
        {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "review": review.as_metadata(),
            "peak_rss_mb": peak_rss_mb(),
        }
    )


def cpu_seconds() -> float:
    """CPU time of this process, all its threads (the mapping thread and the writer)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's peak RSS since it started its program.

    ``ru_maxrss`` is not it on Linux: the kernel carries it over from the forked parent
    through exec, so a child spawned by a 500 MB parent reports 500 MB whatever it used.
    ``VmHWM`` belongs to the process's own address space.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024  # bytes on macOS


def run_pipeline(url: str, export_dir: Path, chunk_size: int, data_dir: Path) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_pipeline_child, args=(url, str(export_dir), chunk_size, str(data_dir), send)
    )
    child.start()
    result = receive.recv()
    child.join()
    if child.exitcode:
        raise RuntimeError(f"pipeline process failed with exit code {child.exitcode}")
    return dict(result)


def _definitions_child(specs: int, workdir: str, out: Any) -> None:
    package_dir = write_generated_project(specs, Path(workdir) / "defs_bench")
    sys.path.insert(0, str(package_dir.parent))
    import dagster  # noqa: F401  (imports are not what is being measured)

    from zartsalgo_pipelines.definitions import build_definitions

    started = time.perf_counter()
    definitions = build_definitions(package_dir)
    assets = len(definitions.resolve_asset_graph().get_all_asset_keys())
    out.send({"seconds": time.perf_counter() - started, "assets": assets})


def measure_definitions(specs: int, workdir: Path) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_definitions_child, args=(specs, str(workdir), send))
    child.start()
    result = receive.recv()
    child.join()
    return dict(result)


def run(args: argparse.Namespace) -> None:
    """The throughput run: floor, first load, re-run, write bound, definitions; JSON last."""

    workdir = Path(tempfile.mkdtemp(prefix="zartsalgo-bench-"))
    try:
        export_dir = workdir / "export"
        export = export_dir / "quote_requests.jsonl"
        write_jsonl(generate_records(args.rows), export)
        print(f"machine: {platform.platform()}, python {platform.python_version()}")
        print(f"export: {args.rows:,} rows, {export.stat().st_size / 1e6:.1f} MB JSON lines")
        with scratch_database(args.database_url, workdir) as url:
            engine = create_engine(url)
            with engine.connect() as conn:
                server = (
                    conn.dialect.name
                    + " "
                    + ".".join(map(str, conn.dialect.server_version_info or ()))
                )
            engine.dispose()
            print(f"database: {mask_url(url)} ({server})")
            upgrade_head(url)
            floor_rows, floor_seconds = measure_floor(
                url, load_spec(export_dir, args.chunk_size), export, args.chunk_size
            )
            first = run_pipeline(url, export_dir, args.chunk_size, workdir / "data")
            bound = measure_write_bound(url, workdir) if url.startswith("mysql") else None
            rerun = run_pipeline(url, export_dir, args.chunk_size, workdir / "data")
        definitions = measure_definitions(args.specs, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    floor_rate = floor_rows / floor_seconds
    first_rate = args.rows / first["seconds"]
    rerun_rate = args.rows / rerun["seconds"]
    review = first["review"]
    print(
        f"floor:    {floor_rows:,} mapped rows upserted in {floor_seconds:.2f} s "
        f"= {floor_rate:,.0f} rows/s ({1e6 / floor_rate:.0f} us a row)"
    )
    print(
        f"pipeline: {args.rows:,} rows in {first['seconds']:.2f} s = {first_rate:,.0f} rows/s "
        f"({first_rate / floor_rate:.2f}x floor); review {review}"
    )
    print(
        f"rerun:    {args.rows:,} rows in {rerun['seconds']:.2f} s = {rerun_rate:,.0f} rows/s "
        f"({rerun_rate / floor_rate:.2f}x floor); duplicates {rerun['review']['rows_duplicate']:,}"
    )
    # What bounds the pipeline, per input row: its own process's CPU (both threads; Python
    # runs one thread at a time), and on MySQL the server's cost of storing what it stored.
    first_cpu = first["cpu_seconds"] * 1e6 / args.rows
    rerun_cpu = rerun["cpu_seconds"] * 1e6 / args.rows
    print(
        f"pipeline process CPU: {first_cpu:.0f} us a row on the first load "
        f"({first['seconds'] * 1e6 / args.rows:.0f} us of wall time), {rerun_cpu:.0f} us on the "
        "re-run"
    )
    bound_seconds = sum(bound.values()) if bound else None
    bound_rate = args.rows / bound_seconds if bound_seconds else None
    bound_us = {t: round(s * 1e6 / args.rows, 1) for t, s in bound.items()} if bound else None
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
    peak = max(first["peak_rss_mb"], rerun["peak_rss_mb"])
    print(f"peak RSS of the pipeline process: {peak:.0f} MB")
    print(
        f"definitions with {args.specs} provider specs: {definitions['seconds']:.2f} s "
        f"({definitions['assets']} assets)"
    )
    print(
        json.dumps(
            {
                "rows": args.rows,
                "database": server,
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
            }
        )
    )
