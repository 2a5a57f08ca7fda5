"""A field map schema's failure cases on a typed frame, without pandera's lazy report.

The row path needs, of a failed validation, only which row failed which check of which column,
in the report's order. ``schema.validate(frame, lazy=True)`` builds much more: per failing column
a ``SchemaErrors`` with a message that formats every failure case, a summary and a consolidated
frame, then all of it again for the frame: several ms per failing column and chunk, whatever
its rows (5.5% of a first load's CPU on the columnar path, more on the row path).

``failure_cases`` runs the same steps on the same pandera objects the schema holds: per column in
the schema's order, the required (``not_nullable``) check, then each ``Check`` called as pandera
calls it (``Check.__call__``: missing values dropped first under ``ignore_na``), and writes each
failure as the lazy report's row would read: (index label, column, the check's error or name).
The report keeps that order (its one sort, on the schema context, is stable and every case is a
column's). Whatever would make the report hold more than row failures (a check that raises or
gives one verdict for the column, a column of another dtype, a schema or pandera setting beyond
what ``mapping/schema.py`` declares) gives ``None``: the caller asks pandera itself
(``pandera_failure_cases``). ``zartsalgo_pipelines_tests/mapping/test_failures.py`` compares
the two on random columns and checks.
"""

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa
from pandera.config import ValidationDepth, get_config_context
from pandera.engines.pandas_engine import Engine

from zartsalgo_pipelines.mapping.errors import SchemaLevelError
from zartsalgo_pipelines.mapping.outcomes import Failure

# (row index label, column, the check as the report names it); the labels are the frame's
FailureCase = tuple[Any, str, str]
# What the report names a failed required check, and what a dead letter names it.
NOT_NULLABLE = "not_nullable"
_CHECK_NAMES = {NOT_NULLABLE: "required"}


def schema_failures(
    schema: pa.DataFrameSchema, frame: pd.DataFrame, provider: str, *, own: bool = True
) -> Iterable[FailureCase]:
    """(index, column, check) of every failure of ``frame``, in pandera's report's order, from
    ``failure_cases`` where it can tell them (``own``) and else from pandera's report; raises
    SchemaLevelError when a failure belongs to no row (the field map failed as a whole)."""
    cases = failure_cases(schema, frame) if own else None
    if cases is not None:
        return cases
    report = pandera_failure_cases(schema, frame)
    if report is None:
        return []
    if report["index"].isna().any():
        first = report[report["index"].isna()].iloc[0]
        raise SchemaLevelError(
            f"Provider `{provider}`: the field map failed as a whole on "
            f"`{first['column']}`: {first['check']} ({first['failure_case']})"
        )
    return report[["index", "column", "check"]].itertuples(index=False, name=None)


def add_failures(
    cases: Iterable[FailureCase],
    columns: dict[str, list[Any]],
    candidates: list[int],
    failures: dict[int, list[Failure]],
) -> None:
    """The schema's failure cases as the rows' failures (``candidates``: the frame's labels;
    ``columns``: the values as read, positional): a row's first failure per field only."""
    position = {index: p for p, index in enumerate(candidates)} if cases else {}
    for row_index, column, check_text in cases:
        index, target = int(row_index), str(column)
        if any(f.field == target for f in failures.get(index, [])):
            continue  # already failed to cast; the check on NA adds nothing
        check = _CHECK_NAMES.get(str(check_text), str(check_text))
        value = columns[target][position[index]]
        failures.setdefault(index, []).append(Failure.of(target, check, value))


def pandera_failure_cases(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame | None:
    """pandera's own lazy report (``index``, ``column``, ``check``, ``failure_case``, ...), or
    None when the frame passes."""
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        return errors.failure_cases
    return None


def failure_cases(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[FailureCase] | None:
    """The (index, column, check) rows of pandera's lazy report on ``frame``, in its order
    (empty: the frame passes); None when the report would hold anything else."""
    if not _plain(schema, frame):
        return None
    cases: list[FailureCase] = []
    for name, column in schema.columns.items():
        series = frame[name]
        if not column.nullable and series.hasnans:
            cases.extend((label, name, NOT_NULLABLE) for label in series.index[series.isna()])
        mistyped = _mistyped_labels(column, series)
        if mistyped is None:
            return None
        cases.extend((label, name, f"dtype('{column.dtype}')") for label in mistyped)
        for check in column.checks:
            failed = _failed_labels(check, series)
            if failed is None:
                return None
            check_name = _identifier(check)
            cases.extend((label, name, check_name) for label in failed)
    return cases


def _plain(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> bool:
    """Whether validating ``frame`` runs only the column checks: what ``build_schema`` declares
    (strict, no coercion, no frame checks, index or parsers) on a frame of exactly its columns,
    under pandera's default validation settings."""
    config = get_config_context()
    if not config.validation_enabled or config.use_narwhals_backend:
        return False
    if config.validation_depth not in (None, ValidationDepth.SCHEMA_AND_DATA):
        return False
    if schema.checks or schema.parsers or schema.coerce or schema.dtype is not None:
        return False
    if schema.index is not None or frame.index.hasnans:
        return False
    if schema.unique or schema.add_missing_columns or schema.drop_invalid_rows:
        return False
    if list(frame.columns) != list(schema.columns) or not frame.columns.is_unique:
        return False
    return all(_plain_column(column) for column in schema.columns.values())


def _plain_column(column: pa.Column) -> bool:
    return not (
        column.regex
        or column.coerce
        or column.unique
        or column.parsers
        or column.default is not None
        or column.drop_invalid_rows
    )


def _mistyped_labels(column: pa.Column, series: pd.Series) -> pd.Index | None:
    """The labels of the values pandera's dtype check fails (a verdict per value: a string
    dtype gives one); None when it fails the column as a whole."""
    if column.dtype is None:
        return series.index[:0]
    verdict: Any = column.dtype.check(Engine.dtype(series.dtype), series)
    if isinstance(verdict, bool | np.bool_):
        return series.index[:0] if verdict else None
    passed = verdict.astype(bool)
    return series.index[:0] if passed.all() else series[~passed].index


def _failed_labels(check: pa.Check, series: pd.Series) -> pd.Index | None:
    """The labels of the values ``check`` fails, as pandera's ``run_check`` reports them; None
    when the report would carry something else for it (an error, a verdict for the column)."""
    if check.raise_warning or check.groupby is not None:
        return None
    try:
        result = check(series)
        if result.check_passed:
            return series.index[:0]
        cases: Any = result.failure_cases
        if not isinstance(cases, pd.Series):
            return None  # pandera reports the verdict itself, with no row
        if check.ignore_na:
            cases = cases.dropna()
        return cases.index
    except Exception:  # pandera reports a check that raised as a failure of the whole column
        return None


def _identifier(check: pa.Check) -> str:
    """How the report names a check: its error, else its name, else its text."""
    if check.error is not None:
        return str(check.error)
    return str(check.name) if check.name is not None else str(check)
