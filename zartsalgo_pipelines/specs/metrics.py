"""Client metric declarations: what is counted, against which baseline, in which time zone,
and what the client is told for each status. Validated once at load; the proof code trusts it.
"""

import datetime as dt
import string
from typing import Annotated, Literal

import pydantic

from zartsalgo_pipelines.specs.facts import TargetName
from zartsalgo_pipelines.specs.types import Frozen, Identifier, check_timezone
from zartsalgo_pipelines.specs.units import Unit, UnitForms, UnitWord, unit_of

Surface = Literal["portal_card", "report_note", "admin_task", "incident_alert"]
Measure = Literal["count", "share_present", "share_matching", "sum", "average", "ratio"]
BaselineKind = Literal["previous_period", "same_period_last_year", "trailing_median", "launch"]
MetricStatus = Literal[
    "improving",
    "declining",
    "steady",
    "on_target",
    "off_target",
    "no_baseline",
    "no_data",
    "too_few",
    "in_progress",
    "higher",
    "lower",
    "untested",
    "no_denominator",
]
TREND_STATUSES = frozenset(
    {"improving", "declining", "steady", "on_target", "off_target", "higher", "lower"}
)
RATE_MEASURES = frozenset({"share_present", "share_matching", "average", "ratio"})
SHARE_MEASURES = frozenset({"share_present", "share_matching"})
PLACEHOLDERS = frozenset({"current", "baseline", "change_pct", "period"})

DEFAULT_NEXT_ACTIONS: dict[str, str] = {
    "improving": "Keep the current approach; we will confirm the trend next period.",
    "declining": "We will review the source with you and suggest a fix.",
    "steady": "No action needed; we keep watching.",
    "on_target": "On target; we keep the current approach.",
    "off_target": "Off the goal; we will review what holds it back with you.",
    "no_baseline": "We are collecting a first period to compare against.",
    "no_data": "Nothing arrived in this period; we keep watching the source.",
    "too_few": "Too few records for a reliable comparison; we wait for more.",
    "in_progress": "This period is not finished yet; the comparison follows when it ends.",
    "higher": "Higher than before, beyond the usual ups and downs; we will tell you why.",
    "lower": "Lower than before, beyond the usual ups and downs; we will tell you why.",
    "untested": "We show the change without calling it a trend: no test of chance fits this "
    "number.",
    "no_denominator": "Nothing was counted to divide by this period, so there is no rate to "
    "show; we keep watching.",
}


def _check_template(text: str) -> str:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise ValueError(f"not a valid template ({error}); use {{current}} style") from None
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        raise ValueError(
            f"unknown placeholder {', '.join('{' + n + '}' for n in unknown)}; "
            f"valid: {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))}"
        )
    return text


ActionTemplate = Annotated[
    str,
    pydantic.StringConstraints(min_length=3, max_length=300),
    pydantic.AfterValidator(_check_template),
]


class MetricFilter(Frozen):
    """Only records matching this condition are measured (e.g. `stage in [won]`)."""

    field: TargetName
    values: list[str] | None = pydantic.Field(None, min_length=1, description="Field is one of.")
    present: bool | None = pydantic.Field(None, description="true: field set; false: unset.")

    @pydantic.model_validator(mode="after")
    def _one_condition(self) -> "MetricFilter":
        if (self.values is None) == (self.present is None):
            raise ValueError(f"filter on `{self.field}`: give exactly one of `values`, `present`")
        return self


class MetricRef(Frozen):
    """A count metric of another provider, for the same client and period (the quote requests
    an ad spend is divided by)."""

    provider: Identifier = pydantic.Field(description="The other provider's key.")
    metric: Identifier = pydantic.Field(description="Its metric: a `count` with the same period.")

    @property
    def ref(self) -> str:
        return f"{self.provider}.{self.metric}"


RatioSide = TargetName | MetricRef


class BaselineSpec(Frozen):
    """What the current period is compared with; the card names it."""

    kind: BaselineKind = "previous_period"
    periods: pydantic.PositiveInt = pydantic.Field(
        4, le=52, description="trailing_median: the median of this many previous periods."
    )
    launch_period: dt.date | None = pydantic.Field(
        None,
        description="launch: a date inside the period to compare with; default the first "
        "complete period after the provider went live.",
    )


