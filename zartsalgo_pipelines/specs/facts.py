"""The `facts:` block of a reporting provider (`object_type: metric_fact`): the grain, how many
recent days the provider may still restate, the dimensions and the measures it reports.

Declared here and nowhere else: a new ad platform, measure or dimension needs no Python and no
migration. Which targets a field map may then fill is read off ``tables/facts.py``.
"""

from typing import Annotated, Literal

import pydantic

from zartsalgo_pipelines.specs.types import Frozen, Identifier
from zartsalgo_pipelines.specs.units import Unit, UnitForms, UnitWord, unit_of

FACT_OBJECT_TYPE = "metric_fact"
# A field map target: a column of the record (`status`), or a declared dimension or measure of
# a metric_fact provider (`dimensions.campaign`, `measures.spend`).
TargetName = Annotated[
    str,
    pydantic.StringConstraints(
        pattern=r"^([a-z][a-z0-9_]{0,62}|(dimensions|measures)\.[a-z][a-z0-9_]{0,62})$"
    ),
]
DIMENSION_PREFIX, MEASURE_PREFIX = "dimensions.", "measures."


class MeasureSpec(Frozen):
    """One measure the provider reports per row: money (in the row's `currency`) or a count."""

    label: str = pydantic.Field(min_length=1, max_length=60, description="Simple label (Cost).")
    money: bool = pydantic.Field(
        False, description="In the row's currency (map `currency`); sums never mix currencies."
    )
    unit: UnitWord | UnitForms | None = pydantic.Field(
        None,
        description="What is counted, for a measure that is not money: a plural word "
        "(`clicks`) or its forms per plural category. Whole counts are mapped with "
        "`type: integer`, decimal ones (attributed conversions) with `type: decimal`.",
    )

    @pydantic.model_validator(mode="after")
    def _money_or_unit(self) -> "MeasureSpec":
        if self.money == (self.unit is not None):
            raise ValueError("give `money: true` or a `unit` (what is counted), exactly one")
        return self

    @property
    def counted(self) -> Unit | None:
        """What a count measure counts (`1 click`, `5 clicks`); None for money."""
        return None if self.unit is None else unit_of(self.unit)


class FactsSpec(Frozen):
    """What a reporting provider reports: one fact per client, day (or hour) and combination of
    dimension values, with named measures."""

    grain: Literal["day", "hour"] = pydantic.Field(
        "day", description="`day`: one row per day; `hour`: map `fact_hour` (0-23) too."
    )
    restatement_days: int = pydantic.Field(
        0,
        ge=0,
        le=90,
        description="The provider revises this many recent days (late conversions): a revised "
        "row is `updated` with its values before and after kept, and cards of periods that end "
        "within this many days are caveated as provisional.",
    )
    dimensions: list[Identifier] = pydantic.Field(
        [], description="What a row is broken down by (campaign, channel, ad group ...)."
    )
    measures: dict[Identifier, MeasureSpec] = pydantic.Field(
        min_length=1, description="What a row reports, by name (spend, clicks, impressions ...)."
    )

    @pydantic.field_validator("dimensions", mode="after")
    @classmethod
    def _once(cls, names: list[str]) -> list[str]:
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"dimensions {twice} are declared twice")
        return names

    @property
    def money_measures(self) -> list[str]:
        return [name for name, measure in self.measures.items() if measure.money]

    def targets(self) -> tuple[list[str], list[str]]:
        """The declared dimension and measure names (tables/facts.py makes targets of them)."""
        return list(self.dimensions), list(self.measures)


def measure_name(target: str | None) -> str | None:
    """`measures.spend` -> `spend`; None for any other target."""
    if target is None or not target.startswith(MEASURE_PREFIX):
        return None
    return target.removeprefix(MEASURE_PREFIX)


def dimension_name(target: str | None) -> str | None:
    """`dimensions.campaign` -> `campaign`; None for any other target."""
    if target is None or not target.startswith(DIMENSION_PREFIX):
        return None
    return target.removeprefix(DIMENSION_PREFIX)
