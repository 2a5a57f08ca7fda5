"""Portal cards: each client_metrics value formatted for a client, with the baseline it used,
the status in words, the next action and its visibility. Written to ``portal_cards``; the portal
reads them through the ``portal_feed`` view, which holds only visible and caveated cards."""

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.proof.formatting import format_change, format_count, format_value
from zartsalgo_pipelines.proof.periods import Period
from zartsalgo_pipelines.proof.visibility import ProviderFacts, decide
from zartsalgo_pipelines.specs.metrics import RATE_MEASURES, MetricSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.cards import (
    card_rows,
    delete_cards_of_undeclared_metrics,
    write_cards,
)
from zartsalgo_pipelines.storage.proof.metrics import as_date, metric_rows
from zartsalgo_pipelines.storage.proof.visibility import provider_facts

_PERIOD_WORD = {"day": "day", "week": "week", "month": "month"}


def baseline_label(metric: MetricSpec, kind: str, period: str) -> str:
    word = _PERIOD_WORD[period]
    return {
        "previous_period": f"the {word} before",
        "same_period_last_year": f"the same {word} last year",
        "trailing_median": f"the median of the {metric.baseline.periods} {word}s before",
        "launch": f"the launch {word}",
        "target": "the goal",
    }[kind]


def status_text(status: str, metric: MetricSpec, against: str) -> str:
    """The status as a client reads it."""
    above = "above" if metric.good_direction == "down" else "below"
    return {
        "improving": f"Better than {against}",
        "declining": f"Worse than {against}",
        "steady": f"About the same as {against}",
        "on_target": "On target",
        "off_target": f"{above.capitalize()} target",
        "no_baseline": "First period on record: nothing to compare with yet",
        "no_data": "No records this period",
        "too_few": "Too few records for a comparison",
        "in_progress": "Not finished yet",
    }[status]


def facts_for(conn: sa.Connection, spec: ProviderSpec) -> ProviderFacts:
    return ProviderFacts(
        provider_key=spec.key,
        display_name=spec.display_name,
        spec_status=spec.status,
        tolerated_failure_share=spec.tolerated_failure_share,
        stale_after_hours=spec.stale_after_hours,
        facts=provider_facts(conn, spec.key),
    )


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def build_card(
    spec: ProviderSpec,
    metric: MetricSpec,
    row: dict[str, Any],
    facts: ProviderFacts,
    now: dt.datetime,
) -> dict[str, Any]:
    """One portal_cards row from one client_metrics row."""
    start = as_date(row["period_start"])
    period = Period(row["period"], start)
    zone = metric.timezone or spec.timezone
    over_at = period.ends_at_utc(zone)
    current, baseline = _dec(row["current_value"]), _dec(row["baseline_value"])
    current_display = format_value(current, metric.unit)
    if current is None and metric.measure in RATE_MEASURES:
        current_display = format_count(row["sample_size"])  # the count, never a rate
    against = baseline_label(metric, row["baseline_kind"], row["period"])
    seen = decide(
        facts,
        status=row["status"],
        is_final=bool(row["is_final"]),
        period_over_at=over_at,
        sample_size=row["sample_size"],
        now=now,
    )
    last = facts.facts["last_success_at"]
    return {
        "provider_key": spec.key,
        "metric_key": metric.key,
        "client_key": row["client_key"],
        "period": row["period"],
        "period_start": start,
        "period_end": period.end,
        "period_label": period.label(),
        "label": metric.label,
        "source_label": metric.source,
        "unit": metric.unit,
        "current_value": current,
        "current_display": current_display,
        "baseline_value": baseline,
        "baseline_display": format_value(baseline, metric.unit),
        "baseline_kind": row["baseline_kind"],
        "baseline_label": against,
        "change_abs": _dec(row["change_abs"]),
        "change_pct": _dec(row["change_pct"]),
        "change_display": format_change(
            _dec(row["change_abs"]), _dec(row["change_pct"]), metric.unit
        ),
        "sample_size": row["sample_size"],
        "status": row["status"],
        "status_text": status_text(row["status"], metric, against),
        "next_action": row["next_action"],
        "visibility": seen.state,
        "visibility_reason": seen.reason,
        "caveat": seen.caveat,
        "data_through": None if last is None else min(last, over_at),
        "is_final": bool(row["is_final"]),
        "computed_at": now,
    }


def refresh_portal_cards(
    conn: sa.Connection, specs: list[ProviderSpec], now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Rebuild every provider's portal cards from its client_metrics and current facts;
    returns the stored cards (with their ids)."""
    now = now or utcnow()
    built: list[dict[str, Any]] = []
    for spec in specs:
        metrics = {m.key: m for m in spec.metrics}
        facts = facts_for(conn, spec)
        rows = [
            build_card(spec, metrics[r["metric_key"]], r, facts, now)
            for r in metric_rows(conn, spec.key)
            if r["metric_key"] in metrics
        ]
        write_cards(conn, rows)
        delete_cards_of_undeclared_metrics(conn, spec.key, sorted(metrics))
        built += card_rows(conn, provider_key=spec.key)
    return built


def summary(cards: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Counts by status and by visibility (materialization metadata, CLI)."""
    return {
        "by_status": dict(Counter(c["status"] for c in cards)),
        "by_visibility": dict(Counter(c["visibility"] for c in cards)),
    }
