"""What a data team feels every day: small-sync overhead, definitions load, webhook to portal.

    python -m zartsalgo_pipelines.benchmark --latency [--database-url URL] [--rates 1,5]
        [--seconds 60] [--repeat 3] [--webhooks-only]

1. small sync: the ``quote_request`` demo export for 2026-12-07 (written for the run; what was
   there is put back afterwards) synced by its ``quote_request_sync`` job, the
   way a run worker of a deployment runs it (``dagster job execute``: a new process that loads
   the definitions and runs the job with the job's own executor), beside the same functions
   called directly in a new process (``python -m zartsalgo_pipelines.benchmark.latency
   direct``). Both are wall times of a whole process on a fresh scratch database, so both pay
   for the interpreter and imports; the ratio is Dagster's own cost. The Dagster instance's
   storage is created before the run, off the clock: a deployment's instance exists already.
   Measured ``--repeat`` times with the definitions load; the medians are reported.
2. definitions load: a new process importing ``zartsalgo_pipelines.definitions`` and building
   the definitions, for the shipped specs and for N generated specs (imports on the clock).
3. the command line: `zartsalgo --help` and `zartsalgo status` (SQLite, shipped specs) as new
   processes, beside `python -c pass` in the same run (``benchmark/cli_latency.py``); medians
   of ``--repeat`` rounds.
4. webhook to portal: the receiver (``zartsalgo webhooks serve``) and the Dagster daemon run
   against a scratch instance and database; deliveries are posted at each steady rate in turn
   (``--rates`` a second, ``--seconds`` each); for each, the time from its 2xx answer to its
   record being stored (the record's ``created_at``) and to a reader first seeing the client's
   portal card computed after it (``portal_cards.computed_at``); every delivery must end as
   exactly one import row.
The last line printed is one JSON object.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.benchmark.children import PROVIDER, child_env, end_children, timed
from zartsalgo_pipelines.benchmark.cli_latency import measure_cli
from zartsalgo_pipelines.benchmark.webhook_latency import Rate, measure_webhooks


def direct_sync() -> None:
    """The sync job's work without Dagster: the functions its assets call, in order (the
    provider's four, then the portal's cards, impact, payload scan, notes, tasks, preview)."""
    from zartsalgo_pipelines.pipeline.pending import process_pending
    from zartsalgo_pipelines.pipeline.run import extract_files
    from zartsalgo_pipelines.proof.impact import refresh_impact
    from zartsalgo_pipelines.proof.notes import build_notes
    from zartsalgo_pipelines.proof.payload_scan import scan
    from zartsalgo_pipelines.proof.preview import write_preview
    from zartsalgo_pipelines.proof.refresh import refresh_portal_cards
    from zartsalgo_pipelines.proof.refresh_scope import refresh_marked_metrics
    from zartsalgo_pipelines.proof.tasks import refresh_tasks
    from zartsalgo_pipelines.specs.loading import load_specs
    from zartsalgo_pipelines.storage.engine import create_engine
    from zartsalgo_pipelines.storage.queries import dead_letter_summary

    specs = [loaded.spec for loaded in load_specs().values()]
    loaded = load_specs()[PROVIDER]
    engine = create_engine(settings.database_url())
    extract_files(engine, loaded.spec, loaded.folder)
    process_pending(engine, loaded.spec)
    with engine.connect() as conn:
        dead_letter_summary(conn, PROVIDER)
    with engine.begin() as conn:  # as the client_metrics asset: every client, marks done
        refresh_marked_metrics(conn, loaded.spec, marked_only=False)
    with engine.begin() as conn:
        refresh_portal_cards(conn, specs)
        refresh_impact(conn, specs, lambda spec: None)
        scan(conn, specs)
    with engine.begin() as conn:
        build_notes(conn, specs)
        scan(conn, specs)
    with engine.begin() as conn:
        refresh_tasks(conn, specs)
    with engine.connect() as conn:
        write_preview(conn, specs, settings.data_dir() / "portal_preview")
    engine.dispose()


def measure_sync(scratch: Any, workdir: Path) -> dict[str, float]:
    """The small sync through Dagster and directly, each on a fresh scratch database."""
    from zartsalgo_pipelines.storage.migrate import upgrade_head

    results: dict[str, float] = {}
    commands = {
        "direct": [sys.executable, "-m", "zartsalgo_pipelines.benchmark.latency", "direct"],
        "dagster": [
            *(sys.executable, "-m", "dagster", "job", "execute"),
            *("-m", "zartsalgo_pipelines.definitions", "-j", f"{PROVIDER}_sync"),
        ],
    }
    for name, command in commands.items():
        with scratch(workdir / name) as url:
            upgrade_head(url)
            env = child_env(workdir / name, url)
            if name == "dagster":
                # A deployment's instance exists before its runs: its storage is created here,
                # off the clock, as the project's database is migrated above.
                timed([sys.executable, "-m", "dagster", "instance", "migrate"], env)
            results[name] = timed(command, env)
    return results


# Dagster's own import is timed apart: it is paid by every Dagster process whatever the project
# does, while the rest (the project's imports and building its definitions) is ours to keep low.
DEFINITIONS_PROBE = """
import sys, time
started = time.perf_counter()
import dagster
dagster_done = time.perf_counter()
from zartsalgo_pipelines.definitions import build_definitions
from pathlib import Path
project = Path(sys.argv[1]) if len(sys.argv) > 1 else None
definitions = build_definitions(project) if project else build_definitions()
assets = len(definitions.resolve_asset_graph().get_all_asset_keys())
heavy = sorted(m for m in ("pandas", "pyarrow", "pandera", "numpy") if m in sys.modules)
done = time.perf_counter()
print(done - started, done - dagster_done, assets, ",".join(heavy) or "-")
"""


def measure_definitions_load(specs: int, workdir: Path) -> dict[str, Any]:
    """Seconds to import and build the definitions in a new process, imports included, with
    the part after ``import dagster`` and the heavy modules that were loaded."""
    from zartsalgo_pipelines.benchmark.scratch import write_generated_project

    package_dir = write_generated_project(specs, workdir / "defs_latency")
    results: dict[str, Any] = {}
    # The checkout running the benchmark first, whatever is installed: the probe runs in the
    # generated project's folder, where an editable install of another checkout would win.
    python_path = os.pathsep.join(
        filter(None, (str(settings.REPOSITORY_DIR), os.environ.get("PYTHONPATH", "")))
    )
    for name, extra in (("shipped", []), (f"{specs}_specs", [str(package_dir)])):
        completed = subprocess.run(
            [sys.executable, "-c", DEFINITIONS_PROBE, *extra],
            capture_output=True,
            text=True,
            check=True,
            cwd=package_dir.parent if extra else settings.REPOSITORY_DIR,
            # The generated project beside whatever PYTHONPATH names (a checkout under test).
            env=os.environ
            | {"PYTHONPATH": os.pathsep.join(filter(None, (str(package_dir.parent), python_path)))},
        )
        total, ours, _assets, heavy = completed.stdout.split()
        results[name] = float(total)
        results[f"{name}_after_dagster"] = float(ours)
        results[f"{name}_heavy_imports"] = heavy
    return results


def _median_of(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the repeats (text figures are the same in every repeat)."""
    return {
        key: statistics.median(s[key] for s in samples)
        if isinstance(samples[0][key], float)
        else samples[0][key]
        for key in samples[0]
    }


