"""Provenance: what a client sees (``show``) and how one number came about (``explain``): the
records counted, the batches they came from with those batches' failed and ignored rows, the
data-through time, the baseline's own figures and the caveats. Read-only; the same tables and
functions the assets write with."""

import datetime as dt
from typing import Any, ClassVar

import sqlalchemy as sa

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.proof.periods import Period, period_of
from zartsalgo_pipelines.proof.visibility import HIDDEN_REASONS
from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.buckets import records_by_batch
from zartsalgo_pipelines.storage.proof.cards import card_row, card_rows
from zartsalgo_pipelines.storage.proof.metrics import as_date, metric_row
from zartsalgo_pipelines.storage.proof.notes import note_rows
from zartsalgo_pipelines.tables import RECORD_MODELS, table_of


class NotFoundError(ZartsalgoError, LookupError):
    """No such client, metric or period; the message lists what exists."""

    retryable: ClassVar[bool] = False


def show(conn: sa.Connection, client: str, period: dt.date | None = None) -> dict[str, Any]:
    """The client's newest (or ``period``'s) shown cards and note, and what is hidden."""
    cards = card_rows(conn, client_key=client)
    if not cards:
        known = sorted({c["client_key"] for c in card_rows(conn)})
        raise NotFoundError(f"no cards for client `{client}`; known: {', '.join(known) or 'none'}")
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    newest_shown: dict[tuple[str, str], dict[str, Any]] = {}
    for card in cards:  # oldest period first
        card = card | {"period_start": as_date(card["period_start"])}
        inside = period is None or card["period_start"] <= period <= as_date(card["period_end"])
        if inside:
            newest[(card["provider_key"], card["metric_key"])] = card
            key = (card["provider_key"], card["metric_key"])
            # Without --period: the newest finished period, unless nothing is finished yet.
            finished = card["status"] != "in_progress" or key not in newest_shown
            if card["visibility"] != "hidden" and (period is not None or finished):
                newest_shown[key] = card
    shown = list(newest_shown.values())
    hidden = [c for c in newest.values() if c["visibility"] == "hidden"]
    starts = {c["period_start"] for c in shown}
    notes = [
        n
        for n in note_rows(conn, client)
        if n["visibility"] != "hidden" and as_date(n["period_start"]) in starts
    ]
    return {
        "client": client,
        "cards": [_public(c) for c in shown],
        "notes": [
            {"period": n["period_label"], "text": n["text"], "caveat": n["caveat"]} for n in notes
        ],
        "hidden": [
            {
                "card": c["label"],
                "period": c["period_label"],
                "reason": HIDDEN_REASONS.get(c["visibility_reason"], c["visibility_reason"]),
            }
            for c in hidden
        ],
    }


def _public(card: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "label",
        "source_label",
        "period_label",
        "current_display",
        "baseline_display",
        "baseline_label",
        "change_display",
        "status",
        "status_text",
        "next_action",
        "visibility",
        "caveat",
        "data_through",
        "is_final",
    )
    return {k: card[k] for k in keys}


def _find_metric(specs: list[ProviderSpec], key: str) -> tuple[ProviderSpec, MetricSpec]:
    for spec in specs:
        for metric in spec.metrics:
            if metric.key == key:
                return spec, metric
    known = sorted(m.key for s in specs for m in s.metrics)
    raise NotFoundError(f"unknown metric `{key}`; known: {', '.join(known)}")


def _baseline_periods(metric: MetricSpec, period: Period, kind: str) -> list[Period]:
    if kind == "previous_period":
        return [period.previous()]
    if kind == "same_period_last_year":
        return [period.a_year_before()]
    if kind == "trailing_median":
        found, current = [], period
        for _ in range(metric.baseline.periods):
            current = current.previous()
            found.append(current)
        return found
    if kind == "launch" and metric.baseline.launch_period is not None:
        return [period_of(metric.period, metric.baseline.launch_period)]
    return []


def explain(
    conn: sa.Connection, specs: list[ProviderSpec], client: str, metric_key: str, day: dt.date
) -> dict[str, Any]:
    """How the card of ``client``, ``metric_key`` and the period holding ``day`` came about."""
    spec, metric = _find_metric(specs, metric_key)
    period = period_of(metric.period, day)
    row = metric_row(conn, spec.key, metric.key, client, period.start)
    if row is None:
        raise NotFoundError(f"no {metric.key} value for `{client}` in the {period.label()}")
    card = card_row(conn, spec.key, metric.key, client, period.start)
    zone = metric.timezone or spec.timezone
    entry = spec.field(metric.time_field)
    if entry is not None and entry.type == "date":
        bounds: tuple[Any, Any] = (period.start, period.following().start)
    else:
        bounds = (period.previous().ends_at_utc(zone), period.ends_at_utc(zone))
    batches = records_by_batch(
        conn, table_of(RECORD_MODELS[spec.object_type]), spec.key, metric, client, *bounds
    )
    baselines = []
    for base in _baseline_periods(metric, period, row["baseline_kind"]):
        other = metric_row(conn, spec.key, metric.key, client, base.start)
        baselines.append(
            {
                "period": base.label(),
                "value": None if other is None else other["current_value"],
                "records": 0 if other is None else other["sample_size"],
                "status": None if other is None else other["status"],
            }
        )
    return {
        "provider": spec.key,
        "client": client,
        "metric": metric.key,
        "label": metric.label,
        "period": period.label(),
        "timezone": zone,
        "measure": metric.measure,
        "field": metric.field,
        "filter": metric.filter.model_dump() if metric.filter else None,
        "records_counted": row["sample_size"],
        "value": row["current_value"],
        "status": row["status"],
        "baseline_kind": row["baseline_kind"],
        "baseline_value": row["baseline_value"],
        "baseline_periods": baselines,
        "batches": batches,
        "final": bool(row["is_final"]),
        "computed_at": row["computed_at"],
        "data_through": card["data_through"] if card else None,
        "visibility": card["visibility"] if card else None,
        "visibility_reason": card["visibility_reason"] if card else None,
        "caveat": card["caveat"] if card else None,
    }
