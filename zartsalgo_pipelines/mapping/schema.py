"""Declaring the pandera schema of a field map, apart from applying it (the pandera habit)."""

import pandera.pandas as pa
import sqlalchemy as sa

from zartsalgo_pipelines.mapping.casting import DTYPES
from zartsalgo_pipelines.specs.models import FieldMapEntry, ProviderSpec
from zartsalgo_pipelines.storage.models import RECORD_MODELS, table_of

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def field_checks(entry: FieldMapEntry, column_length: int | None) -> list[pa.Check]:
    """The value checks of one field; each check's name is what a dead letter reports."""
    checks: list[pa.Check] = []
    if entry.format == "email":
        checks.append(
            pa.Check.str_matches(EMAIL_PATTERN, name="email format", error="email format")
        )
    if entry.pattern:
        checks.append(
            pa.Check.str_matches(
                entry.pattern, name=f"pattern {entry.pattern}", error=f"pattern {entry.pattern}"
            )
        )
    if entry.values:
        allowed = sorted(set(entry.values.values()))
        checks.append(
            pa.Check.isin(
                allowed, name=f"one of {', '.join(allowed)}", error=f"one of {', '.join(allowed)}"
            )
        )
    if entry.min is not None:
        checks.append(
            pa.Check.ge(entry.min, name=f"at least {entry.min:g}", error=f"at least {entry.min:g}")
        )
    if entry.max is not None:
        checks.append(
            pa.Check.le(entry.max, name=f"at most {entry.max:g}", error=f"at most {entry.max:g}")
        )
    limits = [n for n in (entry.max_length, column_length) if n]
    if limits:
        checks.append(
            pa.Check.str_length(
                max_value=min(limits),
                name=f"at most {min(limits)} chars",
                error=f"at most {min(limits)} chars",
            )
        )
    return checks


def build_schema(spec: ProviderSpec) -> pa.DataFrameSchema:
    """The pandera schema that enforces ``spec``'s field map on cast, value-mapped columns."""
    table = table_of(RECORD_MODELS[spec.object_type])
    columns = {}
    for entry in spec.fields:
        column_type = table.columns[entry.target].type
        length = (
            getattr(column_type, "length", None) if isinstance(column_type, sa.String) else None
        )
        columns[entry.target] = pa.Column(
            DTYPES[entry.type],
            checks=field_checks(entry, length),
            nullable=not entry.required,
            title=entry.label,
        )
    return pa.DataFrameSchema(columns, name=f"{spec.key} field map", strict=True, coerce=False)
