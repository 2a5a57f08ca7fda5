"""The benchmark's facts mode: the shipped `ads_google` reporting provider's path, from a
landed export of daily fact rows to `metric_facts` and one value row per measure.

    python -m zartsalgo_pipelines.benchmark --facts --rows 1000000 [--database-url URL]

The same measurements as the records benchmark (``throughput.py``), on facts, against the same
floor: the driver's own executemany upsert of N mapped quote requests (the records benchmark's
export and floor, mapping off the clock), measured in this run; beside it the facts' own floor
(the mapped facts upserted one row each, their measures as columns). Then the first load and
the re-run of the facts export (the functions the assets call, in a child process), and on
MySQL the write bound of the tables a first load of facts writes. Ratios to both floors, CPU
per row and peak RSS; JSON last.
"""

import argparse
import json
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from zartsalgo_pipelines.benchmark.bounds import measure_floor, measure_write_bound, timed_floor
from zartsalgo_pipelines.benchmark.scratch import scratch_database
from zartsalgo_pipelines.benchmark.throughput import load_spec, run_pipeline
from zartsalgo_pipelines.benchmark.throughput_report import figures_of
from zartsalgo_pipelines.mapping.apply import FieldMap
from zartsalgo_pipelines.samples.ads import benchmark_facts
from zartsalgo_pipelines.samples.quote_request import generate_records, write_jsonl
from zartsalgo_pipelines.settings import DEFS_DIR
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.engine import create_engine, mask_url
from zartsalgo_pipelines.storage.migrate import upgrade_head

ADS_SPEC = DEFS_DIR / "ads_google" / "defs.yaml"
# What a first load of facts writes: every input row an import row; every new fact its row,
# one value row per measure, an external object with its payload, a version and a link.
FACT_TABLES = [
    "data_import_rows",
    "metric_facts",
    "metric_fact_values",
    "integration_external_objects",
    "integration_object_versions",
    "integration_object_links",
]
FIXED = ["external_id", "client_key", "fact_date", "currency", "dimensions"]


def measure_fact_floor(
    url: str, spec: ProviderSpec, export: Path, chunk_size: int
) -> tuple[int, float]:
    """Rows/s of the plain driver upsert of the mapped facts, one row each with its measures
    as columns (mapping happens off the clock)."""
    engine = create_engine(url)
    measures = list(spec.facts.measures) if spec.facts else []
    metadata = sa.MetaData()
    floor = sa.Table(
        "bench_fact_floor",
        metadata,
        sa.Column("provider_key", sa.String(64), primary_key=True),
        sa.Column("external_id", sa.String(191), primary_key=True),
        sa.Column("client_key", sa.String(64)),
        sa.Column("fact_date", sa.Date),
        sa.Column("currency", sa.String(3)),
        sa.Column("dimensions", sa.Text),
        *(sa.Column(m, sa.Numeric(15, 6)) for m in measures),
    )
    metadata.create_all(engine)
    columns = [*FIXED, *measures]
    statement = _upsert(engine.dialect.name, columns)
    field_map = FieldMap(spec)
    return timed_floor(
        engine,
        floor,
        statement,
        export,
        chunk_size,
        lambda chunk: _floor_rows(field_map.apply(chunk).valid, measures),
    )


def _floor_rows(frame: Any, measures: list[str]) -> list[tuple[Any, ...]]:
    dimensions = [c for c in frame.columns if c.startswith("dimensions.")]
    days = [d.date().isoformat() for d in frame["fact_date"].dt.tz_convert(None)]
    rows = []
    for position, row in enumerate(frame.astype(object).itertuples(index=False)):
        values = dict(zip(frame.columns, row, strict=True))
        shown = {c.split(".", 1)[1]: values[c] for c in dimensions if values[c] is not None}
        rows.append(
            (
                "bench",
                values["external_id"],
                values["client_key"],
                days[position],
                values.get("currency"),
                orjson.dumps(shown).decode(),
                *(_number(values[f"measures.{m}"]) for m in measures),
            )
        )
    return rows


def _number(value: Any) -> str | None:
    return None if value is None or value != value else repr(float(value))


def _upsert(dialect: str, columns: list[str]) -> str:
    names = ", ".join(columns)
    if dialect == "mysql":
        marks = ", ".join(["%s"] * (len(columns) + 1))
        updates = ", ".join(f"{c} = VALUES({c})" for c in columns if c != "external_id")
        return (
            f"INSERT INTO bench_fact_floor (provider_key, {names}) VALUES ({marks}) "
            f"ON DUPLICATE KEY UPDATE {updates}"
        )
    marks = ", ".join(["?"] * (len(columns) + 1))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "external_id")
    return (
        f"INSERT INTO bench_fact_floor (provider_key, {names}) VALUES ({marks}) "
        f"ON CONFLICT (provider_key, external_id) DO UPDATE SET {updates}"
    )


