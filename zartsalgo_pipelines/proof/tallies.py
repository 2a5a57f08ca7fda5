"""One client's records per period of a metric, tallied from the database's 15-minute buckets."""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

import sqlalchemy as sa

from zartsalgo_pipelines.proof.comparison import Sample
from zartsalgo_pipelines.proof.fact_tallies import fact_tally_periods
from zartsalgo_pipelines.proof.periods import Period, local_date, period_of
from zartsalgo_pipelines.proof.tally import Tally
from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.buckets import metric_buckets
from zartsalgo_pipelines.tables import RECORD_MODELS, table_of

HUNDRED = Decimal(100)


def tally_periods(
    conn: sa.Connection,
    spec: ProviderSpec,
    metric: MetricSpec,
    zone: str,
    until: dt.datetime | None = None,
    peers: Mapping[str, ProviderSpec] | None = None,
    clients: frozenset[str] | None = None,
) -> dict[str, dict[Period, Tally]]:
    """Per client (of ``clients`` only, if given), per period of ``metric``: its records'
    tally (up to ``until``, if given). A reporting provider's facts are tallied by
    ``proof/fact_tallies.py`` (``peers``: the providers a cross-provider ratio reads)."""
    if spec.reports_facts:  # a ratio's peer is tallied by this function again
        return fact_tally_periods(
            conn, spec, metric, zone, until, peers or {}, tally_periods, clients
        )
    table = table_of(RECORD_MODELS[spec.object_type])
    entry = spec.field(metric.time_field)
    is_date = entry is not None and entry.type == "date"
    found: dict[str, dict[Period, Tally]] = defaultdict(dict)
    for bucket in metric_buckets(conn, table, spec.key, metric, is_date, until, clients):
        if is_date:
            day = dt.date.fromisoformat(bucket.slot[:10])
        else:
            day = local_date(dt.datetime.fromisoformat(bucket.slot), zone)
        tally = found[bucket.client_key].setdefault(period_of(metric.period, day), Tally())
        tally.records += bucket.records
        tally.present += bucket.present
        tally.matching += bucket.matching
        tally.total += bucket.total or 0
        tally.squares += bucket.squares or 0
        tally.values += bucket.values
        tally.first_day = day if tally.first_day is None else min(tally.first_day, day)
        tally.batch_ids += [b for b in (bucket.first_batch_id, bucket.last_batch_id) if b]
    return found


def value_of(metric: MetricSpec, tally: Tally) -> Decimal | None:
    """The measured value, or None where there is nothing to divide by."""
    if metric.measure == "count":
        return Decimal(tally.records)
    if metric.measure == "sum":
        return tally.total
    if metric.measure == "average":
        return tally.total / tally.values if tally.values else None
    if metric.measure == "ratio":
        if not tally.denominator:
            return None  # nothing to divide by: a status in words, never Infinity
        scale = HUNDRED if metric.unit_info.kind == "percent" else 1
        return scale * tally.total / tally.denominator
    part = tally.present if metric.measure == "share_present" else tally.matching
    return HUNDRED * part / tally.records if tally.records else None


def sample_of(metric: MetricSpec, tally: Tally) -> int:
    """The records a value rests on (for an average: the records with a value; for a ratio:
    what it divides by, in whole units)."""
    if metric.measure == "ratio":
        return int(tally.denominator)
    return tally.values if metric.measure == "average" else tally.records


def comparison_sample(metric: MetricSpec, tally: Tally, period: Period) -> Sample:
    """One period's tally as one side of a test (``proof/comparison.py``), its exposure the
    period's days."""
    part = tally.present if metric.measure == "share_present" else tally.matching
    return Sample(
        tally.records,
        part,
        tally.values,
        tally.total,
        tally.squares,
        exposure=(period.end - period.start).days + 1,
        denominator=tally.denominator,
        count=tally.count,
        count_exposure=tally.count_exposure,
        per_day=tally.per_day,
    )


def every_record(metric: MetricSpec) -> MetricSpec:
    """The metric counting every record of its periods (no filter): what a period holds."""
    return metric.model_copy(
        update={
            "measure": "count",
            "field": None,
            "filter": None,
            "matching": None,
            "numerator": None,
            "denominator": None,
        }
    )
