"""Scenario: a source path that cannot be evaluated for one row (JMESPath's `join('|', [...])`
over a row without `date` raises JMESPathTypeError) fails that row alone, with the field, the
expression and the error; the rest of the chunk is mapped, the failed row gets its dead letter,
and a test sync reports it instead of stopping. Checked over random rows and expressions, and
through a real sync on SQLite and MySQL."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import jmespath
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from zartsalgo_pipelines.mapping.apply import FAILED, IGNORED, VALID, FieldMap
from zartsalgo_pipelines.ops.test_sync import dry_run
from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.helpers import DROP, assert_every_row_accounted, count, quote

JOINED_ID = "join('|', [client.slug, id, date])"


def joined_id_spec(make_spec: Callable[..., ProviderSpec], **top: Any) -> ProviderSpec:
    attributes = make_spec().model_dump(mode="json", exclude_none=True)
    attributes["fields"][0]["source"] = JOINED_ID
    return ProviderSpec.model_validate(attributes | top)


def dated(number: int, **changes: Any) -> dict[str, Any]:
    return quote(number, **changes) | {"date": "2026-08-29"}


def rows(*records: Any) -> list[SourceRow]:
    return [SourceRow("report.jsonl", i, r) for i, r in enumerate(records, 1)]


def test_a_failed_expression_fails_its_row_only(make_spec: Callable[..., ProviderSpec]) -> None:
    field_map = FieldMap(joined_id_spec(make_spec))
    records = [dated(1), quote(2), dated(3)]  # the second row has no `date`
    # The ids looked up before mapping: the row without `date` has none.
    assert set(field_map.external_ids(rows(*records))) == {
        "acme-roofing|QR-00001|2026-08-29",
        "acme-roofing|QR-00003|2026-08-29",
    }
    chunk = field_map.apply(rows(*records))
    assert chunk.outcomes == [VALID, FAILED, VALID]
    (failure,) = chunk.failures[1]
    assert failure.field == "external_id"
    assert JOINED_ID in failure.check and "invalid type for value: None" in failure.check
    assert failure.check.startswith(f"source `{JOINED_ID}` failed: JMESPathTypeError")
    assert chunk.external_ids[1] is None


def test_a_failed_ignore_rule_fails_its_row_only(make_spec: Callable[..., ProviderSpec]) -> None:
    spec = make_spec(ignore=[{"when": "contains(tags, 'test')", "reason": "tagged as a test"}])
    chunk = FieldMap(spec).apply(
        rows(quote(1, tags=["test"]), quote(2, tags=[]), quote(3))  # no `tags`: an error
    )
    assert chunk.outcomes == [IGNORED, VALID, FAILED]
    (failure,) = chunk.failures[2]
    assert failure.field == "record"
    assert "ignore rule `contains(tags, 'test')` failed: JMESPathTypeError" in failure.check


# Random expressions over random records: paths, functions that refuse some types, pipes.
_KEYS = st.sampled_from(["a", "b", "c"])
_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.text("xy|", max_size=3), st.just([1, "x"])
)
_RECORDS = st.dictionaries(
    _KEYS, st.one_of(_LEAF, st.dictionaries(_KEYS, _LEAF, max_size=2)), max_size=3
)
_PATHS = st.builds(lambda a, b: f"{a}.{b}", _KEYS, _KEYS) | _KEYS
_EXPRESSIONS = st.one_of(
    _PATHS,
    st.builds(lambda p, q: f"join('|', [{p}, {q}])", _PATHS, _PATHS),
    st.builds(lambda p: f"to_string(length({p}))", _PATHS),
    st.builds(lambda p: f"to_string(abs({p}))", _PATHS),
    st.builds(lambda p: f"starts_with({p}, 'x') && 'yes' || 'no'", _PATHS),
    st.builds(lambda p: f"to_string(sum({p}))", _PATHS),
    st.builds(lambda p, q: f"{p} | join(',', @)", _PATHS, _PATHS),
)


def _raises(expression: str, record: Any) -> bool:
    try:
        jmespath.search(expression, record)
    except Exception:  # any error of the evaluation is the row's
        return True
    return False


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=_EXPRESSIONS, records=st.lists(_RECORDS, min_size=1, max_size=6))
def test_any_expression_failure_is_the_failure_of_its_row_alone(
    expression: str, records: list[dict[str, Any]]
) -> None:
    attributes: dict[str, Any] = {
        "key": "random",
        "display_name": "Random",
        "status": "connected",
        "owner": "data-team@zartsalgo.example",
        "reason": "A property test of expression failures.",
        "object_type": "quote_request",
        "source": {"kind": "file", "path": "*.jsonl", "format": "jsonl"},
        "fields": [
            {
                "constant": "QR-1",
                "target": "client_key",
                "type": "string",
                "required": True,
                "label": "Client",
            },
            {
                "source": "n",
                "target": "external_id",
                "type": "string",
                "required": True,
                "label": "ID",
            },
            {
                "constant": "2026-08-29T00:00:00Z",
                "target": "submitted_at",
                "type": "datetime",
                "required": True,
                "label": "At",
            },
            {
                "constant": "new",
                "target": "status",
                "type": "category",
                "required": True,
                "label": "Status",
                "values": {"new": "new"},
            },
            {"source": expression, "target": "message", "type": "string", "label": "Message"},
        ],
    }
    spec = ProviderSpec.model_validate(attributes)
    numbered = [r | {"n": str(i)} for i, r in enumerate(records)]
    chunk = FieldMap(spec).apply(rows(*numbered))  # never raises
    assert len(chunk.outcomes) == len(records)
    for index, record in enumerate(numbered):
        failed_expression = [
            f for f in chunk.failures.get(index, []) if f.check.startswith(f"source `{expression}`")
        ]
        assert bool(failed_expression) == _raises(expression, record), (record, chunk.failures)
        if failed_expression:
            assert chunk.outcomes[index] == FAILED
            assert failed_expression[0].field == "message"


def test_a_test_sync_reports_the_failed_row_instead_of_a_traceback(
    engine: sa.Engine, make_spec: Callable[..., ProviderSpec]
) -> None:
    review = dry_run(engine, joined_id_spec(make_spec), rows(dated(1), quote(2), dated(3)))
    assert review.counts == {"created": 2, "failed": 1}
    assert review.as_dict()["failures"]["external_id"]["rows"] == 1


def test_a_sync_loads_the_good_rows_and_dead_letters_the_failed_one(
    engine: sa.Engine,
    make_spec: Callable[..., ProviderSpec],
    write_export: Callable[[list[Any], str], Path],
) -> None:
    spec = joined_id_spec(make_spec, source={"kind": "file", "path": "*.jsonl", "format": "jsonl"})
    records = [dated(n) for n in range(1, 6)] + [quote(6, id=DROP)]
    records[2].pop("date")  # one row without `date`
    folder = write_export(records, "report.jsonl")
    result = process_extract(engine, spec, extract_files(engine, spec, folder).batch_id)
    assert (result.rows_created, result.rows_failed) == (4, 2)
    assert_every_row_accounted(engine, result.batch_id, 6)
    assert count(engine, "quote_requests") == 4
    with engine.connect() as conn:
        reasons = (
            conn.execute(sa.text("SELECT reason FROM integration_dead_letters ORDER BY reason"))
            .scalars()
            .all()
        )
    assert len(reasons) == 2
    assert all(f"external_id (Request ID): source `{JOINED_ID}` failed: JMESPathTypeError" in r
               for r in reasons)  # fmt: skip
