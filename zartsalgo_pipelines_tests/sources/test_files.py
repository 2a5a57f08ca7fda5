"""Scenario: exports are read as numbered rows in JSON lines, CSV and JSON-array form; lines
that cannot be parsed become rows with an error (so they are dead-lettered, not lost); globs
resolve relative to the spec folder, sorted."""

import json
from pathlib import Path

import pytest

from zartsalgo_pipelines.sources.files import iter_file_rows, resolve_paths

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
