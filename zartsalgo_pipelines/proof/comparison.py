"""Is a change beyond chance? The test that fits each measure, at the metric's confidence.

- **count**: the current count against the baseline period(s) as two Poisson counts, compared
  exactly by conditioning on their sum (the binomial test of Przyborowski and Wilenski, 1940):
  with each side's exposure (its days: a February is shorter than a January; a baseline pooled
  over k periods is k times as long), the current count is Binomial(x + y, e1 / (e1 + e2))
  when the rate did not change.
- **share_present / share_matching**: the current a of n against the baseline's b of m,
  Fisher's exact test of the 2 x 2 table.
- **average**: Welch's t-test from the two samples' means and standard deviations.
- **sum**: the totals of two compound Poisson processes, a normal approximation whose variance
  is estimated by the sums of squared values (each total's variance is its rate times the mean
  squared value).
- **sum of a reporting provider's facts** (ad spend): Welch's t-test of the two periods' daily
  totals. A report row is already an aggregate (a campaign's day), not an event whose number
  varies by chance: the day is what varies, so the days are the sample (``per_day``).
- **ratio** with a whole count on one side (cost per click, cost per quote request, a
  click-through rate): the two periods' counts compared exactly given their exposures (the
  other side: spend, impressions), the binomial test with p = e1 / (e1 + e2), as for counts.
  With no whole count on either side (cost per attributed conversion) no test fits: None.

All two-sided. A change is a trend only when its p-value is below ``1 - confidence`` *and* it is
larger than the metric's ``steady_band``; otherwise it is ``steady``, "within the usual range".
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from zartsalgo_pipelines.specs.metrics import SHARE_MEASURES, MetricSpec


@dataclass(frozen=True)
class Sample:
    """What a test needs of one side: records, the matching part of them, and the measured
    field's count of values, sum and sum of squares. ``exposure`` is how long it is (days; a
    pooled baseline adds its periods' days)."""

    records: int = 0
    part: int = 0
    values: int = 0
    total: Decimal = Decimal(0)
    squares: Decimal = Decimal(0)
    exposure: float = 1.0
    # A ratio: what the total is divided by, and where a test fits, the whole count and the
    # exposure that count is compared at (the other side: spend, impressions; not the days
    # above). proof/fact_tallies.py decides which side is which.
    denominator: Decimal = Decimal(0)
    count: int | None = None
    count_exposure: Decimal | None = None
    # A sum whose values are daily totals (``values`` days, ``squares`` their squares).
    per_day: bool = False

    def __add__(self, other: "Sample") -> "Sample":
        return Sample(
            self.records + other.records,
            self.part + other.part,
            self.values + other.values,
            self.total + other.total,
            self.squares + other.squares,
            self.exposure + other.exposure,
            self.denominator + other.denominator,
            None if self.count is None or other.count is None else self.count + other.count,
            None
            if self.count_exposure is None or other.count_exposure is None
            else self.count_exposure + other.count_exposure,
            self.per_day and other.per_day,
        )


def p_value(metric: MetricSpec, current: Sample, baseline: Sample) -> float | None:
    """The two-sided p-value of the change, or None when the test cannot be formed."""
    # scipy (and numpy under it) load when a test runs: `zartsalgo proof --help` stays light.
    from scipy import stats

    if metric.measure == "count":
        n = current.records + baseline.records
        if n == 0:
            return None
        share = current.exposure / (current.exposure + baseline.exposure)
        return float(stats.binomtest(current.records, n, share).pvalue)
    if metric.measure in SHARE_MEASURES:
        if current.records == 0 or baseline.records == 0:
            return None
        table = [
            [current.part, current.records - current.part],
            [baseline.part, baseline.records - baseline.part],
        ]
        return float(stats.fisher_exact(table).pvalue)
    if metric.measure == "average" or (current.per_day and baseline.per_day):
        return _welch(current, baseline)
    if metric.measure == "ratio":
        return _count_per_exposure(current, baseline)
    return _compound_poisson(current, baseline)


def _count_per_exposure(current: Sample, baseline: Sample) -> float | None:
    """Two periods' counts given their exposures: when the rate per unit of exposure did not
    change, the current count is Binomial(both counts, its share of the exposure)."""
    from scipy import stats

    if current.count is None or baseline.count is None:
        return None
    mine, theirs = current.count_exposure, baseline.count_exposure
    if mine is None or theirs is None or mine <= 0 or theirs <= 0:
        return None
    n = current.count + baseline.count
    if n == 0:
        return None
    share = float(mine / (mine + theirs))
    return float(stats.binomtest(current.count, n, share).pvalue)


def _spread(sample: Sample) -> tuple[float, float]:
    mean = float(sample.total) / sample.values
    variance = (float(sample.squares) - sample.values * mean * mean) / (sample.values - 1)
    return mean, math.sqrt(max(variance, 0.0))


def _welch(current: Sample, baseline: Sample) -> float | None:
    from scipy import stats

    if current.values < 2 or baseline.values < 2:
        return None
    mean_a, sd_a = _spread(current)
    mean_b, sd_b = _spread(baseline)
    if sd_a == 0 and sd_b == 0:
        return 1.0 if mean_a == mean_b else 0.0
    result = stats.ttest_ind_from_stats(
        mean_a, sd_a, current.values, mean_b, sd_b, baseline.values, equal_var=False
    )
    return float(result.pvalue)


def _compound_poisson(current: Sample, baseline: Sample) -> float | None:
    from scipy import stats

    k = baseline.exposure / current.exposure  # the baseline's length in current periods
    variance = float(current.squares) + float(baseline.squares) / (k * k)
    if variance <= 0:
        return None if float(current.total) == float(baseline.total) / k else 0.0
    z = (float(current.total) - float(baseline.total) / k) / math.sqrt(variance)
    return float(2 * stats.norm.sf(abs(z)))


def beyond_chance(metric: MetricSpec, p: float | None) -> bool:
    return p is not None and p < 1 - metric.confidence


def odds_text(p: float) -> str:
    """How often chance alone gives a difference this large, in words a client can repeat:
    `less than 1 time in 100`, `about 1 time in 3`."""
    for bound in (1000, 100, 20):
        if p < 1 / bound:
            return f"less than 1 time in {bound:,}"
    if p >= 0.5:
        return "more often than not"
    return f"about 1 time in {round(1 / p)}"
