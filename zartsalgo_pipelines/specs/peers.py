"""The rules across providers: a ratio that reads another provider's metric names one that
exists, counts (a `count` metric: whole records), and has the same period and time zone, so the
two sides are the same client's same period. Checked when the defs folder loads
(``loading.load_specs``), every broken rule with its file, line and field path."""

from zartsalgo_pipelines.specs.errors import SpecFieldError
from zartsalgo_pipelines.specs.metrics import MetricRef
from zartsalgo_pipelines.specs.models import ProviderSpec


def peer_errors(specs: dict[str, ProviderSpec]) -> list[tuple[str, SpecFieldError]]:
    """(provider key, broken rule) for every metric side that reads another provider."""
    found = []
    for key, spec in specs.items():
        for index, metric in enumerate(spec.metrics):
            for side in ("numerator", "denominator"):
                ref = getattr(metric, side)
                if not isinstance(ref, MetricRef):
                    continue
                problem = _problem(spec, metric.period, metric.timezone, ref, specs)
                if problem is not None:
                    where = ("metrics", index, side)
                    text = f"metrics[{index}].{side} `{ref.ref}`: {problem}"
                    found.append((key, SpecFieldError(where, text)))
    return found


def _problem(
    spec: ProviderSpec,
    period: str,
    zone: str | None,
    ref: MetricRef,
    specs: dict[str, ProviderSpec],
) -> str | None:
    peer = specs.get(ref.provider)
    if peer is None or ref.provider == spec.key:
        others = sorted(k for k in specs if k != spec.key)
        return f"no other provider `{ref.provider}`; known: {others}"
    metric = next((m for m in peer.metrics if m.key == ref.metric), None)
    if metric is None:
        valid = [m.key for m in peer.metrics]
        return f"`{ref.provider}` has no metric `{ref.metric}`; valid: {valid}"
    if metric.measure != "count":
        return f"`{ref.ref}` is a {metric.measure}; a ratio's other side is a `count` metric"
    if metric.period != period:
        return f"`{ref.ref}` counts per {metric.period}, this metric per {period}: use one period"
    own, theirs = zone or spec.timezone, metric.timezone or peer.timezone
    if own != theirs:
        return f"`{ref.ref}` counts in {theirs}, this metric in {own}: use one time zone"
    return None
