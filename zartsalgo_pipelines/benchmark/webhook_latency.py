"""Webhook to portal: with the receiver and the Dagster daemon running against a scratch instance
and database, signed deliveries are posted at a steady rate; for each, the time from its 2xx
answer to its record being stored and to the client's portal card being computed after it;
every delivery must end as exactly one import row."""

import datetime as dt
import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import requests
import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.benchmark.children import (
    BENCH_SECRET,
    CLIENT,
    PROVIDER,
    child_env,
    free_port,
    service,
    wait_until,
)


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

    folder = workdir / "webhooks"
    with scratch(folder) as url:
        upgrade_head(url)
        env = child_env(folder, url)
        _sync_and_go_live(env)
        engine = create_engine(url)
        answered, progress = _post_and_follow(engine, env, folder, deliveries, interval, deadline)
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


def _sync_and_go_live(env: dict[str, str]) -> None:
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


def _post_and_follow(
    engine: sa.Engine,
    env: dict[str, str],
    folder: Path,
    deliveries: int,
    interval: float,
    deadline: float,
) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
    """Post the deliveries with receiver and daemon running; follow them onto the cards.

    Returns when each was answered (by external id) and how far each got."""
    port = free_port()
    cli = str(Path(sys.executable).parent / "zartsalgo")
    receiver = [cli, "webhooks", "serve", "--host", "127.0.0.1", "--port", str(port)]
    daemon = [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"]
    template = _valid_sample_record()
    progress: dict[str, dict[str, Any]] = {}
    with (
        service(receiver, env, folder / "r.log"),
        service(daemon, env, folder / "daemon.log"),
    ):
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: requests.get(f"{base}/healthz", timeout=2).ok, deadline, "receiver")
        answered: dict[str, float] = {}
        for number in range(deliveries):
            delivery_id = f"lat_{uuid.uuid4().hex[:12]}"
            record = delivery_record(number, template)
            answered[record["id"]] = signed_post(f"{base}/webhooks/{PROVIDER}", delivery_id, record)
            time.sleep(interval)  # a steady sender, not a synchronisation
        try:
            # Each delivery stored, imported or on a card is progress: a loaded machine is
            # slower, and only no progress at all for `deadline` seconds ends the wait.
            wait_until(
                lambda: _all_on_cards(engine, answered, progress),
                deadline,
                "cards",
                progress=lambda: sorted(map(str, progress.items())),
            )
        except TimeoutError:
            for log in ("r.log", "daemon.log"):
                tail = (folder / log).read_text(errors="replace").splitlines()[-15:]
                print(f"--- last lines of {log}:", *tail, sep="\n", file=sys.stderr)
    return answered, progress


def _all_on_cards(
    engine: sa.Engine, answered: dict[str, float], progress: dict[str, dict[str, Any]]
) -> bool:
    from zartsalgo_pipelines.storage.probes import delivery_progress

    with engine.connect() as conn:
        now = delivery_progress(conn, PROVIDER, CLIENT, list(answered))
    for external_id, seen in now.items():
        # The first card computed after the record is the one that reflected it;
        # later refreshes move computed_at on and must not overwrite it.
        first = progress.get(external_id, {}).get("card_at")
        progress[external_id] = seen | {"card_at": first or seen["card_at"]}
    done = [p for p in progress.values() if p["card_at"]]
    return len(done) == len(answered)


def _valid_sample_record() -> dict[str, Any]:
    from zartsalgo_pipelines.samples.demo import EXAMPLE_DAY, demo_rows

    return next(r.record for r in demo_rows(EXAMPLE_DAY) if r.outcome == "created")


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
