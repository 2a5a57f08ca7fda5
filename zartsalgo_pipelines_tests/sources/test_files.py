"""Scenario: exports are read as numbered rows in JSON lines, CSV and JSON-array form; lines
that cannot be parsed become rows with an error (so they are dead-lettered, not lost); globs
resolve relative to the spec folder, sorted; a file given by hand is read by its extension. A
UTF-8 byte order mark is read as encoding in every format. CSV rows are numbered by the line
(after the header) they start on: a quoted field over several lines is one record, a quote that
never closes where a field ends makes every line it swallowed a failed row of its own, and
well-formed CSV (written by Python's csv module, any text) always reads back exactly
(hypothesis)."""

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zartsalgo_pipelines.sources import files
from zartsalgo_pipelines.sources.files import file_rows, iter_file_rows, resolve_paths

RECORDS = [{"id": "a", "n": 1, "text": "Zoë ❄️"}, {"id": "b", "n": 2, "text": "Łukasz"}]


def write(path: Path, fmt: str) -> Path:
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), "utf-8")
    elif fmt == "json":
        path.write_text(json.dumps(RECORDS, ensure_ascii=False, indent=2), "utf-8")
    else:
        path.write_text("id,n,text\na,1,Zoë ❄️\nb,2,Łukasz\n", "utf-8")
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_each_format_yields_numbered_records(tmp_path: Path, fmt: str) -> None:
    rows = list(iter_file_rows(write(tmp_path / f"x.{fmt}", fmt), fmt, f"x.{fmt}"))
    assert [r.position for r in rows] == [1, 2]
    assert [r.record["id"] for r in rows if r.record] == ["a", "b"]
    assert rows[0].record and rows[0].record["text"] == "Zoë ❄️"
    assert all(r.source_ref == f"x.{fmt}" and r.error is None for r in rows)


