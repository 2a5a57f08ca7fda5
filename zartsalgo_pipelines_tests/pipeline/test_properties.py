"""Scenario (property-based): whatever records a provider sends, the batch accounts for them.

Hypothesis builds exports of random records (nesting of any depth, long texts, NUL, emoji,
odd and out-of-range numbers, ids of any type, case and padding, timestamps of every spelling)
and runs them through ``ingest_rows`` on SQLite and MySQL, in small chunks and above the bulk
threshold. For every export: rows in = import rows = the sum of the batch's outcomes; every
record has its external object, link and import row; what is stored is what was received
(texts trimmed as every text is, numbers to the last digit, payloads whole, dead letters too);
a re-run changes nothing. The number of examples comes from a profile:
``ZARTSALGO_HYPOTHESIS_PROFILE`` = ``dev`` (default, a few), ``ci`` or ``thorough``.
"""

import itertools
import json
import os
from collections.abc import Callable
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zartsalgo_pipelines.mapping.bounds import TOO_DEEP_KEY
from zartsalgo_pipelines.mapping.ids import normalise_id
from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import mysql_bulk
from zartsalgo_pipelines.tables import DataImportRow, QuoteRequest, table_of
from zartsalgo_pipelines_tests.helpers import assert_every_row_accounted, quote

_SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
for _name, _examples in (("dev", 6), ("ci", 15), ("thorough", 200)):
    settings.register_profile(
        _name, max_examples=_examples, deadline=None, suppress_health_check=_SLOW
    )
PROFILE = settings.get_profile(os.environ.get("ZARTSALGO_HYPOTHESIS_PROFILE", "dev"))

_PROVIDERS = itertools.count(1)  # each example is a provider of its own in the same database

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)  # what JSON can carry
finite = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | finite | text


def nested(levels: int) -> Any:
    value: Any = "bottom"
    for level in range(levels):
        value = {"k": value} if level % 2 else [value]
    return value


structures = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8,
)
ids = (
    st.sampled_from(["QR-1", "qr-1", " QR-1 ", "QR-1\t", "QR-2", "😀-1", "Q" * 191, "Q" * 192])
    | st.sampled_from(["QR-\x00", "", "  ", "QR\\N", "Qr-Straße"])
    | st.integers(-3, 3)
    | structures
)
messages = st.none() | text | st.sampled_from(["x" * 70_000, "😀" * 20_000, " pad \x00 "])
amounts = (
    st.none()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(-(2**70), 2**70)
    | st.sampled_from(["inf", "-inf", "nan", "12.5", "1e12", "999999999999.99", "0.001"])
)
times = st.sampled_from(
    ["2026-11-16T10:00:00Z", "2026-11-16t10:00:00.123456z", "2026-11-16 10:00", "yesterday"]
)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record = quote(
        draw(st.integers(1, 5)),
        id=draw(ids),
        message=draw(messages),
        budget__amount=draw(amounts),
        contact__name=draw(st.none() | text | st.just("n" * 201) | structures),
        submitted_at=draw(times),
    )
    if draw(st.booleans()):
        record["extra"] = draw(structures | st.integers(0, 40).map(nested))
    # What a JSON-lines export delivers: JSON text parsed as the reader parses it.
    return dict(orjson.loads(json.dumps(record, ensure_ascii=False, allow_nan=False)))


def _json(value: Any) -> Any:
    return value if value is None or isinstance(value, dict | list) else json.loads(value)


def _text_as_stored(value: Any) -> Any:
    """A text field as the string cast stores it: trimmed, blank as missing, numbers as text."""
    if value is None:
        return None
    return value.strip() or None if isinstance(value, str) else str(value)


def _stored(engine: sa.Engine, spec: ProviderSpec) -> dict[str, Any]:
    quotes = table_of(QuoteRequest)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(quotes).where(quotes.c.provider_key == spec.key)).all()
        objects = conn.execute(
            sa.text(
                "SELECT external_id, payload_hash, raw_payload FROM integration_external_objects "
                "WHERE provider_key = :p"
            ),
            {"p": spec.key},
        ).all()
        links = conn.execute(
            sa.text(
                "SELECT l.external_object_id, l.record_id FROM integration_object_links l JOIN "
                "integration_external_objects o ON o.id = l.external_object_id "
                "WHERE o.provider_key = :p"
            ),
            {"p": spec.key},
        ).all()
    return {
        "records": sorted(tuple(r) for r in rows),
        "objects": sorted((i, h, orjson.dumps(_json(p))) for i, h, p in objects),
        "links": sorted(tuple(r) for r in links),
    }


