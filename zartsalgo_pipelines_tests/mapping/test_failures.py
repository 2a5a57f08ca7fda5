"""Scenario (property-based): the row path's failures read from the schema's own checks are
exactly what pandera's lazy report gives, in the report's order.

``mapping/failures.py`` runs each column's pandera checks itself instead of asking pandera for
its lazy report (``schema.validate(frame, lazy=True)``). Hypothesis builds columns of every
field type with random values, missing values and index labels, under the checks
``mapping/schema.py`` declares (formats, patterns, bounds, lengths, column limits, the facts'
own), required or not, and compares the failure cases with pandera's report row for row; some
columns hold another dtype than declared or a check meant for another type, where the own
cases may give up (None: the row path then asks pandera), but never differ. A second property
maps random exports (``test_properties.py``'s records and the hostile corpus) through
``FieldMap`` on both mapping paths, with the own cases and with pandera's report, under random
extra checks, and compares every outcome, reason, failure and typed value.
"""

from datetime import UTC, datetime
from typing import Any

import hypothesis.strategies as st
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import given

from zartsalgo_pipelines.mapping.apply import FieldMap
from zartsalgo_pipelines.mapping.casting import DTYPES
from zartsalgo_pipelines.mapping.errors import SchemaLevelError
from zartsalgo_pipelines.mapping.failures import failure_cases, pandera_failure_cases
from zartsalgo_pipelines.mapping.outcomes import MappedChunk
from zartsalgo_pipelines.mapping.schema import TARGET_CHECKS, field_checks, limit_checks
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import FieldMapEntry, ProviderSpec
from zartsalgo_pipelines.tables.limits import ColumnLimit
from zartsalgo_pipelines_tests.conftest import shipped_attributes
from zartsalgo_pipelines_tests.helpers import quote
from zartsalgo_pipelines_tests.pipeline.test_hostile_input import HOSTILE
from zartsalgo_pipelines_tests.pipeline.test_properties import PROFILE, records

TYPES = ("string", "integer", "decimal", "boolean", "datetime")
texts = st.sampled_from(["a@b.co", "a@b", "ab", "AB-12", "EUR", "eur", "x" * 70, "😀" * 20])
VALUES: dict[str, Any] = {
    "string": texts | st.text(max_size=12),
    "integer": st.integers(-(2**40), 2**40) | st.sampled_from([-1, 0, 23, 24, 99]),
    "decimal": st.floats(allow_nan=False) | st.sampled_from([-0.5, 0.0, 1e12, 0.125, 5.0]),
    "boolean": st.booleans(),
    "datetime": st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1)).map(
        lambda d: d.replace(tzinfo=UTC)
    ),
}


@st.composite
def checks(draw: st.DrawFn, field_type: str) -> list[pa.Check]:
    """The checks ``mapping/schema.py`` builds, as a spec and a column limit could ask them."""
    entry: dict[str, Any] = {"source": "x", "target": "x", "type": field_type, "label": "X"}
    if field_type in ("integer", "decimal"):
        bounds = st.none() | st.floats(-100, 100, allow_nan=False)
        entry |= {"min": draw(bounds), "max": draw(bounds)}
        limit = ColumnLimit(
            whole_digits=draw(st.none() | st.integers(1, 12)),
            scale=draw(st.none() | st.integers(0, 3)),
            max_abs=draw(st.none() | st.sampled_from([127, 2**31 - 1])),
        )
        own = TARGET_CHECKS["fact_hour"] if draw(st.booleans()) else []
        return field_checks(FieldMapEntry.model_validate(entry), None) + limit_checks(limit) + own
    if field_type != "string":
        return []
    entry["format"] = draw(st.sampled_from([None, "email"]))
    entry["pattern"] = draw(st.sampled_from([None, "^[0-9A-Za-z -]{3,10}$", "^a"]))
    entry["max_length"] = draw(st.none() | st.integers(1, 30))
    limit = ColumnLimit(max_bytes=draw(st.none() | st.sampled_from([8, 64])))
    own = TARGET_CHECKS["currency"] if draw(st.booleans()) else []
    column_length = draw(st.none() | st.integers(1, 40))
    entry_checks = field_checks(FieldMapEntry.model_validate(entry), column_length)
    return entry_checks + limit_checks(limit) + own


