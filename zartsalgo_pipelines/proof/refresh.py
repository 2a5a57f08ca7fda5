"""Rebuilding the portal cards: per provider, what holds for all its cards (go-live, connection,
sync staleness, open incidents), for each client (is new data still arriving?) and for each
client's period (its records, its failed rows); then one card per stored metric value.

The `no_new_data` incident is opened and resolved here, from the same data freshness the cards'
caveats use, so an incident and the cards it names never disagree."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.clock import proof_now
from zartsalgo_pipelines.incidents.alerts import AlertEvent
from zartsalgo_pipelines.incidents.freshness import Freshness, freshness, refresh_no_new_data
from zartsalgo_pipelines.incidents.staleness import sync_is_stale
from zartsalgo_pipelines.proof.attribution import Cell, attribute_failures
from zartsalgo_pipelines.proof.cards import Card, build_card, load_cards
from zartsalgo_pipelines.proof.cross import refresh_cross_metrics, settle_cross_cards, shows_sample
from zartsalgo_pipelines.proof.formatting import Formatter
from zartsalgo_pipelines.proof.periods import Period, local_date
from zartsalgo_pipelines.proof.refresh_scope import (
    clients_to_rebuild,
    fingerprint,
    follow_last_sync,
)
from zartsalgo_pipelines.proof.tallies import every_record, tally_periods
from zartsalgo_pipelines.proof.visibility import CellFacts, ProviderState
from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.cards import delete_cards_of_undeclared_metrics, write_cards
from zartsalgo_pipelines.storage.proof.metrics import as_date, metric_rows
from zartsalgo_pipelines.storage.proof.refresh_marks import (
    delete_marks,
    read_marks,
    store_fingerprint,
)
from zartsalgo_pipelines.storage.proof.visibility import open_failure_payloads, provider_facts

# Open dead letters read to place failed rows: those that failed in the last FAILURE_HORIZON
# (older ones belong to final periods), at most FAILURE_READ_LIMIT (the rest are spread).
FAILURE_HORIZON = dt.timedelta(days=120)
FAILURE_READ_LIMIT = 20_000


@dataclass(frozen=True)
class PortalRefresh:
    cards: list[Card]
    events: list[AlertEvent] = field(default_factory=list)  # no_new_data opened / resolved
    freshness: dict[str, Freshness | None] = field(default_factory=dict)
    clients: frozenset[str] | None = None  # the clients rebuilt; None: every client


def provider_state(conn: sa.Connection, spec: ProviderSpec, now: dt.datetime) -> ProviderState:
    facts = provider_facts(conn, spec.key)
    return ProviderState(
        display_name=spec.display_name,
        spec_status=spec.status,
        connection_status=facts["connection_status"],
        live_since=facts["live_since"],
        last_success_at=facts["last_success_at"],
        sync_stale=sync_is_stale(facts["last_success_at"], now, spec.stale_after_hours),
        incident_kinds=frozenset(i["kind"] for i in facts["incidents"]),
        tolerated_failure_share=spec.tolerated_failure_share,
        min_rows=spec.min_rows,
        demo_sample=shows_sample(spec),
    )


def _cells(
    conn: sa.Connection,
    spec: ProviderSpec,
    metric: MetricSpec,
    rows: list[dict[str, Any]],
    failures: list[Any],
    now: dt.datetime,
    clients: frozenset[str] | None,
) -> dict[Cell, tuple[int, float]]:
    """(records, failed rows) of each stored period of ``metric`` (of ``clients``, if given:
    a client's failed rows are placed among its own periods only)."""
    zone = metric.timezone or spec.timezone
    records: Counter = Counter()
    tallied = tally_periods(conn, spec, every_record(metric), zone, now, clients=clients)
    for client, tallies in tallied.items():
        for period, tally in tallies.items():
            records[(client, period.start)] = tally.records
    cells = {(r["client_key"], as_date(r["period_start"])) for r in rows}
    failed = attribute_failures(spec, metric, failures, records, cells)
    return {c: (records[c], failed.get(c, 0.0)) for c in cells}


def _provider_cards(
    conn: sa.Connection,
    spec: ProviderSpec,
    state: ProviderState,
    fresh: Freshness | None,
    now: dt.datetime,
    clients: frozenset[str] | None,
) -> list[Card]:
    metrics = {m.key: m for m in spec.metrics}
    rows = [r for r in metric_rows(conn, spec.key, clients) if r["metric_key"] in metrics]
    failures = open_failure_payloads(conn, spec.key, now - FAILURE_HORIZON, FAILURE_READ_LIMIT)
    words = Formatter(spec.locale)
    built = []
    for metric in spec.metrics:
        own = [r for r in rows if r["metric_key"] == metric.key]
        cells = _cells(conn, spec, metric, own, failures, now, clients)
        zone = metric.timezone or spec.timezone
        for row in own:
            start = as_date(row["period_start"])
            records, failed = cells.get((row["client_key"], start), (0, 0.0))
            silence = fresh.silence_of(row["client_key"]) if fresh else None
            newest = silence.newest if silence else None
            over_at = Period(row["period"], start).ends_at_utc(zone)
            silent = newest is not None and newest < over_at
            since = words.date(local_date(newest, zone)) if newest is not None else ""
            cell = CellFacts(records=records, failed=failed, silent=silent)
            built.append(build_card(spec, metric, row, state, cell, since, now))
    return built


def refresh_portal_cards(
    conn: sa.Connection,
    specs: list[ProviderSpec],
    now: dt.datetime | None = None,
    *,
    marked_only: bool = False,
) -> PortalRefresh:
    """Rebuild the providers' cards from their client_metrics and current facts; open or
    resolve `no_new_data`; returns the stored cards rebuilt (with their ids) and the incident
    events. ``marked_only``: rebuild only the clients batches marked since the last refresh,
    when that gives what a full rebuild would (``proof/refresh_scope.py``). Either way the
    marks read whose metrics are recomputed are deleted."""
    now = now or proof_now()
    marks = read_marks(conn)
    fresh_of: dict[str, Freshness | None] = {}
    states: dict[str, ProviderState] = {}
    events: list[AlertEvent] = []
    for spec in specs:
        fresh_of[spec.key] = fresh = freshness(conn, spec, now)
        events += refresh_no_new_data(conn, spec, fresh, now)
        states[spec.key] = provider_state(conn, spec, now)
    prints = {s.key: fingerprint(s, states[s.key], fresh_of[s.key]) for s in specs}
    clients = clients_to_rebuild(conn, specs, prints, marks) if marked_only else None
    refresh_cross_metrics(conn, specs, now, clients)
    cards: list[Card] = []
    for spec in specs:
        state, fresh = states[spec.key], fresh_of[spec.key]
        built = _provider_cards(conn, spec, state, fresh, now, clients)
        write_cards(conn, [c.as_row() for c in built])
        if clients is None:
            delete_cards_of_undeclared_metrics(conn, spec.key, sorted(m.key for m in spec.metrics))
        else:
            follow_last_sync(conn, spec, state, now, clients)
        cards += load_cards(conn, provider_key=spec.key, client_keys=clients)
        store_fingerprint(conn, spec.key, prints[spec.key], now)
    delete_marks(conn, marks.done_ids)
    return PortalRefresh(settle_cross_cards(conn, specs, cards), events, fresh_of, clients)


def summary(cards: list[Card]) -> dict[str, dict[str, int]]:
    """Counts by status and by visibility (materialization metadata, CLI)."""
    return {
        "by_status": dict(Counter(c.status for c in cards)),
        "by_visibility": dict(Counter(c.visibility for c in cards)),
    }
