"""Scenario: what fault injection found after the hostile-input work, on SQLite and MySQL.

Each case once lost rows, a batch or the truth about a value:

- a value beyond MySQL's ``max_allowed_packet`` (a 17 MB message, a 17 MB CSV cell, a 20 MB
  unmapped value) lost the whole batch with "MySQL server has gone away" when its dead letter
  was written; now the row fails with its size, its dead letter keeps a bounded marker (size
  and SHA-256) and the 250 rows beside it load;
- a JSON-array export nested 2,000 deep crashed the batch with RecursionError; now that item
  is one failed row holding its text;
- a datetime's outcome depended on its neighbours (a nanosecond value made pandas parse the
  chunk in nanoseconds, whose range ends in 2262) and nanoseconds were cut silently; now each
  value parses alone and a time finer than a microsecond is refused with the reason;
- a stray CSV quote that closes cleanly swallowed a valid row into a message; now lines in and
  rows accounted agree, or the import row says which lines a record spans;
- NaN and Infinity in unmapped fields were stored as null; now such a row is not JSON and is
  kept as the text that was sent;
- an integer beyond 64 bits was read as a float and quoted as ``1.18e+21``; now it is kept and
  quoted digit for digit.
"""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from zartsalgo_pipelines.mapping.bounds import TOO_LARGE_KEY, canonical_json
from zartsalgo_pipelines.mapping.casting import cast
from zartsalgo_pipelines.ops.replay import replay_dead_letters
from zartsalgo_pipelines.pipeline.deliveries import process_deliveries, store_delivery
from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import BatchReview
from zartsalgo_pipelines.tables.limits import ROW_PAYLOAD_MAX_BYTES
from zartsalgo_pipelines_tests.helpers import assert_every_row_accounted, count, quote
from zartsalgo_pipelines_tests.pipeline.test_file_intake import CSV_FIELDS, HEADER, line
from zartsalgo_pipelines_tests.pipeline.test_properties import PROFILE

MB = 1024 * 1024


def sync(engine: sa.Engine, spec: ProviderSpec, folder: Path) -> BatchReview:
    return process_extract(engine, spec, extract_files(engine, spec, folder).batch_id)


def spec_for(make_spec: Callable[..., ProviderSpec], fmt: str) -> ProviderSpec:
    source = {"kind": "file", "path": f"*.{fmt}", "format": fmt}
    if fmt == "csv":
        return make_spec(source=source, fields=CSV_FIELDS, metrics=[], ignore=[], chunk_size=1000)
    return make_spec(source=source, chunk_size=1000)


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)
    return folder


def jsonl(records: list[Any]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def dead_letters(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT reason, failing_field, failing_check, raw_payload, source_position "
                "FROM integration_dead_letters ORDER BY id"
            )
        ).all()


def loaded(value: Any) -> Any:
    return value if isinstance(value, dict | list) or value is None else json.loads(value)


# --- 2. a value beyond MySQL's max_allowed_packet ------------------------------------------


def _oversized(case: str) -> tuple[str, str, bytes]:
    """(format, export text, what the failed row held: its canonical payload or its line)."""
    valid = [quote(n) for n in range(1, 251)]
    if case == "csv_cell":
        cell = "x" * (17 * MB)
        lines = [line(n) for n in range(1, 251)]
        lines.insert(125, line(251, message=cell))
        return "csv", HEADER + "".join(lines), line(251, message=cell).rstrip("\n").encode()
    if case == "jsonl_message":
        bad = quote(251, message="m" * (17 * MB))
    else:
        bad = quote(251, extra={"blob": "y" * (20 * MB)})
    valid.insert(125, bad)
    return "jsonl", jsonl(valid), canonical_json(bad)


@pytest.mark.parametrize("case", ["jsonl_message", "csv_cell", "unmapped_value"])
def test_a_value_beyond_the_packet_limit_fails_its_row_and_the_rest_loads(
    engine, make_spec, tmp_path, case
) -> None:
    fmt, text, held = _oversized(case)
    spec = spec_for(make_spec, fmt)
    folder = write(tmp_path, f"x.{fmt}", text)
    review = sync(engine, spec, folder)
    assert (review.status, review.rows_created, review.rows_failed) == ("succeeded", 250, 1)
    assert_every_row_accounted(engine, review.batch_id, 251)
    (letter,) = dead_letters(engine)
    assert letter.source_position == 126
    kept = loaded(letter.raw_payload)
    # Not the value: its size and hash, so the row can be found in the provider's export.
    assert kept == {TOO_LARGE_KEY: {"bytes": len(held), "sha256": hashlib.sha256(held).hexdigest()}}
    if case != "csv_cell":
        assert letter.failing_field == "record"
        assert letter.failing_check == f"at most {ROW_PAYLOAD_MAX_BYTES} bytes as JSON"
        assert letter.reason.endswith(f"got '{len(held)} bytes'")
    again = sync(engine, spec, folder)  # the same row fails again, the same way
    assert (again.rows_duplicate, again.rows_failed) == (250, 1)
    assert count(engine, "integration_dead_letters", "WHERE attempts = 2") == 1
    replay = replay_dead_letters(engine, spec)  # nothing kept to replay: it stays open
    assert (replay.review, replay.replayed, len(replay.still_failing)) == (None, [], 1)


