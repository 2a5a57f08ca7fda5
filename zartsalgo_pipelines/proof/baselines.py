"""What a metric's period is compared with: previous period, last year, trailing median, launch."""

import datetime as dt
import statistics
from decimal import Decimal

from zartsalgo_pipelines.proof.periods import Period, local_date, period_of
from zartsalgo_pipelines.proof.tallies import Tally, sample_of, value_of
from zartsalgo_pipelines.specs.metrics import RATE_MEASURES, MetricSpec


class History:
    """One client's usable values by period: complete periods with enough records."""

    def __init__(
        self, metric: MetricSpec, tallies: dict[Period, Tally], first: Period, now_at: dt.datetime
    ) -> None:
        self.metric, self.tallies, self.first, self.now_at = metric, tallies, first, now_at

    def complete(self, period: Period, zone: str) -> bool:
        return period.ends_at_utc(zone) <= self.now_at

    def usable(self, period: Period, zone: str) -> Decimal | None:
        if period.start < self.first.start or not self.complete(period, zone):
            return None
        tally = self.tallies.get(period, Tally())
        if self.metric.measure in RATE_MEASURES and sample_of(self.metric, tally) < (
            self.metric.min_sample
        ):
            return None  # a rate over too few records is no baseline either
        return value_of(self.metric, tally)


def baseline_of(
    history: History, period: Period, zone: str, launch: Period | None
) -> Decimal | None:
    kind = history.metric.baseline
    if kind.kind == "previous_period":
        return history.usable(period.previous(), zone)
    if kind.kind == "same_period_last_year":
        return history.usable(period.a_year_before(), zone)
    if kind.kind == "trailing_median":
        values, current = [], period
        for _ in range(kind.periods):
            current = current.previous()
            values.append(history.usable(current, zone))
        known = [v for v in values if v is not None]
        return Decimal(statistics.median(known)) if len(known) == kind.periods else None
    if launch is None or launch.start >= period.start:
        return None
    return history.usable(launch, zone)


def launch_period(
    metric: MetricSpec, history: History, zone: str, live_since: dt.datetime | None
) -> Period | None:
    if metric.baseline.kind != "launch":
        return None
    if metric.baseline.launch_period is not None:
        return period_of(metric.period, metric.baseline.launch_period)
    start = history.first
    if live_since is not None:
        start = max(
            start,
            period_of(metric.period, local_date(live_since, zone)).following(),
            key=lambda p: p.start,
        )
    current = start
    while history.complete(current, zone):
        if history.usable(current, zone) is not None:
            return current
        current = current.following()
    return None