def test_json_array_is_streamed_across_read_boundaries(tmp_path: Path) -> None:
    many = [{"id": str(i), "pad": "x" * 500} for i in range(400)]  # ~200 kB, several reads
    path = tmp_path / "big.json"
    path.write_text(json.dumps(many), "utf-8")
    rows = list(iter_file_rows(path, "json", "big.json"))
    assert [r.record["id"] for r in rows if r.record] == [str(i) for i in range(400)]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("{not json", "line is not valid JSON"),
        ("[1, 2]", "record is a JSON list, not an object"),
        ('"text"', "record is a JSON str, not an object"),
    ],
)
def test_unparseable_lines_become_error_rows(tmp_path: Path, line: str, error: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "a"}\n' + line + "\n\n", "utf-8")
    rows = list(iter_file_rows(path, "jsonl", "x.jsonl"))
    assert len(rows) == 2  # the blank line is not a row
    assert rows[1].record is None and rows[1].error and error in rows[1].error
    assert rows[1].raw_text == line and rows[1].position == 2


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_a_line_that_is_not_in_the_declared_encoding_is_one_error_row(
    tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "x.jsonl"
    bad = '{"id": "b", "text": "caf\xe9"}'.encode("latin-1")  # Latin-1 bytes, not UTF-8
    path.write_bytes(b'{"id": "a"}\n' + bad + b'\n  \n{"id": "c"}\n')
    rows = list(iter_file_rows(path, "jsonl", "x.jsonl", encoding))
    assert [r.position for r in rows] == [1, 2, 4]
    if encoding == "utf-8":
        # The UTF-8 reader keeps going: the bad line is dead-lettered, the rest are read.
        assert rows[1].record is None and rows[1].error and "not valid JSON" in rows[1].error
        assert rows[1].raw_text == '{"id": "b", "text": "caf\ufffd"}'
    else:
        assert rows[1].record == {"id": "b", "text": "café"}
    assert rows[2].record == {"id": "c"}


def test_csv_empty_cells_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,email\na,\n", "utf-8")
    (row,) = iter_file_rows(path, "csv", "x.csv")
    assert row.record == {"id": "a", "email": None}


def test_globs_resolve_relative_to_the_spec_folder_sorted(tmp_path: Path) -> None:
    for name in ("b.jsonl", "a.jsonl", "c.csv"):
        (tmp_path / name).write_text("")
    assert [p.name for p in resolve_paths("*.jsonl", tmp_path)] == ["a.jsonl", "b.jsonl"]


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
@pytest.mark.parametrize("encoding", ["utf-8", "UTF-8", "utf-8-sig"])
def test_a_utf8_bom_is_encoding_not_data(tmp_path: Path, fmt: str, encoding: str) -> None:
    path = write(tmp_path / f"x.{fmt}", fmt)
    path.write_bytes(BOM + path.read_bytes())
    rows = list(iter_file_rows(path, fmt, f"x.{fmt}", encoding))
    assert all(r.error is None for r in rows)
    assert [r.record for r in rows] == [
        {k: str(v) if fmt == "csv" else v for k, v in r.items()} for r in RECORDS
    ]


def test_a_quoted_csv_field_over_several_lines_is_one_record(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('id,text\na,"two\r\nlines"\nb,one\n', "utf-8", newline="")
    rows = list(iter_file_rows(path, "csv", "x.csv"))
    assert [(r.position, r.record) for r in rows] == [
        (1, {"id": "a", "text": "two\r\nlines"}),
        (3, {"id": "b", "text": "one"}),
    ]


SWALLOWING = (
    "id,client,message,n\n"
    "QR-1,acme,fine,1\n"
    'QR-2,acme,"a stray quote,2\n'  # opens a quote that never closes at a field's end
    "QR-3,acme,swallowed,3\n"
    "\n"
    'QR-4,acme,"quoted, ok",4\n'  # its opening quote "closes" the stray one mid-field
    "QR-5,acme,fine again,5\n"
)


def test_an_unbalanced_quote_fails_every_line_it_swallowed(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(SWALLOWING, "utf-8")
    rows = list(iter_file_rows(path, "csv", "x.csv"))
    assert [r.position for r in rows] == [1, 2, 3, 5, 6]  # line 4 is blank: not a row
    assert [r.record["id"] for r in rows if r.record] == ["QR-1", "QR-5"]
    swallowed = [r for r in rows if r.record is None]
    assert [r.raw_text for r in swallowed] == [
        'QR-2,acme,"a stray quote,2',
        "QR-3,acme,swallowed,3",
        'QR-4,acme,"quoted, ok",4',
    ]
    assert all(r.error and "unbalanced quote" in r.error for r in swallowed)
    assert swallowed[0].error and "opened on line 2 swallowed lines 2-5" in swallowed[0].error


@pytest.mark.parametrize(
    ("text", "rows", "error"),
    [
        pytest.param('id,m\na,"b"c\nd,e\n', 2, "line is not valid CSV", id="quote-mid-field"),
        pytest.param('id,m\na,"never closed\nd,e\n', 2, "unbalanced quote", id="quote-to-eof"),
        pytest.param('id,m\na,"x\ny",z\n', 2, "unbalanced quote", id="extra-columns"),
    ],
)
def test_malformed_csv_lines_are_error_rows(
    tmp_path: Path, text: str, rows: int, error: str
) -> None:
    path = tmp_path / "x.csv"
    path.write_text(text, "utf-8")
    read = list(iter_file_rows(path, "csv", "x.csv"))
    failed = [r for r in read if r.record is None]
    assert len(read) == rows and failed and all(error in (r.error or "") for r in failed)


def test_a_csv_field_beyond_the_limit_is_one_failed_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "CSV_FIELD_LIMIT", 1000)
    path = tmp_path / "x.csv"
    path.write_text(f"id,m\na,{'x' * 1001}\nb,{'y' * 1000}\n", "utf-8")
    first, second = iter_file_rows(path, "csv", "x.csv")
    assert first.record is None and first.error and "field larger than field limit" in first.error
    assert second.record == {"id": "b", "m": "y" * 1000}


def test_a_csv_field_larger_than_the_old_128_kb_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(f"id,m\na,{'x' * 300_000}\n", "utf-8")
    (row,) = iter_file_rows(path, "csv", "x.csv")
    assert row.record == {"id": "a", "m": "x" * 300_000}


cells = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=12))
def test_well_formed_csv_reads_back_exactly(tmp_path: Path, table: list[list[str]]) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["a", "b", "c"])
    writer.writerows(table)
    path = tmp_path / "p.csv"
    path.write_text(out.getvalue(), "utf-8", newline="")
    rows = list(iter_file_rows(path, "csv", "p.csv"))
    # csv writes a row of three empty cells as `,,`: a row, never a blank line.
    expected = [dict(zip("abc", (c or None for c in r), strict=True)) for r in table]
    assert [r.record for r in rows] == expected
    assert all(r.error is None for r in rows)


def test_a_one_line_csv_record_with_other_columns_keeps_what_it_has(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,m,n\na,b\nc,d,e,f,g\n", "utf-8")
    short, long = iter_file_rows(path, "csv", "x.csv")
    assert short.record == {"id": "a", "m": "b", "n": None}
    assert long.record == {"id": "c", "m": "d", "n": "e", "_extra_columns": ["f", "g"]}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("records.csv", "id,client.slug\nQR-1,acme\n"),
        ("records.json", '[{"id": "QR-1"}]'),
        ("records.jsonl", '{"id": "QR-1"}\n'),
    ],
)
def test_manual_files_are_read_by_extension(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    (row,) = file_rows(path)
    assert row.record is not None and row.record["id"] == "QR-1"
    with pytest.raises(ValueError, match="unknown file type"):
        file_rows(tmp_path / "records.xlsx")