def test_a_row_at_the_payload_limit_loads_whole(engine, make_spec, tmp_path) -> None:
    spec = spec_for(make_spec, "jsonl")
    record = quote(1, message="")
    record["message"] = "q" * (ROW_PAYLOAD_MAX_BYTES - len(canonical_json(record)))
    assert len(canonical_json(record)) == ROW_PAYLOAD_MAX_BYTES
    review = sync(engine, spec, write(tmp_path, "x.jsonl", jsonl([record, quote(2)])))
    assert (review.rows_created, review.rows_failed) == (2, 0)
    with engine.connect() as conn:
        message = conn.execute(
            sa.text("SELECT message FROM quote_requests WHERE external_id = 'QR-00001'")
        ).scalar_one()
    assert message == record["message"]


# --- 3. a JSON array nested 2,000 deep -----------------------------------------------------


def test_a_json_array_item_nested_2000_deep_is_one_failed_row(engine, make_spec, tmp_path) -> None:
    spec = spec_for(make_spec, "json")
    deep = "[" * 2000 + "]" * 2000
    item = '{"id": "QR-deep", "extra": ' + deep + "}"
    items = [json.dumps(quote(n)) for n in (1, 2)] + [item] + [json.dumps(quote(3))]
    review = sync(engine, spec, write(tmp_path, "x.json", "[" + ", ".join(items) + "]"))
    assert (review.status, review.rows_created, review.rows_failed) == ("succeeded", 3, 1)
    assert_every_row_accounted(engine, review.batch_id, 4)
    (letter,) = dead_letters(engine)
    assert letter.source_position == 3 and "nested too deep" in letter.reason
    assert loaded(letter.raw_payload) == {"unparsed_text": item}


# --- 4. a datetime parses the same whatever its neighbours ---------------------------------

FAR = "9999-12-31T23:59:59Z"
NANOS = "2026-11-18T10:30:00.123456789Z"


def test_a_datetime_parses_alone_and_nanoseconds_are_refused(engine, make_spec, tmp_path) -> None:
    spec = spec_for(make_spec, "jsonl")
    records = [
        quote(1, submitted_at=FAR),
        quote(2, submitted_at=NANOS),
        quote(3, submitted_at="2026-11-18T10:30:00.123456000Z"),  # zeros change nothing
    ]
    review = sync(engine, spec, write(tmp_path, "x.jsonl", jsonl(records)))
    assert (review.rows_created, review.rows_failed) == (2, 1)
    with engine.connect() as conn:
        stored = dict(
            conn.execute(sa.text("SELECT external_id, submitted_at FROM quote_requests")).all()
        )
    assert str(stored["QR-00001"]).startswith("9999-12-31 23:59:59")
    assert str(stored["QR-00003"]).startswith("2026-11-18 10:30:00.123456")
    (letter,) = dead_letters(engine)
    assert letter.failing_field == "submitted_at"
    assert letter.failing_check == "a time to the microsecond (no finer time is stored)"
    assert f"got '{NANOS}'" in letter.reason


fractions = st.integers(0, 9).flatmap(
    lambda digits: st.text("0123456789", min_size=digits, max_size=digits)
)
stamps = st.builds(
    lambda year, fraction, zone: (
        f"{year:04d}-06-15T08:30:00{'.' + fraction if fraction else ''}{zone}"
    ),
    st.integers(1, 9999),
    fractions,
    st.sampled_from(["Z", "z", "+02:00", "-11:30", ""]),
) | st.sampled_from([FAR, NANOS, "2262-04-12T00:00:00Z", "1677-09-21T00:00:00Z", "nope"])


@PROFILE
@given(chunk=st.lists(stamps, min_size=1, max_size=12))
def test_each_datetime_of_a_chunk_casts_as_it_would_alone(chunk: list[str]) -> None:
    together, failed = cast(chunk, "datetime")
    for position, value in enumerate(chunk):
        alone, alone_failed = cast([value], "datetime")
        assert bool(failed[position]) == bool(alone_failed[0]), value
        assert str(together.iloc[position]) == str(alone.iloc[0]), value


