"""Portal cards: what a client sees for one metric and period, as one frozen type (``Card``) from
where it is built to the page that shows it. Each ``client_metrics`` value is formatted for the
client's locale, with the baseline it used, the status and the comparison in words, the next
action and its visibility. Stored in ``portal_cards``; the portal reads them through the
``portal_feed`` view, which holds only visible and caveated cards."""

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.proof.formatting import Formatter
from zartsalgo_pipelines.proof.periods import Period
from zartsalgo_pipelines.proof.visibility import CellFacts, ProviderState, Visibility, decide
from zartsalgo_pipelines.proof.wording import (
    baseline_label,
    caveat_being_checked,
    caveat_in_progress,
    caveat_incident,
    caveat_no_data,
    caveat_no_new_data,
    caveat_provisional,
    caveat_restatable,
    caveat_sample,
    caveat_too_few,
    comparison_text,
    no_baseline_text,
    status_text,
)
from zartsalgo_pipelines.specs.facts import measure_name
from zartsalgo_pipelines.specs.metrics import RATE_MEASURES, MetricSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.units import Unit, unit_of
from zartsalgo_pipelines.storage.proof.cards import card_rows
from zartsalgo_pipelines.storage.proof.metrics import as_date

CAVEAT_MAX = 300  # portal_cards.caveat: whole caveats are dropped, never cut mid-sentence
RECORDS = Unit("count", "records", {"one": "record", "other": "records"})


@dataclass(frozen=True)
class Card:
    """One portal card, as stored in ``portal_cards`` and read by the notes, tasks, the watch,
    `proof show` and the preview."""

    provider_key: str
    metric_key: str
    client_key: str
    period: str
    period_start: dt.date
    period_end: dt.date
    period_label: str
    label: str
    source_label: str
    unit: str
    current_value: Decimal | None
    current_display: str
    baseline_value: Decimal | None
    baseline_display: str
    baseline_kind: str
    baseline_label: str
    change_abs: Decimal | None
    change_pct: Decimal | None
    change_display: str
    comparison: str | None
    sample_size: int
    status: str
    status_text: str
    next_action: str
    visibility: str
    visibility_reason: str
    caveat: str | None
    caveat_codes: str | None
    data_through: dt.datetime | None
    is_final: bool
    computed_at: dt.datetime
    id: int | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Card":
        values = {f.name: row[f.name] for f in dataclasses.fields(cls) if f.name in row}
        values["period_start"] = as_date(row["period_start"])
        values["period_end"] = as_date(row["period_end"])
        values["is_final"] = bool(row["is_final"])
        for name in ("current_value", "baseline_value", "change_abs", "change_pct"):
            values[name] = None if row[name] is None else Decimal(str(row[name]))
        return cls(**values)

    def as_row(self) -> dict[str, Any]:
        """The ``portal_cards`` columns (without the id the database gives it)."""
        row = dataclasses.asdict(self)
        del row["id"]
        return row

    @property
    def shown(self) -> bool:
        return self.visibility != "hidden"

    def has_caveat(self, code: str) -> bool:
        """Whether the caveat ``code`` (proof/visibility.py) applies, shown or not."""
        return code in (self.caveat_codes or "").split(",")

    @property
    def ref(self) -> str:
        """`client/metric/period start`: how incidents name the cards they make unsafe."""
        return f"{self.client_key}/{self.metric_key}/{self.period_start}"


def headline(cards: list[Card]) -> Card:
    """The card a client reads first of one metric's shown cards (oldest first): the newest
    finished period, else the unfinished one."""
    finished = [c for c in cards if c.status != "in_progress"]
    return (finished or cards)[-1]


def load_cards(
    conn: sa.Connection,
    *,
    client_key: str | None = None,
    provider_key: str | None = None,
    shown_only: bool = False,
    client_keys: Collection[str] | None = None,
) -> list[Card]:
    """Stored cards, oldest period first (``shown_only``: through the portal_feed view;
    ``client_keys``: of these clients only)."""
    rows = card_rows(
        conn,
        client_key=client_key,
        provider_key=provider_key,
        shown_only=shown_only,
        client_keys=client_keys,
    )
    return [Card.from_row(r) for r in rows]


def record_unit(spec: ProviderSpec) -> Unit:
    """What the provider's records are called: its first count metric's unit, else records."""
    return next((m.unit_info for m in spec.metrics if m.measure == "count"), RECORDS)


def sample_unit(spec: ProviderSpec, metric: MetricSpec) -> Unit:
    """What a card's sample counts: a ratio's denominator (its declared `sample_unit`, else the
    denominator measure's unit), else the provider's records."""
    if metric.measure != "ratio":
        return record_unit(spec)
    if metric.sample_unit is not None:
        return unit_of(metric.sample_unit)
    side = metric.denominator if isinstance(metric.denominator, str) else None
    measure = spec.facts.measures.get(measure_name(side) or "") if spec.facts else None
    counted = measure.counted if measure is not None else None
    return counted or RECORDS


