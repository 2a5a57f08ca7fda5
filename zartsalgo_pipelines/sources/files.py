"""Provider exports on disk (CSV, JSON array, JSON lines), read as a stream of rows.

Nothing here holds a whole file: JSON lines and CSV are read line by line, and a JSON array is
decoded item by item from a sliding buffer. A line that cannot be parsed becomes a row with an
``error`` so the pipeline dead-letters it instead of stopping or dropping it.

A UTF-8 byte order mark is read as what it is, an encoding mark, never as part of the first
header or record. CSV is read with physical line numbers (``docs/checks_and_files.md``): a quote
that never closes where a field ends swallows the lines after it, so every line it swallowed
becomes a failed row of its own instead of vanishing into one long field. JSON is read exactly
(``sources/jsontext.py``): integers of any length, NaN and Infinity refused.
"""

import csv
import glob
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.sources import jsontext
from zartsalgo_pipelines.sources.json_array import json_array_rows
from zartsalgo_pipelines.sources.rows import SourceRow, as_row

__all__ = ["SourceRow", "as_row", "file_rows", "iter_file_rows", "resolve_paths"]

_BOM = b"\xef\xbb\xbf"
# The widest text a table accepts (MySQL MEDIUMTEXT's 16 MiB - 1): a longer CSV field cannot be
# stored whatever the field map says. Up to it, the row reaches the field map, whose column
# limits store or refuse it; beyond it, the line is one failed row, not a failed batch.
CSV_FIELD_LIMIT = (1 << 24) - 1


class NoExportFileError(ZartsalgoError, FileNotFoundError):
    """No file matches the provider's ``source.path``: the one message a sync, a test sync and
    a connection check give for it."""

    retryable: ClassVar[bool] = True  # the export may be dropped before the next run

    def __init__(self, provider_key: str, pattern: str) -> None:
        super().__init__(
            f"Provider `{provider_key}`: no export file matches source.path `{pattern}`"
        )


def resolve_paths(pattern: str, base_dir: Path) -> list[Path]:
    """Files matching ``pattern`` (relative to ``base_dir`` unless absolute), sorted by name."""
    full = pattern if Path(pattern).is_absolute() else str(base_dir / pattern)
    return sorted(Path(p) for p in glob.glob(full, recursive=True) if Path(p).is_file())


FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def file_rows(path: Path, encoding: str = "utf-8") -> Iterator[SourceRow]:
    """Rows of a CSV / JSON / JSON-lines file chosen by its extension."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path.name}: unknown file type; use one of {sorted(FORMATS)}")
    return iter_file_rows(path, fmt, path.name, encoding)


def iter_file_rows(
    path: Path, fmt: str, source_ref: str, encoding: str = "utf-8"
) -> Iterator[SourceRow]:
    """Rows of one export file, numbered from 1 (line, CSV row after the header, array item)."""
    if fmt == "jsonl" and _is_utf8(encoding):
        # orjson parses UTF-8 bytes itself: no decoding pass, no str copy of every line.
        with path.open("rb") as binary:
            yield from _jsonl_bytes_rows(binary, source_ref)
        return
    readers = {"jsonl": _jsonl_rows, "csv": _csv_rows, "json": json_array_rows}
    with path.open(encoding=_bom_aware(encoding), newline="" if fmt == "csv" else None) as handle:
        yield from readers[fmt](handle, source_ref)


def _bom_aware(encoding: str) -> str:
    # utf-8-sig drops a leading BOM and reads a file without one exactly like utf-8.
    return "utf-8-sig" if _is_utf8(encoding) else encoding


def _is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("-", "").replace("_", "") in {"utf8", "utf8sig"}


def _jsonl_rows(handle: Any, source_ref: str) -> Iterator[SourceRow]:
    for position, line in enumerate(handle, start=1):
        text = line.strip()
        if not text:
            # A blank line is not a row the provider sent; skipping it loses nothing.
            continue
        try:
            value = jsontext.loads(text)
        except jsontext.JSONDecodeError as error:
            yield SourceRow(source_ref, position, None, f"line is not valid JSON ({error})", text)
            continue
        yield as_row(source_ref, position, value, text)


# Lines are read about this many bytes at a time (``readlines``' hint; a longer line whole).
_LINES_BLOCK = 1 << 18


def _jsonl_bytes_rows(
    handle: Any, source_ref: str, block: int = _LINES_BLOCK
) -> Iterator[SourceRow]:
    position = 0
    while lines := handle.readlines(block):
        if position == 0:
            lines[0] = lines[0].removeprefix(_BOM)
        # One test for a run of 19 digits over the block instead of one per line (a run never
        # spans a newline): when it finds none, orjson alone reads each line exactly.
        parse = jsontext.exact_parser(b"".join(lines))
        for line in lines:
            position += 1
            try:
                value = parse(line)  # surrounding whitespace and the newline are allowed
            except jsontext.JSONDecodeError as error:
                if not line.strip():
                    continue  # a blank line is not a row the provider sent
                # Invalid UTF-8 lands here too: the row is dead-lettered, not the file lost.
                text = line.decode("utf-8", errors="replace").strip()
                why = f"line is not valid JSON ({error})"
                yield SourceRow(source_ref, position, None, why, text)
                continue
            if type(value) is dict:
                yield SourceRow(source_ref, position, value)
            else:
                yield as_row(source_ref, position, value, line.decode("utf-8").strip())


class _TakenLines:
    """The handle's physical lines, remembering the ones the csv reader took for one record."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self.taken: list[str] = []

    def __iter__(self) -> "_TakenLines":
        return self

    def __next__(self) -> str:
        line = next(self._handle)
        self.taken.append(line)
        return line

    def take(self) -> list[str]:
        taken, self.taken = self.taken, []
        return taken


