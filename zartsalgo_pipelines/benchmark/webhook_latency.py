"""Webhook to portal: with the receiver and the Dagster daemon running against a scratch instance
and database, signed deliveries are posted at steady rates, one rate after the other; for each,
the time from its 2xx answer to its record being stored and to a reader first seeing the
client's portal card computed after it (followed while the deliveries are posted: read only
afterwards, an early delivery's card would be a later refresh's); every delivery must end as
exactly one import row."""

import contextlib
import datetime as dt
import functools
import json
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
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
from zartsalgo_pipelines.benchmark.run_breakdown import run_breakdown, runs_in_flight

# How often the benchmark reads how far the deliveries got, while posting and after.
POLL_SECONDS = 0.25


@functools.cache
def _webhook() -> Any:
    from zartsalgo_pipelines.specs.loading import load_specs

    webhook = load_specs()[PROVIDER].spec.webhook
    assert webhook is not None
    return webhook


def signed_post(url: str, delivery_id: str, record: dict[str, Any]) -> float:
    """POST one Standard Webhooks delivery; returns the UTC epoch time of its 2xx answer."""
    from zartsalgo_pipelines.sources.webhooks import sign

    webhook = _webhook()  # read once: at 5 a second, reading the specs per post held the pace
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


@dataclass(frozen=True)
class Rate:
    """One steady stream: ``per_second`` deliveries a second for ``seconds``."""

    per_second: float
    seconds: float

    @property
    def deliveries(self) -> int:
        return max(1, round(self.per_second * self.seconds))

    @property
    def label(self) -> str:
        return f"{self.per_second:g}/s for {self.seconds:g} s"


def measure_webhooks(
    scratch: Any, workdir: Path, rates: list[Rate], deadline: float
) -> list[dict[str, Any]]:
    """Post signed deliveries at each steady rate in turn, with the receiver and the daemon
    running; the figures of each rate."""
    from zartsalgo_pipelines.storage.engine import create_engine
    from zartsalgo_pipelines.storage.migrate import upgrade_head

    folder = workdir / "webhooks"
    with scratch(folder) as url:
        upgrade_head(url)
        env = child_env(folder, url)
        _sync_and_go_live(env)
        engine = create_engine(url)
        try:
            streams = _post_and_follow(engine, env, folder, rates, deadline)
        finally:
            engine.dispose()
    return [_figures(rate, *stream) for rate, stream in zip(rates, streams, strict=True)]


