"""Scenario: a test sync reports what a sync would do (counts per outcome, failures by field
with masked examples) and writes nothing; it reads the provider's own files in place, or says
that none match."""

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.ops.test_sync import dry_run, source_rows
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.loading import LoadedSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.tables import Base
from zartsalgo_pipelines_tests.helpers import count, quote
from zartsalgo_pipelines_tests.ops.seeding import load

ROWS = [
    quote(1),
    quote(2),
    quote(2),
    quote(3, status="archived_by_crm"),
    quote(4, is_test=True),
    quote(5, contact__email="nope"),
]


def table_counts(engine: sa.Engine) -> dict[str, int]:
    return {t.name: count(engine, t.name) for t in Base.metadata.sorted_tables}


def test_test_sync_reports_and_writes_nothing(
    engine, make_spec: Callable[..., ProviderSpec]
) -> None:
    spec = make_spec()
    load(engine, spec, [quote(1)])
    before = table_counts(engine)
    rows = [SourceRow("x.jsonl", n, r) for n, r in enumerate(ROWS, start=1)]
    review = dry_run(engine, spec, rows)
    assert table_counts(engine) == before
    assert dict(review.counts) == {"duplicate": 2, "created": 1, "failed": 2, "ignored": 1}
    failures = review.as_dict()["failures"]
    assert failures["status"]["rows"] == 1 and failures["contact_email"]["masked_examples"] == [
        "n**e"
    ]
    assert dry_run(engine, spec, rows, limit=2).total == 2


def test_source_rows_read_the_provider_files_in_place_or_say_none_match(
    make_spec, write_export, tmp_path: Path
) -> None:
    spec = make_spec(source={"kind": "file", "path": "*.jsonl", "format": "jsonl"})
    folder = write_export([quote(1), quote(2)], "b.jsonl")
    write_export([quote(3)], "a.jsonl")
    rows = list(source_rows(LoadedSpec(spec, folder)))
    assert [(r.source_ref, r.record["id"]) for r in rows if r.record] == [
        ("a.jsonl", "QR-00003"),
        ("b.jsonl", "QR-00001"),
        ("b.jsonl", "QR-00002"),
    ]
    empty = tmp_path / "no_drop_yet"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=r"no export file matches source\.path `\*\.jsonl`"):
        list(source_rows(LoadedSpec(spec, empty)))