def provisional_days(spec: ProviderSpec, period_over_at: dt.datetime, now: dt.datetime) -> int:
    """The provider's restatement window when the period ends inside it, else 0."""
    days = spec.facts.restatement_days if spec.facts else 0
    return days if days and period_over_at > now - dt.timedelta(days=days) else 0


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _caveats(
    spec: ProviderSpec,
    metric: MetricSpec,
    seen: Visibility,
    cell: CellFacts,
    sample: int,
    silent_since: str,
) -> str | None:
    """The caveats a client reads, most important first; one that does not fit is left out
    whole."""
    words, unit, records = Formatter(spec.locale), metric.unit_info, record_unit(spec)
    restated = spec.facts.restatement_days if spec.facts else 0
    texts = {
        "sample": lambda: caveat_sample(spec.display_name),
        "provisional": lambda: caveat_provisional(spec.display_name, restated),
        "no_new_data": lambda: caveat_no_new_data(words, silent_since, records),
        "being_checked": lambda: caveat_being_checked(words, cell.failed, records, metric),
        "incident": lambda: caveat_incident(spec.display_name),
        "in_progress": lambda: caveat_in_progress(metric),
        "no_data": lambda: caveat_no_data(metric, records),
        "too_few": lambda: caveat_too_few(
            words, sample, sample_unit(spec, metric) if unit.kind != "count" else unit
        ),
        "restatable": caveat_restatable,
    }
    kept: list[str] = []
    for code in seen.caveats:
        text = texts[code]()
        if len(" ".join([*kept, text])) <= CAVEAT_MAX:
            kept.append(text)
    return " ".join(kept) or None


def _comparison(
    words: Formatter, metric: MetricSpec, row: Mapping[str, Any], against: str
) -> str | None:
    """The comparison behind the status in words, or why there is none."""
    if row["status"] == "no_baseline":
        return no_baseline_text(metric, row["no_baseline_reason"], row["baseline_periods_used"])
    return comparison_text(
        words,
        metric,
        status=row["status"],
        current=_dec(row["current_value"]),
        baseline=_dec(row["baseline_value"]),
        against=against,
        p_value=row["p_value"],
    )


def build_card(
    spec: ProviderSpec,
    metric: MetricSpec,
    row: Mapping[str, Any],
    provider: ProviderState,
    cell: CellFacts,
    silent_since: str,
    now: dt.datetime,
) -> Card:
    """One card from one stored ``client_metrics`` row and what holds for its provider and
    period."""
    words, unit = Formatter(spec.locale), metric.unit_info
    period = Period(row["period"], as_date(row["period_start"]))
    over_at = period.ends_at_utc(metric.timezone or spec.timezone)
    current, baseline = _dec(row["current_value"]), _dec(row["baseline_value"])
    status, sample = row["status"], int(row["sample_size"])
    current_display = words.value(current, unit)
    if current is None and metric.measure in RATE_MEASURES:
        current_display = words.count(sample, sample_unit(spec, metric))  # never a rate
    against = baseline_label(metric, row["baseline_kind"])
    provisional = provisional_days(spec, over_at, now) > 0
    final = bool(row["is_final"])
    seen = decide(provider, cell, status=status, is_final=final, period_over_at=over_at,
                  provisional=provisional)  # fmt: skip
    last = provider.last_success_at
    return Card(
        provider_key=spec.key,
        metric_key=metric.key,
        client_key=row["client_key"],
        period=period.kind,
        period_start=period.start,
        period_end=period.end,
        period_label=period.label(spec.locale),
        label=metric.label,
        source_label=metric.source,
        unit=metric.unit_name,
        current_value=current,
        current_display=current_display,
        baseline_value=baseline,
        baseline_display=words.value(baseline, unit),
        baseline_kind=row["baseline_kind"],
        baseline_label=against,
        change_abs=_dec(row["change_abs"]),
        change_pct=_dec(row["change_pct"]),
        change_display=words.change(_dec(row["change_abs"]), _dec(row["change_pct"]), unit),
        comparison=_comparison(words, metric, row, against),
        sample_size=sample,
        status=status,
        status_text=status_text(status, metric, against),
        next_action=row["next_action"],
        visibility=seen.state,
        visibility_reason=seen.reason,
        caveat=_caveats(spec, metric, seen, cell, sample, silent_since),
        caveat_codes=",".join(seen.caveats) or None,
        data_through=None if last is None else min(last, over_at, now),
        is_final=bool(row["is_final"]),
        computed_at=now,
    )