def _csv_rows(handle: Any, source_ref: str) -> Iterator[SourceRow]:
    """Records numbered by the line (after the header) they start on.

    ``strict`` makes a quote that closes anywhere but at a field's end an error instead of
    text glued to the field, which is how a stray quote that swallowed the lines after it
    shows up; a record spanning lines is accepted only when it also has the header's columns.
    """
    csv.field_size_limit(CSV_FIELD_LIMIT)
    lines = _TakenLines(handle)
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        raise ValueError(f"{source_ref}: the CSV header is not valid CSV ({error})") from None
    lines.take()
    line = 1  # the data line (after the header) the next record starts on
    while True:
        try:
            values: list[str] | None = next(reader)
            problem = None
        except StopIteration:
            return
        except csv.Error as error:
            values, problem = None, str(error)
        taken = lines.take()
        if values is not None and (len(taken) == 1 or len(values) == len(header)):
            if values:  # csv yields [] for a blank line: not a row the provider sent
                record = _csv_record(header, values)
                yield SourceRow(source_ref, line, record, note=_span(line, taken, len(header)))
        else:
            yield from _unparsed_lines(
                source_ref, line, taken, _stray(line, taken, problem or _columns(values, header))
            )
        line += len(taken)


def _span(first: int, taken: list[str], columns: int) -> str | None:
    """What the import row of a record that took several lines says: which lines, and whether
    one of them alone would be a whole record (a stray quote that closed cleanly further down
    reads as a value with line breaks; the file is well-formed CSV either way, so the record
    is read as the CSV says, and the batch says why its lines and rows differ)."""
    if len(taken) == 1:
        return None
    last = first + len(taken) - 1
    note = f"the record spans lines {first}-{last} (a quoted value holds line breaks)"
    for offset, text in enumerate(taken[1:-1], start=1):
        if columns > 1 and '"' not in text and text.count(",") == columns - 1:
            return (
                f"{note}; line {first + offset} alone is a whole record: check the export "
                "for a stray quote"
            )
    return note


def _csv_record(header: list[str], values: list[str]) -> dict[str, Any]:
    # An empty CSV cell means "not given"; the field map treats it like a missing key.
    record: dict[str, Any] = {
        name: (value if value != "" else None) for name, value in zip(header, values, strict=False)
    }
    for name in header[len(values) :]:
        record[name] = None
    if len(values) > len(header):
        record["_extra_columns"] = values[len(header) :]
    return record


def _columns(values: list[str] | None, header: list[str]) -> str:
    count = len(values or [])
    return f"{count} columns where the header has {len(header)}"


def _stray(first: int, taken: list[str], problem: str) -> str:
    """Why the lines of a record the csv reader could not take whole each fail."""
    if len(taken) == 1:
        return f"line is not valid CSV ({problem})"
    return (
        f"unbalanced quote: the quoted field opened on line {first} swallowed lines "
        f"{first}-{first + len(taken) - 1} ({problem}); each line is failed on its own"
    )


def _unparsed_lines(source_ref: str, first: int, taken: list[str], why: str) -> Iterator[SourceRow]:
    """One error row per physical line of a record the csv reader could not take whole."""
    for offset, text in enumerate(taken):
        stripped = text.rstrip("\r\n")
        if stripped.strip():  # a blank line is not a row the provider sent
            yield SourceRow(source_ref, first + offset, None, why, stripped)
