"""Which clients a portal refresh must rebuild so that its cards equal a full rebuild's.

A card reads its own client's metric values, records, failed rows and silence, and what holds
for its whole provider (go-live, connection, staleness, incidents, the provider's silence, the
spec). So a refresh may rebuild only the clients the batches since the last one marked
(``storage/proof/refresh_marks.py``) while what holds for every provider is what it was then
(its fingerprint is unchanged) and no mark names a whole provider; otherwise it rebuilds every
client. One thing every card of a provider shows moves with each batch: its last successful
sync (``data_through``), which is brought up to date on the cards not rebuilt.
"""

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping

import sqlalchemy as sa

from zartsalgo_pipelines.incidents.freshness import Freshness
from zartsalgo_pipelines.proof.metrics import MetricCard, refresh_client_metrics
from zartsalgo_pipelines.proof.periods import Period
from zartsalgo_pipelines.proof.visibility import ProviderState
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.cards import card_clocks, set_data_through
from zartsalgo_pipelines.storage.proof.metrics import as_date
from zartsalgo_pipelines.storage.proof.refresh_marks import (
    Marks,
    read_marks,
    set_metrics_done,
    stored_fingerprint,
)


def fingerprint(spec: ProviderSpec, state: ProviderState, fresh: Freshness | None) -> str:
    """A hash of what every card of the provider reads beyond its own client: the spec, the
    provider's state (its last sync only while it is stale: the cards' ``data_through`` follows
    it apart) and the provider's silence when it is news (a silent provider's newest record
    is named on every client's card)."""
    stale_since = state.last_success_at if state.sync_stale else None
    shared = dataclasses.replace(state, last_success_at=stale_since, incident_kinds=frozenset())
    silence = fresh.provider if fresh is not None and fresh.provider.silent else None
    parts = (
        spec.model_dump_json(),
        repr(shared),
        sorted(state.incident_kinds),  # a frozenset's order changes from process to process
        None if silence is None else (silence.newest, silence.recent, silence.usual_gap),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def clients_to_rebuild(
    conn: sa.Connection,
    specs: list[ProviderSpec],
    prints: Mapping[str, str],
    marks: Marks,
) -> frozenset[str] | None:
    """The clients the marks name, or None (every client) when a mark names a whole provider
    or a provider's fingerprint ``prints`` differs from the one its cards were built with."""
    for spec in specs:
        if marks.whole(spec.key) or stored_fingerprint(conn, spec.key) != prints[spec.key]:
            return None
    return marks.named_clients()


def follow_last_sync(
    conn: sa.Connection,
    spec: ProviderSpec,
    state: ProviderState,
    now: dt.datetime,
    rebuilt: frozenset[str],
) -> int:
    """Bring ``data_through`` of the provider's cards not rebuilt up to its last sync, as a
    rebuild would set it; returns how many cards changed."""
    zones = {m.key: m.timezone or spec.timezone for m in spec.metrics}
    last = state.last_success_at
    changes = []
    for card_id, client, metric_key, kind, start, through in card_clocks(conn, spec.key):
        if client in rebuilt or metric_key not in zones:
            continue
        over_at = Period(kind, as_date(start)).ends_at_utc(zones[metric_key])
        now_through = None if last is None else min(last, over_at, now)
        if now_through != through:
            changes.append((card_id, now_through))
    set_data_through(conn, changes)
    return len(changes)


def refresh_marked_metrics(
    conn: sa.Connection,
    spec: ProviderSpec,
    now: dt.datetime | None = None,
    *,
    marked_only: bool = True,
) -> list[MetricCard]:
    """The provider's client_metrics for the clients its marks name (every client when a mark
    names the whole provider, or without ``marked_only``); those marks are then done, and the
    next portal refresh deletes them."""
    marks = read_marks(conn, spec.key)
    clients = None if not marked_only or marks.whole(spec.key) else marks.named_clients(spec.key)
    written = refresh_client_metrics(conn, spec, now, clients=clients)
    set_metrics_done(conn, marks.ids)
    return written
