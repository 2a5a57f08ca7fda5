"""Provider exports on disk (CSV, JSON array, JSON lines), read as a stream of rows.

Nothing here holds a whole file: JSON lines and CSV are read line by line, and a JSON array is
decoded item by item from a sliding buffer. A line that cannot be parsed becomes a row with an
``error`` so the pipeline dead-letters it instead of stopping or dropping it.
"""

import csv
import glob
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

_READ_SIZE = 1 << 16


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One input row and where it came from (``source_ref`` never holds a machine path)."""

    source_ref: str
    position: int
    record: dict[str, Any] | None
    error: str | None = None
    raw_text: str | None = None  # the unparsed text, kept for the dead letter


def resolve_paths(pattern: str, base_dir: Path) -> list[Path]:
    """Files matching ``pattern`` (relative to ``base_dir`` unless absolute), sorted by name."""
    full = pattern if Path(pattern).is_absolute() else str(base_dir / pattern)
    return sorted(Path(p) for p in glob.glob(full, recursive=True) if Path(p).is_file())


def iter_file_rows(
    path: Path, fmt: str, source_ref: str, encoding: str = "utf-8"
) -> Iterator[SourceRow]:
    """Rows of one export file, numbered from 1 (line, CSV row after the header, array item)."""
    if fmt == "jsonl" and encoding.lower().replace("-", "") == "utf8":
        # orjson parses UTF-8 bytes itself: no decoding pass, no str copy of every line.
        with path.open("rb") as binary:
            yield from _jsonl_bytes_rows(binary, source_ref)
        return
    readers = {"jsonl": _jsonl_rows, "csv": _csv_rows, "json": _json_array_rows}
    with path.open(encoding=encoding, newline="" if fmt == "csv" else None) as handle:
        yield from readers[fmt](handle, source_ref)


def as_row(source_ref: str, position: int, value: Any, text: str | None) -> SourceRow:
    """A parsed value as a row: a JSON object is a record, anything else an error row."""
    if isinstance(value, dict):
        return SourceRow(source_ref, position, value)
    kind = type(value).__name__
    return SourceRow(source_ref, position, None, f"record is a JSON {kind}, not an object", text)


def _jsonl_rows(handle: Any, source_ref: str) -> Iterator[SourceRow]:
    for position, line in enumerate(handle, start=1):
        text = line.strip()
        if not text:
            # A blank line is not a row the provider sent; skipping it loses nothing.
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            yield SourceRow(source_ref, position, None, f"line is not valid JSON ({error})", text)
            continue
        yield as_row(source_ref, position, value, text)


def _jsonl_bytes_rows(handle: Any, source_ref: str) -> Iterator[SourceRow]:
    for position, line in enumerate(handle, start=1):
        try:
            value = orjson.loads(line)  # surrounding whitespace and the newline are allowed
        except orjson.JSONDecodeError as error:
            if not line.strip():
                continue  # a blank line is not a row the provider sent
            # Invalid UTF-8 lands here too: the row is dead-lettered, not the whole file lost.
            text = line.decode("utf-8", errors="replace").strip()
            yield SourceRow(source_ref, position, None, f"line is not valid JSON ({error})", text)
            continue
        if type(value) is dict:
            yield SourceRow(source_ref, position, value)
        else:
            yield as_row(source_ref, position, value, line.decode("utf-8").strip())


def _csv_rows(handle: Any, source_ref: str) -> Iterator[SourceRow]:
    reader = csv.DictReader(handle, restkey="_extra_columns")
    for position, row in enumerate(reader, start=1):
        # An empty CSV cell means "not given"; the field map treats it like a missing key.
        yield SourceRow(source_ref, position, {k: (v if v != "" else None) for k, v in row.items()})


def _json_array_rows(handle: Any, source_ref: str) -> Iterator[SourceRow]:
    decoder = json.JSONDecoder()
    buffer = _fill(handle, "").lstrip()
    if not buffer.startswith("["):
        raise ValueError(f"{source_ref}: a JSON export must be an array of records")
    buffer = buffer[1:]
    position = 0
    while True:
        buffer = buffer.lstrip().removeprefix(",").lstrip()
        if buffer.startswith("]"):
            return
        try:
            value, end = decoder.raw_decode(buffer)
        except json.JSONDecodeError as error:
            more = handle.read(_READ_SIZE)
            if not more:
                raise ValueError(
                    f"{source_ref}: item {position + 1} is not valid JSON ({error})"
                ) from error
            buffer += more
            continue
        position += 1
        yield as_row(source_ref, position, value, None)
        buffer = _fill(handle, buffer[end:])


def _fill(handle: Any, buffer: str) -> str:
    # Keep at least one read's worth buffered so raw_decode sees whole small items.
    if len(buffer) < _READ_SIZE:
        buffer += handle.read(_READ_SIZE)
    return buffer
