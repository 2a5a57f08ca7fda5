"""Client metrics: from ZartsAlgo records to honest values per client and period.

One GROUP BY per metric in the database (clients x 15-minute slots, small), then periods in the
metric's time zone, baselines and statuses in Python. Nothing from a provider payload is read.

Honest periods: an unfinished period gets the status ``in_progress`` and no comparison (not a
period-to-date comparison: weekday patterns make "Monday so far" against "last Monday" noisy).
A rate over fewer records than ``min_sample`` is ``too_few``: the count, no rate, no change.
A change is a trend only beyond chance (``proof/comparison.py``), else ``steady``.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from zartsalgo_pipelines.clock import proof_now
from zartsalgo_pipelines.proof.baselines import (
    HORIZON,
    History,
    Reference,
    baseline_of,
    launch_period,
)
from zartsalgo_pipelines.proof.formatting import Formatter
from zartsalgo_pipelines.proof.periods import Period, local_date, period_of, periods_between
from zartsalgo_pipelines.proof.status import decide_status, render_action
from zartsalgo_pipelines.proof.tallies import (
    HUNDRED,
    comparison_sample,
    sample_of,
    tally_periods,
    value_of,
)
from zartsalgo_pipelines.proof.tally import Tally
from zartsalgo_pipelines.specs.metrics import RATE_MEASURES, MetricSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.golive import live_since as go_live_since
from zartsalgo_pipelines.storage.proof.metrics import (
    final_periods,
    forget_metric,
    write_client_metrics,
)

__all__ = [
    "MetricCard",
    "compute_metric",
    "decide_status",
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
    p_value: float | None = None  # the test behind a trend status
    baseline_sample: int | None = None  # records behind the baseline
    baseline_periods_used: int | None = None  # periods a trailing median could use
    no_baseline_reason: str | None = None  # proof/baselines.py constants

    @property
    def period_start(self) -> dt.date:
        return self.period.start


def compute_metric(
    conn: sa.Connection,
    spec: ProviderSpec,
    metric: MetricSpec,
    now: dt.datetime,
    live_since: dt.datetime | None = None,
    peers: Mapping[str, ProviderSpec] | None = None,
    clients: frozenset[str] | None = None,
) -> list[MetricCard]:
    """Every (client, period) of one metric from the client's first period to the current one
    (``peers``: the providers a cross-provider ratio reads, by key; ``clients``: these only).
    A client's values read its own records alone, so a subset gives the same values."""
    zone = metric.timezone or spec.timezone
    current_period = period_of(metric.period, local_date(now, zone))
    oldest = period_of(metric.period, local_date(now - HORIZON, zone))
    cards: list[MetricCard] = []
    found = tally_periods(conn, spec, metric, zone, now, peers, clients)
    for client, tallies in sorted(found.items()):
        first = min(tallies, key=lambda p: p.start)
        history = History(metric, tallies, first, now)
        launch = launch_period(metric, history, zone, live_since)
        start = max(first, oldest, key=lambda p: p.start)
        for period in periods_between(start, max(current_period, start, key=lambda p: p.start)):
            cards.append(_card(spec, metric, client, period, history, launch))
    return cards


def _card(
    spec: ProviderSpec,
    metric: MetricSpec,
    client: str,
    period: Period,
    history: History,
    launch: Period | None,
) -> MetricCard:
    zone = metric.timezone or spec.timezone
    tally = history.tallies.get(period, Tally())
    sample = sample_of(metric, tally)
    complete = history.complete(period, zone)
    current: Decimal | None = value_of(metric, tally)
    if metric.measure in RATE_MEASURES and sample < metric.min_sample:
        current = None  # a small sample never gets a rate
    if metric.target is not None:
        reference = Reference("target", Decimal(str(metric.target)))
    else:
        reference = baseline_of(history, period, zone, launch)
    compares = complete and current is not None
    change, change_pct = _change(current, reference.value) if compares else (None, None)
    judged = decide_status(
        metric,
        complete=complete,
        sample=sample,
        current=current,
        current_sample=comparison_sample(metric, tally, period),
        reference=reference,
        change_pct=change_pct,
    )
    if judged.status in {"too_few", "no_data", "in_progress", "no_baseline", "no_denominator"}:
        change, change_pct = None, None  # no comparison is claimed, so none is shown
    values = _action_values(spec, metric, period, current, reference.value, change, change_pct)
    final = complete and period.ends_at_utc(zone) + dt.timedelta(days=metric.restate_days) <= (
        history.now_at
    )
    return MetricCard(
        metric_key=metric.key,
        client_key=client,
        period=period,
        sample_size=sample,
        current_value=_places(current),
        baseline_value=_places(reference.value),
        baseline_kind=reference.kind,
        change_abs=_places(change),
        change_pct=_places(change_pct),
        status=judged.status,
        next_action=render_action(metric, judged.status, values),
        complete=complete,
        is_final=final,
        first_batch_id=min(tally.batch_ids, default=None),
        last_batch_id=max(tally.batch_ids, default=None),
        p_value=judged.p_value,
        baseline_sample=None if reference.sample is None else reference.sample.records,
        baseline_periods_used=reference.periods_used or None,
        no_baseline_reason=reference.missing if judged.status == "no_baseline" else None,
    )


