"""Provenance: what a client sees (``show``) and how one number came about (``explain``): the
records counted, the batches they came from with those batches' failed and ignored rows, the
test behind the status, the data-through time, the baseline's own figures and the caveats,
every number formatted as the client reads it and every time in the client's zone. Read-only;
the same tables and functions the assets write with."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.clock import proof_now
from zartsalgo_pipelines.proof.baselines import FIRST_PERIOD
from zartsalgo_pipelines.proof.cards import Card, headline, load_cards, sample_unit
from zartsalgo_pipelines.proof.formatting import NO_VALUE, Formatter
from zartsalgo_pipelines.proof.metric_lookup import NotFoundError, find_metric
from zartsalgo_pipelines.proof.periods import Period, period_of
from zartsalgo_pipelines.proof.visibility import HIDDEN_REASONS
from zartsalgo_pipelines.proof.wording import baseline_label, no_baseline_text
from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.buckets import records_by_batch
from zartsalgo_pipelines.storage.proof.metrics import as_date, metric_row
from zartsalgo_pipelines.storage.proof.notes import note_rows
from zartsalgo_pipelines.tables import RECORD_MODELS, table_of

_PUBLIC = (
    "label",
    "source_label",
    "period_label",
    "current_display",
    "baseline_display",
    "baseline_label",
    "change_display",
    "comparison",
    "status",
    "status_text",
    "next_action",
    "visibility",
    "caveat",
    "data_through",
    "is_final",
)


def show(conn: sa.Connection, client: str, period: dt.date | None = None) -> dict[str, Any]:
    """The client's newest (or ``period``'s) shown cards and note, and what is hidden."""
    cards = load_cards(conn, client_key=client)
    if not cards:
        known = sorted({c.client_key for c in load_cards(conn)})
        raise NotFoundError(f"no cards for client `{client}`; known: {', '.join(known) or 'none'}")
    by_metric: dict[tuple[str, str], list[Card]] = defaultdict(list)
    for card in cards:  # oldest period first
        if period is None or card.period_start <= period <= card.period_end:
            by_metric[(card.provider_key, card.metric_key)].append(card)
    shown: list[Card] = []
    hidden: list[Card] = []
    for rows in by_metric.values():
        visible = [c for c in rows if c.shown]
        top = headline(visible) if visible else None  # newest finished, else unfinished
        if top is not None:
            shown.append(top)
        hidden += [
            c for c in rows if not c.shown and (top is None or c.period_start > top.period_start)
        ]
    starts = {c.period_start for c in shown}
    notes = [n for n in note_rows(conn, client) if n["visibility"] != "hidden"]
    return {
        "client": client,
        "cards": [{k: getattr(c, k) for k in _PUBLIC} for c in shown],
        "notes": [
            {"period": n["period_label"], "text": n["text"], "caveat": n["caveat"]}
            for n in notes
            if as_date(n["period_start"]) in starts
        ],
        "hidden": [
            {
                "card": c.label,
                "period": c.period_label,
                "reason": hidden_reason(c),
            }
            for c in hidden
        ],
    }


def hidden_reason(card: Card) -> str:
    """Why a card is hidden, for its owner; a ratio names its other side and why that is."""
    reason = HIDDEN_REASONS.get(card.visibility_reason, card.visibility_reason)
    if card.visibility_reason == "other_side_hidden" and card.caveat:
        return f"{reason} ({card.caveat})"
    return reason


def baseline_periods(metric: MetricSpec, period: Period, kind: str) -> list[Period]:
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


def _what(spec: ProviderSpec, metric: MetricSpec, specs: list[ProviderSpec]) -> str:
    """`share of records with Email`, `average of Budget where Currency is EUR`."""
    if spec.reports_facts:
        from zartsalgo_pipelines.proof.fact_explain import fact_what

        return fact_what(spec, metric, specs)
    labels = {f.target: f.label or f.target for f in spec.fields}
    field = labels.get(metric.field or "", metric.field or "")
    text = {
        "count": "count of records",
        "sum": f"sum of {field}",
        "average": f"average of {field}",
        "share_present": f"share of records with {field}",
        "share_matching": f"share of records whose {field} is "
        + " or ".join(metric.matching or []),
    }[metric.measure]
    if metric.filter is not None:
        name = labels.get(metric.filter.field, metric.filter.field)
        if metric.filter.values is not None:
            text += f", where {name} is " + " or ".join(metric.filter.values)
        else:
            text += f", where {name} is " + ("set" if metric.filter.present else "not set")
    return text


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _batches(
    conn: sa.Connection,
    spec: ProviderSpec,
    metric: MetricSpec,
    client: str,
    period: Period,
    words: Formatter,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """The period's records up to ``now`` by the batch that last wrote them, with that
    batch's failed and ignored rows."""
    zone = metric.timezone or spec.timezone
    entry = spec.field(metric.time_field)
    if entry is not None and entry.type == "date":
        end = min(period.following().start, now.date() + dt.timedelta(days=1))
        bounds: tuple[Any, Any] = (period.start, end)
    else:
        bounds = (period.previous().ends_at_utc(zone), min(period.ends_at_utc(zone), now))
    table = table_of(RECORD_MODELS[spec.object_type])
    return [
        b | {"finished": words.moment(b.pop("finished_at"), zone)}
        for b in records_by_batch(conn, table, spec.key, metric, client, *bounds)
    ]


