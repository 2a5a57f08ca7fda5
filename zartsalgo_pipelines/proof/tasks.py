"""Admin tasks for a provider's owner: a card off its target, a decline beyond chance and beyond
the metric's threshold, a client with no data for a period it should have, a client who went
quiet for longer than usual, a card hidden by a data problem. One open task per client, metric
and kind; resolved when the condition clears; history kept."""

import datetime as dt
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa

from zartsalgo_pipelines.clock import proof_now
from zartsalgo_pipelines.incidents.freshness import Freshness, freshness
from zartsalgo_pipelines.incidents.staleness import age_text
from zartsalgo_pipelines.proof.cards import Card, load_cards, record_unit
from zartsalgo_pipelines.proof.formatting import Formatter
from zartsalgo_pipelines.proof.periods import local_date
from zartsalgo_pipelines.proof.visibility import HIDDEN_FIXES, HIDDEN_REASONS
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.tasks import (
    open_task,
    open_tasks,
    resolve_tasks,
    task_rows,
    touch_tasks,
)

DATA_PROBLEMS = frozenset({"data_problem", "stale", "not_connected"})
NO_METRIC = "-"  # a task about a client, not one of its metrics (it went quiet)


@dataclass(frozen=True)
class TaskChange:
    opened: int
    resolved: int
    still_open: int


@dataclass(frozen=True)
class Condition:
    """A condition that holds now and the task it asks for."""

    client_key: str
    metric_key: str
    kind: str
    message: str
    period_start: dt.date | None
    due_days: int


def period_phrase(card: Card) -> str:
    """`the week of 16 November 2026`, `November 2026`, `16 November 2026`."""
    return f"the {card.period_label}" if card.period == "week" else card.period_label


def _hidden_conditions(spec: ProviderSpec, cards: list[Card]) -> list[Condition]:
    """One task per client whose cards are hidden by a data problem: which, why, what to do."""
    due = min((m.task_due_days for m in spec.metrics), default=2)
    hidden: dict[str, list[Card]] = {}
    for card in cards:
        if card.visibility == "hidden" and card.visibility_reason in DATA_PROBLEMS:
            hidden.setdefault(card.client_key, []).append(card)
    found = []
    for client, own in hidden.items():
        own.sort(key=lambda c: c.period_start, reverse=True)
        reasons = list(dict.fromkeys(c.visibility_reason for c in own))
        named = [f"{c.label} for {period_phrase(c)}" for c in own[:3]]
        if len(own) > 3:
            named.append(f"{len(own) - 3} more")
        why = "; ".join(f"{HIDDEN_REASONS[r]}: {HIDDEN_FIXES[r]}" for r in reasons)
        count = "1 card is" if len(own) == 1 else f"{len(own)} cards are"
        message = f"{client}: {count} hidden from the client ({', '.join(named)}); {why}."
        found.append(
            Condition(client, NO_METRIC, "hidden_data_problem", message, own[0].period_start, due)
        )
    return found


def _card_conditions(
    spec: ProviderSpec, cards: list[Card], fresh: Freshness | None
) -> list[Condition]:
    """Tasks from each client's newest finished card per metric: off target, a real decline
    beyond the metric's threshold, nothing arrived when that is unusual for the client (and it
    is not quiet already: a quiet client has its own task)."""
    quiet = {s.client_key for s in fresh.silent_clients if s.client_key} if fresh else set()
    metrics = {m.key: m for m in spec.metrics}
    words = Formatter(spec.locale)
    latest: dict[tuple[str, str], Card] = {}
    for card in cards:
        if card.metric_key in metrics and card.status != "in_progress":
            latest[(card.client_key, card.metric_key)] = card  # oldest first: the last wins
    found = _hidden_conditions(spec, cards)
    for (client, key), card in latest.items():
        metric = metrics[key]
        what = f"{client}: {card.label} in {period_phrase(card)}"
        message = None
        if card.status == "off_target":
            kind = "off_target"
            message = (
                f"{what} was {card.current_display}, off the goal of {card.baseline_display}; "
                "review it with the client."
            )
        change = card.change_pct
        if (
            card.status in {"declining", "lower"}
            and change is not None
            and (change <= -100 * metric.task_decline)
        ):
            kind = "declining"
            message = (
                f"{what} fell {words.relative(change)} against {card.baseline_label} "
                f"({card.current_display} against {card.baseline_display}, beyond chance); "
                "find out why before the client asks."
            )
        days = (card.period_end - card.period_start).days + 1
        unusual = fresh is not None and fresh.empty_period_is_news(client, days, 0.99)
        if card.status == "no_data" and unusual and client not in quiet:
            kind = "no_data"
            message = (
                f"{what}: nothing arrived for a client that had data before; check the source."
            )
        if message is not None:
            found.append(
                Condition(client, key, kind, message, card.period_start, metric.task_due_days)
            )
    return found


