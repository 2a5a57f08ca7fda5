"""Which provider's metric a name means: `ad_spend`, or `ads_meta.ad_spend` when two providers
declare one key (a second ad platform starts as a copy of the first, metric keys and all)."""

import datetime as dt
from typing import ClassVar

import sqlalchemy as sa

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.proof.periods import period_of
from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.metrics import metric_row


class NotFoundError(ZartsalgoError, LookupError):
    """No such client, metric or period; the message lists what exists."""

    retryable: ClassVar[bool] = False


def find_metric(
    conn: sa.Connection, specs: list[ProviderSpec], name: str, client: str, day: dt.date
) -> tuple[ProviderSpec, MetricSpec]:
    """The metric ``name`` (`KEY` or `PROVIDER.KEY`). Of several providers declaring one key,
    the one with a value for ``client`` in the period holding ``day``; never a guess."""
    provider, _, key = name.rpartition(".")
    found = [(s, m) for s in specs for m in s.metrics if m.key == key and provider in ("", s.key)]
    if len(found) == 1:
        return found[0]
    held = [(s, m) for s, m in found if _has_value(conn, s, m, client, day)]
    if len(held) == 1:
        return held[0]
    if found:
        names = ", ".join(f"{s.key}.{key}" for s, _ in held or found)
        raise NotFoundError(f"`{key}` is a metric of several providers; name one: {names}")
    known = sorted(m.key for s in specs for m in s.metrics)
    raise NotFoundError(f"unknown metric `{name}`; known: {', '.join(known)}")


def _has_value(
    conn: sa.Connection, spec: ProviderSpec, metric: MetricSpec, client: str, day: dt.date
) -> bool:
    start = period_of(metric.period, day).start
    return metric_row(conn, spec.key, metric.key, client, start) is not None
