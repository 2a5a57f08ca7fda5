"""The rules across the entries of a spec: targets against the record's columns, metrics
against the mapped targets. Every broken rule is returned, not only the first, each with the
path of the entry that breaks it, so the loader can show all of them at once."""

from typing import Any, TypeVar

import pydantic
import sqlalchemy as sa

from zartsalgo_pipelines.specs.errors import SpecFieldError
from zartsalgo_pipelines.specs.fact_rules import fact_errors, fact_metric_errors
from zartsalgo_pipelines.specs.facts import FACT_OBJECT_TYPE, FactsSpec
from zartsalgo_pipelines.specs.fields import DATE_TYPES, NUMERIC_TYPES, FieldMapEntry, FieldType
from zartsalgo_pipelines.specs.metrics import MetricSpec
from zartsalgo_pipelines.specs.targets import OBJECT_TYPES, required_targets, target_columns

M = TypeVar("M", bound=pydantic.BaseModel)

# SQLAlchemy column type -> field types that may fill it.
COMPATIBLE_TYPES: dict[type, frozenset[str]] = {
    sa.String: frozenset({"string", "category"}),
    sa.Text: frozenset({"string", "category"}),
    sa.DateTime: frozenset({"datetime"}),
    sa.Date: frozenset({"date"}),
    sa.Numeric: frozenset({"decimal", "integer"}),
    sa.Integer: frozenset({"integer"}),
    sa.Boolean: frozenset({"boolean"}),
}


def cross_field_errors(
    object_type: str,
    fields: list[tuple[int, FieldMapEntry]],
    metrics: list[tuple[int, MetricSpec]],
    unknown: frozenset[str] = frozenset(),
    facts: FactsSpec | None = None,
) -> list[SpecFieldError]:
    """Every rule across entries the spec breaks, each at the entry that breaks it.

    Entries come with their position in the spec, so a caller may pass only the entries that
    validated on their own (``salvaged_errors``) and still point at the right lines; the
    targets of the others are ``unknown``, and no rule is judged on them.
    """
    errors = _target_errors(object_type, fields, unknown, facts)
    errors += fact_errors(object_type, facts, fields, unknown)
    types: dict[str, FieldType | None] = dict.fromkeys(unknown)
    types |= {e.target: e.type for _, e in fields}
    keys: set[str] = set()
    for index, metric in metrics:
        if metric.key in keys:
            errors.append(
                SpecFieldError(
                    ("metrics", index, "key"),
                    f"metrics[{index}].key `{metric.key}` is declared twice",
                )
            )
        keys.add(metric.key)
        errors += _metric_errors(index, metric, types)
        errors += fact_metric_errors(object_type, facts, index, metric, types)
    return errors


def salvaged_errors(attributes: Any) -> list[SpecFieldError]:
    """The cross-entry rules, checked over the entries that validate on their own.

    Pydantic runs a model's own rules only once all its fields are valid; a spec with one bad
    field and one target mapped twice would show the second only after the first is fixed.
    The loader adds these to the field errors, so one ``validate`` shows every mistake.
    """
    if not isinstance(attributes, dict):
        return []
    object_type = attributes.get("object_type")
    if not isinstance(object_type, str):
        return []
    entries = attributes.get("fields")
    fields = _each_valid(FieldMapEntry, entries)
    valid = {index for index, _ in fields}
    unknown = frozenset(
        str(entry.get("target"))
        for index, entry in enumerate(entries if isinstance(entries, list) else [])
        if index not in valid and isinstance(entry, dict)
    )
    facts = _each_valid(FactsSpec, [attributes.get("facts")])
    return cross_field_errors(
        object_type,
        fields,
        _each_valid(MetricSpec, attributes.get("metrics")),
        unknown,
        facts[0][1] if facts else None,
    )


def _each_valid(model: type[M], items: Any) -> list[tuple[int, M]]:
    valid = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        try:
            valid.append((index, model.model_validate(item)))
        except pydantic.ValidationError:
            continue
    return valid