def run(
    server_url: str | None,
    specs: int,
    rates: list[Rate],
    repeat: int = 3,
    *,
    webhooks_only: bool = False,
) -> dict[str, Any]:
    """Every measurement (the command line's on SQLite, the rest on the given database server);
    prints them and returns the summary. ``webhooks_only``: the webhook streams alone.

    The sync and the definitions load are measured ``repeat`` times, alternating, and their
    medians reported: one sample of a few seconds moves with whatever else the machine does."""
    from zartsalgo_pipelines.benchmark.scratch import scratch_database
    from zartsalgo_pipelines.samples.demo import EXAMPLE_DAY, demo_export

    workdir = Path(tempfile.mkdtemp(prefix="zartsalgo-latency-"))

    def scratch(folder: Path) -> Any:
        folder.mkdir(parents=True, exist_ok=True)
        return scratch_database(server_url, folder)

    syncs: list[dict[str, float]] = []
    loads: list[dict[str, Any]] = []
    cli: dict[str, float] = {}
    try:
        # The same export whatever the date: the figures do not move with the calendar.
        with demo_export(EXAMPLE_DAY):
            for attempt in range(0 if webhooks_only else repeat):
                syncs.append(measure_sync(scratch, workdir / f"sync-{attempt}"))
                loads.append(measure_definitions_load(specs, workdir / f"load-{attempt}"))
            if not webhooks_only:
                cli = measure_cli(workdir / "cli", repeat)
            hooks = measure_webhooks(scratch, workdir, rates, deadline=300)
    finally:
        end_children()
        shutil.rmtree(workdir, ignore_errors=True)
    summary: dict[str, Any] = {} if webhooks_only else _process_figures(syncs, loads, cli, specs)
    return summary | _webhook_figures(hooks) | {"repeats": repeat, "load_average": os.getloadavg()}


