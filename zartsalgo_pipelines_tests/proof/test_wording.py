"""Scenario: every status of every shipped metric reads as a client should read it. A card is
built for each (a fixed metric row per status, the shipped spec as it is) and its value, change,
status, comparison and report-note sentence are checked against a table of expected sentences:
plural forms per unit ("1 request", "1 deal"), shares changing in points (never a second
percentage), one sign and never two, money with its currency, the reason when there is nothing
to compare with, and the odds of chance in words. A changed word anywhere shows up here."""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from zartsalgo_pipelines.proof.cards import build_card
from zartsalgo_pipelines.proof.formatting import Formatter
from zartsalgo_pipelines.proof.notes import sentence
from zartsalgo_pipelines.proof.visibility import CellFacts, ProviderState
from zartsalgo_pipelines.specs.loading import load_specs
from zartsalgo_pipelines.specs.metrics import MetricSpec

NOW = dt.datetime(2026, 12, 7, 12)
STATE = ProviderState(
    "Website quote requests", "connected", "connected", NOW, NOW, False, frozenset(), 0.05, 20
)
# (current, baseline, change, change %, records, p-value) of the trend statuses, per unit kind
TRENDS = {
    "count": {
        "improving": ("12", "2", "10", "500", 12, 0.0129),
        "declining": ("1", "12", "-11", "-91.6667", 1, 0.0034),
        "steady": ("5", "9", "-4", "-44.4444", 5, 0.42),
    },
    "percent": {
        "improving": ("90", "75", "15", "20", 20, 0.01),
        "declining": ("60", "80", "-20", "-25", 20, 0.02),
        "steady": ("71.4286", "100", "-28.5714", "-28.5714", 7, 0.46),
    },
    "currency": {
        "improving": ("1500", "1000", "500", "50", 30, 0.001),
        "declining": ("800", "1200", "-400", "-33.3333", 30, 0.003),
        "steady": ("1100", "1000", "100", "10", 30, 0.4),
    },
}
NEUTRAL = {"improving": "higher", "declining": "lower"}  # good_direction: neutral
NO_BASELINE = {
    "trailing_median": ("median_incomplete", 1),
    "same_period_last_year": ("no_last_year", None),
}


def _row(metric: MetricSpec, status: str, **values: Any) -> dict[str, Any]:
    empty = {
        "current_value": None,
        "baseline_value": None,
        "change_abs": None,
        "change_pct": None,
        "p_value": None,
        "no_baseline_reason": None,
        "baseline_periods_used": None,
        "baseline_kind": metric.baseline.kind,
    }
    return empty | {"status": status} | values


def _trends(metric: MetricSpec, kind: str) -> dict[str, Any]:
    """The trend rows; for a metric where down is better, a fall improves."""
    trends = dict(TRENDS[kind])
    if metric.good_direction == "down":
        trends["improving"], trends["declining"] = trends["declining"], trends["improving"]
    return trends


def rows_of(metric: MetricSpec) -> dict[str, dict[str, Any]]:
    """A metric row for every status the metric can have."""
    kind = metric.unit_info.kind
    found: dict[str, dict[str, Any]] = {}
    if metric.target is None:
        for trend, (c, b, ca, cp, n, p) in _trends(metric, kind).items():
            status = NEUTRAL.get(trend, trend) if metric.good_direction == "neutral" else trend
            found[status] = _row(
                metric,
                status,
                current_value=c,
                baseline_value=b,
                change_abs=ca,
                change_pct=cp,
                sample_size=n,
                p_value=p,
            )
    else:
        goal = str(metric.target)
        for status, (c, ca) in {"on_target": ("25", "5"), "off_target": ("10", "-10")}.items():
            found[status] = _row(
                metric,
                status,
                current_value=c,
                baseline_value=goal,
                change_abs=ca,
                sample_size=20,
                baseline_kind="target",
            )
    reason, used = NO_BASELINE.get(metric.baseline.kind, ("first_period", None))
    found["no_baseline"] = _row(
        metric,
        "no_baseline",
        current_value="80" if kind == "percent" else "1",
        sample_size=20 if kind == "percent" else 1,
        no_baseline_reason=reason,
        baseline_periods_used=used,
    )
    summed = metric.measure in {"count", "sum"}
    found["no_data"] = _row(metric, "no_data", current_value="0" if summed else None, sample_size=0)
    if not summed:
        found["too_few"] = _row(metric, "too_few", sample_size=1)
    if metric.measure == "ratio":
        found["no_denominator"] = _row(metric, "no_denominator", sample_size=0)
        found["untested"] = _row(
            metric,
            "untested",
            **dict(zip(("current_value", "baseline_value", "change_abs", "change_pct"),
                       TRENDS[kind]["declining"][:4], strict=True)),
            sample_size=30,
        )  # fmt: skip
    progress = {"count": "3", "percent": "50", "currency": "900"}[kind]
    found["in_progress"] = _row(metric, "in_progress", current_value=progress, sample_size=12)
    return found


