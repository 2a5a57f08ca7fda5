"""A metric card's status from its value, its baseline and the test that fits it, and the next
action the status names."""

from dataclasses import dataclass
from decimal import Decimal

from zartsalgo_pipelines.proof.baselines import Reference
from zartsalgo_pipelines.proof.comparison import Sample, beyond_chance, p_value
from zartsalgo_pipelines.proof.tallies import HUNDRED
from zartsalgo_pipelines.specs.metrics import RATE_MEASURES, MetricSpec


@dataclass(frozen=True)
class Judgement:
    status: str
    p_value: float | None = None  # of the test behind a trend status (None: no test ran)


def decide_status(
    metric: MetricSpec,
    *,
    complete: bool,
    sample: int,
    current: Decimal | None,
    current_sample: Sample,
    reference: Reference,
    change_pct: Decimal | None,
) -> Judgement:
    """The card's status; the precedence is documented in docs/provider_spec.md."""
    if not complete:
        return Judgement("in_progress")
    if metric.measure == "ratio" and not current_sample.denominator:
        # Nothing to divide by: said in words, never Infinity.
        return Judgement("no_data" if not current_sample.total else "no_denominator")
    if sample == 0 and metric.measure != "ratio":
        return Judgement("no_data")
    if metric.measure in RATE_MEASURES and sample < metric.min_sample:
        return Judgement("too_few")
    if current is None or reference.value is None:
        return Judgement("no_baseline")
    if metric.target is not None:
        up = metric.good_direction == "up"
        met = current >= reference.value if up else current <= reference.value
        return Judgement("on_target" if met else "off_target")
    chance = None if reference.sample is None else p_value(metric, current_sample, reference.sample)
    if metric.measure == "ratio" and chance is None and current != reference.value:
        return Judgement("untested")  # no test fits: the change is shown, no trend claimed
    if current == reference.value or not beyond_chance(metric, chance):
        return Judgement("steady", chance)
    if change_pct is not None and abs(change_pct) <= Decimal(str(metric.steady_band)) * HUNDRED:
        return Judgement("steady", chance)  # real, but too small to act on
    higher = current > reference.value
    if reference.sample is not None and higher != _above(metric, current_sample, reference.sample):
        return Judgement("steady", chance)  # the test's side disagrees with the card's baseline
    if metric.good_direction == "neutral":
        return Judgement("higher" if higher else "lower", chance)
    better = higher if metric.good_direction == "up" else not higher
    return Judgement("improving" if better else "declining", chance)


def _above(metric: MetricSpec, current: Sample, baseline: Sample) -> bool:
    """Whether the current sample lies above the baseline sample the test compared it with."""
    if metric.measure == "count":
        return current.records * baseline.exposure > baseline.records * current.exposure
    if metric.measure == "sum":
        return current.total * Decimal(baseline.exposure) > baseline.total * Decimal(
            current.exposure
        )
    if metric.measure == "average":
        return current.total * baseline.values > baseline.total * current.values
    if metric.measure == "ratio":
        return current.total * baseline.denominator > baseline.total * current.denominator
    return current.part * baseline.records > baseline.part * current.records


def render_action(metric: MetricSpec, status: str, values: dict[str, str]) -> str:
    """The status's next action with {current}, {baseline}, {change_pct}, {period} filled."""
    return metric.action_template(status).format(**values)
