"""Client metrics: from ZartsAlgo records to honest values per client and period.

One GROUP BY per metric in the database (clients x 15-minute slots, small), then periods in the
metric's time zone, baselines and statuses in Python. Nothing from a provider payload is read.

Honest periods: an unfinished period gets the status ``in_progress`` and no comparison (not a
period-to-date comparison: weekday patterns make "Monday so far" against "last Monday" noisy,
and the first days of a period fall below ``min_sample`` anyway). Fewer records than
``min_sample`` give ``too_few``: the count, no rate, no change.
"""

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.proof.formatting import NO_VALUE, format_value
from zartsalgo_pipelines.proof.periods import Period, local_date, period_of, periods_between
from zartsalgo_pipelines.specs.metrics import RATE_MEASURES, MetricSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import proof as store
from zartsalgo_pipelines.storage.models import RECORD_MODELS, table_of

HUNDRED = Decimal(100)
_PLACES = Decimal("0.0001")


@dataclass
class Tally:
    """One client's records in one period."""

    records: int = 0
    present: int = 0
    matching: int = 0
    total: Decimal = Decimal(0)
    values: int = 0
    batch_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class MetricCard:
    metric_key: str
    client_key: str
    period: Period
    sample_size: int
    current_value: Decimal | None
    baseline_value: Decimal | None
    baseline_kind: str
    change_abs: Decimal | None
    change_pct: Decimal | None
    status: str
    next_action: str
    complete: bool
    is_final: bool
    first_batch_id: int | None
    last_batch_id: int | None

    @property
    def period_start(self) -> dt.date:
        return self.period.start


def _tallies(
    conn: sa.Connection, spec: ProviderSpec, metric: MetricSpec, zone: str
) -> dict[str, dict[Period, Tally]]:
    table = table_of(RECORD_MODELS[spec.object_type])
    entry = spec.field(metric.time_field)
    is_date = entry is not None and entry.type == "date"
    found: dict[str, dict[Period, Tally]] = defaultdict(dict)
    for bucket in store.metric_buckets(conn, table, spec.key, metric, is_date):
        if is_date:
            day = dt.date.fromisoformat(bucket.slot[:10])
        else:
            day = local_date(dt.datetime.fromisoformat(bucket.slot), zone)
        tally = found[bucket.client_key].setdefault(period_of(metric.period, day), Tally())
        tally.records += bucket.records
        tally.present += bucket.present
        tally.matching += bucket.matching
        tally.total += bucket.total or 0
        tally.values += bucket.values
        tally.batch_ids += [b for b in (bucket.first_batch_id, bucket.last_batch_id) if b]
    return found


def _value(metric: MetricSpec, tally: Tally) -> Decimal | None:
    """The measured value, or None where there is nothing to divide by."""
    if metric.measure == "count":
        return Decimal(tally.records)
    if metric.measure == "sum":
        return tally.total
    if metric.measure == "average":
        return tally.total / tally.values if tally.values else None
    part = tally.present if metric.measure == "share_present" else tally.matching
    return HUNDRED * part / tally.records if tally.records else None


def _sample(metric: MetricSpec, tally: Tally) -> int:
    return tally.values if metric.measure == "average" else tally.records


class _History:
    """One client's usable values by period: complete periods with enough records."""

    def __init__(
        self, metric: MetricSpec, tallies: dict[Period, Tally], first: Period, now_at: dt.datetime
    ) -> None:
        self.metric, self.tallies, self.first, self.now_at = metric, tallies, first, now_at

    def complete(self, period: Period, zone: str) -> bool:
        return period.ends_at_utc(zone) <= self.now_at

    def usable(self, period: Period, zone: str) -> Decimal | None:
        if period.start < self.first.start or not self.complete(period, zone):
            return None
        tally = self.tallies.get(period, Tally())
        if self.metric.measure in RATE_MEASURES and _sample(self.metric, tally) < (
            self.metric.min_sample
        ):
            return None  # a rate over too few records is no baseline either
        return _value(self.metric, tally)