def _quiet_conditions(
    spec: ProviderSpec, fresh: Freshness | None, now: dt.datetime
) -> list[Condition]:
    """One task per client that sends nothing new for longer than its own usual gap."""
    if fresh is None or spec.status != "connected":
        return []
    words, unit = Formatter(spec.locale), record_unit(spec)
    due = min((m.task_due_days for m in spec.metrics), default=2)
    found = []
    for silence in fresh.silent_clients:
        if silence.client_key is None or silence.newest is None or silence.usual_gap is None:
            continue
        since = words.date(local_date(silence.newest, spec.timezone))
        message = (
            f"{silence.client_key}: no new {unit.word('other')} since {since} "
            f"({age_text(now - silence.newest)}; usually at most {age_text(silence.usual_gap)} "
            "between them); ask the client whether their form or export still works."
        )
        found.append(Condition(silence.client_key, NO_METRIC, "no_new_data", message, None, due))
    return found


def _key(provider: str, client: str, metric: str, kind: str) -> str:
    """The open task's unique key (admin_tasks.open_key, 191 characters): long keys keep
    their start and end in a hash, so two keys never meet by being cut."""
    key = f"{provider}/{client}/{metric}/{kind}"
    if len(key) <= 191:
        return key
    return f"{key[:150]}#{hashlib.sha256(key.encode()).hexdigest()[:32]}/{kind}"


def _fit(message: str, room: int = 500) -> str:
    """admin_tasks.message: a message longer than the column ends at a word, with an ellipsis."""
    if len(message) <= room:
        return message
    return message[: room - 1].rsplit(" ", 1)[0] + "…"


def refresh_tasks(
    conn: sa.Connection, specs: list[ProviderSpec], now: dt.datetime | None = None
) -> TaskChange:
    """Open tasks whose condition holds, resolve those whose condition cleared."""
    now = now or proof_now()
    open_now = open_tasks(conn)
    opened = resolved = 0
    touched: list[int] = []
    for spec in specs:
        fresh = freshness(conn, spec, now)
        conditions = _quiet_conditions(spec, fresh, now) + _card_conditions(
            spec, load_cards(conn, provider_key=spec.key), fresh
        )
        holds = {_key(spec.key, c.client_key, c.metric_key, c.kind): c for c in conditions}
        for open_key, condition in holds.items():
            if open_key in open_now:
                touched.append(open_now[open_key]["id"])
                continue
            opened += open_task(conn, _row(spec, condition, open_key, now))
        cleared = [
            t["id"] for k, t in open_now.items() if t["provider_key"] == spec.key and k not in holds
        ]
        resolve_tasks(conn, cleared, now, "condition cleared")
        resolved += len(cleared)
    touch_tasks(conn, touched, now)
    return TaskChange(opened, resolved, len(task_rows(conn, open_only=True)))


def _row(
    spec: ProviderSpec, condition: Condition, open_key: str, now: dt.datetime
) -> dict[str, object]:
    return {
        "provider_key": spec.key,
        "client_key": condition.client_key,
        "metric_key": condition.metric_key,
        "kind": condition.kind,
        "owner": spec.owner,
        "message": _fit(condition.message),
        "period_start": condition.period_start,
        "due_at": now + dt.timedelta(days=condition.due_days),
        "opened_at": now,
        "last_checked_at": now,
        "resolved_at": None,
        "resolution": None,
        "open_key": open_key,
    }
