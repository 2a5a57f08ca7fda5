"""Scenario: one hostile row in an export never stops the batch and nothing is stored changed.

Each row below once stopped the whole batch (a TypeError, MySQL 1406/1264/4025, a UNIQUE
clash) or was stored cut or clipped on MySQL's bulk path. Now each ends as ONE failed import
row with a dead letter naming field, rule and a bounded value, the dead letter keeps the row
whole, the rest of the export loads, and a re-run changes nothing: on SQLite and MySQL, in
small chunks (bound statements) and in chunks above the bulk threshold (MySQL: LOAD DATA).
Values at the very edge of a column load exactly as sent.
"""

import csv
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.mapping.bounds import REASON_MAX_CHARS, TOO_DEEP_KEY
from zartsalgo_pipelines.ops.replay import replay_dead_letters
from zartsalgo_pipelines.pipeline.deliveries import process_deliveries, store_delivery
from zartsalgo_pipelines.pipeline.run import (
    extract_files,
    ingest_rows,
    open_direct_batch,
    process_extract,
)
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import mysql_bulk
from zartsalgo_pipelines.storage.import_batches import BatchReview
from zartsalgo_pipelines.tables import QuoteRequest, table_of
from zartsalgo_pipelines_tests.helpers import assert_every_row_accounted, count, quote

SMALL, BULK = 5, mysql_bulk.BULK_MIN_ROWS + 20  # rows per export; one chunk either way
SIZES = [pytest.param(SMALL, id="small_path"), pytest.param(BULK, id="bulk_path")]


def nested(levels: int) -> Any:
    value: Any = "bottom"
    for level in range(levels):
        value = {"level": value} if level % 2 else [value]
    return value


def sync(engine: sa.Engine, spec: ProviderSpec, folder: Path) -> BatchReview:
    return process_extract(engine, spec, extract_files(engine, spec, folder).batch_id)


@pytest.fixture
def spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    return make_spec(source={"kind": "file", "path": "*.jsonl", "format": "jsonl"}, chunk_size=1000)


def _loaded(value: Any) -> Any:
    return value if isinstance(value, dict | list) or value is None else json.loads(value)


# (case, changes to the row, failing field, failing check, shown value begins)
HOSTILE = [
    ("object_id", {"id": {"x": 1}}, "external_id", "a text or whole-number id", "{'x': 1}"),
    ("list_id", {"id": ["QR-1", "QR-2"]}, "external_id", "a text or whole-number id", "['QR-1'"),
    ("boolean_id", {"id": True}, "external_id", "a text or whole-number id", "True"),
    ("float_id", {"id": 12.5}, "external_id", "a text or whole-number id", "12.5"),
    ("nul_in_id", {"id": "QR-\x00-1"}, "external_id", "an id without NUL characters", "'QR-"),
    ("id_too_long", {"id": "Q" * 192}, "external_id", "at most 191 chars", "'QQQ"),
    # The record is a level itself: 32 levels are the first MariaDB refuses.
    ("nested_32_deep", {"extra": nested(31)}, "record", "nested at most 31 levels deep", "'32 l"),
    ("nested_40_deep", {"extra": nested(39)}, "record", "nested at most 31 levels deep", "'40 l"),
    ("name_too_long", {"contact__name": "n" * 201}, "contact_name", "at most 200 chars", "'nnn"),
    (
        "huge_bad_value",
        {"contact__email": "@" * 70_000},
        "contact_email",
        "email format",
        "'@@@",
    ),
    ("budget_1e21", {"budget__amount": 1e21}, "budget_amount", "a finite number under 10^12", "1e"),
    (
        "budget_at_range",
        {"budget__amount": 1e12},
        "budget_amount",
        "a finite number under 10^12",
        "1000000000000.0",
    ),
    ("budget_inf", {"budget__amount": "inf"}, "budget_amount", "not a valid decimal", "'inf'"),
    ("budget_nan", {"budget__amount": "nan"}, "budget_amount", "not a valid decimal", "'nan'"),
    ("budget_cents", {"budget__amount": 12.345}, "budget_amount", "at most 2 decimal", "12.345"),
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("case", "changes", "field", "check", "shown"), HOSTILE, ids=[h[0] for h in HOSTILE]
)
def test_a_hostile_row_fails_alone_and_the_rest_loads(
    engine, spec, write_export, size, case, changes, field, check, shown
) -> None:
    bad = quote(size, **changes)
    records = [quote(n) for n in range(1, size)]
    where = len(records) // 2
    records.insert(where, bad)
    folder = write_export(records)
    review = sync(engine, spec, folder)
    assert review.status == "succeeded"
    assert (review.rows_created, review.rows_failed) == (size - 1, 1)
    assert assert_every_row_accounted(engine, review.batch_id, size)["failed"] == 1
    with engine.connect() as conn:
        letter = conn.execute(
            sa.text(
                "SELECT reason, failing_field, failing_check, raw_payload, external_id, "
                "source_position FROM integration_dead_letters"
            )
        ).one()
        row = conn.execute(
            sa.text("SELECT reason, external_id FROM data_import_rows WHERE status = 'failed'")
        ).one()
    assert (letter.failing_field, letter.source_position) == (field, where + 1)
    assert letter.failing_check.startswith(check)
    assert letter.reason.startswith(f"{field} (") and check in letter.reason
    assert f"got {shown}" in letter.reason and len(letter.reason) < 400
    assert row.reason == letter.reason
    # An id that breaks the id rule is stored nowhere as an id.
    expected_id = None if field == "external_id" else bad["id"]
    assert letter.external_id == row.external_id == expected_id
    kept = _loaded(letter.raw_payload)
    if field == "record":
        assert set(kept) == {TOO_DEEP_KEY}  # kept whole, as text no JSON column refuses
        kept = json.loads(kept[TOO_DEEP_KEY])
    assert kept == bad
    again = sync(engine, spec, folder)
    assert (again.rows_duplicate, again.rows_failed, again.status) == (size - 1, 1, "succeeded")
    assert_every_row_accounted(engine, again.batch_id, size)
    assert count(engine, "integration_dead_letters", "WHERE attempts = 2") == 1


