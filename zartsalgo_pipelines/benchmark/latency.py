"""What a data team feels every day: small-sync overhead, definitions load, webhook to portal.

    python -m zartsalgo_pipelines.benchmark --latency [--database-url URL] [--deliveries 40]

1. small sync: the shipped ``quote_request`` sample synced by its ``quote_request_sync`` job, the
   way a run worker of a deployment runs it (``dagster job execute``: a new process that loads
   the definitions and runs the job with the job's own executor), beside the same functions
   called directly in a new process (``python -m zartsalgo_pipelines.benchmark.latency
   direct``). Both are wall times of a whole process on a fresh scratch database, so both pay
   for the interpreter and imports; the ratio is Dagster's own cost.
2. definitions load: a new process importing ``zartsalgo_pipelines.definitions`` and building
   the definitions, for the shipped specs and for N generated specs (imports on the clock).
3. webhook to portal: the receiver (``zartsalgo webhooks serve``) and the Dagster daemon run
   against a scratch instance and database; deliveries are posted at a steady rate; for each,
   the time from its 2xx answer to its record being stored (the record's ``created_at``) and to
   the client's portal card being computed after it (``portal_cards.computed_at``); every
   delivery must end as exactly one import row.
The last line printed is one JSON object.
"""

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import requests

from zartsalgo_pipelines import settings

PROVIDER = "quote_request"
SECRET_ENV = "QUOTE_REQUEST_WEBHOOK_SECRET"
BENCH_SECRET = "whsec-latency-benchmark"
CLIENT = "latency-bench-client"


def child_env(workdir: Path, url: str) -> dict[str, str]:
    """The environment of every process the benchmark starts: its own instance and database."""
    home = workdir / "dagster_home"
    if not home.exists():
        home.mkdir(parents=True)
        shutil.copyfile(settings.REPOSITORY_DIR / "dagster.yaml", home / "dagster.yaml")
    return os.environ | {
        settings.DAGSTER_HOME_ENV: str(home),
        settings.DATABASE_URL_ENV: url,
        settings.DATA_DIR_ENV: str(workdir / "data"),
        SECRET_ENV: BENCH_SECRET,
    }


