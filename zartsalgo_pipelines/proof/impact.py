"""Incident impact: each open incident names the client cards it makes unsafe (the provider's
cards that are not final) and carries a statement for the client beside the owner's message."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.proof.visibility import SELF_INCIDENTS
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.cards import card_rows
from zartsalgo_pipelines.storage.proof.metrics import as_date
from zartsalgo_pipelines.storage.proof.visibility import provider_facts, set_incident_impact

_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def card_ref(card: dict[str, Any]) -> str:
    return f"{card['client_key']}/{card['metric_key']}/{as_date(card['period_start'])}"


def statement(
    spec: ProviderSpec, unsafe: list[dict[str, Any]], next_update: dt.datetime | None
) -> str:
    """`Your quote-request numbers for the week of ... may be incomplete; the next update ...`."""
    labels = sorted({c["label"].lower() for c in unsafe})
    periods = sorted({c["period_label"] for c in unsafe})
    text = (
        f"Your {', '.join(labels)} numbers for the {' and '.join(periods[-2:])} may be incomplete"
    )
    if next_update is None:
        return text + "; we will update them as soon as the connection is fixed."
    when = f"{_WEEKDAYS[next_update.weekday()]} {next_update:%H:%M}"
    zone = getattr(next_update.tzinfo, "key", None) or spec.timezone
    return text + f"; the next update is expected by {when} ({zone})."


def refresh_impact(
    conn: sa.Connection,
    specs: list[ProviderSpec],
    next_update: Callable[[ProviderSpec], dt.datetime | None],
) -> int:
    """Set unsafe_cards and client_impact on every open incident; returns how many."""
    updated = 0
    for spec in specs:
        facts = provider_facts(conn, spec.key)
        incidents = [i for i in facts["incidents"] if i["kind"] not in SELF_INCIDENTS]
        if not incidents:
            continue
        unsafe = [c for c in card_rows(conn, provider_key=spec.key) if not c["is_final"]]
        impact = statement(spec, unsafe, next_update(spec)) if unsafe else None
        for incident in incidents:
            set_incident_impact(conn, incident["id"], [card_ref(c) for c in unsafe], impact)
            updated += 1
    return updated