@st.composite
def frames(draw: st.DrawFn, hostile: bool) -> tuple[pa.DataFrameSchema, pd.DataFrame]:
    """A schema of random columns and a frame for it; ``hostile``: a column may hold another
    dtype than declared, or carry a check meant for another type."""
    size = draw(st.integers(0, 40))
    labels = draw(st.lists(st.integers(0, 10**6), min_size=size, max_size=size, unique=True))
    columns, data = {}, {}
    for number in range(draw(st.integers(1, 4))):
        declared = draw(st.sampled_from(TYPES))
        held = draw(st.sampled_from(TYPES)) if hostile and draw(st.booleans()) else declared
        column_checks = draw(checks(draw(st.sampled_from(TYPES)) if hostile else declared))
        values = draw(st.lists(st.none() | VALUES[held], min_size=size, max_size=size))
        name = f"c{number}"
        ordered = draw(st.permutations(column_checks))
        columns[name] = pa.Column(DTYPES[declared], checks=ordered, nullable=draw(st.booleans()))
        data[name] = pd.Series(values, dtype=DTYPES[held], index=labels)
    schema = pa.DataFrameSchema(columns, name="random", strict=True, coerce=False)
    return schema, pd.DataFrame(data, index=pd.Index(labels, dtype="int64"))


def _report(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    report = pandera_failure_cases(schema, frame)
    if report is None:
        return []
    return list(report[["index", "column", "check"]].itertuples(index=False, name=None))


@PROFILE
@given(frames(hostile=False))
def test_own_failure_cases_are_pandera_lazy_report(case: Any) -> None:
    schema, frame = case
    assert failure_cases(schema, frame) == _report(schema, frame)


@pytest.mark.filterwarnings("ignore:obj.round has no effect")  # a scale check on a time
@PROFILE
@given(frames(hostile=True))
def test_own_failure_cases_give_up_rather_than_differ(case: Any) -> None:
    schema, frame = case
    own = failure_cases(schema, frame)
    assert own is None or own == _report(schema, frame)


EXTRA = {  # checks a spec could add to the shipped fields, drawn at random
    "budget_amount": [{"max": 5000}, {"min": 100, "max": 2000}],
    "contact_name": [{"max_length": 8}, {"pattern": "^[A-Z]"}],
    "message": [{"max_length": 12}],
    "contact_phone": [{"pattern": "^[+0-9 ]{4,}$"}],
    "source_page": [{"format": "email"}],
}


@st.composite
def specs(draw: st.DrawFn) -> ProviderSpec:
    attributes = shipped_attributes()
    for entry in attributes["fields"]:
        extra = EXTRA.get(entry["target"], [])
        if extra and draw(st.booleans()):
            entry |= draw(st.sampled_from(extra))
    return ProviderSpec.model_validate(attributes)


hostile = st.sampled_from(HOSTILE).map(lambda h: quote(1, **h[1]))
exports = st.lists(records() | hostile, min_size=1, max_size=25)


def _mapped(spec: ProviderSpec, rows: list[SourceRow], columnar: bool, own: bool) -> Any:
    field_map = FieldMap(spec, columnar=columnar)
    field_map.own_failure_cases = own
    try:
        chunk: MappedChunk = field_map.apply(rows)
    except SchemaLevelError as error:
        return str(error)
    frame = chunk.valid
    typed = [(str(frame[c].dtype), repr(frame[c].tolist())) for c in frame]  # repr: NaN
    valid = (list(frame.columns), list(frame.index), typed)
    failures = {
        i: [(f.field, f.check, repr(f.value)) for f in fs] for i, fs in chunk.failures.items()
    }
    return chunk.outcomes, chunk.reasons, failures, chunk.external_ids, chunk.contexts, valid


@pytest.mark.parametrize("columnar", [False, True], ids=["rows", "columnar"])
@PROFILE
@given(spec=specs(), export=exports)
def test_field_map_fails_rows_as_with_pandera_report(
    columnar: bool, spec: ProviderSpec, export: list[dict[str, Any]]
) -> None:
    rows = [SourceRow("x.jsonl", i, record) for i, record in enumerate(export, 1)]
    mine = _mapped(spec, rows, columnar, own=True)
    assert mine == _mapped(spec, rows, columnar, own=False)
