"""Scenario: the field map turns provider rows into typed ZartsAlgo values. Nested and list
paths work; value maps translate statuses; each bad value fails its row with field, check and
value; ignore rules skip rows with a reason; unmapped provider fields are kept as context."""

import tracemalloc
from collections.abc import Callable
from typing import Any

import jmespath
import pandas as pd
import pytest

from zartsalgo_pipelines.jsonpaths import compile_column, compile_getter, top_level_key
from zartsalgo_pipelines.mapping.apply import FAILED, IGNORED, VALID, FieldMap, canonical_json
from zartsalgo_pipelines.mapping.bounds import bounded
from zartsalgo_pipelines.mapping.casting import cast
from zartsalgo_pipelines.mapping.errors import SchemaLevelError
from zartsalgo_pipelines.mapping.ids import HAS_NUL, NOT_AN_ID, TOO_LONG, normalise_id
from zartsalgo_pipelines.mapping.outcomes import SIZE_CHECK
from zartsalgo_pipelines.mapping.schema import limit_checks
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.tables.limits import ColumnLimit
from zartsalgo_pipelines_tests.helpers import DROP, quote


def apply(spec: ProviderSpec, *records: Any):  # type: ignore[no-untyped-def]
    return FieldMap(spec).apply([SourceRow("x.jsonl", i, r) for i, r in enumerate(records, 1)])


@pytest.fixture
def spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    return make_spec()


def test_valid_row_is_typed_value_mapped_and_keeps_context(spec: ProviderSpec) -> None:
    chunk = apply(
        spec,
        quote(
            1,
            status="in_review",
            answers=[
                {"field": {"ref": "other"}, "text": "x"},
                {"field": {"ref": "service"}, "text": "solar"},
            ],
        ),
    )
    assert chunk.outcomes == [VALID]
    row = chunk.valid.iloc[0]
    assert row["status"] == "in_progress"  # value map: provider in_review -> ZartsAlgo in_progress
    assert row["service"] == "solar"  # list filter path
    assert row["contact_email"] == "zoe1@example.org"  # nested path
    assert row["budget_amount"] == 1200.5
    assert str(row["submitted_at"]) == "2026-11-16 10:00:00+00:00"
    assert chunk.contexts[0] == {"form_version": "v3", "is_test": False}


BAD_VALUES = [
    ("external_id", {"id": DROP}, "required", None),
    ("contact_email", {"contact__email": "a@b"}, "email format", "a@b"),
    ("submitted_at", {"submitted_at": "yesterday"}, "not a valid datetime", "yesterday"),
    ("budget_amount", {"budget__amount": "twelve"}, "not a valid decimal", "twelve"),
    ("budget_amount", {"budget__amount": -1}, "at least 0", -1),
    ("status", {"status": "archived"}, "one of in_review, lost, new, quoted, won", "archived"),
    ("budget_currency", {"budget__currency": "XYZ"}, "one of CHF, EUR, GBP, USD", "XYZ"),
    ("postal_code", {"postal_code": "1"}, "pattern", "1"),
    ("client_key", {"client__slug": "x" * 65}, "at most 64 chars", "x" * 65),
    ("contact_name", {"contact__name": {"first": "Zoë"}}, "not a valid string", {"first": "Zoë"}),
]


@pytest.mark.parametrize(
    ("field", "changes", "check", "value"), BAD_VALUES, ids=[f"{b[0]}-{b[2]}" for b in BAD_VALUES]
)
def test_bad_value_fails_its_row_only(spec, field, changes, check, value) -> None:
    chunk = apply(spec, quote(1), quote(2, **changes))
    assert chunk.outcomes == [VALID, FAILED]
    (failure,) = chunk.failures[1]
    assert (failure.field, failure.value) == (field, value)
    assert failure.check.startswith(check)
    assert chunk.reasons[1] and field in chunk.reasons[1]
    assert list(chunk.valid.index) == [0]


def test_ignore_rule_skips_with_reason(spec: ProviderSpec) -> None:
    chunk = apply(spec, quote(1, is_test=True, id=DROP))
    assert chunk.outcomes == [IGNORED]
    assert chunk.reasons[0] == "ignored: test submission from the website's QA checks"


def test_required_field_absent_from_every_row_is_schema_level(spec: ProviderSpec) -> None:
    with pytest.raises(
        SchemaLevelError, match=r"`submitted_at`.*missing from every row of x\.jsonl"
    ):
        apply(spec, quote(1, submitted_at=DROP), quote(2, submitted_at=DROP))


def test_same_record_has_same_hash_whatever_the_key_order(spec: ProviderSpec) -> None:
    record = quote(1)
    reordered = dict(reversed(list(record.items())))
    chunk = apply(spec, record, reordered, quote(1, status="won"))
    assert chunk.hashes[0] == chunk.hashes[1] != chunk.hashes[2]


def test_payloads_a_chunk_keeps_hold_only_their_own_size() -> None:
    """A chunk keeps its canonical payloads until it is written; orjson's output buffer is
    4 KB whatever the payload's length, so each must be a copy of its own size."""
    records = [quote(n) for n in range(200)]
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        payloads = [canonical_json(record) for record in records]
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    content = sum(len(p) for p in payloads)
    assert content / len(payloads) < 1024  # the sample records are well under 4 KB
    assert held - before < 1.5 * content