def _check_values(engine: sa.Engine, spec: ProviderSpec, batch_id: int, sent: list[Any]) -> None:
    """Each stored record is the newest stored row of its id, value for value; each dead
    letter holds its row whole."""
    rows = table_of(DataImportRow)
    with engine.connect() as conn:
        outcomes = conn.execute(
            sa.select(rows.c.row_number, rows.c.status, rows.c.external_id, rows.c.payload_hash)
            .where(rows.c.batch_id == batch_id)
            .order_by(rows.c.row_number)
        ).all()
        letters = dict(
            conn.execute(
                sa.text(
                    "SELECT payload_hash, raw_payload FROM integration_dead_letters "
                    "WHERE provider_key = :p"
                ),
                {"p": spec.key},
            ).all()
        )
        quotes = table_of(QuoteRequest)
        stored = {
            r.external_id: r
            for r in conn.execute(sa.select(quotes).where(quotes.c.provider_key == spec.key))
        }
    newest: dict[str, Any] = {}
    casefold = bool(spec.field("external_id").casefold)  # type: ignore[union-attr]
    for number, status, external_id, digest in outcomes:
        record = sent[number - 1]
        if status in {"created", "updated"}:
            assert external_id == normalise_id(record["id"], casefold)[0]
            newest[external_id] = record
        if status == "failed":
            kept = _json(letters[digest])
            if isinstance(kept, dict) and set(kept) == {TOO_DEEP_KEY}:
                kept = json.loads(kept[TOO_DEEP_KEY])
            assert kept == record
    assert set(stored) >= set(newest)
    for external_id, record in newest.items():
        row = stored[external_id]
        assert row.message == _text_as_stored(record["message"])
        assert row.contact_name == _text_as_stored(record["contact"]["name"])
        amount = record["budget"]["amount"]
        if amount is None:
            assert row.budget_amount is None
        else:
            assert float(row.budget_amount) == float(amount)


def _spec(make_spec: Callable[..., ProviderSpec], chunk_size: int, casefold: bool) -> ProviderSpec:
    base = make_spec()
    fields = [
        e.model_dump(exclude_none=True) | {"casefold": casefold and e.target == "external_id"}
        for e in base.fields
    ]
    return make_spec(key=f"property_{next(_PROVIDERS)}", chunk_size=chunk_size, fields=fields)


@pytest.mark.parametrize("bulk", [False, True], ids=["small_chunks", "bulk_chunks"])
def test_any_export_is_accounted_for_and_stored_unchanged(
    engine: sa.Engine, make_spec: Callable[..., ProviderSpec], bulk: bool
) -> None:
    @settings(parent=PROFILE)
    @given(
        sent=st.lists(records(), min_size=1, max_size=12),
        chunk_size=st.sampled_from([2, 5, 1000]),
        casefold=st.booleans(),
    )
    def run(sent: list[dict[str, Any]], chunk_size: int, casefold: bool) -> None:
        if bulk:  # enough plain rows around them for MySQL's LOAD DATA path
            sent = [quote(90_000 + n) for n in range(mysql_bulk.BULK_MIN_ROWS)] + sent
            chunk_size = 1000
        spec = _spec(make_spec, chunk_size, casefold)
        rows = [SourceRow("export.jsonl", n, record) for n, record in enumerate(sent, 1)]
        batch = open_direct_batch(engine, spec, "file", "export.jsonl")
        review = ingest_rows(engine, spec, batch, rows)
        assert review.status == "succeeded"
        assert_every_row_accounted(engine, batch, len(sent))
        _check_values(engine, spec, batch, sent)
        before = _stored(engine, spec)
        again = open_direct_batch(engine, spec, "file", "export.jsonl")
        rerun = ingest_rows(engine, spec, again, rows)
        counts = assert_every_row_accounted(engine, again, len(sent))
        assert (counts["created"], counts["updated"]) == (0, 0)
        assert (rerun.rows_failed, rerun.rows_ignored) == (review.rows_failed, review.rows_ignored)
        assert _stored(engine, spec) == before

    run()
