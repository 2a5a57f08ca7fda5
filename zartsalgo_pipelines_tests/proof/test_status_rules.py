"""Scenario: a trend is claimed only beyond chance. The tests behind the statuses reproduce
published values (R's `binom.test`, `fisher.test` and `t.test`), and whatever the numbers the
rules hold (property-based): an unfinished period is `in_progress`, a rate under `min_sample`
never gets a trend, a missing baseline never gives one, a change within chance is `steady`
whatever its size, a large drop on small numbers is reported when it is real, and every
formatted value is a readable string."""

from decimal import Decimal

import hypothesis
import hypothesis.strategies as st
import pytest

from zartsalgo_pipelines.proof.baselines import Reference
from zartsalgo_pipelines.proof.comparison import Sample, odds_text, p_value
from zartsalgo_pipelines.proof.formatting import Formatter
from zartsalgo_pipelines.proof.status import decide_status
from zartsalgo_pipelines.specs.metrics import TREND_STATUSES, MetricSpec
from zartsalgo_pipelines.specs.units import unit_of


def metric(**changes: object) -> MetricSpec:
    return MetricSpec.model_validate(
        {
            "key": "m",
            "label": "M",
            "source": "Website",
            "period": "week",
            "unit": "requests",
            "client_meaning": "What it means to the client.",
            "measure": "count",
            "time_field": "submitted_at",
            **changes,
        }
    )


COUNT = metric()
SHARE = metric(measure="share_present", field="contact_email", unit="percent", min_sample=5)
AVERAGE = metric(measure="average", field="budget_amount", unit="EUR", min_sample=2)
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def values(data: list[float]) -> Sample:
    exact = [Decimal(str(v)) for v in data]
    return Sample(len(exact), 0, len(exact), sum(exact, Decimal(0)), sum(v * v for v in exact))


@pytest.mark.parametrize(
    ("measure", "current", "baseline", "published"),
    [
        # binom.test(2, 12): two counts 2 and 10 under one rate
        (COUNT, Sample(records=2), Sample(records=10), 0.03857),
        # binom.test(c(682, 243), p = 3/4), R's own example (Conover 1971): 243 this week
        # against 682 over the three weeks before is the same test at p = 1/4
        (COUNT, Sample(records=243), Sample(records=682, exposure=3), 0.3825),
        # fisher.test(matrix(c(3, 1, 1, 3), 2)): the tea-tasting table
        (SHARE, Sample(records=4, part=3), Sample(records=4, part=1), 0.4857),
        # t.test(extra ~ group, data = sleep): Welch's test, t = -1.8608, df = 17.776
        (AVERAGE, values(SLEEP_1), values(SLEEP_2), 0.07939),
    ],
)
def test_the_tests_reproduce_published_values(measure, current, baseline, published) -> None:
    assert p_value(measure, current, baseline) == pytest.approx(published, abs=5e-5)


def test_five_of_seven_against_six_of_six_is_within_chance() -> None:
    """Issue 19: a share over 7 requests was `declining` with advice to change the form."""
    judged = decide_status(
        SHARE,
        complete=True,
        sample=7,
        current=Decimal(100) * 5 / 7,
        current_sample=Sample(records=7, part=5),
        reference=Reference("previous_period", Decimal(100), Sample(records=6, part=6), 1),
        change_pct=Decimal("-28.57"),
    )
    assert judged.status == "steady" and judged.p_value == pytest.approx(0.4615, abs=1e-4)


def test_a_drop_from_ten_to_two_is_reported() -> None:
    """Issue 19: 10 to 2 was "too few to compare", though it is beyond chance."""
    judged = decide_status(
        COUNT,
        complete=True,
        sample=2,
        current=Decimal(2),
        current_sample=Sample(records=2),
        reference=Reference("previous_period", Decimal(12), Sample(records=12), 1),
        change_pct=Decimal("-83.3"),
    )
    assert judged.status == "declining"
    assert judged.p_value is not None and judged.p_value < 0.05
    assert odds_text(judged.p_value) == "less than 1 time in 20"


counts = st.integers(0, 400)


