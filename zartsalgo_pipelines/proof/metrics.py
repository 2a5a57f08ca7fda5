"""Client metrics: from ZartsAlgo records to honest values per client and period.

One GROUP BY per metric in the database (clients x 15-minute slots, small), then periods in the
metric's time zone, baselines and statuses in Python. Nothing from a provider payload is read.

Honest periods: an unfinished period gets the status ``in_progress`` and no comparison (not a
period-to-date comparison: weekday patterns make "Monday so far" against "last Monday" noisy,
and the first days of a period fall below ``min_sample`` anyway). Fewer records than
``min_sample`` give ``too_few``: the count, no rate, no change.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.proof.baselines import History, baseline_of, launch_period
from zartsalgo_pipelines.proof.formatting import NO_VALUE, format_value
from zartsalgo_pipelines.proof.periods import Period, local_date, period_of, periods_between
from zartsalgo_pipelines.proof.status import decide_status, render_action
from zartsalgo_pipelines.proof.tallies import HUNDRED, Tally, sample_of, tally_periods, value_of
from zartsalgo_pipelines.specs.metrics import RATE_MEASURES, MetricSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.golive import live_since as go_live_since
from zartsalgo_pipelines.storage.proof.metrics import final_periods, write_client_metrics

__all__ = [
    "MetricCard",
    "compute_metric",
    "decide_status",
    "latest_metrics_table",
    "refresh_client_metrics",
]

_PLACES = Decimal("0.0001")


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
    for client, tallies in sorted(tally_periods(conn, spec, metric, zone).items()):
        first = min(tallies, key=lambda p: p.start)
        history = History(metric, tallies, first, now)
        launch = launch_period(metric, history, zone, live_since)
        for period in periods_between(first, max(current_period, first, key=lambda p: p.start)):
            cards.append(_card(metric, client, period, history, zone, launch, now))
    return cards


def _card(
    metric: MetricSpec,
    client: str,
    period: Period,
    history: History,
    zone: str,
    launch: Period | None,
    now: dt.datetime,
) -> MetricCard:
    tally = history.tallies.get(period, Tally())
    sample = sample_of(metric, tally)
    complete = history.complete(period, zone)
    current: Decimal | None = value_of(metric, tally)
    if metric.measure in RATE_MEASURES and sample < metric.min_sample:
        current = None  # a small sample never gets a rate
    reference: Decimal | None
    if metric.target is not None:
        kind, reference = "target", Decimal(str(metric.target))
    else:
        kind, reference = metric.baseline.kind, baseline_of(history, period, zone, launch)
    compares = complete and sample >= metric.min_sample
    change, change_pct = _change(current, reference) if compares else (None, None)
    status = decide_status(
        metric,
        complete=complete,
        sample=sample,
        current=current,
        reference=reference,
        change_pct=change_pct,
    )
    values = _action_values(metric, period, current, reference, change_pct)
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


def _change(
    current: Decimal | None, reference: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """(change, change in percent of the reference); the percentage is None for a zero one."""
    if current is None or reference is None:
        return None, None
    change = current - reference
    return change, HUNDRED * change / abs(reference) if reference != 0 else None


def _action_values(
    metric: MetricSpec,
    period: Period,
    current: Decimal | None,
    reference: Decimal | None,
    change_pct: Decimal | None,
) -> dict[str, str]:
    """The placeholders a next action may name, formatted for the client."""
    return {
        "current": format_value(current, metric.unit),
        "baseline": format_value(reference, metric.unit),
        "change_pct": NO_VALUE if change_pct is None else f"{change_pct:+.1f} %",
        "period": period.label(),
    }


def refresh_client_metrics(
    conn: sa.Connection, spec: ProviderSpec, now: dt.datetime | None = None
) -> list[MetricCard]:
    """Recompute every metric of ``spec``; write the cards that are not final yet."""
    now = now or utcnow()
    live = go_live_since(conn, spec.key)
    written: list[MetricCard] = []
    for metric in spec.metrics:
        final = final_periods(conn, spec.key, metric.key)
        fresh = [
            c
            for c in compute_metric(conn, spec, metric, now, live)
            if (c.client_key, c.period_start) not in final
        ]
        written += fresh
        write_client_metrics(conn, [_row(spec, metric, c, now) for c in fresh])
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