def _figures(
    rate: Rate,
    answered: dict[str, float],
    progress: dict[str, dict[str, Any]],
    runs: dict[str, Any],
) -> dict[str, Any]:
    stored = [progress[i]["stored_at"] - answered[i] for i in answered if i in progress]
    carded = [progress[i]["seen_at"] - answered[i] for i in answered if i in progress]
    carded = [c for c in carded if c == c]  # NaN: never seen on a card
    return {
        "rate": rate.label,
        "deliveries": rate.deliveries,
        "accounted": sum(1 for p in progress.values() if p["import_rows"] == 1),
        "stored": _percentiles(stored),
        "card": _percentiles(carded),
        "on_cards": len(carded),
        "runs": runs,
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


class _Follower(threading.Thread):
    """Reads, every ``POLL_SECONDS`` while the deliveries are posted and after, how far each
    answered delivery got: when a reader first sees the client's card computed after its
    record is the moment it reached the card (a later refresh must not move it on)."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(daemon=True)
        self.engine, self.lock, self.stop = engine, threading.Lock(), threading.Event()
        self.answered: dict[str, float] = {}
        self.progress: dict[str, dict[str, Any]] = {}

    def answer(self, external_id: str, at: float) -> None:
        with self.lock:
            self.answered[external_id] = at

    def run(self) -> None:
        while not self.stop.wait(POLL_SECONDS):
            with contextlib.suppress(sa.exc.DBAPIError):  # a locked SQLite file: next poll
                self.poll()

    def poll(self) -> None:
        from zartsalgo_pipelines.storage.probes import delivery_progress

        with self.lock:
            open_ids = [i for i in self.answered if not self.progress.get(i, {}).get("card_at")]
        if not open_ids:
            return
        with self.engine.connect() as conn:
            now = delivery_progress(conn, PROVIDER, CLIENT, open_ids)
        seen = time.time()
        with self.lock:
            for external_id, found in now.items():
                nan = float("nan")
                self.progress[external_id] = found | {"seen_at": seen if found["card_at"] else nan}

    def account(self, ids: list[str]) -> None:
        """Read the import rows of ``ids`` once more, after they all reached the cards: a
        delivery counted twice later must show."""
        from zartsalgo_pipelines.storage.probes import delivery_progress

        with self.engine.connect() as conn:
            now = delivery_progress(conn, PROVIDER, CLIENT, ids)
        with self.lock:
            for external_id, found in now.items():
                seen = self.progress.setdefault(external_id, found | {"seen_at": float("nan")})
                seen["import_rows"] = found["import_rows"]

    def on_cards(self, ids: list[str]) -> int:
        with self.lock:
            return sum(1 for i in ids if self.progress.get(i, {}).get("card_at"))


def _post_and_follow(
    engine: sa.Engine, env: dict[str, str], folder: Path, rates: list[Rate], deadline: float
) -> list[tuple[dict[str, float], dict[str, dict[str, Any]], dict[str, Any]]]:
    """Post each rate's deliveries with receiver and daemon running, following them onto the
    cards as they go; per rate, when each was answered (by external id), how far it got and
    where the webhook runs' time went."""
    port = free_port()
    cli = str(Path(sys.executable).parent / "zartsalgo")
    receiver = [cli, "webhooks", "serve", "--host", "127.0.0.1", "--port", str(port)]
    daemon = [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"]
    template = _valid_sample_record()
    follower = _Follower(engine)
    streams: list[tuple[dict[str, float], dict[str, dict[str, Any]], tuple[float, float]]] = []
    with (
        service(receiver, env, folder / "r.log"),
        service(daemon, env, folder / "daemon.log"),
    ):
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: requests.get(f"{base}/healthz", timeout=2).ok, deadline, "receiver")
        follower.start()
        try:
            first = 0
            for rate in rates:
                since = time.time()
                ids = _post_steadily(f"{base}/webhooks/{PROVIDER}", rate, first, template, follower)
                first += rate.deliveries
                _wait_for_cards(follower, ids, deadline, folder)
                follower.account(ids)
                with follower.lock:
                    streams.append(
                        ({i: follower.answered[i] for i in ids},
                         {i: follower.progress[i] for i in ids if i in follower.progress},
                         (since, time.time()))
                    )  # fmt: skip
        finally:
            follower.stop.set()
            follower.join()
        # Once the last runs have ended, where each stream's runs spent their time.
        home = Path(env[settings.DAGSTER_HOME_ENV])
        wait_until(lambda: not runs_in_flight(home), deadline, "the last webhook runs")
    return [(answered, seen, run_breakdown(home, *window)) for answered, seen, window in streams]


def _post_steadily(
    url: str, rate: Rate, first: int, template: dict[str, Any], follower: _Follower
) -> list[str]:
    """Post ``rate``'s deliveries, each at its own moment of a steady clock (a slow answer
    does not push the next one back); their external ids."""
    started = time.monotonic()
    ids = []
    for offset in range(rate.deliveries):
        time.sleep(max(0.0, started + offset / rate.per_second - time.monotonic()))
        record = delivery_record(first + offset, template)
        follower.answer(record["id"], signed_post(url, f"lat_{uuid.uuid4().hex[:12]}", record))
        ids.append(record["id"])
    return ids


def _wait_for_cards(follower: _Follower, ids: list[str], deadline: float, folder: Path) -> None:
    """Until every one of ``ids`` is on a card. Each delivery that gets there is progress: a
    loaded machine is slower, and only no progress at all for ``deadline`` seconds ends it."""
    try:
        wait_until(
            lambda: follower.on_cards(ids) == len(ids),
            deadline,
            "cards",
            progress=lambda: follower.on_cards(ids),
        )
    except TimeoutError:
        for log in ("r.log", "daemon.log"):
            tail = (folder / log).read_text(errors="replace").splitlines()[-15:]
            print(f"--- last lines of {log}:", *tail, sep="\n", file=sys.stderr)


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