def _process_figures(
    syncs: list[dict[str, float]], loads: list[dict[str, Any]], cli: dict[str, float], specs: int
) -> dict[str, Any]:
    """Print the sync, definitions-load and command-line figures; their summary."""
    sync, load = _median_of(syncs), _median_of(loads)
    ratio = statistics.median(s["dagster"] / s["direct"] for s in syncs)
    print(
        f"small sync (medians of {len(syncs)}): Dagster {sync['dagster']:.1f} s, direct "
        f"{sync['direct']:.1f} s; ratio {ratio:.1f}x, the median of "
        + ", ".join(f"{s['dagster'] / s['direct']:.1f}x" for s in syncs)
    )
    print(
        f"definitions load: shipped specs {load['shipped']:.2f} s "
        f"({load['shipped_after_dagster']:.2f} s after `import dagster`; heavy modules loaded: "
        f"{load['shipped_heavy_imports']}), {specs} specs {load[f'{specs}_specs']:.2f} s "
        f"({load[f'{specs}_specs_after_dagster']:.2f} s after `import dagster`)"
    )
    print(
        f"command line (medians of {len(syncs)}): `zartsalgo --help` {cli['cli_help_s']:.2f} s, "
        f"`zartsalgo status` {cli['cli_status_s']:.2f} s; `python -c pass` "
        f"{cli['python_pass_s']:.2f} s"
    )
    return {
        "sync_dagster_s": round(sync["dagster"], 2),
        "sync_direct_s": round(sync["direct"], 2),
        "sync_overhead_ratio": round(ratio, 2),
        "definitions_load_s": round(load["shipped"], 2),
        "definitions_load_100_s": round(load[f"{specs}_specs"], 2),
        "definitions_load_after_dagster_s": round(load["shipped_after_dagster"], 2),
        "definitions_heavy_imports": load["shipped_heavy_imports"],
        "definitions_specs": specs,
        **cli,
    }


def _webhook_figures(hooks: list[dict[str, Any]]) -> dict[str, Any]:
    """Print each rate's webhook figures; their summary."""
    for hook in hooks:
        card, stored = hook["card"], hook["stored"]
        print(
            f"webhook at {hook['rate']}: -> card p50 {card['p50']} s, p95 {card['p95']} s, "
            f"max {card['max']} s (-> stored p50 {stored['p50']} s, p95 {stored['p95']} s); "
            f"{hook['accounted']} of {hook['deliveries']} deliveries accounted exactly once"
        )
        runs = hook["runs"]
        print(
            f"  {runs['runs']} webhook runs, requested {runs['between_requests_s']} s apart "
            f"(medians): request -> run started {runs['request_to_start_s']} s (queue, "
            f"launch), started -> records {runs['start_to_records_s']} s, -> cards "
            f"{runs['start_to_cards_s']} s"
        )
    return {
        "webhooks": [
            {
                "rate": h["rate"],
                "deliveries": h["deliveries"],
                "accounted": h["accounted"],
                "card_p50_s": h["card"]["p50"],
                "card_p95_s": h["card"]["p95"],
                "card_max_s": h["card"]["max"],
                "stored_p50_s": h["stored"]["p50"],
                "stored_p95_s": h["stored"]["p95"],
                "runs": h["runs"],
            }
            for h in hooks
        ],
        "webhook_deliveries": sum(h["deliveries"] for h in hooks),
        "webhook_accounted": sum(h["accounted"] for h in hooks),
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["direct"]:
        direct_sync()
    else:
        sys.exit("usage: python -m zartsalgo_pipelines.benchmark --latency")