def _baseline(
    history: _History, period: Period, zone: str, launch: Period | None
) -> Decimal | None:
    kind = history.metric.baseline
    if kind.kind == "previous_period":
        return history.usable(period.previous(), zone)
    if kind.kind == "same_period_last_year":
        return history.usable(period.a_year_before(), zone)
    if kind.kind == "trailing_median":
        values, current = [], period
        for _ in range(kind.periods):
            current = current.previous()
            values.append(history.usable(current, zone))
        known = [v for v in values if v is not None]
        return Decimal(statistics.median(known)) if len(known) == kind.periods else None
    if launch is None or launch.start >= period.start:
        return None
    return history.usable(launch, zone)


def _launch_period(
    metric: MetricSpec, history: _History, zone: str, live_since: dt.datetime | None
) -> Period | None:
    if metric.baseline.kind != "launch":
        return None
    if metric.baseline.launch_period is not None:
        return period_of(metric.period, metric.baseline.launch_period)
    start = history.first
    if live_since is not None:
        start = max(
            start,
            period_of(metric.period, local_date(live_since, zone)).following(),
            key=lambda p: p.start,
        )
    current = start
    while history.complete(current, zone):
        if history.usable(current, zone) is not None:
            return current
        current = current.following()
    return None


def decide_status(
    metric: MetricSpec,
    *,
    complete: bool,
    sample: int,
    current: Decimal | None,
    reference: Decimal | None,
    change_pct: Decimal | None,
) -> str:
    """The card's status; the precedence is documented in docs/provider_spec.md."""
    if not complete:
        return "in_progress"
    if sample == 0:
        return "no_data"
    if sample < metric.min_sample:
        return "too_few"
    if current is None or reference is None:
        return "no_baseline"
    up = metric.good_direction == "up"
    if metric.target is not None:
        return (
            "on_target" if (current >= reference if up else current <= reference) else "off_target"
        )
    if change_pct is None:  # the baseline is zero: no percentage, the direction still counts
        if current == reference:
            return "steady"
        better = current > reference if up else current < reference
    else:
        if abs(change_pct) <= Decimal(str(metric.steady_band)) * HUNDRED:
            return "steady"
        better = change_pct > 0 if up else change_pct < 0
    return "improving" if better else "declining"


def render_action(metric: MetricSpec, status: str, values: dict[str, str]) -> str:
    """The status's next action with {current}, {baseline}, {change_pct}, {period} filled."""
    return metric.action_template(status).format(**values)


def compute_metric(
    conn: sa.Connection,
    spec: ProviderSpec,
    metric: MetricSpec,
    now: dt.datetime,
    live_since: dt.datetime | None = None,
) -> list[MetricCard]:
    """Every (client, period) of one metric from the client's first period to the current one."""
    zone = metric.timezone or spec.timezone
    current_period = period_of(metric.period, local_date(now, zone))
    cards: list[MetricCard] = []
    for client, tallies in sorted(_tallies(conn, spec, metric, zone).items()):
        first = min(tallies, key=lambda p: p.start)
        history = _History(metric, tallies, first, now)
        launch = _launch_period(metric, history, zone, live_since)
        for period in periods_between(first, max(current_period, first, key=lambda p: p.start)):
            cards.append(_card(metric, client, period, history, zone, launch, now))
    return cards