def _baselines(
    conn: sa.Connection,
    spec: ProviderSpec,
    metric: MetricSpec,
    client: str,
    period: Period,
    kind: str,
    words: Formatter,
) -> list[dict[str, Any]]:
    """The baseline periods' own values, as stored."""
    found = []
    for base in baseline_periods(metric, period, kind):
        other = metric_row(conn, spec.key, metric.key, client, base.start)
        found.append(
            {
                "period": base.label(spec.locale),
                "value": NO_VALUE
                if other is None
                else words.value(_dec(other["current_value"]), metric.unit_info),
                "records": words.count(
                    0 if other is None else other["sample_size"], sample_unit(spec, metric)
                ),
                "status": "not on record" if other is None else other["status"],
            }
        )
    return found


def _evidence(
    conn: sa.Connection,
    specs: list[ProviderSpec],
    spec: ProviderSpec,
    metric: MetricSpec,
    client: str,
    period: Period,
    now: dt.datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the period's rows by batch, each side of a metric over facts: none for records)."""
    if spec.reports_facts:
        from zartsalgo_pipelines.proof.fact_explain import explain_sides

        return explain_sides(conn, specs, spec, metric, client, period, now)
    words = Formatter(spec.locale)
    return _batches(conn, spec, metric, client, period, words, now), []


def _card_of(
    conn: sa.Connection, spec: ProviderSpec, metric: MetricSpec, client: str, period: Period
) -> Card | None:
    cards = load_cards(conn, client_key=client, provider_key=spec.key)
    return next(
        (c for c in cards if c.metric_key == metric.key and c.period_start == period.start), None
    )


def explain(
    conn: sa.Connection,
    specs: list[ProviderSpec],
    client: str,
    metric_key: str,
    day: dt.date,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """How the card of ``client``, ``metric_key`` and the period holding ``day`` came about
    (as of ``now``: the proof's clock, unless given)."""
    now = now or proof_now()
    spec, metric = find_metric(conn, specs, metric_key, client, day)
    period = period_of(metric.period, day)
    row = metric_row(conn, spec.key, metric.key, client, period.start)
    if row is None:
        raise NotFoundError(
            f"no {metric.key} value for `{client}` in the {period.label(spec.locale)}"
        )
    words, unit, zone = Formatter(spec.locale), metric.unit_info, metric.timezone or spec.timezone
    card = _card_of(conn, spec, metric, client, period)
    batches, sides = _evidence(conn, specs, spec, metric, client, period, now)
    baselines = _baselines(conn, spec, metric, client, period, row["baseline_kind"], words)
    missing = row["no_baseline_reason"] or (
        FIRST_PERIOD if row["status"] == "no_baseline" else None
    )
    return {
        "provider": spec.key,
        "client": client,
        "metric": metric.key,
        "label": metric.label,
        "period": period.label(spec.locale),
        "timezone": zone,
        "what": _what(spec, metric, specs),
        "records_counted": words.count(row["sample_size"], sample_unit(spec, metric)),
        "value": words.value(_dec(row["current_value"]), unit),
        "status": row["status"],
        "comparison": card.comparison if card else None,
        "p_value": row["p_value"],
        "confidence": f"{metric.confidence:.0%}",
        "baseline": f"{baseline_label(metric, row['baseline_kind'])}: "
        + words.value(_dec(row["baseline_value"]), unit),
        "no_baseline": no_baseline_text(metric, missing, row["baseline_periods_used"])
        if missing
        else None,
        "baseline_periods": baselines,
        "batches": batches,
        "sides": sides,
        "final": bool(row["is_final"]),
        "computed_at": words.moment(row["computed_at"], zone),
        "data_through": words.moment(card.data_through if card else None, zone),
        "visibility": card.visibility if card else None,
        "visibility_reason": card.visibility_reason if card else None,
        "caveat": card.caveat if card else None,
    }
