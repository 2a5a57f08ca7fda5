"""The portal-visibility watch: every live provider must have fresh visible (or caveated) cards
for every client it serves. When not, one `portal_visibility` incident opens for the owner; it
resolves itself when the cards are back."""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from zartsalgo_pipelines.clock import proof_now
from zartsalgo_pipelines.incidents.alerts import AlertEvent, raise_alert, resolve_alerts
from zartsalgo_pipelines.incidents.kinds import PORTAL_VISIBILITY
from zartsalgo_pipelines.incidents.staleness import fresh_after
from zartsalgo_pipelines.proof.cards import Card, load_cards
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.golive import live_since

KIND = PORTAL_VISIBILITY


@dataclass(frozen=True)
class WatchResult:
    provider_key: str
    clients: int
    without_fresh_cards: list[str]
    events: list[AlertEvent]


def missing_clients(
    conn: sa.Connection, spec: ProviderSpec, now: dt.datetime
) -> tuple[int, list[str]]:
    """(clients served, clients whose newest period has no fresh shown card)."""
    since = fresh_after(now, spec.stale_after_hours)
    newest: dict[str, dt.date] = {}
    shown: dict[str, bool] = {}
    cards: list[Card] = load_cards(conn, provider_key=spec.key)
    for card in cards:
        client = card.client_key
        if client not in newest or card.period_start > newest[client]:
            newest[client] = card.period_start
            shown[client] = False
        if card.period_start == newest[client]:
            shown[client] |= card.shown and card.computed_at >= since
    return len(newest), sorted(c for c, ok in shown.items() if not ok)


def watch(
    conn: sa.Connection, specs: list[ProviderSpec], now: dt.datetime | None = None
) -> list[WatchResult]:
    """Open or resolve the watch's incident of every live, connected provider."""
    now = now or proof_now()
    results = []
    for spec in specs:
        if spec.status != "connected" or live_since(conn, spec.key) is None:
            continue  # the go-live gate keeps it hidden on purpose
        served, missing = missing_clients(conn, spec, now)
        if missing:
            events = raise_alert(
                conn,
                spec,
                KIND,
                missing=len(missing),
                served=served,
                clients=", ".join(missing[:5]),
                details={"clients": served, "without_fresh_cards": missing[:50]},
            )
        else:
            events = resolve_alerts(conn, spec.key, KIND)
        results.append(WatchResult(spec.key, served, missing, events))
    return results