def _card(
    metric: MetricSpec,
    client: str,
    period: Period,
    history: _History,
    zone: str,
    launch: Period | None,
    now: dt.datetime,
) -> MetricCard:
    tally = history.tallies.get(period, Tally())
    sample = _sample(metric, tally)
    complete = history.complete(period, zone)
    current: Decimal | None = _value(metric, tally)
    if metric.measure in RATE_MEASURES and sample < metric.min_sample:
        current = None  # a small sample never gets a rate
    reference: Decimal | None
    if metric.target is not None:
        kind, reference = "target", Decimal(str(metric.target))
    else:
        kind, reference = metric.baseline.kind, _baseline(history, period, zone, launch)
    compares = complete and sample >= metric.min_sample and current is not None
    change: Decimal | None = None
    change_pct: Decimal | None = None
    if compares and reference is not None:
        assert current is not None
        change = current - reference
        change_pct = HUNDRED * change / abs(reference) if reference != 0 else None
    status = decide_status(
        metric,
        complete=complete,
        sample=sample,
        current=current,
        reference=reference,
        change_pct=change_pct,
    )
    values = {
        "current": format_value(current, metric.unit),
        "baseline": format_value(reference, metric.unit),
        "change_pct": NO_VALUE if change_pct is None else f"{change_pct:+.1f} %",
        "period": period.label(),
    }
    final = complete and period.ends_at_utc(zone) + dt.timedelta(days=metric.restate_days) <= now
    return MetricCard(
        metric_key=metric.key,
        client_key=client,
        period=period,
        sample_size=sample,
        current_value=None if current is None else current.quantize(_PLACES),
        baseline_value=None if reference is None else reference.quantize(_PLACES),
        baseline_kind=kind,
        change_abs=None if change is None else change.quantize(_PLACES),
        change_pct=None if change_pct is None else change_pct.quantize(_PLACES),
        status=status,
        next_action=render_action(metric, status, values)[:500],
        complete=complete,
        is_final=final,
        first_batch_id=min(tally.batch_ids, default=None),
        last_batch_id=max(tally.batch_ids, default=None),
    )


def refresh_client_metrics(
    conn: sa.Connection, spec: ProviderSpec, now: dt.datetime | None = None
) -> list[MetricCard]:
    """Recompute every metric of ``spec``; write the cards that are not final yet."""
    now = now or utcnow()
    live = store.live_since(conn, spec.key)
    written: list[MetricCard] = []
    for metric in spec.metrics:
        final = store.final_periods(conn, spec.key, metric.key)
        fresh = [
            c
            for c in compute_metric(conn, spec, metric, now, live)
            if (c.client_key, c.period_start) not in final
        ]
        written += fresh
        store.write_client_metrics(conn, [_row(spec, metric, c, now) for c in fresh])
    return written


def _row(
    spec: ProviderSpec, metric: MetricSpec, card: MetricCard, now: dt.datetime
) -> dict[str, object]:
    return {
        "provider_key": spec.key,
        "metric_key": metric.key,
        "client_key": card.client_key,
        "period": metric.period,
        "period_start": card.period_start,
        "period_end": card.period.end,
        "current_value": card.current_value,
        "baseline_value": card.baseline_value,
        "baseline_kind": card.baseline_kind,
        "change_abs": card.change_abs,
        "change_pct": card.change_pct,
        "sample_size": card.sample_size,
        "period_complete": card.complete,
        "is_final": card.is_final,
        "first_batch_id": card.first_batch_id,
        "last_batch_id": card.last_batch_id,
        "unit": metric.unit,
        "label": metric.label,
        "client_meaning": metric.client_meaning,
        "source": metric.source,
        "status": card.status,
        "next_action": card.next_action,
        "surface": metric.surface,
        "computed_at": now,
    }


def latest_metrics_table(spec: ProviderSpec, cards: list[MetricCard], rows: int = 10) -> str:
    """Markdown of the newest value per client and metric, labelled and formatted by unit."""
    metrics = {m.key: m for m in spec.metrics}
    newest: dict[tuple[str, str], MetricCard] = {}
    for card in sorted(cards, key=lambda c: c.period_start):
        newest[(card.client_key, card.metric_key)] = card
    lines = [
        f"| {c.client_key} | {metrics[c.metric_key].label} | {c.period.label()} | "
        f"{format_value(c.baseline_value, metrics[c.metric_key].unit)} | "
        f"{format_value(c.current_value, metrics[c.metric_key].unit)} | {c.status} |"
        for c in list(newest.values())[:rows]
    ]
    return (
        "| client | metric | period | baseline | current | status |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(lines)
    )