def write_fact_export(rows: int, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for record in benchmark_facts(rows):
            out.write(orjson.dumps(record) + b"\n")


def run_facts(args: argparse.Namespace) -> None:
    """The facts run: floor, first load, write bound (MySQL), re-run; JSON last."""
    workdir = Path(tempfile.mkdtemp(prefix="zartsalgo-bench-"))
    try:
        export_dir = workdir / "export"
        export = export_dir / "ads_report.jsonl"
        write_fact_export(args.rows, export)
        print(f"machine: {platform.platform()}, python {platform.python_version()}")
        print(f"facts export: {args.rows:,} rows, {export.stat().st_size / 1e6:.1f} MB JSON lines")
        records = workdir / "records" / "quote_requests.jsonl"
        write_jsonl(generate_records(args.rows), records)
        with scratch_database(args.database_url, workdir) as url:
            upgrade_head(url)
            scratch = sa.engine.make_url(url).database
            print(f"database: {mask_url(url)}")
            quotes = load_spec(records.parent, args.chunk_size)
            floor_rows, floor_seconds = measure_floor(url, quotes, records, args.chunk_size)
            spec = load_spec(export_dir, args.chunk_size, ADS_SPEC)
            fact_floor = measure_fact_floor(url, spec, export, args.chunk_size)
            first = run_pipeline(
                url, export_dir, args.chunk_size, workdir / "data", ADS_SPEC, args.paths[0]
            )
            bound = None
            if url.startswith("mysql"):
                bound = measure_write_bound(url, workdir, FACT_TABLES)
            rerun = run_pipeline(
                url, export_dir, args.chunk_size, workdir / "data", ADS_SPEC, args.paths[0]
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    measured = {
        "floor_rows": floor_rows,
        "floor_seconds": floor_seconds,
        "first": first,
        "rerun": rerun,
        "bound": bound,
    }
    figures = figures_of(args.rows, measured)
    figures["fact_floor_rate"] = fact_floor[0] / fact_floor[1]
    _print(args, measured, figures)
    print(json.dumps(_summary(args, figures, first, rerun) | {"scratch_database": scratch}))


def _print(args: argparse.Namespace, measured: dict[str, Any], figures: dict[str, Any]) -> None:
    floor, facts_floor = figures["floor_rate"], figures["fact_floor_rate"]
    first, rerun = measured["first"], measured["rerun"]
    print(
        f"floor:    {measured['floor_rows']:,} mapped quote requests upserted = {floor:,.0f} rows/s"
    )
    print(
        f"facts' own floor: mapped facts upserted = {facts_floor:,.0f} rows/s "
        f"(first load {figures['first_rate'] / facts_floor:.2f}x, "
        f"re-run {figures['rerun_rate'] / facts_floor:.2f}x of it)"
    )
    print(
        f"pipeline: {args.rows:,} rows in {first['seconds']:.2f} s = "
        f"{figures['first_rate']:,.0f} rows/s ({figures['first_rate'] / floor:.2f}x floor); "
        f"review {first['review']}"
    )
    print(
        f"rerun:    {args.rows:,} rows in {rerun['seconds']:.2f} s = "
        f"{figures['rerun_rate']:,.0f} rows/s ({figures['rerun_rate'] / floor:.2f}x floor)"
    )
    print(
        f"pipeline process CPU: {figures['first_cpu']:.0f} us a row on the first load, "
        f"{figures['rerun_cpu']:.0f} us on the re-run"
    )
    if figures["bound_rate"]:
        print(
            f"write bound: {figures['bound_rate']:,.0f} input rows/s "
            f"({figures['bound_rate'] / floor:.2f}x floor); per input row: "
            + ", ".join(f"{t} {us:.1f} us" for t, us in figures["bound_us"].items())
        )
    print(f"peak RSS of the pipeline process: {figures['peak']:.0f} MB")


def _summary(
    args: argparse.Namespace, figures: dict[str, Any], first: Any, rerun: Any
) -> dict[str, Any]:
    floor = figures["floor_rate"]
    bound = figures["bound_rate"]
    return {
        "mode": "facts",
        "rows": args.rows,
        "chunk_size": args.chunk_size,
        "floor_rows_per_s": round(floor),
        "fact_floor_rows_per_s": round(figures["fact_floor_rate"]),
        "pipeline_ratio_to_fact_floor": round(
            figures["first_rate"] / figures["fact_floor_rate"], 3
        ),
        "rerun_ratio_to_fact_floor": round(figures["rerun_rate"] / figures["fact_floor_rate"], 3),
        "pipeline_rows_per_s": round(figures["first_rate"]),
        "rerun_rows_per_s": round(figures["rerun_rate"]),
        "pipeline_ratio": round(figures["first_rate"] / floor, 3),
        "rerun_ratio": round(figures["rerun_rate"] / floor, 3),
        "pipeline_cpu_us_per_row": round(figures["first_cpu"], 1),
        "rerun_cpu_us_per_row": round(figures["rerun_cpu"], 1),
        "write_bound_ratio": round(bound / floor, 3) if bound else None,
        "write_bound_us_per_row": figures["bound_us"],
        "peak_rss_mb": round(figures["peak"]),
        "first_review": first["review"],
        "rerun_duplicates": rerun["review"]["rows_duplicate"],
    }
