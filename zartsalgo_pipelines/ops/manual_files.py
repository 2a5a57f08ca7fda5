"""Reading a manual-entry file: what people have at hand, turned into records in the export's
shape before anything is written.

A column of a CSV file or an .xlsx sheet, or a top-level key of a JSON(-lines) record, names a
field by the export's own path (``client.slug``), by the spec's label (``Client``) or by its
target (``client_key``), in any letter case; each value is put where the field map reads it
(``ops/placing.py``), so a manual row maps, dead-letters and replays like a row of the export.
JSON records keep their other keys (an export carries keys the map does not read); a table's
column that names no field is refused, since it would be dropped silently. A file that cannot
be read is one ``ManualFileError`` naming the column expected and the one found.
"""

import csv
import datetime as dt
import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.jsonpaths import compile_getter, top_level_key
from zartsalgo_pipelines.ops.placing import Step, place, placement_steps
from zartsalgo_pipelines.sources.files import FORMATS, SourceRow, file_rows
from zartsalgo_pipelines.specs.fields import FieldMapEntry
from zartsalgo_pipelines.specs.models import ProviderSpec

SUFFIXES = sorted([*FORMATS, ".xlsx"])


class ManualFileError(ZartsalgoError, ValueError):
    """A manual-entry file that cannot be read as the provider's records; nothing was written."""

    retryable: ClassVar[bool] = False  # the file must be fixed first


@dataclass(frozen=True)
class Column:
    """A column (or JSON key) as given, and the field it names."""

    name: str
    field: FieldMapEntry
    steps: list[Step]


class FieldNames:
    """Each field of the spec under its export path, target and label (case-insensitive)."""

    def __init__(self, spec: ProviderSpec) -> None:
        self.spec = spec
        self.by_name: dict[str, FieldMapEntry] = {}
        # A field the map fills with a constant is never entered by hand.
        self.fields = [entry for entry in spec.fields if entry.source is not None]
        # Export paths first, then targets, then labels: a name two fields share is the first's.
        for kind in ("source", "target", "label"):
            for entry in self.fields:
                self.by_name.setdefault(str(getattr(entry, kind)).strip().casefold(), entry)
        # The export's own top-level keys (`client` of `client.slug`): a JSON record keeps them.
        self.roots = {top_level_key(source_of(entry)) for entry in self.fields}

    def column(self, name: str, where: str) -> Column | None:
        entry = self.by_name.get(name.strip().casefold())
        if entry is None:
            return None
        steps = placement_steps(source_of(entry))
        if steps is None:
            raise ManualFileError(
                f"{where}: `{name}` names field `{entry.target}`, whose export path "
                f"`{entry.source}` a manual file cannot fill; leave it out, or give the "
                "records as JSON lines in the export's own shape"
            )
        return Column(name, entry, steps)

    def unknown(self, name: str, where: str) -> ManualFileError:
        near = difflib.get_close_matches(name.strip().casefold(), list(self.by_name), n=1)
        expected = (
            f"expected `{self.shown(self.by_name[near[0]])}`"
            if near
            else "expected a field's export path, target or label: "
            + ", ".join(f"`{self.shown(f)}`" for f in self.fields)
        )
        return ManualFileError(
            f"{where}: column `{name}` names no field of {self.spec.key}; {expected}"
        )

    @staticmethod
    def shown(entry: FieldMapEntry) -> str:
        """How a column for ``entry`` is best named: its export path, else its label."""
        source = entry.source
        return source if source is not None and placement_steps(source) else entry.label


def source_of(entry: FieldMapEntry) -> str:
    """The export path of a field a person can enter (``FieldNames.fields``)."""
    if entry.source is None:
        raise ValueError(f"field `{entry.target}` is a constant, not entered by hand")
    return entry.source