def _target_errors(
    object_type: str,
    fields: list[tuple[int, FieldMapEntry]],
    unknown: frozenset[str],
    facts: FactsSpec | None,
) -> list[SpecFieldError]:
    """Every target is a field of the record, mapped once, with a type that fits its column,
    and every column the record cannot leave empty is mapped as required."""
    if object_type not in OBJECT_TYPES:
        return [
            SpecFieldError(
                ("object_type",), f"object_type `{object_type}` is unknown; valid: {OBJECT_TYPES}"
            )
        ]
    if object_type == FACT_OBJECT_TYPE and facts is None:
        return []  # fact_errors asks for the facts block; targets cannot be judged without it
    columns = target_columns(object_type, facts)
    errors: list[SpecFieldError] = []
    seen: set[str] = set()
    for index, entry in fields:
        where = f"fields[{index}].target `{entry.target}`"
        if entry.target in seen:
            errors.append(SpecFieldError(("fields", index, "target"), f"{where} is mapped twice"))
            continue
        seen.add(entry.target)
        column = columns.get(entry.target)
        if column is None:
            valid = sorted(columns)
            errors.append(
                SpecFieldError(
                    ("fields", index, "target"),
                    f"{where} is not a field of {object_type}; valid: {valid}",
                )
            )
            continue
        allowed = next((v for k, v in COMPATIBLE_TYPES.items() if isinstance(column.type, k)), None)
        if allowed is not None and entry.type not in allowed:
            errors.append(
                SpecFieldError(
                    ("fields", index, "type"),
                    f"fields[{index}].type `{entry.type}` cannot fill {object_type}."
                    f"{entry.target}; expected one of {sorted(allowed)}",
                )
            )
        for key in ("constant", "default"):
            if entry.target == "external_id" and getattr(entry, key) is not None:
                errors.append(
                    SpecFieldError(
                        ("fields", index, key),
                        f"fields[{index}]: external_id names each record; a {key} cannot",
                    )
                )
    return errors + _required_errors(object_type, facts, fields, unknown)


def _required_errors(
    object_type: str,
    facts: FactsSpec | None,
    fields: list[tuple[int, FieldMapEntry]],
    unknown: frozenset[str],
) -> list[SpecFieldError]:
    """Every column the record cannot leave empty is mapped as required."""
    errors: list[SpecFieldError] = []
    for name in required_targets(object_type, facts):
        if name in unknown:
            continue
        if not any(e.target == name and e.required for _, e in fields):
            errors.append(
                SpecFieldError(
                    ("fields",), f"fields: {object_type}.{name} must be mapped with required: true"
                )
            )
    return errors


def _metric_errors(
    index: int, metric: MetricSpec, types: dict[str, FieldType | None]
) -> list[SpecFieldError]:
    """A metric measures mapped targets: a numeric one for sums and averages, a date for time.
    A target whose type is None (its entry is invalid itself) is not judged."""
    errors: list[SpecFieldError] = []
    measured = {
        ("field",): metric.field,
        ("filter", "field"): metric.filter.field if metric.filter else None,
    }
    for field_path, target in measured.items():
        if target and target not in types:
            errors.append(
                SpecFieldError(
                    ("metrics", index, *field_path),
                    f"metrics[{index}].{'.'.join(field_path)} `{target}` is not a mapped "
                    f"target; valid: {sorted(types)}",
                )
            )
    numeric = sorted(k for k, v in types.items() if v in NUMERIC_TYPES)
    if (
        metric.measure in {"sum", "average"}
        and metric.field is not None
        and types.get(metric.field) is not None
        and metric.field not in numeric
    ):
        errors.append(
            SpecFieldError(
                ("metrics", index, "field"),
                f"metrics[{index}].field `{metric.field}`: {metric.measure} needs an integer "
                f"or decimal target; valid: {numeric}",
            )
        )
    if types.get(metric.time_field, "unmapped") not in {*DATE_TYPES, None}:
        errors.append(
            SpecFieldError(
                ("metrics", index, "time_field"),
                f"metrics[{index}].time_field `{metric.time_field}` must be a mapped date or "
                f"datetime target; valid: {sorted(k for k, v in types.items() if v in DATE_TYPES)}",
            )
        )
    return errors
