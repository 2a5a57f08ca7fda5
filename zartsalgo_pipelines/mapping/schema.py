"""Declaring the pandera schema of a field map, apart from applying it (the pandera habit).

Besides the spec's own checks, every field gets the limit of the column it fills
(``tables/limits.py``): a value that does not fit fails its row on SQLite as on MySQL, instead
of being refused by one database and stored cut or rounded by the other.
"""

from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from zartsalgo_pipelines.mapping.casting import DTYPES
from zartsalgo_pipelines.specs.models import FieldMapEntry, ProviderSpec
from zartsalgo_pipelines.specs.targets import (
    CURRENCY_CHECK,
    CURRENCY_PATTERN,
    FACT_HOUR_CHECK,
    FACT_HOURS,
    target_columns,
)
from zartsalgo_pipelines.tables.limits import ColumnLimit, column_limit

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _named(test: Callable[[pd.Series], pd.Series], name: str) -> pa.Check:
    return pa.Check(test, name=name, error=name)


def _utf8_fits(max_bytes: int) -> Callable[[pd.Series], pd.Series]:
    def fits(texts: pd.Series) -> pd.Series:
        # Only a text of more than max_bytes / 4 characters can take more than max_bytes.
        lengths = texts.str.len()
        ok = (lengths * 4 <= max_bytes).fillna(True).astype(bool)
        for position in (~ok).to_numpy().nonzero()[0].tolist():
            text = texts.iloc[position]  # a missing value is the `required` check's business
            ok.iloc[position] = not isinstance(text, str) or len(text.encode()) <= max_bytes
        return ok

    return fits


def _within_scale(scale: int) -> Callable[[pd.Series], pd.Series]:
    def within(numbers: pd.Series) -> pd.Series:
        with np.errstate(over="ignore"):  # 1e308 * 10**scale is inf: not within, as it should
            return numbers.round(scale) == numbers

    return within


def limit_checks(limit: ColumnLimit) -> list[pa.Check]:
    """The checks that keep a value within its column (characters, bytes, digits)."""
    checks = []
    if limit.max_bytes is not None:
        checks.append(_named(_utf8_fits(limit.max_bytes), f"at most {limit.max_bytes} bytes"))
    below, scale = limit.below, limit.scale
    if below is not None:
        # inf fails here too: no finite number is under 10**n only by being infinite.
        checks.append(
            _named(
                lambda s: s.abs() < float(below), f"a finite number under 10^{limit.whole_digits}"
            )
        )
    if scale is not None:
        checks.append(_named(_within_scale(scale), f"at most {scale} decimal places"))
    if limit.max_abs is not None:
        largest = limit.max_abs
        checks.append(_named(lambda s: s.abs() <= largest, f"a whole number within ±{largest}"))
    return checks


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
    # A value map is checked before the cast (``mapping/columns.py``), against its keys: what
    # the provider may send. Every value it gives is one of the map's own values.
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


# What a fact's own columns hold beyond their type (every provider's facts alike).
TARGET_CHECKS = {
    "fact_hour": [pa.Check.in_range(*FACT_HOURS, name=FACT_HOUR_CHECK, error=FACT_HOUR_CHECK)],
    "currency": [pa.Check.str_matches(CURRENCY_PATTERN, name=CURRENCY_CHECK, error=CURRENCY_CHECK)],
}


def build_schema(spec: ProviderSpec) -> pa.DataFrameSchema:
    """The pandera schema that enforces ``spec``'s field map on cast, value-mapped columns."""
    targets = target_columns(spec.object_type, spec.facts)
    columns = {}
    for entry in spec.fields:
        limit = column_limit(targets[entry.target])
        own = TARGET_CHECKS.get(entry.target, []) if spec.reports_facts else []
        columns[entry.target] = pa.Column(
            DTYPES[entry.type],
            checks=field_checks(entry, limit.max_chars) + limit_checks(limit) + own,
            nullable=not entry.required,
            title=entry.label,
        )
    return pa.DataFrameSchema(columns, name=f"{spec.key} field map", strict=True, coerce=False)
