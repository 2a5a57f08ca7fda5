"""Where a webhook stream's time went, read from the benchmark's Dagster instance: how many
webhook runs served it, how far apart the sensor requested them, how long each waited from
its request to its start (the queue and the run process's launch), and how long from its start
to its records (`mapped_records`) and to the client's cards (`portal_cards`)."""

import itertools
import statistics
from pathlib import Path
from typing import Any

import dagster as dg

from zartsalgo_pipelines.benchmark.children import PROVIDER

JOB = f"{PROVIDER}_webhook_ingest"
STEPS = {"mapped": f"{PROVIDER}__mapped_records", "cards": "portal__portal_cards"}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def runs_in_flight(home: Path) -> int:
    """The benchmark's webhook runs that have not ended."""
    ended = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_run_records(filters=dg.RunsFilter(job_name=JOB))
    return sum(1 for r in runs if r.dagster_run.status not in ended)


def run_breakdown(home: Path, since: float, until: float) -> dict[str, Any]:
    """Medians over the webhook runs requested between ``since`` and ``until`` (epoch s)."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = [
            r
            for r in instance.get_run_records(filters=dg.RunsFilter(job_name=JOB))
            if since <= r.create_timestamp.timestamp() <= until
        ]
        records.sort(key=lambda r: r.create_timestamp)
        waited, mapped, carded = [], [], []
        for record in records:
            if record.start_time is None:
                continue
            waited.append(record.start_time - record.create_timestamp.timestamp())
            done = {
                e.step_key: e.timestamp
                for e in instance.all_logs(
                    record.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS
                )
            }
            if STEPS["mapped"] in done:
                mapped.append(done[STEPS["mapped"]] - record.start_time)
            if STEPS["cards"] in done:
                carded.append(done[STEPS["cards"]] - record.start_time)
    created = [r.create_timestamp.timestamp() for r in records]
    return {
        "runs": len(records),
        "between_requests_s": _median([b - a for a, b in itertools.pairwise(created)]),
        "request_to_start_s": _median(waited),
        "start_to_records_s": _median(mapped),
        "start_to_cards_s": _median(carded),
    }