PATHS = [
    "id",
    "contact.email",
    "budget.amount",
    "a.b.c",
    "contact.email.x",
    "missing.key",
    "answers[?field.ref=='service'].text | [0]",
    "answers[?field.ref!='service'].text",
    "answers[0].text",
    "answers[-1].field",
    "answers[5]",
    "answers[*].field.ref",
    "answers[?callback].field.ref",
    "n[?@ == `true`]",
    "n[?@ != `1`]",
    "n[?@]",
    "answers[].text",
    "length(answers)",
    "[id, contact.email]",
    "[id, missing.key]",
    "missing.[id, status]",
    "join('|', [id, id, 'x'])",
    "join(', ', answers[*].field.ref)",
]


@pytest.mark.parametrize(
    "path", ["join('|', [id, missing.key])", "join('|', [id, n[0]])", "join(`1`, [id])"]
)
def test_compiled_join_fails_as_jmespath_does(path: str) -> None:
    """A composite external id with a null or non-text part raises JMESPath's own error (the
    row's failure reason), from the compiled closure as from the interpreter."""
    record = quote(1) | {"n": [1]}
    with pytest.raises(jmespath.exceptions.JMESPathTypeError) as interpreted:
        jmespath.search(path, record)
    with pytest.raises(jmespath.exceptions.JMESPathTypeError) as compiled:
        compile_getter(path)(record)
    assert str(compiled.value) == str(interpreted.value)


@pytest.mark.parametrize("path", PATHS)
def test_compiled_path_agrees_with_jmespath(path: str) -> None:
    record = quote(1) | {"a": {"b": "not a dict"}, "n": [1, True, 0, "", None, {"k": 1}]}
    record["answers"].append({"field": {"ref": "callback"}, "callback": True})
    assert compile_getter(path)(record) == jmespath.search(path, record)


@pytest.mark.parametrize("path", PATHS)
def test_column_path_agrees_with_jmespath_on_every_record(path: str) -> None:
    records = [
        quote(1) | {"a": {"b": {"c": 3}}, "n": [True, 1]},
        quote(2) | {"a": {"b": "not a dict"}, "contact": None, "budget": "not a dict"},
        {"id": "only-an-id", "a": None, "answers": []},  # `length()` needs a list
    ]
    column = compile_column(path)(records)
    assert column == [jmespath.search(path, record) for record in records]


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("id", "id"),
        ("contact.email", "contact"),
        ("answers[?field.ref=='x'].text | [0]", "answers"),
    ],
)
def test_top_level_key_of_a_path(path: str, key: str) -> None:
    assert top_level_key(path) == key


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-16t10:00:00z",
        "2026-11-16T10:00:00z",
        "2026-11-16t10:00:00Z",
        "2026-11-16t11:00:00+01:00",
        "2026-11-16t10:00:00.000z",
    ],
)
def test_rfc3339_timestamps_with_lowercase_t_and_z_parse(spec: ProviderSpec, text: str) -> None:
    chunk = apply(spec, quote(1, submitted_at=text))
    assert chunk.outcomes == [VALID]
    assert str(chunk.valid.iloc[0]["submitted_at"]) == "2026-11-16 10:00:00+00:00"


@pytest.mark.parametrize(
    ("value", "expected", "refused"),
    [
        ("QR-1", "QR-1", None),
        ("  QR-1\t", "QR-1", None),
        ("qr-1", "qr-1", None),
        (12, "12", None),
        ("   ", None, None),
        (None, None, None),
        ({"x": 1}, None, NOT_AN_ID),
        (["QR-1"], None, NOT_AN_ID),
        (True, None, NOT_AN_ID),
        (1.5, None, NOT_AN_ID),
        ("QR\x00-1", None, HAS_NUL),
        ("Q" * 191, "Q" * 191, None),
        ("Q" * 192, None, TOO_LONG),
        ("QR\t1", "QR\t1", None),  # other control characters compare exactly on both databases
    ],
)
def test_the_id_rule(value: Any, expected: str | None, refused: str | None) -> None:
    assert normalise_id(value) == (expected, refused)


def test_casefold_makes_ids_case_insensitive() -> None:
    assert normalise_id(" QR-Straße ", casefold=True) == ("qr-strasse", None)


def test_a_text_over_its_columns_bytes_fails_its_row(spec: ProviderSpec) -> None:
    """MEDIUMTEXT holds 16,777,215 bytes: 4,194,303 emoji fit, one more does not; SQLite would
    take either, so mapping refuses what MySQL could not store. A whole row is bounded tighter
    still (for MySQL's max_allowed_packet), so such a message fails as the record's size."""
    fits, over = "😀" * 4_194_303, "😀" * 4_194_304
    (check,) = limit_checks(ColumnLimit(max_bytes=16_777_215))
    assert check(pd.Series([fits, over], dtype="str")).check_output.tolist() == [True, False]
    chunk = apply(spec, quote(1, message="😀" * 60_000), quote(2, message=fits))
    assert chunk.outcomes == [VALID, FAILED]
    (failure,) = chunk.failures[1]
    assert (failure.field, failure.check) == ("record", SIZE_CHECK)
    assert failure.value == f"{len(chunk.payloads[1])} bytes"


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("short", "short"),
        (7, 7),
        (float("inf"), "inf"),
        (2**70, str(2**70)),
        ({"a": [1, 2]}, {"a": [1, 2]}),
        ({"a": [[[[1]]]]}, '{"a":[[[[1]]]]}'),
    ],
)
def test_a_failure_keeps_a_bounded_value(value: Any, kept: Any) -> None:
    assert bounded(value) == kept
    assert bounded("x" * 1000).startswith("x" * 200) and bounded("x" * 1000).endswith("chars)")


def test_an_integer_beyond_exact_floats_does_not_cast() -> None:
    typed, failed = cast([2**53, 2**53 + 2, "12", 1.5], "integer")
    assert typed.tolist()[0] == 2**53 and typed.tolist()[2] == 12
    assert failed.tolist() == [False, True, False, True]