# --- 6. a stray CSV quote that closes cleanly ----------------------------------------------


def test_lines_and_rows_agree_or_the_import_row_says_why(engine, make_spec, tmp_path) -> None:
    """A stray quote that closes cleanly is well-formed CSV: the lines it took are one record,
    read as the CSV says. Its import row names the lines, and the line that alone is a whole
    record, so the swallowed row no longer vanishes without a word."""
    spec = spec_for(make_spec, "csv")
    text = (
        HEADER
        + line(1)
        + 'QR-2,acme,2026-11-16T10:00:00Z,new,"hello\n'  # a stray quote opens...
        + line(3)  # ...swallows a whole, valid row...
        + 'end",https://x.example\n'  # ...and closes where a field ends
        + line(5, message='"two\nlines"')  # a quoted value with a line break
        + line(7)
    )
    review = sync(engine, spec, write(tmp_path, "x.csv", text))
    assert (review.status, review.rows_created, review.rows_failed) == ("succeeded", 4, 0)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT source_position, reason FROM data_import_rows ORDER BY source_position")
        ).all()
    assert rows == [
        (1, None),
        (
            2,
            "the record spans lines 2-4 (a quoted value holds line breaks); line 3 alone is a "
            "whole record: check the export for a stray quote",
        ),
        (5, "the record spans lines 5-6 (a quoted value holds line breaks)"),
        (7, None),
    ]
    # Every data line is accounted for: by its own row, or by the row that names it.
    spans = [(int(m[0]), int(m[1])) for r in rows if r.reason for m in [_span(r.reason)]]
    covered = {p for p, _ in rows} | {n for first, last in spans for n in range(first, last + 1)}
    assert covered == set(range(1, 8))


def _span(reason: str) -> tuple[str, str]:
    first, last = reason.split("lines ", 1)[1].split(" ", 1)[0].split("-")
    return first, last


# --- 7. NaN and Infinity -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_nan_and_infinity_are_not_json_and_their_rows_keep_their_text(
    engine, make_spec, tmp_path, fmt
) -> None:
    spec = spec_for(make_spec, fmt)
    good = [json.dumps(quote(n)) for n in (1, 4)]
    odd = [
        json.dumps(quote(2, extra={"ratio": float("nan")})),
        json.dumps(quote(3, extra={"ratio": [float("inf"), float("-inf")]})),
    ]
    items = [good[0], *odd, good[1]]
    text = "[" + ",\n".join(items) + "]" if fmt == "json" else "\n".join(items) + "\n"
    review = sync(engine, spec, write(tmp_path, f"x.{fmt}", text))
    assert (review.rows_created, review.rows_failed) == (2, 2)
    assert_every_row_accounted(engine, review.batch_id, 4)
    kept = [loaded(letter.raw_payload) for letter in dead_letters(engine)]
    assert kept == [{"unparsed_text": item} for item in odd]
    with engine.connect() as conn:
        contexts = conn.execute(sa.text("SELECT source_context FROM quote_requests")).scalars()
        assert all("ratio" not in json.dumps(loaded(c)) for c in contexts)


# --- 11. integers beyond 64 bits ------------------------------------------------------------

HUGE = 1180591620717411303424  # 2**70


@pytest.mark.parametrize("fmt", ["json", "jsonl", "webhook"])
def test_an_integer_beyond_64_bits_is_kept_and_quoted_digit_for_digit(
    engine, make_spec, tmp_path, fmt
) -> None:
    records = [quote(1, extra={"ref": HUGE}), quote(2, budget__amount=HUGE)]
    if fmt == "webhook":
        spec = spec_for(make_spec, "jsonl")
        for n, record in enumerate(records, 1):
            body = json.dumps({"data": record}).encode()
            assert store_delivery(engine, spec.key, f"msg-{n}", body)
        (review,) = process_deliveries(engine, spec)
    else:
        spec = spec_for(make_spec, fmt)
        text = json.dumps(records) if fmt == "json" else jsonl(records)
        review = sync(engine, spec, write(tmp_path, f"x.{fmt}", text))
    assert (review.rows_created, review.rows_failed) == (1, 1)
    with engine.connect() as conn:
        payload, context = conn.execute(
            sa.text(
                "SELECT o.raw_payload, q.source_context FROM integration_external_objects o "
                "JOIN quote_requests q ON q.external_id = o.external_id"
            )
        ).one()
    assert loaded(payload)["extra"]["ref"] == HUGE
    assert loaded(context)["extra"]["ref"] == HUGE
    (letter,) = dead_letters(engine)
    assert letter.failing_field == "budget_amount"
    assert letter.reason.endswith(f"got {HUGE}"), letter.reason
    assert loaded(letter.raw_payload)["budget"]["amount"] == HUGE
