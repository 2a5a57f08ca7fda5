"""Scenario (property-based): whatever the numbers, the status rules hold: an unfinished period
is `in_progress`, a sample under `min_sample` never gets a trend, a zero or missing baseline
never gives NaN or Infinity, and every formatted value is a readable string."""

from decimal import Decimal

import hypothesis
import hypothesis.strategies as st

from zartsalgo_pipelines.proof.formatting import format_change, format_value
from zartsalgo_pipelines.proof.metrics import decide_status
from zartsalgo_pipelines.specs.metrics import TREND_STATUSES, MetricSpec

METRIC = MetricSpec.model_validate(
    {
        "key": "m",
        "label": "M",
        "source": "Website",
        "period": "week",
        "unit": "requests",
        "client_meaning": "What it means to the client.",
        "measure": "count",
        "time_field": "submitted_at",
        "min_sample": 10,
    }
)
values = st.none() | st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False)


@hypothesis.given(
    complete=st.booleans(),
    sample=st.integers(0, 10_000),
    current=values,
    reference=values,
    change_pct=values,
)
def test_status_rules_hold(complete, sample, current, reference, change_pct) -> None:
    status = decide_status(
        METRIC,
        complete=complete,
        sample=sample,
        current=current,
        reference=reference,
        change_pct=change_pct,
    )
    if not complete:
        assert status == "in_progress"
    if sample < METRIC.min_sample:
        assert status not in TREND_STATUSES
    if current is None or reference is None:
        assert status not in TREND_STATUSES


@hypothesis.given(value=values, unit=st.sampled_from(["percent", "EUR", "requests", "deals"]))
def test_formatted_values_are_readable(value: Decimal | None, unit: str) -> None:
    for text in (format_value(value, unit), format_change(value, value, unit)):
        assert "nan" not in text.lower() and "inf" not in text.lower() and text
