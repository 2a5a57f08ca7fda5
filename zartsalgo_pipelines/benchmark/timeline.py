"""Where a first load's time goes, per thread: CPU and wall time of the pipeline's own steps.

    python -m zartsalgo_pipelines.benchmark --timeline --rows 100000 [--database-url URL]

A profiler slows Python two to three times and not the server, so it shows a different load;
here the load runs as it is, with the CPU time of the calling thread (``time.thread_time``) and
the wall time summed around the steps that matter: the mapping thread's mapping, fingerprints
and lookups, and the writer thread's statements. A step's wall time beyond its CPU time is
waiting: on the server, or for the interpreter lock held by the other thread. The load runs in
this process, on each mapping path (``--paths``) into a scratch database of its own.
"""

import argparse
import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.benchmark.scratch import scratch_database
from zartsalgo_pipelines.benchmark.throughput import cpu_seconds, load_spec
from zartsalgo_pipelines.mapping import apply
from zartsalgo_pipelines.pipeline import classify, writer
from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.samples.quote_request import generate_records, write_jsonl
from zartsalgo_pipelines.storage import chunks, mysql_bulk
from zartsalgo_pipelines.storage.engine import create_engine
from zartsalgo_pipelines.storage.migrate import upgrade_head

# (owner, attribute, label): the steps timed, the thread that runs them first in the label.
STEPS: list[tuple[Any, str, str]] = [
    (apply.FieldMap, "apply", "mapping: FieldMap.apply"),
    (apply.FieldMap, "_validate", "mapping:   the row path (FieldMap._validate)"),
    (apply.FieldMap, "fingerprints", "mapping: fingerprints"),
    (classify, "stored_hashes", "mapping: lookup of stored hashes"),
    (classify, "known_failures", "mapping: lookup of known failures"),
    (classify, "existing_ids", "mapping: lookup of existing ids"),
    (writer.ChunkWriter, "submit", "mapping: handing a chunk to the writer"),
    (writer, "write_chunk", "writer: write_chunk"),
    (chunks, "write_import_rows", "writer:   import rows"),
    (chunks, "write_records", "writer:   records and external objects"),
    (chunks, "write_versions", "writer:   versions"),
    (chunks, "link_new_objects", "writer:   links"),
    (chunks, "write_dead_letters", "writer:   dead letters"),
    (mysql_bulk, "load_file", "writer:   of these, LOAD DATA statements"),
]
WRITER_THREAD = "writer: the thread, from its start to its end"


class Timers:
    """Wall and thread CPU seconds summed per label, around functions wrapped in place."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def add(self, label: str, wall: float, cpu: float) -> None:
        self.wall[label] = self.wall.get(label, 0.0) + wall
        self.cpu[label] = self.cpu.get(label, 0.0) + cpu

    def timed(self, function: Callable[..., Any], label: str) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(label, time.perf_counter() - wall, time.thread_time() - cpu)

        return run

    @contextlib.contextmanager
    def around(self, steps: list[tuple[Any, str, str]]) -> Iterator["Timers"]:
        """Wrap every step (and the writer thread as a whole) for the block; put them back."""
        wrapped = [*steps, (writer.ChunkWriter, "_run", WRITER_THREAD)]
        originals = [(owner, name, getattr(owner, name)) for owner, name, _ in wrapped]
        for owner, name, label in wrapped:
            setattr(owner, name, self.timed(getattr(owner, name), label))
        try:
            yield self
        finally:
            for owner, name, original in originals:
                setattr(owner, name, original)


def timeline(url: str, export_dir: Path, chunk_size: int, path: str) -> dict[str, Any]:
    """A first load of the export on ``path`` with every step timed; us per input row."""
    os.environ[settings.MAPPING_PATH_ENV] = path
    engine = create_engine(url)
    spec = load_spec(export_dir, chunk_size)
    extract = extract_files(engine, spec, export_dir)
    timers = Timers()
    with timers.around(STEPS):
        cpu, wall, thread = cpu_seconds(), time.perf_counter(), time.thread_time()
        review = process_extract(engine, spec, extract.batch_id)
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        thread = time.thread_time() - thread
    engine.dispose()
    rows = review.rows_total

    def us(seconds: float) -> float:
        return round(seconds * 1e6 / rows, 1)

    steps = {
        label: {"cpu": us(timers.cpu[label]), "wall": us(s)} for label, s in timers.wall.items()
    }
    return {
        "wall": us(wall),
        "process_cpu": us(cpu),
        "mapping_thread_cpu": us(thread),
        "steps": steps,
    }


def run_timeline(args: argparse.Namespace) -> None:
    """The per-thread timeline of a first load on each mapping path; JSON last."""
    workdir = Path(tempfile.mkdtemp(prefix="zartsalgo-timeline-"))
    try:
        found = _timelines(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps({"rows": args.rows, "timeline": found}))


def _timelines(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    export_dir = workdir / "export"
    write_jsonl(generate_records(args.rows), export_dir / "quote_requests.jsonl")
    found = {}
    for path in args.paths:
        (workdir / path).mkdir()
        with scratch_database(args.database_url, workdir / path) as url:
            upgrade_head(url)
            os.environ[settings.DATA_DIR_ENV] = str(workdir / path / "data")
            found[path] = timeline(url, export_dir, args.chunk_size, path)
        figures = found[path]
        print(
            f"{path}: {figures['wall']} us a row of wall time, process CPU "
            f"{figures['process_cpu']}, the mapping thread's CPU {figures['mapping_thread_cpu']}"
        )
        for label in [*(label for _, _, label in STEPS), WRITER_THREAD]:
            step = figures["steps"].get(label)
            if step is not None:
                print(f"  {label:48s} CPU {step['cpu']:6.1f}  wall {step['wall']:6.1f}")
    return found