def _places(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_PLACES)


def _change(
    current: Decimal | None, reference: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """(change, change in percent of the reference); the percentage is None for a zero one."""
    if current is None or reference is None:
        return None, None
    change = current - reference
    return change, HUNDRED * change / abs(reference) if reference != 0 else None


def _action_values(
    spec: ProviderSpec,
    metric: MetricSpec,
    period: Period,
    current: Decimal | None,
    reference: Decimal | None,
    change: Decimal | None,
    change_pct: Decimal | None,
) -> dict[str, str]:
    """The placeholders a next action may name, formatted for the client; ``{change_pct}``
    is the size of the change without a sign (the template says up or down): in percent, or,
    from a zero baseline, in the unit ("up 6 requests")."""
    words = Formatter(spec.locale)
    unit = metric.unit_info
    size = words.relative(change_pct) if change_pct is not None else words.magnitude(change, unit)
    return {
        "current": words.value(current, unit),
        "baseline": words.value(reference, unit),
        "change_pct": size,
        "period": period.label(spec.locale),
    }


def refresh_client_metrics(
    conn: sa.Connection,
    spec: ProviderSpec,
    now: dt.datetime | None = None,
    *,
    rewrite_final: bool = False,
    peers: Mapping[str, ProviderSpec] | None = None,
    clients: frozenset[str] | None = None,
) -> list[MetricCard]:
    """Recompute every metric of ``spec``; write the values that are not final, or that later
    batches added records to. With
    ``rewrite_final`` (rendering another moment, in a transaction that is rolled back): every
    period anew, and nothing stored for another moment. A ratio reading another provider is
    computed only with that provider among ``peers`` (the portal refresh computes it,
    ``proof/cross.py``). ``clients``: these clients only (those a batch marked,
    ``proof/refresh.py``)."""
    now = now or proof_now()
    live = go_live_since(conn, spec.key)
    written: list[MetricCard] = []
    for metric in spec.metrics:
        if rewrite_final:  # what was stored for another moment is not shown either
            forget_metric(conn, spec.key, metric.key)
        if metric.peer is not None and metric.peer.provider not in (peers or {}):
            continue
        final = {} if rewrite_final else final_periods(conn, spec.key, metric.key)
        computed = compute_metric(conn, spec, metric, now, live, peers, clients)
        fresh = [c for c in computed if _open(c, final)]
        written += fresh
        write_client_metrics(conn, [_row(spec, metric, c, now) for c in fresh])
    return written


def _open(card: MetricCard, final: dict[tuple[str, dt.date], int | None]) -> bool:
    """Whether a period's value is (re)written: not final yet, or final but with records a
    later batch wrote (a replay or a manual entry of rows that were missing: a final number
    is only kept while it is the whole of its data)."""
    key = (card.client_key, card.period_start)
    if key not in final:
        return True
    stored = final[key]
    return card.last_batch_id is not None and (stored is None or card.last_batch_id > stored)


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
        "unit": metric.unit_name,
        "label": metric.label,
        "client_meaning": metric.client_meaning,
        "source": metric.source,
        "status": card.status,
        "next_action": card.next_action,
        "surface": metric.surface,
        "p_value": card.p_value,
        "baseline_sample": card.baseline_sample,
        "baseline_periods_used": card.baseline_periods_used,
        "no_baseline_reason": card.no_baseline_reason,
        "computed_at": now,
    }
