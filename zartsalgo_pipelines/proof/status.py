"""A metric card's status from its value and reference, and the next action it names."""

from decimal import Decimal

from zartsalgo_pipelines.proof.tallies import HUNDRED
from zartsalgo_pipelines.specs.metrics import MetricSpec


def decide_status(
    metric: MetricSpec,
    *,
    complete: bool,
    sample: int,
    current: Decimal | None,
    reference: Decimal | None,
    change_pct: Decimal | None,
) -> str:
    """The card's status; the precedence is documented in docs/provider_spec.md."""
    if not complete:
        return "in_progress"
    if sample == 0:
        return "no_data"
    if sample < metric.min_sample:
        return "too_few"
    if current is None or reference is None:
        return "no_baseline"
    up = metric.good_direction == "up"
    if metric.target is not None:
        return (
            "on_target" if (current >= reference if up else current <= reference) else "off_target"
        )
    if change_pct is None:  # the baseline is zero: no percentage, the direction still counts
        if current == reference:
            return "steady"
        better = current > reference if up else current < reference
    else:
        if abs(change_pct) <= Decimal(str(metric.steady_band)) * HUNDRED:
            return "steady"
        better = change_pct > 0 if up else change_pct < 0
    return "improving" if better else "declining"


def render_action(metric: MetricSpec, status: str, values: dict[str, str]) -> str:
    """The status's next action with {current}, {baseline}, {change_pct}, {period} filled."""
    return metric.action_template(status).format(**values)
