"""Admin tasks for a provider's owner: a card off its target, declining beyond the metric's
threshold, a client with no data for a period it should have, a card hidden by a data problem.
One open task per client, metric and kind; resolved when the condition clears; history kept."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.cards import card_rows
from zartsalgo_pipelines.storage.proof.metrics import as_date
from zartsalgo_pipelines.storage.proof.tasks import (
    open_task,
    open_tasks,
    resolve_tasks,
    task_rows,
    touch_tasks,
)

DATA_PROBLEMS = frozenset({"data_problem", "stale", "not_connected"})


@dataclass(frozen=True)
class TaskChange:
    opened: int
    resolved: int
    still_open: int


def _conditions(spec: ProviderSpec, cards: list[dict[str, Any]]) -> dict[str, tuple[dict, str]]:
    """open_key -> (card, message) for every condition that holds now."""
    metrics = {m.key: m for m in spec.metrics}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    found: dict[str, tuple[dict, str]] = {}
    for card in cards:
        key = (card["client_key"], card["metric_key"])
        if card["status"] != "in_progress":
            latest[key] = card  # rows come oldest first: the last complete period wins
        if card["visibility"] == "hidden" and card["visibility_reason"] in DATA_PROBLEMS:
            found[_key(spec.key, *key, "hidden_data_problem")] = (
                card,
                f"{card['client_key']}: {card['label']} for the {card['period_label']} is hidden "
                f"from the client ({card['visibility_reason']}); fix the data or the connection.",
            )
    for (client, metric_key), card in latest.items():
        metric = metrics.get(metric_key)
        if metric is None:
            continue
        what = f"{client}: {card['label']} in the {card['period_label']}"
        change = card["change_pct"]
        if card["status"] == "off_target":
            found[_key(spec.key, client, metric_key, "off_target")] = (
                card,
                f"{what} is {card['current_display']}, off the goal of "
                f"{card['baseline_display']}; review it with the client.",
            )
        if (
            card["status"] == "declining"
            and change is not None
            and Decimal(str(change)) <= (-Decimal(str(metric.task_decline)) * 100)
        ):
            found[_key(spec.key, client, metric_key, "declining")] = (
                card,
                f"{what} fell {abs(Decimal(str(change))):.1f} % against "
                f"{card['baseline_label']} ({card['current_display']} against "
                f"{card['baseline_display']}); find out why before the client asks.",
            )
        if card["status"] == "no_data":
            found[_key(spec.key, client, metric_key, "no_data")] = (
                card,
                f"{what}: no records arrived for a client that had data before; check the source.",
            )
    return found


def _key(provider: str, client: str, metric: str, kind: str) -> str:
    return f"{provider}/{client}/{metric}/{kind}"[:191]


def refresh_tasks(
    conn: sa.Connection, specs: list[ProviderSpec], now: dt.datetime | None = None
) -> TaskChange:
    """Open tasks whose condition holds, resolve those whose condition cleared."""
    now = now or utcnow()
    open_now = open_tasks(conn)
    opened = resolved = 0
    touched: list[int] = []
    for spec in specs:
        metrics = {m.key: m for m in spec.metrics}
        holds = _conditions(spec, card_rows(conn, provider_key=spec.key))
        for open_key, (card, message) in holds.items():
            if open_key in open_now:
                touched.append(open_now[open_key]["id"])
                continue
            kind = open_key.rsplit("/", 1)[1]
            days = metrics[card["metric_key"]].task_due_days
            open_task(
                conn,
                {
                    "provider_key": spec.key,
                    "client_key": card["client_key"],
                    "metric_key": card["metric_key"],
                    "kind": kind,
                    "owner": spec.owner,
                    "message": message[:500],
                    "period_start": as_date(card["period_start"]),
                    "due_at": now + dt.timedelta(days=days),
                    "opened_at": now,
                    "last_checked_at": now,
                    "resolved_at": None,
                    "resolution": None,
                    "open_key": open_key,
                },
            )
            opened += 1
        cleared = [
            t["id"] for k, t in open_now.items() if t["provider_key"] == spec.key and k not in holds
        ]
        resolve_tasks(conn, cleared, now, "condition cleared")
        resolved += len(cleared)
    touch_tasks(conn, touched, now)
    return TaskChange(opened, resolved, len(task_rows(conn, open_only=True)))
