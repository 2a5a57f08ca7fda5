"""What a card says in words: the baseline's name, the status, the comparison behind it, why
there is no comparison, and the caveats. One place, so a card, a note, a task and `proof
explain` say the same thing the same way. Numbers come formatted from ``proof/formatting.py``.
"""

from decimal import Decimal

from zartsalgo_pipelines.proof.baselines import (
    BASELINE_TOO_FEW,
    BEFORE_LAUNCH,
    FIRST_PARTIAL,
    FIRST_PERIOD,
    MEDIAN_INCOMPLETE,
    NO_LAST_YEAR,
)
from zartsalgo_pipelines.proof.comparison import odds_text
from zartsalgo_pipelines.proof.formatting import Formatter
from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.specs.units import Unit

_PERIOD_WORD = {"day": "day", "week": "week", "month": "month"}


def baseline_label(metric: MetricSpec, kind: str) -> str:
    """`the week before`, `the same month last year`, `the median of the 3 months before`."""
    word = _PERIOD_WORD[metric.period]
    periods = metric.baseline.periods
    return {
        "previous_period": f"the {word} before",
        "same_period_last_year": f"the same {word} last year",
        "trailing_median": f"the median of the {periods} {word}s before",
        "launch": f"the launch {word}",
        "target": "the goal",
    }[kind]


def status_text(status: str, metric: MetricSpec, against: str) -> str:
    """The status as a client reads it."""
    side = "below" if metric.good_direction == "up" else "above"
    word = _PERIOD_WORD[metric.period]
    return {
        "improving": f"Better than {against}",
        "declining": f"Worse than {against}",
        "higher": f"Higher than {against}",
        "lower": f"Lower than {against}",
        "steady": f"Within the usual range of {against}",
        "on_target": "On target",
        "off_target": f"{side.capitalize()} target",
        "no_baseline": "Nothing to compare with yet",
        "no_data": "Nothing arrived",
        "too_few": "Too few counted for a rate"
        if metric.measure == "ratio"
        else "Too few records for a rate",
        "in_progress": f"This {word} is not over yet",
        "untested": f"Changed against {against}; no trend is claimed",
        "no_denominator": f"Nothing to divide by this {word}",
    }[status]


def no_baseline_text(metric: MetricSpec, reason: str | None, used: int | None) -> str:
    """Why a finished period has nothing to compare with, in the client's words."""
    word = _PERIOD_WORD[metric.period]
    wanted = metric.baseline.periods
    return {
        FIRST_PERIOD: f"This is the first {word} on record; the next one shows the trend.",
        FIRST_PARTIAL: f"The {word} before is the first on record and began part-way through: "
        "too short to compare with.",
        BASELINE_TOO_FEW: f"The {word} before had too few records for a rate to compare with.",
        MEDIAN_INCOMPLETE: f"A median of {wanted} {word}s needs {wanted} finished {word}s "
        f"with enough records before this one; {used or 0} so far.",
        NO_LAST_YEAR: f"There are no records from the same {word} last year yet.",
        BEFORE_LAUNCH: f"The launch {word} is not over yet.",
    }.get(reason or "", "There is nothing to compare with yet.")


def comparison_text(
    words: Formatter,
    metric: MetricSpec,
    *,
    status: str,
    current: Decimal | None,
    baseline: Decimal | None,
    against: str,
    p_value: float | None,
) -> str | None:
    """What the comparison was: `2 requests against 12 requests (the week before); chance
    alone gives a difference this large less than 1 time in 20`."""
    if current is None or baseline is None:
        return None
    unit = metric.unit_info
    head = f"{words.value(current, unit)} against {words.value(baseline, unit)} ({against})"
    if status == "untested":
        return f"{head}; no test of chance fits this number, so no trend is claimed"
    if p_value is None:
        return None
    odds = odds_text(p_value)
    if status != "steady":
        return f"{head}; chance alone gives a difference this large {odds}"
    if p_value < 1 - metric.confidence:
        band = Decimal(str(metric.steady_band))
        if baseline and abs(current - baseline) <= band * abs(baseline):  # real, but small
            return (
                f"{head}; a real change ({odds} by chance), but within "
                f"{words.percent(band * 100)}: too small to act on"
            )
        # proof/status.py: the periods the test compared point the other way than the baseline
        return (
            f"{head}; the periods this baseline rests on change the other way, so no trend "
            "is claimed"
        )
    return f"{head}; chance alone gives a difference this size {odds}: within the usual range"


def caveat_in_progress(metric: MetricSpec) -> str:
    return f"This {_PERIOD_WORD[metric.period]} is not over yet: the numbers so far."


def caveat_too_few(words: Formatter, sample: int, unit: Unit) -> str:
    return f"Only {words.count(sample, unit)}: too few for a reliable rate."


def caveat_no_data(metric: MetricSpec, unit: Unit) -> str:
    return f"No {unit.word('other')} arrived in the {_PERIOD_WORD[metric.period]}."


def caveat_restatable() -> str:
    return "Late records may still change this number."


def caveat_being_checked(words: Formatter, failed: float, unit: Unit, metric: MetricSpec) -> str:
    """Some rows of the period failed the checks, within the tolerance (whole rows only: a
    row spread over several periods is named in none of them)."""
    count = int(failed)
    verb = "is" if count == 1 else "are"
    return (
        f"{words.count(count, unit)} from the {_PERIOD_WORD[metric.period]} {verb} being checked "
        "and not counted yet."
    )


def caveat_no_new_data(words: Formatter, since_day: str, unit: Unit) -> str:
    return (
        f"No new {unit.word('other')} have arrived since {since_day}, longer than usual; we are "
        "checking the connection."
    )


def caveat_incident(display_name: str) -> str:
    return f"The connection to {display_name} has a problem; these numbers may be incomplete."


def caveat_provisional(display_name: str, days: int) -> str:
    """The period ends within the days the provider still restates (late conversions)."""
    last = "day" if days == 1 else f"{days} days"
    return f"{display_name} may still revise its last {last}; this number is provisional."


def caveat_sample(display_name: str) -> str:
    """A demo card from a provider's sample export (settings.demo_samples)."""
    return f"Sample data: {display_name} is not connected yet; this shows what the card will show."


def caveat_other_side(label: str, period: str) -> str:
    """A ratio whose other provider's number of the same period has a caveat about its data."""
    return f"{label}, which this number divides by, may be incomplete for this {period}."
