"""Which targets a field map may fill, per object type, and the column that holds each: read off
the table models (``tables/``), so the spec checks, the mapping's column limits, the JSON Schema
and the reference tables in docs/provider_spec.md can never disagree with the database."""

from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.specs.facts import FACT_OBJECT_TYPE, FactsSpec
from zartsalgo_pipelines.tables import OBJECT_MODELS, RECORD_MODELS, SYSTEM_COLUMNS, table_of
from zartsalgo_pipelines.tables.facts import fact_target_columns

OBJECT_TYPES = sorted(OBJECT_MODELS)
# What a fact's own columns hold beyond their type (checked by the mapping, every provider's
# facts alike): the check's name as a dead letter reports it, and its rule.
FACT_HOUR_CHECK, FACT_HOURS = "an hour 0-23", (0, 23)
CURRENCY_CHECK, CURRENCY_PATTERN = "a currency code", r"^[A-Z]{3}$"


def target_columns(object_type: str, facts: FactsSpec | None = None) -> dict[str, sa.Column[Any]]:
    """Target -> column for ``object_type`` (for metric_fact, with the declared dimensions and
    measures); empty for an unknown object type."""
    if object_type == FACT_OBJECT_TYPE:
        dimensions, measures = facts.targets() if facts is not None else ([], [])
        return fact_target_columns(dimensions, measures)
    model = RECORD_MODELS.get(object_type)
    if model is None:
        return {}
    return {c.name: c for c in table_of(model).columns if c.name not in SYSTEM_COLUMNS}


def required_targets(object_type: str, facts: FactsSpec | None = None) -> list[str]:
    """The targets a field map must fill with ``required: true``: the columns that cannot be
    empty, and for facts the hour of an hourly grain and the currency of money measures."""
    columns = target_columns(object_type, facts)
    required = [name for name, column in columns.items() if not column.nullable]
    if object_type == FACT_OBJECT_TYPE and facts is not None:
        if facts.grain == "hour":
            required.append("fact_hour")
        if facts.money_measures:
            required.append("currency")
    return required


_TARGET_PATH = ("properties", "fields", "items", "properties", "target")


def target_schema(schema: dict[str, Any]) -> None:
    """The JSON Schema's offer to editors: per object type, the targets its field map may fill
    (``if object_type is X then each target is one of ...``); metric_fact targets also take
    `dimensions.<name>` and `measures.<name>`."""
    cases = []
    for object_type in OBJECT_TYPES:
        names: dict[str, Any] = {"enum": sorted(target_columns(object_type))}
        if object_type == FACT_OBJECT_TYPE:
            names = {"anyOf": [names, {"pattern": r"^(dimensions|measures)\.[a-z][a-z0-9_]*$"}]}
        then: dict[str, Any] = names
        for key in reversed(_TARGET_PATH):
            then = {key: then}
        cases.append({"if": {"properties": {"object_type": {"const": object_type}}}, "then": then})
    schema["allOf"] = cases