def rendered() -> list[str]:
    lines = []
    for _, loaded in sorted(load_specs().items()):
        spec = loaded.spec
        for metric in spec.metrics:
            start = dt.date(2026, 11, 23) if metric.period == "week" else dt.date(2026, 11, 1)
            for status, row in rows_of(metric).items():
                full = row | {
                    "client_key": "acme-roofing",
                    "period": metric.period,
                    "period_start": start,
                    "next_action": metric.action_template(status),
                    "is_final": status != "in_progress",
                }
                card = build_card(spec, metric, full, STATE, CellFacts(records=20), "", NOW)
                note = sentence(card, Formatter(spec.locale), metric.unit_info)
                lines.append(
                    f"{metric.key} {status}: {card.current_display} | {card.change_display} | "
                    f"{card.status_text} | {card.comparison or '-'} | {note}"
                )
    return lines


# One line per shipped metric and status: value | change | status | comparison | note sentence.
EXPECTED = Path(__file__).with_name("expected_wording.txt")


def test_every_status_of_every_shipped_metric_reads_as_expected() -> None:
    assert rendered() == EXPECTED.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    ("locale", "money", "share", "count"),
    [
        ("en_GB", "€1,536.24", "80.0%", "1,204 requests"),
        ("de_DE", "1.536,24\xa0€", "80,0\xa0%", "1.204 requests"),
    ],
)
def test_numbers_follow_the_clients_locale(locale, money, share, count) -> None:
    from decimal import Decimal

    from zartsalgo_pipelines.specs.units import unit_of

    words = Formatter(locale)
    assert words.value(Decimal("1536.24"), unit_of("EUR")) == money
    assert words.value(Decimal("80"), unit_of("percent")) == share
    assert words.value(Decimal(1204), unit_of("requests")) == count
    assert words.value(Decimal(1), unit_of("requests")) == "1 request"
    assert words.signed(Decimal(1), unit_of("requests")) == "+1 request"


def test_a_real_change_inside_the_steady_band_says_both() -> None:
    """Review of issue 19: 1,000 against 1,100 read "less than 1 time in 20: within the usual
    range": beyond chance, yet steady because it is within the 10 % band."""
    from decimal import Decimal

    from zartsalgo_pipelines.proof.wording import comparison_text

    spec = load_specs()["quote_request"].spec
    text = comparison_text(
        Formatter(spec.locale),
        spec.metrics[0],
        status="steady",
        current=Decimal(1000),
        baseline=Decimal(1100),
        against="the week before",
        p_value=0.002,
    )
    assert text == (
        "1,000 requests against 1,100 requests (the week before); a real change (less than 1 "
        "time in 100 by chance), but within 10.0%: too small to act on"
    )


def test_a_real_change_the_baselines_periods_contradict_says_so() -> None:
    """A steady card beyond chance and beyond the band is steady because the periods a
    trailing median rests on change the other way (proof/status.py); calling that "too small
    to act on" (it once read so for a cost six times higher) would be false."""
    from decimal import Decimal

    from zartsalgo_pipelines.proof.wording import comparison_text

    spec = load_specs()["quote_request"].spec
    text = comparison_text(
        Formatter(spec.locale),
        spec.metrics[0],
        status="steady",
        current=Decimal(5),
        baseline=Decimal(1),
        against="the median of the 3 weeks before",
        p_value=0.00001,
    )
    assert text == (
        "5 requests against 1 request (the median of the 3 weeks before); the periods this "
        "baseline rests on change the other way, so no trend is claimed"
    )


def test_a_rise_from_nothing_is_said_in_the_unit() -> None:
    """Review of issue 19: a rise from a zero baseline read "up -" in the next action."""
    from decimal import Decimal

    from zartsalgo_pipelines.proof.metrics import _action_values
    from zartsalgo_pipelines.proof.periods import Period

    spec = load_specs()["quote_request"].spec
    metric = spec.metrics[0]
    values = _action_values(
        spec,
        metric,
        Period("week", dt.date(2026, 11, 30)),
        Decimal(6),
        Decimal(0),
        Decimal(6),
        None,
    )
    assert metric.action_template("improving").format(**values) == (
        "6 requests in the week of 30 November 2026, up 6 requests; make sure replies go out "
        "within a day."
    )
