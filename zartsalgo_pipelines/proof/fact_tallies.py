"""A reporting provider's facts tallied per client and period of a metric: rows, the measured
sum (or average), and for a ratio both sides, one of them possibly another provider's count
for the same client and period (cost per quote request = spend / quote requests).

Money is read in the metric's currency only (its unit): facts in other currencies are left
out, never converted or mixed. Which side of a ratio is the whole count that a test compares
(and which the exposure it is compared at) is decided here, from the field map's types.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import ClassVar

import sqlalchemy as sa

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.proof.periods import Period, local_date, period_of
from zartsalgo_pipelines.proof.tally import Tally
from zartsalgo_pipelines.specs.facts import measure_name
from zartsalgo_pipelines.specs.metrics import MetricRef, MetricSpec, RatioSide
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.fact_buckets import DayBucket, FactScope, day_buckets

Tallies = dict[str, dict[Period, Tally]]
# How another provider's metric is tallied (``tallies.tally_periods``, given by the caller, as
# it in turn calls this module for a provider of facts).
TallyOf = Callable[
    [
        sa.Connection,
        ProviderSpec,
        MetricSpec,
        str,
        dt.datetime | None,
        Mapping[str, ProviderSpec] | None,
        frozenset[str] | None,
    ],
    Tallies,
]


class MissingPeerError(ZartsalgoError, LookupError):
    """A ratio reads another provider that was not given (its spec is needed to count)."""

    retryable: ClassVar[bool] = False  # the caller must pass the provider's spec


def own_measures(metric: MetricSpec) -> list[str]:
    """The measures of this provider a metric reads (its field, or a ratio's own sides)."""
    sides = [metric.field, metric.numerator, metric.denominator]
    return [name for side in sides if isinstance(side, str) and (name := measure_name(side))]


def reads_money(spec: ProviderSpec, metric: MetricSpec) -> bool:
    money = set(spec.facts.money_measures) if spec.facts else set()
    return bool(money & set(own_measures(metric)))


def fact_scope(spec: ProviderSpec, metric: MetricSpec, **bounds: object) -> FactScope:
    """The facts ``metric`` reads: its filter, and money in its unit's currency only."""
    currency = metric.unit_info.name if reads_money(spec, metric) else None
    return FactScope(spec.key, metric.filter, currency, **bounds)  # type: ignore[arg-type]


def fact_tally_periods(
    conn: sa.Connection,
    spec: ProviderSpec,
    metric: MetricSpec,
    zone: str,
    until: dt.datetime | None,
    peers: Mapping[str, ProviderSpec],
    tally_of: TallyOf,
    clients: frozenset[str] | None = None,
) -> Tallies:
    """Per client (every client with facts, or those of ``clients``), per period: the tally
    of ``metric`` (a peer's count tallied by ``tally_of``)."""
    last_day = None if until is None else local_date(until, zone)
    found: Tallies = defaultdict(dict)
    keys = None if clients is None else tuple(sorted(clients))
    scope = fact_scope(spec, metric, last_day=last_day, client_keys=keys)
    for bucket in day_buckets(conn, scope, own_measures(metric)):
        tally = found[bucket.client_key].setdefault(period_of(metric.period, bucket.day), Tally())
        tally.records += bucket.rows
        day = bucket.day  # the first period may have begun before the provider's first fact
        tally.first_day = day if tally.first_day is None else min(tally.first_day, day)
        tally.batch_ids += [b for b in (bucket.first_batch_id, bucket.last_batch_id) if b]
        _add(metric, tally, bucket)
    if metric.measure == "sum":
        for tallies in found.values():
            for period, tally in tallies.items():
                tally.values = (period.end - period.start).days + 1  # days without facts: 0
    if metric.measure == "ratio":
        if metric.peer is not None:
            _add_peer(conn, metric, (zone, until, clients), peers, found, tally_of)
        for tallies in found.values():
            for tally in tallies.values():
                _test_sides(spec, metric, tally)
    return found


def _add(metric: MetricSpec, tally: Tally, bucket: DayBucket) -> None:
    if metric.measure == "sum":
        # The day is the unit of variation (proof/comparison.py): its total, squared.
        total = bucket.sums.get(measure_name(metric.field) or "", (Decimal(0),))[0]
        tally.total += total
        tally.squares += total * total
        tally.per_day = True
    elif metric.measure == "average":
        total, squares, values = bucket.sums.get(
            measure_name(metric.field) or "", (Decimal(0), Decimal(0), 0)
        )
        tally.total += total
        tally.squares += squares
        tally.values += values
    elif metric.measure == "ratio":
        tally.total += _side_sum(metric.numerator, bucket)
        tally.denominator += _side_sum(metric.denominator, bucket)


def _side_sum(side: RatioSide | None, bucket: DayBucket) -> Decimal:
    name = measure_name(side) if isinstance(side, str) else None
    return bucket.sums[name][0] if name and name in bucket.sums else Decimal(0)


def _add_peer(
    conn: sa.Connection,
    metric: MetricSpec,
    when: tuple[str, dt.datetime | None, frozenset[str] | None],
    peers: Mapping[str, ProviderSpec],
    found: Tallies,
    tally_of: TallyOf,
) -> None:
    """The other provider's count for each of this provider's clients and periods (``when``:
    the zone, the moment and the clients tallied)."""
    ref = metric.peer
    assert ref is not None
    peer = peers.get(ref.provider)
    counted = next((m for m in peer.metrics if m.key == ref.metric), None) if peer else None
    if peer is None or counted is None:
        raise MissingPeerError(
            f"metric `{metric.key}` reads `{ref.ref}`, which was not given; known: {sorted(peers)}"
        )
    zone, until, clients = when
    for client, periods in tally_of(conn, peer, counted, zone, until, None, clients).items():
        if client not in found:
            continue  # a client without facts here has no such card
        for period, other in periods.items():
            tally = found[client].setdefault(period, Tally())
            if metric.numerator == ref:
                tally.total += other.records
            else:
                tally.denominator += other.records


def _whole(spec: ProviderSpec, side: RatioSide | None) -> bool:
    """Whether a ratio's side counts whole things: another provider's count, or a measure the
    field map reads as an integer."""
    if isinstance(side, MetricRef):
        return True
    entry = spec.field(side) if side is not None else None
    return entry is not None and entry.type == "integer"


def _test_sides(spec: ProviderSpec, metric: MetricSpec, tally: Tally) -> None:
    """Which side is the count a test compares, and which its exposure: the numerator when it
    counts whole things (clicks per impression), else the denominator (spend per click); with
    neither, no test fits and none is claimed."""
    if _whole(spec, metric.numerator):
        tally.count, tally.count_exposure = int(tally.total), tally.denominator
    elif _whole(spec, metric.denominator):
        tally.count, tally.count_exposure = int(tally.denominator), tally.total
