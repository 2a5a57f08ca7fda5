"""Scenario: hostile export files go through the one ingestion path on SQLite and MySQL. A CSV
or JSON-lines export that starts with a UTF-8 BOM loads every row (it used to fail the whole
batch with "required field external_id ... is missing from every row", or the first JSON
line); a CSV cell of 300 KB no longer fails the batch at the csv module's 128 KB limit; a stray
quote that swallows the lines after it fails each swallowed line as its own import row with a
dead letter, the rest loads, and rows in = import rows = sum of outcomes = the file's
non-blank data lines.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import review
from zartsalgo_pipelines.storage.queries import import_row_counts
from zartsalgo_pipelines_tests.helpers import count, quote

BOM = b"\xef\xbb\xbf"
CSV_FIELDS = [
    {"source": "id", "target": "external_id", "type": "string", "required": True, "label": "ID"},
    {"source": "client", "target": "client_key", "type": "string", "required": True, "label": "C"},
    {
        "source": "submitted_at",
        "target": "submitted_at",
        "type": "datetime",
        "required": True,
        "label": "Received",
    },
    {
        "source": "status",
        "target": "status",
        "type": "category",
        "required": True,
        "label": "Status",
        "values": {"new": "new"},
    },
    {"source": "message", "target": "message", "type": "string", "label": "Message"},
]
HEADER = "id,client,submitted_at,status,message,notes\n"


def line(n: int, message: str = "hello", notes: str = "") -> str:
    return f"QR-{n},acme,2026-11-16T10:00:00Z,new,{message},{notes}\n"


@pytest.fixture
def csv_spec(make_spec: Callable[..., ProviderSpec]) -> ProviderSpec:
    source = {"kind": "file", "path": "*.csv", "format": "csv"}
    return make_spec(source=source, fields=CSV_FIELDS, metrics=[], ignore=[])


def ingest(engine: sa.Engine, spec: ProviderSpec, folder: Path) -> Any:
    return process_extract(engine, spec, extract_files(engine, spec, folder).batch_id)


def accounted(engine: sa.Engine, batch_id: int) -> int:
    """Import rows, checked against the batch's counters; returns their number."""
    with engine.connect() as conn:
        rows = import_row_counts(conn, batch_id)
        batch = review(conn, batch_id)
    assert batch.adds_up and sum(rows.values()) == batch.rows_total
    assert all(rows.get(o, 0) == getattr(batch, f"rows_{o}") for o in rows)
    return batch.rows_total


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    return folder


def test_a_csv_export_with_a_bom_loads_every_row(engine, csv_spec, tmp_path) -> None:
    data = BOM + (HEADER + line(1) + line(2) + line(3)).encode()
    result = ingest(engine, csv_spec, write(tmp_path, "x.csv", data))
    assert (result.status, result.rows_created, result.rows_failed) == ("succeeded", 3, 0)
    assert accounted(engine, result.batch_id) == 3


def test_a_jsonl_export_with_a_bom_loads_its_first_row(
    engine, make_spec: Callable[..., ProviderSpec], write_export
) -> None:
    spec = make_spec(source={"kind": "file", "path": "*.jsonl", "format": "jsonl"})
    folder = write_export([quote(1), quote(2)])
    path = folder / "export.jsonl"
    path.write_bytes(BOM + path.read_bytes())
    result = ingest(engine, spec, folder)
    assert (result.rows_created, result.rows_failed) == (2, 0)


def test_a_300_kb_csv_cell_does_not_fail_the_batch(engine, csv_spec, tmp_path) -> None:
    # An unmapped column: what happens to an over-long mapped value is the field map's rule.
    data = (HEADER + line(1, notes="n" * 300_000) + line(2)).encode()
    result = ingest(engine, csv_spec, write(tmp_path, "x.csv", data))
    assert (result.status, result.rows_created) == ("succeeded", 2)


def test_a_stray_quote_fails_each_line_it_swallowed_and_the_rest_loads(
    engine, csv_spec, tmp_path
) -> None:
    good = [line(n) for n in range(1, 11)]
    stray = line(11, message='"an open quote')
    swallowed = [line(n) for n in range(12, 300)]
    closing = line(300, message='"quoted, fine"')  # its opening quote ends the stray one
    after = [line(n) for n in range(301, 315)]
    data = (HEADER + "".join([*good, stray, *swallowed, closing, *after])).encode()
    result = ingest(engine, csv_spec, write(tmp_path, "x.csv", data))
    assert result.status == "succeeded"
    assert accounted(engine, result.batch_id) == 314  # one import row per data line
    assert (result.rows_created, result.rows_failed) == (24, 290)
    assert count(engine, "integration_dead_letters") == 290
    with engine.connect() as conn:
        reasons = set(
            conn.execute(
                sa.text("SELECT reason FROM data_import_rows WHERE status = 'failed'")
            ).scalars()
        )
        positions = list(
            conn.execute(
                sa.text(
                    "SELECT source_position FROM data_import_rows WHERE status = 'failed' "
                    "ORDER BY source_position"
                )
            ).scalars()
        )
    assert positions == list(range(11, 301))
    assert len(reasons) == 1 and "unbalanced quote" in reasons.pop()
