"""Metrics that read two providers for the same client and period (cost per quote request =
the ad spend of `ads_google` / the quote requests of `quote_request`), and what makes their
cards honest by construction.

Such a ratio is computed in the portal refresh, after every provider's client_metrics, where
both sides are current (a ratio computed with one provider's sync alone would divide by the
other provider's number as it was then). Its card is shown only when the other side's card of
the same client and period is shown: hidden (`other_side_hidden`, both sides named) when that
card is hidden (not live, not connected, stale, too many failed rows) or missing; caveated
(`other_side`) when it has a caveat about its data (silence, rows being checked, an incident).
The demo's sample providers are decided here too (``shows_sample``).
"""

import dataclasses
import datetime as dt

import sqlalchemy as sa

from zartsalgo_pipelines import settings
from zartsalgo_pipelines.proof.cards import CAVEAT_MAX, Card
from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
from zartsalgo_pipelines.proof.visibility import CAVEAT_ORDER, HIDDEN_REASONS
from zartsalgo_pipelines.proof.wording import caveat_other_side
from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.cards import write_cards

# Caveats of the other side that are about its data, so about the ratio's too.
CARRIED = frozenset({"no_new_data", "being_checked", "incident"})
CardKey = tuple[str, str, str, dt.date]


def shows_sample(spec: ProviderSpec) -> bool:
    """The local demo (settings.demo_samples) shows a provider that is not connected from its
    sample export: it counts as connected, every card caveated as sample data."""
    return settings.demo_samples() and spec.sample is not None and spec.status != "connected"


def refresh_cross_metrics(
    conn: sa.Connection,
    specs: list[ProviderSpec],
    now: dt.datetime,
    clients: frozenset[str] | None = None,
) -> None:
    """Recompute every metric that reads another provider among ``specs`` (for ``clients``
    only, if given: a client's ratio reads that client's numbers on both sides)."""
    peers = {spec.key: spec for spec in specs}
    for spec in specs:
        cross = [m for m in spec.metrics if m.peer is not None and m.peer.provider in peers]
        if cross:
            narrowed = spec.model_copy(update={"metrics": cross})
            refresh_client_metrics(conn, narrowed, now, peers=peers, clients=clients)


def settle_cross_cards(
    conn: sa.Connection, specs: list[ProviderSpec], cards: list[Card]
) -> list[Card]:
    """Hide or caveat each shown cross-provider card by its other side's card; store the
    changed ones and return every card (changed ones replaced)."""
    by_key: dict[CardKey, Card] = {_key(c): c for c in cards}
    metrics = {(s.key, m.key): m for s in specs for m in s.metrics}
    names = {s.key: s.display_name for s in specs}
    settled: list[Card] = []
    for card in cards:
        metric = metrics.get((card.provider_key, card.metric_key))
        new = _settled(card, metric, by_key, names) if metric is not None else card
        settled.append(new)
    changed = [c for c, old in zip(settled, cards, strict=True) if c is not old]
    write_cards(conn, [c.as_row() for c in changed])
    return settled


def _key(card: Card) -> CardKey:
    return (card.provider_key, card.metric_key, card.client_key, card.period_start)


def _settled(
    card: Card, metric: MetricSpec, by_key: dict[CardKey, Card], names: dict[str, str]
) -> Card:
    ref = metric.peer
    if ref is None or not card.shown:
        return card
    other = by_key.get((ref.provider, ref.metric, card.client_key, card.period_start))
    if other is None or not other.shown:
        why = "not on record" if other is None else HIDDEN_REASONS[other.visibility_reason]
        label = other.label if other is not None else ref.metric
        named = f"{label} ({names.get(ref.provider, ref.provider)}): {why}"
        return dataclasses.replace(
            card,
            visibility="hidden",
            visibility_reason="other_side_hidden",
            caveat=named[:CAVEAT_MAX],  # the owner's words; hidden cards never reach a client
            caveat_codes=None,
        )
    if not CARRIED & set((other.caveat_codes or "").split(",")):
        return card
    return _with_other_side(card, other)


def _with_other_side(card: Card, other: Card) -> Card:
    codes = set((card.caveat_codes or "").split(",")) - {""} | {"other_side"}
    text = caveat_other_side(other.label, card.period)
    caveat = f"{card.caveat} {text}" if card.caveat else text
    return dataclasses.replace(
        card,
        visibility="caveated",
        visibility_reason="other_side" if card.visibility == "visible" else card.visibility_reason,
        caveat=caveat if len(caveat) <= CAVEAT_MAX else card.caveat,
        caveat_codes=",".join(c for c in CAVEAT_ORDER if c in codes),
    )