class MetricSpec(Frozen):
    """A client metric; tracked only because source, period, unit and meaning are declared."""

    key: Identifier
    label: str = pydantic.Field(min_length=1, max_length=80)
    source: str = pydantic.Field(min_length=3, description="Where the number comes from.")
    period: Literal["day", "week", "month"]
    unit: Annotated[str, pydantic.StringConstraints(min_length=1, max_length=40)] | UnitForms = (
        pydantic.Field(
            description="`percent` (shares), an ISO currency code (money), or what is counted: a "
            "plural word (`requests`; the singular is derived for English) or its forms per "
            "plural category (`{one: request, other: requests}`)."
        )
    )
    client_meaning: str = pydantic.Field(min_length=10, description="What it means to the client.")
    measure: Measure
    field: TargetName | None = pydantic.Field(
        None, description="Target field (not for count and ratio); a measure `measures.spend`."
    )
    numerator: RatioSide | None = pydantic.Field(
        None,
        description="ratio: summed over the period, a measure (`measures.spend`) or a count "
        "metric of another provider (`{provider: quote_request, metric: requests_received}`).",
    )
    denominator: RatioSide | None = pydantic.Field(
        None, description="ratio: what the numerator is divided by (as `numerator`)."
    )
    sample_unit: UnitWord | UnitForms | None = pydantic.Field(
        None,
        description="ratio: what its denominator counts, as a card says it (`Only 3 "
        "requests: too few`); default the denominator measure's unit, else `records`.",
    )
    matching: list[str] | None = pydantic.Field(
        None, min_length=1, description="share_matching: values of `field` that count."
    )
    filter: MetricFilter | None = None
    time_field: Identifier = pydantic.Field(
        description="Date/datetime target that sets the period."
    )
    timezone: str | None = pydantic.Field(
        None, description="IANA zone of the periods; default the provider's `timezone`."
    )
    baseline: BaselineSpec = BaselineSpec()
    target: float | None = pydantic.Field(
        None, description="A goal value; the status is then on_target / off_target."
    )
    min_sample: int = pydantic.Field(
        10,
        ge=1,
        description="Rates only (shares, averages): fewer records than this show the count, no "
        "rate, status too_few. Counts and sums are judged by a test at any size.",
    )
    confidence: float = pydantic.Field(
        0.95,
        ge=0.5,
        le=0.999,
        description="A change is a trend only when chance explains it less often than "
        "1 - confidence (docs/client_proof.md, statistics).",
    )
    steady_band: float = pydantic.Field(
        0.05,
        ge=0,
        le=1,
        description="A change within this share of the baseline is steady even when it is "
        "beyond chance (too small to matter).",
    )
    restate_days: int = pydantic.Field(
        7, ge=0, le=366, description="Periods that ended within this many days are recomputed."
    )
    task_decline: float = pydantic.Field(
        0.2, gt=0, le=1, description="A decline beyond this share opens an admin task."
    )
    task_due_days: pydantic.PositiveInt = pydantic.Field(2, le=60)
    surface: Surface = "portal_card"
    good_direction: Literal["up", "down", "neutral"] = pydantic.Field(
        "up",
        description="Which way is better; `neutral` (e.g. spend) reports higher / lower "
        "without calling it better or worse.",
    )
    next_actions: dict[MetricStatus, ActionTemplate] = pydantic.Field(
        {},
        description="Client-facing next action per status; unset ones use a neutral default. "
        "May use {current}, {baseline}, {change_pct}, {period}.",
    )

    @pydantic.field_validator("timezone", mode="after")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)

    @pydantic.model_validator(mode="after")
    def _needs_field(self) -> "MetricSpec":
        self._ratio_rules()
        if self.measure not in {"count", "ratio"} and not self.field:
            raise ValueError(f"metric `{self.key}`: measure {self.measure} needs `field`")
        if (self.measure == "share_matching") != (self.matching is not None):
            raise ValueError(f"metric `{self.key}`: `matching` goes with measure share_matching")
        if self.baseline.kind != "launch" and self.baseline.launch_period is not None:
            raise ValueError(f"metric `{self.key}`: launch_period goes with baseline kind launch")
        default_sample = type(self).model_fields["min_sample"].default
        if self.measure not in RATE_MEASURES and self.min_sample != default_sample:
            raise ValueError(
                f"metric `{self.key}`: min_sample applies to rates (share_present, "
                f"share_matching, average); a {self.measure} is judged by a test at any size, "
                "so remove min_sample"
            )
        kind = self.unit_info.kind
        if self.measure == "ratio":
            pass  # a ratio may be money per thing, a percent or a plain quotient (consistency)
        elif (kind == "percent") != (self.measure in SHARE_MEASURES):
            raise ValueError(
                f"metric `{self.key}`: unit `percent` goes with share_present and "
                f"share_matching; a {self.measure} needs "
                + ("a counted word or a currency" if kind == "percent" else "unit `percent`")
            )
        if kind == "currency" and self.measure not in {"sum", "average", "ratio"}:
            raise ValueError(
                f"metric `{self.key}`: a currency unit goes with sum, average or ratio, not "
                f"{self.measure}"
            )
        if self.target is not None and self.good_direction == "neutral":
            raise ValueError(f"metric `{self.key}`: a target needs good_direction up or down")
        return self

    def _ratio_rules(self) -> None:
        sides = (self.numerator, self.denominator)
        if self.measure != "ratio":
            if any(side is not None for side in (*sides, self.sample_unit)):
                raise ValueError(
                    f"metric `{self.key}`: numerator, denominator and sample_unit go with "
                    "measure ratio"
                )
            return
        if any(side is None for side in sides) or self.field is not None:
            raise ValueError(
                f"metric `{self.key}`: a ratio takes `numerator` and `denominator`, not `field`"
            )
        if all(isinstance(side, MetricRef) for side in sides):
            raise ValueError(
                f"metric `{self.key}`: at most one side of a ratio is another provider's metric"
            )

    @property
    def peer(self) -> MetricRef | None:
        """The other provider's metric a ratio reads, if any."""
        return next(
            (s for s in (self.numerator, self.denominator) if isinstance(s, MetricRef)), None
        )

    @property
    def unit_info(self) -> Unit:
        """The unit as the proof formats it: its kind, its code and its plural forms."""
        return unit_of(self.unit)

    @property
    def unit_name(self) -> str:
        """The unit as stored beside each value: `percent`, `EUR` or the plural word."""
        return self.unit_info.name

    def action_template(self, status: str) -> str:
        """The declared next action of ``status``, else the documented default."""
        return self.next_actions.get(status, DEFAULT_NEXT_ACTIONS[status])  # type: ignore[call-overload]
