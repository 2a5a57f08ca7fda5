"""The newest metric values as a small Markdown table (client_metrics' metadata)."""

from zartsalgo_pipelines.proof.formatting import Formatter
from zartsalgo_pipelines.proof.metrics import MetricCard
from zartsalgo_pipelines.specs.models import ProviderSpec


def latest_metrics_table(spec: ProviderSpec, cards: list[MetricCard], rows: int = 10) -> str:
    """Markdown of the newest value per client and metric, labelled and formatted by unit."""
    metrics = {m.key: m for m in spec.metrics}
    words = Formatter(spec.locale)
    newest: dict[tuple[str, str], MetricCard] = {}
    for card in sorted(cards, key=lambda c: c.period_start):
        newest[(card.client_key, card.metric_key)] = card
    lines = []
    for c in list(newest.values())[:rows]:
        metric = metrics[c.metric_key]
        lines.append(
            f"| {c.client_key} | {metric.label} | {c.period.label(spec.locale)} | "
            f"{words.value(c.baseline_value, metric.unit_info)} | "
            f"{words.value(c.current_value, metric.unit_info)} | {c.status} |"
        )
    return (
        "| client | metric | period | baseline | current | status |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(lines)
    )
