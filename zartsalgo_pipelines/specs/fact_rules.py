"""The rules of a reporting provider's spec (`object_type: metric_fact`) across its entries: the
`facts` block against the field map, and its metrics against the declared measures. Each broken
rule is returned with the path of the entry that breaks it (``consistency`` adds them to the
rest)."""

from collections.abc import Callable

from zartsalgo_pipelines.specs.errors import SpecFieldError
from zartsalgo_pipelines.specs.facts import (
    DIMENSION_PREFIX,
    FACT_OBJECT_TYPE,
    MEASURE_PREFIX,
    FactsSpec,
    measure_name,
)
from zartsalgo_pipelines.specs.fields import FieldMapEntry, FieldType
from zartsalgo_pipelines.specs.metrics import MetricRef, MetricSpec

Refuse = Callable[[str, str], SpecFieldError]
FACT_MEASURES = frozenset({"count", "sum", "average", "ratio"})


def fact_errors(
    object_type: str,
    facts: FactsSpec | None,
    fields: list[tuple[int, FieldMapEntry]],
    unknown: frozenset[str],
) -> list[SpecFieldError]:
    """A metric_fact provider declares its facts, and maps every dimension and measure it
    declares; any other provider declares none."""
    if object_type != FACT_OBJECT_TYPE:
        if facts is None:
            return []
        return [SpecFieldError(("facts",), "a `facts` block goes with object_type metric_fact")]
    if facts is None:
        return [
            SpecFieldError(
                ("object_type",),
                "object_type metric_fact needs a `facts` block (grain, dimensions, measures)",
            )
        ]
    mapped = {entry.target for _, entry in fields} | unknown
    errors = [
        SpecFieldError(
            ("facts", key, name),
            f"facts.{key}: `{name}` is declared but no field maps `{prefix}{name}`",
        )
        for key, prefix, names in (
            ("dimensions", DIMENSION_PREFIX, facts.dimensions),
            ("measures", MEASURE_PREFIX, list(facts.measures)),
        )
        for name in names
        if f"{prefix}{name}" not in mapped
    ]
    for index, entry in fields:
        if entry.target == "fact_hour" and facts.grain != "hour":
            errors.append(
                SpecFieldError(
                    ("fields", index, "target"),
                    f"fields[{index}].target `fact_hour` goes with facts.grain `hour`",
                )
            )
    return errors


def fact_metric_errors(
    object_type: str,
    facts: FactsSpec | None,
    index: int,
    metric: MetricSpec,
    types: dict[str, FieldType | None],
) -> list[SpecFieldError]:
    """A metric over facts measures declared measures, filters on dimensions or the currency,
    and keeps money in one currency: its unit's."""

    def refuse(key: str, message: str) -> SpecFieldError:
        return SpecFieldError(("metrics", index, key), f"metrics[{index}].{key}: {message}")

    if object_type != FACT_OBJECT_TYPE or facts is None:
        if metric.measure == "ratio":
            reads = "a ratio reads the measures of an object_type metric_fact provider"
            return [refuse("measure", reads)]
        return []
    measures = sorted(t for t in types if t.startswith(MEASURE_PREFIX))
    errors: list[SpecFieldError] = []
    if metric.measure not in FACT_MEASURES:
        errors.append(refuse("measure", f"facts are measured by {sorted(FACT_MEASURES)}"))
    if metric.measure in {"sum", "average"} and metric.field not in (*measures, None):
        errors.append(refuse("field", f"`{metric.field}` is not a measure; valid: {measures}"))
    if metric.filter is not None and not (
        metric.filter.field.startswith(DIMENSION_PREFIX) or metric.filter.field == "currency"
    ):
        errors.append(
            SpecFieldError(
                ("metrics", index, "filter", "field"),
                f"metrics[{index}].filter.field `{metric.filter.field}`: facts are filtered on "
                "a dimension (`dimensions.<name>`) or the currency",
            )
        )
    return errors + _money_errors(facts, metric, measures, refuse)


def _money_errors(
    facts: FactsSpec, metric: MetricSpec, measures: list[str], refuse: Refuse
) -> list[SpecFieldError]:
    """Money is summed in the metric's currency only; a ratio divides money by a count."""
    currency = metric.unit_info.kind == "currency"
    money = set(facts.money_measures)
    errors: list[SpecFieldError] = []
    if metric.measure in {"sum", "average"} and metric.field in measures:
        is_money = measure_name(metric.field) in money
        if is_money != currency:
            errors.append(
                refuse(
                    "unit",
                    f"`{metric.field}` is money: its unit is the currency counted (rows in "
                    "others are left out)"
                    if is_money
                    else f"`{metric.field}` is not money: a currency unit goes with money",
                )
            )
    if metric.measure != "ratio":
        return errors
    sides = {"numerator": metric.numerator, "denominator": metric.denominator}
    for key, side in sides.items():
        if isinstance(side, MetricRef):
            continue
        if side not in measures:
            errors.append(refuse(key, f"`{side}` is not a declared measure; valid: {measures}"))
    top = measure_name(metric.numerator if isinstance(metric.numerator, str) else None) in money
    bottom = measure_name(metric.denominator if isinstance(metric.denominator, str) else None)
    if bottom in money:
        errors.append(refuse("denominator", "money divides, it is not divided by"))
    elif top != currency:
        errors.append(
            refuse(
                "unit",
                "a ratio of money per thing has the currency as unit"
                if top
                else "a currency unit goes with money in the numerator",
            )
        )
    return errors
