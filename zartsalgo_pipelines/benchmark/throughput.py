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

import yaml

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.benchmark.bounds import WRITTEN_TABLES, measure_floor, measure_write_bound
from zartsalgo_pipelines.benchmark.scratch import (
    SHIPPED_SPEC,
    scratch_database,
    write_generated_project,
)
from zartsalgo_pipelines.benchmark.throughput_report import figures_of, print_report, summary
from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.samples.quote_request import generate_records, write_jsonl
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.engine import create_engine, mask_url
from zartsalgo_pipelines.storage.migrate import upgrade_head

__all__ = ["WRITTEN_TABLES", "load_spec", "peak_rss_mb", "run"]


def load_spec(export_dir: Path, chunk_size: int, shipped: Path = SHIPPED_SPEC) -> ProviderSpec:
    """A shipped spec reading the benchmark's export (the facts mode: ``ADS_SPEC``)."""
    attributes = yaml.safe_load(shipped.read_text(encoding="utf-8"))["attributes"]
    attributes["source"] = {"kind": "file", "path": str(export_dir / "*.jsonl"), "format": "jsonl"}
    attributes["chunk_size"] = chunk_size
    return ProviderSpec.model_validate(attributes)


def _pipeline_child(
    url: str,
    export_dir: str,
    chunk_size: int,
    data_dir: str,
    out: Any,
    shipped: str,
    mapping_path: str | None,
) -> None:
    import os

    os.environ[settings.DATA_DIR_ENV] = data_dir  # this process only: landing under workdir
    if mapping_path is not None:  # through the setting, as a deployment chooses it
        os.environ[settings.MAPPING_PATH_ENV] = mapping_path
    engine = create_engine(url)
    spec = load_spec(Path(export_dir), chunk_size, Path(shipped))
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


def run_pipeline(
    url: str,
    export_dir: Path,
    chunk_size: int,
    data_dir: Path,
    shipped: Path = SHIPPED_SPEC,
    mapping_path: str | None = None,
) -> dict[str, Any]:
    """The pipeline on the export, in a spawned process (its peak RSS is its own), on the
    mapping path the setting names unless ``mapping_path`` does."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    args = (url, str(export_dir), chunk_size, str(data_dir), send, str(shipped), mapping_path)
    child = context.Process(target=_pipeline_child, args=args)
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
    measured = _measure(args)
    figures = figures_of(args.rows, measured)
    print_report(args, measured, figures)
    print(json.dumps(summary(args, measured, figures)))


def _measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement of the run, in order, on one scratch database."""
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
            scratch = engine.url.database
            print(f"database: {mask_url(url)} ({server})")
            upgrade_head(url)
            floor_rows, floor_seconds = measure_floor(
                url, load_spec(export_dir, args.chunk_size), export, args.chunk_size
            )
            paths = {args.paths[0]: _load_twice(args, url, export_dir, workdir, args.paths[0])}
            for path in args.paths[1:]:  # each path's first load into an empty database
                (workdir / path).mkdir()
                with scratch_database(args.database_url, workdir / path) as path_url:
                    upgrade_head(path_url)
                    paths[path] = _load_twice(args, path_url, export_dir, workdir, path)
        definitions = measure_definitions(args.specs, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "server": server,
        "scratch_database": scratch,
        "floor_rows": floor_rows,
        "floor_seconds": floor_seconds,
        **paths[args.paths[0]],  # the first path's first load, write bound and re-run
        "paths": paths,
        "definitions": definitions,
    }


def _load_twice(
    args: argparse.Namespace, url: str, export_dir: Path, workdir: Path, path: str
) -> dict[str, Any]:
    """A first load and a re-run on one mapping path (the write bound after the first load,
    on MySQL, for the first path only: it measures the server, not the path)."""
    first = run_pipeline(url, export_dir, args.chunk_size, workdir / "data", mapping_path=path)
    bound = None
    if url.startswith("mysql") and path == args.paths[0]:
        bound = measure_write_bound(url, workdir)
    rerun = run_pipeline(url, export_dir, args.chunk_size, workdir / "data", mapping_path=path)
    return {"first": first, "bound": bound, "rerun": rerun}