def manual_rows(spec: ProviderSpec, path: Path) -> list[SourceRow]:
    """Every row of a manual-entry file as a record in the export's shape (a small file is
    read whole, so a refused file leaves nothing behind)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ManualFileError(f"{path.name}: unknown file type; use one of {', '.join(SUFFIXES)}")
    names = FieldNames(spec)
    if suffix in {".csv", ".xlsx"}:
        header, rows = _table(path, suffix)
        columns = _columns(names, header, path.name)
        records = [_table_row(row, columns, path.name) for row in rows]
        given = header
    else:
        records = [_json_row(row, names, path.name) for row in file_rows(path)]
        given = sorted({key for row in records if row.record for key in _keys(row.record)})
    _check_required(names, records, given, path.name)
    return records


def _table(path: Path, suffix: str) -> tuple[list[str], list[SourceRow]]:
    if suffix == ".xlsx":
        from zartsalgo_pipelines.ops.xlsx import sheet_rows

        try:
            return sheet_rows(path)
        except ValueError as error:
            raise ManualFileError(str(error)) from None
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    return header, list(file_rows(path))


def _columns(names: FieldNames, header: list[str], where: str) -> list[Column]:
    if not any(name.strip() for name in header):
        raise ManualFileError(f"{where}: the first row must name the columns; it is empty")
    columns: dict[str, Column] = {}
    for position, name in enumerate(header, start=1):
        if not name.strip():
            raise ManualFileError(f"{where}: column {position} has no name; name it or delete it")
        column = names.column(name, where)
        if column is None:
            raise names.unknown(name, where)
        seen = columns.get(column.field.target)
        if seen is not None:
            raise ManualFileError(
                f"{where}: columns `{seen.name}` and `{name}` both name field "
                f"`{column.field.target}`; keep one"
            )
        columns[column.field.target] = column
    return list(columns.values())


def _table_row(row: SourceRow, columns: list[Column], where: str) -> SourceRow:
    if row.record is None:
        return row  # a line the CSV reader could not take: a failed row, as in an export
    record: dict[str, Any] = {}
    for column in columns:
        value = _cell(row.record.get(column.name))
        if value is not None and not place(record, source_of(column.field), column.steps, value):
            raise ManualFileError(
                f"{where}, row {row.position}: `{column.name}` could not be put at "
                f"`{column.field.source}`"
            )
    return SourceRow(row.source_ref, row.position, record)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def _json_row(row: SourceRow, names: FieldNames, where: str) -> SourceRow:
    if row.record is None:
        return row
    record: dict[str, Any] = {}
    moved: list[tuple[Column, Any]] = []
    for key, value in row.record.items():
        column = None if key in names.roots else names.column(key, where)
        if column is None or isinstance(value, dict | list):
            record[key] = value  # the export's own shape, or a key the map does not read
        else:
            moved.append((column, value))
    for column, value in moved:
        if value is not None and not place(record, source_of(column.field), column.steps, value):
            raise ManualFileError(
                f"{where}, record {row.position}: `{column.name}` could not be put at "
                f"`{column.field.source}`; the record already has a value there"
            )
    return SourceRow(row.source_ref, row.position, record)


def _check_required(names: FieldNames, rows: list[SourceRow], given: list[str], where: str) -> None:
    """A required field found in no row is a file the map cannot read at all: refused whole,
    naming the field and what the file has instead."""
    records = [row.record for row in rows if row.record is not None]
    if not records:
        raise ManualFileError(f"{where}: no records to enter")
    for entry in names.fields:
        if not entry.required or entry.default is not None:
            continue  # a default fills a missing value
        get = compile_getter(source_of(entry))
        if all(get(record) in (None, "") for record in records):
            raise ManualFileError(
                f"{where}: no row has a value for required field `{entry.target}`; expected "
                f"a column `{names.shown(entry)}` (or `{entry.label}` or `{entry.target}`) "
                f"with values, got {', '.join(f'`{k}`' for k in given) or 'no columns'}"
            )


def _keys(record: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in record.items():
        if isinstance(value, dict) and value:
            yield from _keys(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"