@hypothesis.given(
    complete=st.booleans(),
    current=counts,
    baseline=st.none() | counts,
    rate=st.booleans(),
)
def test_status_rules_hold(complete: bool, current: int, baseline: int | None, rate: bool) -> None:
    measure = SHARE if rate else COUNT
    present = current // 2
    value = (Decimal(100) * present / current if current else None) if rate else Decimal(current)
    if rate and current < measure.min_sample:
        value = None
    reference = Reference("previous_period", None)
    if baseline is not None:
        ref_value = Decimal(100) * (baseline // 3) / baseline if rate and baseline else None
        reference = Reference(
            "previous_period",
            ref_value if rate else Decimal(baseline),
            Sample(records=baseline, part=baseline // 3),
            1,
        )
    change_pct = None
    if value is not None and reference.value:
        change_pct = 100 * (value - reference.value) / reference.value
    judged = decide_status(
        measure,
        complete=complete,
        sample=current,
        current=value,
        current_sample=Sample(records=current, part=present),
        reference=reference,
        change_pct=change_pct,
    )
    if not complete:
        assert judged.status == "in_progress"
    if rate and current < measure.min_sample:
        assert judged.status not in TREND_STATUSES
    if value is None or reference.value is None:
        assert judged.status not in TREND_STATUSES
    if judged.status in {"improving", "declining"}:
        assert judged.p_value is not None and judged.p_value < 1 - measure.confidence


amounts = st.none() | st.decimals(
    min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False
)


@hypothesis.given(
    value=amounts,
    unit=st.sampled_from(["percent", "EUR", "requests", "deals", "CHF"]),
    locale=st.sampled_from(["en_GB", "de_DE", "fr_FR"]),
)
def test_formatted_values_are_readable(value: Decimal | None, unit: str, locale: str) -> None:
    words, kind = Formatter(locale), unit_of(unit)
    for text in (words.value(value, kind), words.change(value, value, kind)):
        assert "nan" not in text.lower() and "inf" not in text.lower() and text
        assert "+-" not in text and "--" not in text and "None" not in text


def test_a_trailing_median_trend_goes_the_way_its_test_says() -> None:
    """Review of issue 19: weeks of 1, 1 and 100 (median 1, pooled mean 34) and 5 now read
    "improving" with p = 3.5e-8, a test of 5 against the pooled 34 a week."""
    median = metric(baseline={"kind": "trailing_median", "periods": 3})
    pooled = Sample(records=1, exposure=7) + Sample(records=1, exposure=7)
    pooled += Sample(records=100, exposure=7)
    judged = decide_status(
        median,
        complete=True,
        sample=5,
        current=Decimal(5),
        current_sample=Sample(records=5, exposure=7),
        reference=Reference("trailing_median", Decimal(1), pooled, 3),
        change_pct=Decimal(400),
    )
    assert judged.status == "steady"  # the test's side (below 34) is not the card's (above 1)


def test_months_are_compared_by_their_rate_not_their_length() -> None:
    """100 requests a day: 2,800 in February against 3,100 in January is the same rate."""
    monthly = metric(period="month")
    judged = decide_status(
        monthly,
        complete=True,
        sample=2800,
        current=Decimal(2800),
        current_sample=Sample(records=2800, exposure=28),
        reference=Reference("previous_period", Decimal(3100), Sample(3100, exposure=31), 1),
        change_pct=Decimal("-9.68"),
    )
    assert judged.status == "steady" and judged.p_value == pytest.approx(1.0, abs=0.05)


def test_a_ratio_whose_count_fell_reads_worse() -> None:
    """The demo's nordlicht: the same spend (1,441 EUR against 1,429 EUR) for 2 quote requests
    against 12 is a cost per request six times higher, and worse; the test compares the counts
    at their spend, and its side (fewer requests per euro) is the card's (a higher cost)."""
    per_request = metric(
        measure="ratio",
        numerator="measures.spend",
        denominator="measures.requests",
        unit="EUR",
        good_direction="down",
        min_sample=2,
    )

    def side(spend: str, requests: int) -> Sample:
        money = Decimal(spend)
        return Sample(
            total=money, denominator=Decimal(requests), count=requests, count_exposure=money
        )

    current, baseline = side("1441.40", 2), side("1428.84", 12)
    judged = decide_status(
        per_request,
        complete=True,
        sample=2,
        current=Decimal("720.70"),
        current_sample=current,
        reference=Reference("previous_period", Decimal("119.07"), baseline, 1),
        change_pct=Decimal("505.3"),
    )
    assert judged.status == "declining"
    assert judged.p_value == pytest.approx(p_value(per_request, current, baseline))