def timed(command: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one process, from its start to its exit (it must succeed)."""
    started = time.perf_counter()
    completed = subprocess.run(
        command, env=env, cwd=settings.REPOSITORY_DIR, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if completed.returncode:
        tail = (completed.stdout + completed.stderr)[-2000:]
        raise RuntimeError(f"{' '.join(command[:4])} failed ({completed.returncode}):\n{tail}")
    return seconds


def direct_sync() -> None:
    """The sync job's work without Dagster: the functions its assets call, in order (the
    provider's four, then the portal's cards, impact, payload scan, notes, tasks, preview)."""
    from zartsalgo_pipelines.pipeline.pending import process_pending
    from zartsalgo_pipelines.pipeline.run import extract_files
    from zartsalgo_pipelines.proof.cards import refresh_portal_cards
    from zartsalgo_pipelines.proof.impact import refresh_impact
    from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
    from zartsalgo_pipelines.proof.notes import build_notes
    from zartsalgo_pipelines.proof.payload_scan import scan
    from zartsalgo_pipelines.proof.preview import write_preview
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
    with engine.begin() as conn:
        refresh_client_metrics(conn, loaded.spec)
    with engine.begin() as conn:
        refresh_portal_cards(conn, specs)
        refresh_impact(conn, specs, lambda spec: None)
        scan(conn, specs)
    with engine.begin() as conn:
        build_notes(conn)
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
            results[name] = timed(command, child_env(workdir / name, url))
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
    for name, extra in (("shipped", []), (f"{specs}_specs", [str(package_dir)])):
        completed = subprocess.run(
            [sys.executable, "-c", DEFINITIONS_PROBE, *extra],
            capture_output=True,
            text=True,
            check=True,
            cwd=package_dir.parent if extra else settings.REPOSITORY_DIR,
            env=os.environ | {"PYTHONPATH": str(package_dir.parent)},
        )
        total, ours, _assets, heavy = completed.stdout.split()
        results[name] = float(total)
        results[f"{name}_after_dagster"] = float(ours)
        results[f"{name}_heavy_imports"] = heavy
    return results


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def service(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A long-running child process, stopped with SIGTERM (then killed) when the block ends."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, cwd=settings.REPOSITORY_DIR, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if condition():
                return
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready after {seconds:.0f} s")


def signed_post(url: str, delivery_id: str, record: dict[str, Any]) -> float:
    """POST one Standard Webhooks delivery; returns the UTC epoch time of its 2xx answer."""
    from zartsalgo_pipelines.sources.webhooks import sign
    from zartsalgo_pipelines.specs.loading import load_specs

    webhook = load_specs()[PROVIDER].spec.webhook
    assert webhook is not None
    body = orjson.dumps({"type": "quote_request.created", "data": record})
    stamp = str(int(time.time()))
    signature = sign(webhook, BENCH_SECRET, body, delivery_id=delivery_id, timestamp=stamp)
    answer = requests.post(
        url,
        data=body,
        headers={
            "webhook-id": delivery_id,
            "webhook-timestamp": stamp,
            "webhook-signature": f"v1,{signature}",
            "Content-Type": "application/json",
        },
        timeout=30,
    )
    answer.raise_for_status()
    return time.time()


def delivery_record(number: int, template: dict[str, Any]) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = json.loads(json.dumps(template))
    record.update(id=f"LAT-{number:05d}", submitted_at=now, updated_at=now, is_test=False)
    record["client"] = {"slug": CLIENT}
    record.setdefault("contact", {})["email"] = f"latency{number}@example.org"
    return record


def measure_webhooks(
    scratch: Any, workdir: Path, deliveries: int, interval: float, deadline: float
) -> dict[str, Any]:
    """Post signed deliveries at a steady rate with the receiver and the daemon running."""
    from zartsalgo_pipelines.storage.engine import create_engine
    from zartsalgo_pipelines.storage.migrate import upgrade_head
    from zartsalgo_pipelines.storage.probes import delivery_progress

    folder = workdir / "webhooks"
    with scratch(folder) as url:
        upgrade_head(url)
        env = child_env(folder, url)
        # A synced provider first, so the stale-sync sensor does not start a sync of its own,
        # and live in the portal (the go-live gate), so its cards are shown.
        cli = str(Path(sys.executable).parent / "zartsalgo")
        for command in (
            [sys.executable, "-m", "zartsalgo_pipelines.benchmark.latency", "direct"],
            [cli, "portal", "go-live", PROVIDER, "--by", "latency benchmark"],
        ):
            subprocess.run(
                command, env=env, cwd=settings.REPOSITORY_DIR, check=True, capture_output=True
            )
        port = free_port()
        receiver = [cli, "webhooks", "serve"]
        daemon = [
            str(Path(sys.executable).parent / "dagster-daemon"),
            "run",
            "-w",
            "workspace.yaml",
        ]
        template = _valid_sample_record()
        engine = create_engine(url)
        with (
            service([*receiver, "--host", "127.0.0.1", "--port", str(port)], env, folder / "r.log"),
            service(daemon, env, folder / "daemon.log"),
        ):
            base = f"http://127.0.0.1:{port}"
            wait_until(lambda: requests.get(f"{base}/healthz", timeout=2).ok, 60, "receiver")
            answered: dict[str, float] = {}
            for number in range(deliveries):
                delivery_id = f"lat_{uuid.uuid4().hex[:12]}"
                record = delivery_record(number, template)
                answered[record["id"]] = signed_post(
                    f"{base}/webhooks/{PROVIDER}", delivery_id, record
                )
                time.sleep(interval)  # a steady sender, not a synchronisation
            progress: dict[str, dict[str, Any]] = {}

            def all_on_cards() -> bool:
                with engine.connect() as conn:
                    now = delivery_progress(conn, PROVIDER, CLIENT, list(answered))
                for external_id, seen in now.items():
                    # The first card computed after the record is the one that reflected it;
                    # later refreshes move computed_at on and must not overwrite it.
                    first = progress.get(external_id, {}).get("card_at")
                    progress[external_id] = seen | {"card_at": first or seen["card_at"]}
                done = [p for p in progress.values() if p["card_at"]]
                return len(done) == len(answered)

            try:
                wait_until(all_on_cards, deadline, "cards")
            except TimeoutError:
                for log in ("r.log", "daemon.log"):
                    tail = (folder / log).read_text(errors="replace").splitlines()[-15:]
                    print(f"--- last lines of {log}:", *tail, sep="\n", file=sys.stderr)
        engine.dispose()
    stored = [progress[i]["stored_at"] - answered[i] for i in answered if i in progress]
    carded = [
        progress[i]["card_at"] - answered[i] for i in answered if progress.get(i, {}).get("card_at")
    ]
    accounted = sum(1 for p in progress.values() if p["import_rows"] == 1)
    return {
        "deliveries": deliveries,
        "accounted": accounted,
        "stored": _percentiles(stored),
        "card": _percentiles(carded),
        "on_cards": len(carded),
    }


def _valid_sample_record() -> dict[str, Any]:
    sample = settings.DEFS_DIR / PROVIDER / "sample" / "quote_requests.jsonl"
    with sample.open("rb") as handle:
        first: dict[str, Any] = orjson.loads(handle.readline())
    return first


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(p95, 2),
        "max": round(ordered[-1], 2),
    }


def run(server_url: str | None, specs: int, deliveries: int, rate: float) -> dict[str, Any]:
    """All three measurements on one database server; prints them and returns the summary."""
    from zartsalgo_pipelines.benchmark.scratch import scratch_database

    workdir = Path(tempfile.mkdtemp(prefix="zartsalgo-latency-"))

    def scratch(folder: Path) -> Any:
        folder.mkdir(parents=True, exist_ok=True)
        return scratch_database(server_url, folder)

    try:
        sync = measure_sync(scratch, workdir)
        load = measure_definitions_load(specs, workdir)
        hooks = measure_webhooks(scratch, workdir, deliveries, 1 / rate, deadline=180)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ratio = sync["dagster"] / sync["direct"]
    print(
        f"small sync: Dagster {sync['dagster']:.1f} s, direct {sync['direct']:.1f} s ({ratio:.1f}x)"
    )
    print(
        f"definitions load: shipped specs {load['shipped']:.2f} s "
        f"({load['shipped_after_dagster']:.2f} s after `import dagster`; heavy modules loaded: "
        f"{load['shipped_heavy_imports']}), {specs} specs {load[f'{specs}_specs']:.2f} s "
        f"({load[f'{specs}_specs_after_dagster']:.2f} s after `import dagster`)"
    )
    print(
        f"webhook -> stored: {hooks['stored']}; -> card: {hooks['card']}; "
        f"{hooks['accounted']} of {deliveries} deliveries accounted exactly once"
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
        "webhook_stored_p50_s": hooks["stored"]["p50"],
        "webhook_stored_p95_s": hooks["stored"]["p95"],
        "webhook_p50_s": hooks["card"]["p50"],
        "webhook_p95_s": hooks["card"]["p95"],
        "webhook_max_s": hooks["card"]["max"],
        "webhook_deliveries": deliveries,
        "webhook_accounted": hooks["accounted"],
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["direct"]:
        direct_sync()
    else:
        sys.exit("usage: python -m zartsalgo_pipelines.benchmark --latency")
