"""The crash sweep: batches whose owner died, or that stopped moving, are failed and cleaned up.

Run at the start of every extract and ingest of a provider and by its run-health sensor. A
batch that is ``extracting`` or ``running`` is stuck when

- its process ran on this host and is gone (killed, crashed, the machine rebooted), or
- its Dagster run has ended (the factory passes ``run_is_alive``; plain Python passes none), or
- its heartbeat (opened, claimed, each landed page or file, each committed chunk) is older than
  the spec's ``batch_timeout_minutes``.

A stuck batch is marked ``failed`` with the reason, frees the ingest lease, gives back the
webhook deliveries it had claimed, loses its landing folder, and its owner gets one
``stuck_batch`` incident, which resolves itself when a later batch of the provider succeeds.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.incidents.alerts import AlertEvent, evaluate_batch_alerts, raise_alert
from zartsalgo_pipelines.incidents.kinds import STUCK_BATCH
from zartsalgo_pipelines.incidents.notify import notify
from zartsalgo_pipelines.owners import RunIsAlive, host_name, process_is_alive
from zartsalgo_pipelines.pipeline.landing import remove_landing
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import batches as store
from zartsalgo_pipelines.storage.connections import record_sync_result, utcnow


@dataclass(frozen=True)
class SweptBatch:
    batch_id: int
    reason: str
    released_deliveries: int


def stuck_reason(
    batch: dict[str, Any],
    now: dt.datetime,
    timeout: dt.timedelta,
    run_is_alive: RunIsAlive | None,
    this_host: str,
) -> str | None:
    """Why ``batch`` (a row of ``active_batches``) is stuck, or None while its owner lives."""
    pid, host, started = batch["owner_pid"], batch["owner_host"], batch["owner_pid_start"]
    if pid is not None and host == this_host and not process_is_alive(pid, started):
        return f"its process (pid {pid} on {host}) is gone"
    run_id = batch["run_id"]
    if run_id and run_is_alive is not None and not run_is_alive(run_id):
        return f"its Dagster run {run_id} has ended"
    last = batch["heartbeat_at"] or batch["started_at"]
    if now - last > timeout:
        minutes = (now - last).total_seconds() / 60
        return f"no progress for {minutes:.0f} min (batch_timeout_minutes: {_minutes(timeout)})"
    return None


def _minutes(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 60:g}"


def sweep_stuck_batches(
    engine: sa.Engine, spec: ProviderSpec, *, run_is_alive: RunIsAlive | None = None
) -> list[SweptBatch]:
    """Fail and clean up the provider's stuck batches; returns what was swept."""
    now = utcnow()
    timeout = dt.timedelta(minutes=spec.batch_timeout_minutes)
    this_host = host_name()
    with engine.connect() as conn:
        active = store.active_batches(conn, spec.key)
    swept: list[SweptBatch] = []
    for batch in active:
        reason = stuck_reason(batch, now, timeout, run_is_alive, this_host)
        if reason is None:
            continue
        message = f"stuck {batch['status']} batch failed by the sweep: {reason}"
        result = _fail(engine, spec, batch, message, now)
        if result is not None:
            swept.append(result)
    return swept


def _fail(
    engine: sa.Engine, spec: ProviderSpec, batch: dict[str, Any], message: str, now: dt.datetime
) -> SweptBatch | None:
    events: list[AlertEvent] = []
    with engine.begin() as conn:
        # Only if it did not move since we looked: a concurrent sweep or a live owner wins.
        if not store.fail_if_unchanged(
            conn, spec.key, batch["id"], batch["status"], batch["heartbeat_at"], message, now
        ):
            return None
        released = store.release_deliveries(conn, batch["id"])
        record_sync_result(conn, spec.key, batch["id"], message)
        events += _alert(conn, spec, batch["id"], message, released)
        events += evaluate_batch_alerts(conn, spec)
    remove_landing(spec.key, batch["id"], batch["token"])
    notify(events)
    return SweptBatch(batch["id"], message, released)


def _alert(
    conn: sa.Connection, spec: ProviderSpec, batch_id: int, message: str, released: int
) -> list[AlertEvent]:
    return raise_alert(
        conn,
        spec,
        STUCK_BATCH,
        batch_id=batch_id,
        what=message,
        details={"batch_id": batch_id, "released_deliveries": released},
    )