def test_a_reason_stays_bounded_however_many_values_fail(engine, spec) -> None:
    huge = "x" * 100_000
    bad = quote(
        1,
        id=huge,
        client__slug=huge,
        contact__name=huge,
        contact__email=huge,
        contact__phone=huge,
        postal_code=huge,
        page__url=huge,
        budget__amount=huge,
        submitted_at=huge,
        status=huge,
    )
    batch = open_direct_batch(engine, spec, "manual", "bounded reason")
    review = ingest_rows(engine, spec, batch, [SourceRow("manual", 1, bad)])
    assert review.rows_failed == 1
    with engine.connect() as conn:
        reason, failures = conn.execute(
            sa.text("SELECT reason, failures FROM integration_dead_letters")
        ).one()
    assert len(reason) <= REASON_MAX_CHARS + 40
    assert "external_id (Request ID): at most 191 chars; got 'xxx" in reason
    assert all(len(json.dumps(value)) < 300 for _f, _c, value in _loaded(failures))


@pytest.mark.parametrize("size", SIZES)
def test_values_at_the_edge_of_their_columns_load_exactly(engine, spec, write_export, size) -> None:
    long_message = "Bitte um Rückruf ❄️ " * 12_000  # 240,000 characters, 336,000 bytes
    edge = [
        quote(1, message=long_message, contact__name="ü" * 200),
        quote(2, message="😀" * 60_000, budget__amount=999999999999.99),
        quote(3, extra=nested(30), submitted_at="2026-11-16T10:00:00.123456Z"),
        quote(4, id="Q" * 191, budget__amount=0.01),
    ]
    records = edge + [quote(n) for n in range(5, size + 1)]
    review = sync(engine, spec, write_export(records))
    assert (review.rows_created, review.rows_failed) == (size, 0)
    assert_every_row_accounted(engine, review.batch_id, size)
    with engine.connect() as conn:
        # Through the table's types: SQLite keeps decimals and datetimes as REAL and TEXT.
        stored = {r.external_id: r for r in conn.execute(sa.select(table_of(QuoteRequest)))}
        payloads = dict(
            conn.execute(
                sa.text("SELECT external_id, raw_payload FROM integration_external_objects")
            ).all()
        )
    assert stored["QR-00001"].message == long_message.strip()
    assert stored["QR-00001"].contact_name == "ü" * 200
    assert stored["QR-00002"].message == "😀" * 60_000
    assert stored["QR-00002"].budget_amount == Decimal("999999999999.99")
    assert stored["QR-00003"].submitted_at == dt.datetime(2026, 11, 16, 10, 0, 0, 123456)
    assert _loaded(stored["QR-00003"].source_context)["extra"] == nested(30)
    assert stored["Q" * 191].budget_amount == Decimal("0.01")
    assert all(_loaded(payloads[r["id"]]) == r for r in edge)


@pytest.mark.parametrize("casefold", [False, True], ids=["exact_ids", "casefolded_ids"])
@pytest.mark.parametrize("size", SIZES)
def test_ids_differing_only_by_case_or_spaces_follow_one_rule(
    engine, make_spec, write_export, casefold, size
) -> None:
    overrides = {}
    if casefold:
        overrides["fields"] = [
            e.model_dump(exclude_none=True) | {"casefold": e.target == "external_id"}
            for e in make_spec().fields
        ]
    spec = make_spec(
        source={"kind": "file", "path": "*.jsonl", "format": "jsonl"}, chunk_size=1000, **overrides
    )
    variants = [
        quote(1, id="QR-1"),
        quote(2, id="qr-1"),
        quote(3, id=" QR-1 "),
        quote(4, id="QR-1\t"),
    ]
    records = variants + [quote(n) for n in range(5, size + 1)]
    folder = write_export(records)
    review = sync(engine, spec, folder)
    assert review.status == "succeeded"
    with engine.connect() as conn:
        ids = set(conn.execute(sa.text("SELECT external_id FROM quote_requests")).scalars())
    if casefold:
        assert (review.rows_created, review.rows_updated) == (size - 3, 3)
        assert "qr-1" in ids and "QR-1" not in ids
    else:
        # QR-1 and qr-1 are two ids; " QR-1 " and "QR-1\t" are QR-1 trimmed: later versions.
        assert (review.rows_created, review.rows_updated) == (size - 2, 2)
        assert {"QR-1", "qr-1"} <= ids
    assert_every_row_accounted(engine, review.batch_id, size)
    again = sync(engine, spec, folder)
    assert (again.rows_duplicate, again.rows_created, again.rows_updated) == (size, 0, 0)


