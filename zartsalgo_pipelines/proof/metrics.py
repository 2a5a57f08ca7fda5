"""Client metrics: from ZartsAlgo records to client-safe values with baseline, status, action.

Computed with one GROUP BY per metric in the database (the result is clients x periods, small),
so memory does not grow with the record table. Nothing from a provider payload is read.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.specs.models import MetricSpec, ProviderSpec
from zartsalgo_pipelines.storage.models import RECORD_MODELS, ClientMetric, table_of
from zartsalgo_pipelines.storage.upsert import upsert

STEADY_BAND = Decimal("0.05")  # within +-5 % of the baseline counts as steady
_PERIOD_DAYS = {"day": 1, "week": 7}


@dataclass(frozen=True)
class MetricCard:
    metric_key: str
    client_key: str
    period_start: dt.date
    current_value: Decimal
    baseline_value: Decimal | None
    status: str


def _period_start(column: Any, period: str, dialect: str) -> Any:
    if dialect == "sqlite":
        modifiers = {"day": [], "week": ["weekday 0", "-6 days"], "month": ["start of month"]}
        return sa.func.date(column, *modifiers[period])
    days_back = {"day": 0, "week": sa.func.weekday(column), "month": sa.func.dayofmonth(column) - 1}
    return sa.func.subdate(sa.func.date(column), days_back[period])


def _period_end(start: dt.date, period: str) -> dt.date:
    if period == "month":
        following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return following - dt.timedelta(days=1)
    return start + dt.timedelta(days=_PERIOD_DAYS[period] - 1)


def _measure(table: sa.Table, metric: MetricSpec) -> Any:
    if metric.measure == "count":
        return sa.func.count()
    column = table.c[metric.field or ""]
    if metric.measure == "share_present":
        return 100.0 * sa.func.count(column) / sa.func.count()
    return sa.func.sum(column) if metric.measure == "sum" else sa.func.avg(column)


def _status(metric: MetricSpec, current: Decimal, baseline: Decimal | None) -> str:
    if baseline is None:
        return "no_baseline"
    if baseline == 0:
        change = Decimal(1) if current > 0 else Decimal(0)
    else:
        change = (current - baseline) / abs(baseline)
    if abs(change) <= STEADY_BAND:
        return "steady"
    better = change > 0 if metric.good_direction == "up" else change < 0
    return "improving" if better else "declining"


def compute_metric(conn: sa.Connection, spec: ProviderSpec, metric: MetricSpec) -> list[MetricCard]:
    """Every (client, period) value of one metric, each with the previous period as baseline."""
    table = table_of(RECORD_MODELS[spec.object_type])
    start = _period_start(table.c[metric.time_field], metric.period, conn.dialect.name)
    query = (
        sa.select(table.c.client_key, start.label("period_start"), _measure(table, metric))
        .where(table.c.provider_key == spec.key, table.c[metric.time_field].is_not(None))
        .group_by(table.c.client_key, start)
        .order_by(table.c.client_key, start)
    )
    cards: list[MetricCard] = []
    previous: dict[str, Decimal] = {}
    for client_key, period_start, value in conn.execute(query):
        current = Decimal(str(value or 0)).quantize(Decimal("0.0001"))
        baseline = previous.get(client_key)
        cards.append(
            MetricCard(
                metric_key=metric.key,
                client_key=client_key,
                period_start=dt.date.fromisoformat(str(period_start)[:10]),
                current_value=current,
                baseline_value=baseline,
                status=_status(metric, current, baseline),
            )
        )
        previous[client_key] = current
    return cards


def refresh_client_metrics(conn: sa.Connection, spec: ProviderSpec) -> list[MetricCard]:
    """Recompute every metric of ``spec`` and upsert it into ``client_metrics``."""
    now = utcnow()
    cards: list[MetricCard] = []
    for metric in spec.metrics:
        metric_cards = compute_metric(conn, spec, metric)
        cards.extend(metric_cards)
        upsert(
            conn,
            table_of(ClientMetric),
            [
                {
                    "provider_key": spec.key,
                    "metric_key": metric.key,
                    "client_key": card.client_key,
                    "period": metric.period,
                    "period_start": card.period_start,
                    "period_end": _period_end(card.period_start, metric.period),
                    "current_value": card.current_value,
                    "baseline_value": card.baseline_value,
                    "unit": metric.unit,
                    "label": metric.label,
                    "client_meaning": metric.client_meaning,
                    "source": metric.source,
                    "status": card.status,
                    "next_action": metric.next_actions[card.status],  # type: ignore[index]
                    "surface": metric.surface,
                    "computed_at": now,
                }
                for card in metric_cards
            ],
            key=["provider_key", "metric_key", "client_key", "period_start"],
            update={
                c: "new"
                for c in (
                    "period_end",
                    "current_value",
                    "baseline_value",
                    "unit",
                    "label",
                    "client_meaning",
                    "source",
                    "status",
                    "next_action",
                    "surface",
                    "computed_at",
                )
            },
        )
    return cards
