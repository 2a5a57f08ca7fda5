"""Scenario: manual entry takes what people have. A CSV file, an .xlsx sheet or JSON lines whose
columns name the fields by the export's dotted path, the spec's label or the target (any
letter case) is entered as records in the export's shape, the `service` answer included; a file
that cannot be read is refused in one line naming the column expected and the one found, and
nothing is written. Putting a value where a source path reads it is checked as a property."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from zartsalgo_pipelines.jsonpaths import compile_getter
from zartsalgo_pipelines.ops.manual import manual_entry
from zartsalgo_pipelines.ops.manual_files import ManualFileError
from zartsalgo_pipelines.ops.placing import place, placement_steps
from zartsalgo_pipelines.specs.loading import provider_spec
from zartsalgo_pipelines_tests.helpers import count, quote


def csv_file(folder: Path, text: str) -> Path:
    path = folder / "phoned_in.csv"
    path.write_text(text, encoding="utf-8")
    return path


def jsonl_file(folder: Path, records: list[dict[str, Any]]) -> Path:
    path = folder / "phoned_in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def xlsx_file(folder: Path, rows: list[list[Any]]) -> Path:
    path = folder / "phoned_in.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


RECEIVED = "2026-11-16T10:00:00Z"
ACCEPTED = {
    "csv-export-paths": lambda folder: csv_file(
        folder,
        "id,client.slug,submitted_at,status,contact.email,budget.amount\n"
        f"QR-1,acme-roofing,{RECEIVED},new,ana@example.org,1200\n",
    ),
    "csv-labels": lambda folder: csv_file(
        folder,
        "Request ID,Client,Received,Status,Email,Service,Budget\n"
        f"QR-1,acme-roofing,{RECEIVED},new,ana@example.org,roof repair,1200\n",
    ),
    "csv-targets-any-case": lambda folder: csv_file(
        folder,
        "EXTERNAL_ID,client_key,Submitted_At,status,contact_email,service,budget_amount\n"
        f"QR-1,acme-roofing,{RECEIVED},new,ana@example.org,roof repair,1200\n",
    ),
    "jsonl-export-shape": lambda folder: jsonl_file(folder, [quote(1, id="QR-1")]),
    "jsonl-labels": lambda folder: jsonl_file(
        folder,
        [{"Request ID": "QR-1", "Client": "acme-roofing", "Received": RECEIVED, "Status": "new"}],
    ),
    "xlsx-labels": lambda folder: xlsx_file(
        folder,
        [
            ["Request ID", "Client", "Received", "Status", "Service", "Budget", "Postal code"],
            [None] * 7,  # an empty row is skipped
            [
                "QR-1",
                "acme-roofing",
                dt.datetime(2026, 11, 16, 10),
                "new",
                "roof repair",
                1200,
                10115,
            ],
        ],
    ),
}


@pytest.mark.parametrize("write", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_columns_named_by_path_label_or_target_are_entered(
    engine, make_spec, tmp_path, write
) -> None:
    review = manual_entry(
        engine, make_spec(), write(tmp_path), entered_by="ana@zartsalgo.example", reason="phone"
    )
    assert (review.status, review.rows_total, review.rows_created) == ("succeeded", 1, 1)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT external_id, client_key, status, submitted_at FROM quote_requests")
        ).one()
    assert tuple(stored[:3]) == ("QR-1", "acme-roofing", "new")
    assert str(stored.submitted_at).startswith("2026-11-16 10:00:00")


def test_the_service_answer_lands_where_the_export_has_it(engine, make_spec, tmp_path) -> None:
    path = ACCEPTED["csv-labels"](tmp_path)
    manual_entry(engine, make_spec(), path, entered_by="ana", reason="phone")
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT service, budget_amount FROM quote_requests")).one()
    assert (row.service, float(row.budget_amount)) == ("roof repair", 1200.0)


REFUSED = [
    (
        lambda f: csv_file(f, "id,clinet.slug,submitted_at,status\nQR-1,a,2026-11-16,new\n"),
        "phoned_in.csv: column `clinet.slug` names no field of quote_request; "
        "expected `client.slug`",
    ),
    (
        lambda f: csv_file(f, "id,Client,client.slug,status\nQR-1,a,a,new\n"),
        "columns `Client` and `client.slug` both name field `client_key`",
    ),
    (
        lambda f: csv_file(f, "id,status\nQR-1,new\n"),
        "no row has a value for required field `client_key`; expected a column `client.slug` "
        "(or `Client` or `client_key`) with values, got `id`, `status`",
    ),
    (lambda f: csv_file(f, "id,,status\nQR-1,x,new\n"), "column 2 has no name"),
    (lambda f: csv_file(f, "id,client.slug\n"), "phoned_in.csv: no records to enter"),
    (
        lambda f: jsonl_file(f, [{"id": "QR-1", "status": "new"}]),
        "no row has a value for required field `client_key`",
    ),
    (lambda f: (f / "x.txt").write_text("a") and f / "x.txt", "x.txt: unknown file type"),
    (
        lambda f: (f / "bad.xlsx").write_text("not a zip") and f / "bad.xlsx",
        "bad.xlsx: not a readable .xlsx workbook",
    ),
]


@pytest.mark.parametrize(("write", "says"), REFUSED)
def test_a_file_that_cannot_be_read_is_refused_in_one_line_and_nothing_is_written(
    engine, make_spec, tmp_path, write, says
) -> None:
    with pytest.raises(ManualFileError) as refused:
        manual_entry(engine, make_spec(), write(tmp_path), entered_by="ana", reason="phone")
    assert says in str(refused.value) and "\n" not in str(refused.value)
    assert count(engine, "data_import_batches") == 0
    assert count(engine, "integration_providers") == 0


def test_every_shipped_source_path_can_be_filled() -> None:
    for key in ("quote_request", "crm_deals"):
        for field in provider_spec(key).spec.fields:
            assert placement_steps(field.source) is not None, (key, field.source)


keys = st.text(st.characters(categories=("L", "N"), include_characters="_"), min_size=1)
values = st.one_of(st.text(min_size=1), st.integers(), st.floats(allow_nan=False))


@given(path=st.lists(keys, min_size=1, max_size=4), value=values)
def test_a_value_put_at_a_key_chain_reads_back(path: list[str], value: Any) -> None:
    expression = ".".join(json.dumps(key) for key in path)  # quoted: any key is an identifier
    steps = placement_steps(expression)
    assert steps is not None
    record: dict[str, Any] = {}
    assert place(record, expression, steps, value)
    assert compile_getter(expression)(record) == value


@given(refs=st.lists(keys, min_size=1, max_size=4, unique=True), value=values)
def test_answers_put_by_filter_read_back_each_in_its_own_item(refs: list[str], value: Any) -> None:
    record: dict[str, Any] = {}
    for ref in refs:
        expression = f"answers[?field.ref==`{json.dumps(ref)}`].text | [0]"
        steps = placement_steps(expression)
        assert steps is not None and place(record, expression, steps, [ref, value])
    for ref in refs:
        got = compile_getter(f"answers[?field.ref==`{json.dumps(ref)}`].text | [0]")(record)
        assert got == [ref, value]
    assert len(record["answers"]) == len(refs)
