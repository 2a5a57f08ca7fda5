"""What a metric's period is compared with (previous period, same period last year, trailing
median, launch), the samples behind it for the test, and, when there is none, why not."""

import datetime as dt
import functools
import statistics
from dataclasses import dataclass
from decimal import Decimal

from zartsalgo_pipelines.proof.comparison import Sample
from zartsalgo_pipelines.proof.periods import Period, local_date, period_of
from zartsalgo_pipelines.proof.tallies import comparison_sample, sample_of, value_of
from zartsalgo_pipelines.proof.tally import Tally
from zartsalgo_pipelines.specs.metrics import RATE_MEASURES, MetricSpec

# Why a period has no baseline (stored in client_metrics.no_baseline_reason, told in words by
# proof/wording.py).
# Periods are computed from the client's first record, but not further back than this: a
# record dated 1900 (or 0001) must not make thousands of empty periods, and every baseline
# (a year before, a median of up to 52 periods) still finds its periods inside.
HORIZON = dt.timedelta(days=800)

FIRST_PERIOD = "first_period"
FIRST_PARTIAL = "first_partial"
BASELINE_TOO_FEW = "baseline_too_few"
MEDIAN_INCOMPLETE = "median_incomplete"
BEFORE_LAUNCH = "before_launch"
NO_LAST_YEAR = "no_last_year"


@dataclass(frozen=True)
class Reference:
    """The baseline of one period: its value, the pooled sample of the periods behind it, and
    when there is no value, the reason (one of the constants above)."""

    kind: str
    value: Decimal | None
    sample: Sample | None = None
    periods_used: int = 0
    missing: str | None = None


class History:
    """One client's tallies by period, and which of them a baseline may use."""

    def __init__(
        self, metric: MetricSpec, tallies: dict[Period, Tally], first: Period, now_at: dt.datetime
    ) -> None:
        self.metric, self.tallies, self.first, self.now_at = metric, tallies, first, now_at

    def complete(self, period: Period, zone: str) -> bool:
        return period.ends_at_utc(zone) <= self.now_at

    def tally(self, period: Period) -> Tally:
        return self.tallies.get(period, Tally())

    def partial_first(self, period: Period) -> bool:
        """The client's first period on record, when its records start after its first day:
        the client or its export began inside it, so it holds only part of a period."""
        first_day = self.tally(period).first_day
        return period == self.first and first_day is not None and first_day > period.start

    def usable(self, period: Period, zone: str) -> Decimal | None:
        """The period's value if a baseline may use it: on record, whole, finished, and for a
        rate resting on at least ``min_sample`` records."""
        if period.start < self.first.start or not self.complete(period, zone):
            return None
        if self.partial_first(period):
            return None
        tally = self.tally(period)
        if self.metric.measure in RATE_MEASURES and (
            sample_of(self.metric, tally) < self.metric.min_sample
        ):
            return None
        return value_of(self.metric, tally)

    def single(self, period: Period, zone: str, before_history: str) -> Reference:
        """A baseline of one period: its value and sample, or why it cannot be used
        (``before_history`` when the period lies before the client's first one)."""
        kind = self.metric.baseline.kind
        value = self.usable(period, zone)
        if value is not None:
            sample = comparison_sample(self.metric, self.tally(period), period)
            return Reference(kind, value, sample, 1)
        if period.start < self.first.start:
            missing = before_history
        elif self.partial_first(period):
            missing = FIRST_PARTIAL
        else:
            missing = BASELINE_TOO_FEW
        return Reference(kind, None, missing=missing)


def baseline_of(history: History, period: Period, zone: str, launch: Period | None) -> Reference:
    kind = history.metric.baseline
    if kind.kind == "previous_period":
        return history.single(period.previous(), zone, FIRST_PERIOD)
    if kind.kind == "same_period_last_year":
        return history.single(period.a_year_before(), zone, NO_LAST_YEAR)
    if kind.kind == "trailing_median":
        return _trailing_median(history, period, zone)
    if launch is None or launch.start >= period.start:
        return Reference(kind.kind, None, missing=BEFORE_LAUNCH)
    return history.single(launch, zone, BEFORE_LAUNCH)


def _trailing_median(history: History, period: Period, zone: str) -> Reference:
    wanted = history.metric.baseline.periods
    found: list[tuple[Decimal, Sample]] = []
    current = period
    for _ in range(wanted):
        current = current.previous()
        value = history.usable(current, zone)
        if value is not None:
            found.append(
                (value, comparison_sample(history.metric, history.tally(current), current))
            )
    if len(found) < wanted:
        missing = FIRST_PERIOD if not found and period == history.first else MEDIAN_INCOMPLETE
        return Reference("trailing_median", None, periods_used=len(found), missing=missing)
    median = Decimal(statistics.median(v for v, _ in found))
    # The test compares with the period(s) that make the median (the middle one, or the middle
    # two pooled), not all of them: the status then follows what the card says it compared.
    ordered = sorted(found, key=lambda item: item[0])
    middle = ordered[(wanted - 1) // 2 : wanted // 2 + 1]
    pooled = functools.reduce(lambda a, b: a + b, (s for _, s in middle))
    return Reference("trailing_median", median, pooled, len(found))


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
    oldest = period_of(metric.period, local_date(history.now_at - HORIZON, zone))
    current = max(start, oldest, key=lambda p: p.start)
    while history.complete(current, zone):
        if history.usable(current, zone) is not None:
            return current
        current = current.following()
    return None
