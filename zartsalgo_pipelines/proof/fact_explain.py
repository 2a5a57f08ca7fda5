"""`proof explain` for a metric over facts: each side of it, with what was summed or counted, by
the batch that last wrote it, the rows left out (other currencies, failed and ignored rows of
those batches) and the restated values (before and after). A ratio reading another provider
shows that provider's records counted, by batch, as `proof explain` shows any count."""

import datetime as dt
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.proof.fact_tallies import MissingPeerError, fact_scope
from zartsalgo_pipelines.proof.formatting import Formatter
from zartsalgo_pipelines.proof.periods import Period, local_date
from zartsalgo_pipelines.specs.facts import measure_name
from zartsalgo_pipelines.specs.metrics import MetricRef, MetricSpec, RatioSide
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.units import Unit, unit_of
from zartsalgo_pipelines.storage.proof.buckets import records_by_batch
from zartsalgo_pipelines.storage.proof.fact_buckets import (
    facts_by_batch,
    revisions,
    rows_in_other_currencies,
)
from zartsalgo_pipelines.tables import RECORD_MODELS, table_of

ROWS = Unit("count", "report rows", {"one": "report row", "other": "report rows"})


def fact_what(spec: ProviderSpec, metric: MetricSpec, specs: list[ProviderSpec]) -> str:
    """`sum of Cost`, `Cost / Clicks`, `Cost / Quote requests received (Website quote
    requests)`, with the filter and the currency."""
    if metric.measure == "ratio":
        text = f"{_side_name(spec, metric.numerator, specs)} / "
        text += _side_name(spec, metric.denominator, specs)
    elif metric.measure == "count":
        text = "count of report rows"
    else:
        text = f"{metric.measure} of {_side_name(spec, metric.field, specs)}"
    scope = fact_scope(spec, metric)
    if scope.currency:
        text += f", in {scope.currency} only"
    if metric.filter is not None:
        values = metric.filter.values
        shown = " or ".join(values) if values else ("set" if metric.filter.present else "not set")
        text += f", where {metric.filter.field.split('.')[-1]} is {shown}"
    return text


def _side_name(spec: ProviderSpec, side: RatioSide | None, specs: list[ProviderSpec]) -> str:
    if isinstance(side, MetricRef):
        peer = next((s for s in specs if s.key == side.provider), None)
        metric = next((m for m in peer.metrics if m.key == side.metric), None) if peer else None
        label = metric.label if metric else side.metric
        return f"{label} ({peer.display_name if peer else side.provider})"
    name = measure_name(side)
    measure = spec.facts.measures.get(name or "") if spec.facts else None
    return measure.label if measure else str(side)