def test_a_csv_id_with_spaces_is_one_id_in_every_table(engine, make_spec, tmp_path) -> None:
    spec = make_spec(
        source={"kind": "file", "path": "*.csv", "format": "csv"},
        fields=[
            {"source": "id", "target": "external_id", "type": "string", "required": True,
             "label": "Request ID"},
            {"source": "client", "target": "client_key", "type": "string", "required": True,
             "label": "Client"},
            {"source": "submitted_at", "target": "submitted_at", "type": "datetime",
             "required": True, "label": "Received"},
            {"source": "status", "target": "status", "type": "string", "required": True,
             "label": "Status"},
        ],
        metrics=[],
    )  # fmt: skip
    folder = tmp_path / "csv"
    folder.mkdir()
    with (folder / "export.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "client", "submitted_at", "status"])
        writer.writerow(["  CSV-0009  ", "acme", "2026-11-16t10:00:00z", "new"])
        writer.writerow(["CSV-0010", "acme", "2026-11-16T10:00:00Z", "new"])
    review = sync(engine, spec, folder)
    assert (review.rows_created, review.rows_failed) == (2, 0)
    assert_every_row_accounted(engine, review.batch_id, 2)
    with engine.connect() as conn:
        seen = [
            set(conn.execute(sa.text(f"SELECT external_id FROM {table}")).scalars())
            for table in (
                "quote_requests",
                "integration_external_objects",
                "integration_object_versions",
                "data_import_rows",
            )
        ]
    assert seen == [{"CSV-0009", "CSV-0010"}] * 4
    assert count(engine, "integration_object_links") == 2


def test_an_id_with_nul_fails_its_row_and_reruns_do_not_crash(engine, spec, write_export) -> None:
    records = [quote(1), quote(2, id="QR-2\x00tail"), quote(3, id="QR-3\x00")]
    folder = write_export(records)
    for attempt in (1, 2, 3):
        review = sync(engine, spec, folder)
        assert (review.status, review.rows_failed) == ("succeeded", 2), attempt
        assert assert_every_row_accounted(engine, review.batch_id, 3)["failed"] == 2
    assert count(engine, "quote_requests") == 1
    assert count(engine, "integration_dead_letters", "WHERE attempts = 3") == 2


def test_a_too_deep_dead_letter_replays_whole(engine, spec, write_export) -> None:
    """A replay reads the record back out of the text it was kept as, and fails it again the
    same way: the dead letter's payload round-trips."""
    folder = write_export([quote(1, extra=nested(39))])
    assert sync(engine, spec, folder).rows_failed == 1
    result = replay_dead_letters(engine, spec)
    assert result.review is not None and result.review.rows_failed == 1
    assert result.still_failing and not result.replayed
    with engine.connect() as conn:
        reason, attempts = conn.execute(
            sa.text("SELECT reason, attempts FROM integration_dead_letters")
        ).one()
    assert reason == "record (record): nested at most 31 levels deep; got '40 levels'"
    assert attempts == 2


def test_webhook_delivery_ids_are_compared_exactly(engine) -> None:
    """On MySQL the default collation took `msg_case_a` for a redelivery of `msg_Case_A`."""
    assert store_delivery(engine, "quote_request", "msg_Case_A", b"{}")
    assert store_delivery(engine, "quote_request", "msg_case_a", b"{}")
    assert not store_delivery(engine, "quote_request", "msg_case_a", b"{}")
    assert count(engine, "integration_webhook_deliveries") == 2


def test_a_webhook_delivery_with_an_object_id_fails_alone(engine, spec) -> None:
    """Such a delivery once failed its batch on every run, and every later delivery with it."""
    bodies = [{"data": quote(1)}, {"data": quote(2, id={"x": 1})}, {"data": quote(3)}]
    for number, body in enumerate(bodies, 1):
        assert store_delivery(engine, spec.key, f"msg_{number}", json.dumps(body).encode())
    (review,) = process_deliveries(engine, spec)
    assert (review.status, review.rows_created, review.rows_failed) == ("succeeded", 2, 1)
    assert_every_row_accounted(engine, review.batch_id, 3)
    assert store_delivery(engine, spec.key, "msg_4", json.dumps({"data": quote(4)}).encode())
    (later,) = process_deliveries(engine, spec)
    assert (later.rows_created, later.rows_failed) == (1, 0)