def explain_sides(
    conn: sa.Connection,
    specs: list[ProviderSpec],
    spec: ProviderSpec,
    metric: MetricSpec,
    client: str,
    period: Period,
    now: dt.datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the facts by batch up to ``now``, as records are shown; each side of the metric in
    detail)."""
    words, zone = Formatter(spec.locale), metric.timezone or spec.timezone
    last_day = min(period.end, local_date(now, zone))
    scope = fact_scope(spec, metric, client_key=client, first_day=period.start, last_day=last_day)
    declared = list(spec.facts.measures) if spec.facts else []
    found = facts_by_batch(conn, scope, _own_sides(metric) or declared[:1])
    batches = [
        {k: v for k, v in b.items() if k not in {"sums", "finished_at", "rows"}}
        | {"records": b["rows"], "finished": words.moment(b["finished_at"], zone)}
        for b in found
    ]
    sides = []
    for role, side in _sides(metric):
        if isinstance(side, MetricRef):
            sides.append(_peer_side(conn, specs, metric, side, role, client, period, words, now))
            continue
        name = measure_name(side) or ""
        unit = _measure_unit(spec, metric, name)
        total = sum((b["sums"].get(name, 0) for b in found), start=0)
        sides.append(
            {
                "side": role,
                "what": f"sum of {_side_name(spec, side, specs)} over "
                + words.count(sum(b["rows"] for b in found), ROWS),
                "value": words.value(total, unit),
                "batches": [
                    {
                        "batch_id": b["batch_id"],
                        "rows": b["rows"],
                        "sum": words.value(b["sums"].get(name), unit),
                    }
                    for b in found
                ],
                "left_out": _left_out(conn, scope),
                "revisions": [
                    f"batch {r['batch_id']} restated {words.count(r['rows'], ROWS)}: "
                    f"{words.value(r['before'], unit)} before, "
                    f"{words.value(r['after'], unit)} after"
                    for r in revisions(conn, scope, [name])
                ],
            }
        )
    return batches, sides


def _sides(metric: MetricSpec) -> list[tuple[str, RatioSide]]:
    if metric.measure == "ratio":
        assert metric.numerator is not None and metric.denominator is not None
        return [("numerator", metric.numerator), ("denominator", metric.denominator)]
    return [("value", metric.field)] if metric.field else []


def _own_sides(metric: MetricSpec) -> list[str]:
    return [n for _, s in _sides(metric) if isinstance(s, str) and (n := measure_name(s))]


def _measure_unit(spec: ProviderSpec, metric: MetricSpec, name: str) -> Unit:
    measure = spec.facts.measures.get(name) if spec.facts else None
    if measure is None or measure.money:
        return unit_of(metric.unit_info.name) if measure else ROWS
    return measure.counted or ROWS


def _left_out(conn: sa.Connection, scope: Any) -> list[str]:
    return [
        f"{count} report rows in {currency or 'no currency'} (never converted or mixed)"
        for currency, count in sorted(rows_in_other_currencies(conn, scope).items())
    ]


def _peer_side(
    conn: sa.Connection,
    specs: list[ProviderSpec],
    metric: MetricSpec,
    ref: MetricRef,
    role: str,
    client: str,
    period: Period,
    words: Formatter,
    now: dt.datetime,
) -> dict[str, Any]:
    """The other provider's records counted for the client and period up to ``now``, by
    batch."""
    peer = next((s for s in specs if s.key == ref.provider), None)
    counted = next((m for m in peer.metrics if m.key == ref.metric), None) if peer else None
    if peer is None or counted is None:
        raise MissingPeerError(f"metric `{metric.key}` reads `{ref.ref}`, which was not given")
    zone = metric.timezone or peer.timezone
    entry = peer.field(counted.time_field)
    bounds: tuple[Any, Any] = (
        period.start,
        min(period.following().start, now.date() + dt.timedelta(days=1)),
    )
    if entry is None or entry.type != "date":
        bounds = (period.previous().ends_at_utc(zone), min(period.ends_at_utc(zone), now))
    table = table_of(RECORD_MODELS[peer.object_type])
    found = records_by_batch(conn, table, peer.key, counted, client, *bounds)
    unit = counted.unit_info
    return {
        "side": role,
        "what": f"{counted.label} ({peer.display_name}): records counted",
        "value": words.count(sum(b["records"] for b in found), unit),
        "batches": [
            {
                "batch_id": b["batch_id"],
                "rows": b["records"],
                "sum": words.count(b["records"], unit),
                "failed": b["batch_failed_rows"],
                "ignored": b["batch_ignored_rows"],
            }
            for b in found
        ],
        "left_out": [],
        "revisions": [],
    }


def side_lines(sides: list[dict[str, Any]]) -> list[str]:
    """Each side of a metric over facts: what was summed or counted, by batch, what was left
    out and what was restated (a ratio reading another provider shows both providers)."""
    lines = []
    for side in sides:
        lines.append(f"  {side['side']}: {side['what']} = {side['value']}")
        for batch in side["batches"]:
            extra = ""
            if "failed" in batch:
                extra = f" (that batch failed {batch['failed']}, ignored {batch['ignored']})"
            lines.append(
                f"    batch {batch['batch_id']}: {batch['rows']} rows, {batch['sum']}{extra}"
            )
        lines += [f"    left out: {text}" for text in side["left_out"]]
        lines += [f"    restated: {text}" for text in side["revisions"]]
    return lines
