"""Scenario: the data owner's tools use the ingestion path. A test sync reports what a sync
would do and writes nothing; a manual entry is a batch like any other, with who and why; a
replay stores dead letters the current field map now accepts and keeps the rest open with
their attempts raised; dead letters can be closed by hand with a note."""

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.ops.operations import (
    dry_run,
    file_rows,
    manual_entry,
    replay_dead_letters,
    resolve_dead_letters,
    source_rows,
)
from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.loading import LoadedSpec
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.models import Base
from zartsalgo_pipelines_tests.helpers import DROP, count, quote

ROWS = [
    quote(1),
    quote(2),
    quote(2),
    quote(3, status="archived_by_crm"),
    quote(4, is_test=True),
    quote(5, contact__email="nope"),
]


def load(engine: sa.Engine, spec: ProviderSpec, records: list) -> None:  # type: ignore[type-arg]
    rows = [SourceRow("seed.jsonl", n, r) for n, r in enumerate(records, start=1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "seed.jsonl"), rows)


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


def test_manual_entry_is_an_accounted_batch_with_who_and_why(
    engine, make_spec, write_export
) -> None:
    spec = make_spec()
    folder = write_export([quote(1), quote(2, id=DROP)], "phoned_in.jsonl")
    review = manual_entry(
        engine,
        spec,
        folder / "phoned_in.jsonl",
        entered_by="ana@zartsalgo.example",
        reason="form was down on Monday",
    )
    assert (review.source_kind, review.rows_created, review.rows_failed) == ("manual", 1, 1)
    with engine.connect() as conn:
        batch = conn.execute(
            sa.text("SELECT source_ref, entered_by, note FROM data_import_batches")
        ).one()
    assert tuple(batch) == ("phoned_in.jsonl", "ana@zartsalgo.example", "form was down on Monday")
    with pytest.raises(ValueError, match="needs who entered it"):
        manual_entry(engine, spec, folder / "phoned_in.jsonl", entered_by=" ", reason="x")


def test_replay_stores_what_the_current_map_accepts(engine, make_spec) -> None:
    spec = make_spec()
    load(engine, spec, [quote(1, status="archived_by_crm"), quote(2, contact__email="nope")])
    assert count(engine, "integration_dead_letters", "WHERE state = 'open'") == 2
    fixed = make_spec(
        fields=[
            e.model_dump(exclude_none=True)
            | (
                {"values": {**(e.values or {}), "archived_by_crm": "lost"}}
                if e.target == "status"
                else {}
            )
            for e in spec.fields
        ]
    )
    result = replay_dead_letters(engine, fixed, requested_by="ana@zartsalgo.example")
    assert result.review is not None and result.review.source_kind == "replay"
    assert (result.review.rows_created, result.review.rows_failed) == (1, 1)
    assert len(result.replayed) == 1 and len(result.still_failing) == 1
    with engine.connect() as conn:
        letters = {
            r.state: r for r in conn.execute(sa.text("SELECT * FROM integration_dead_letters"))
        }
    assert letters["replayed"].replayed_batch_id == result.review.batch_id
    assert letters["open"].attempts == 2
    assert count(engine, "quote_requests", "WHERE status = 'lost'") == 1
    # Nothing left that the map accepts: a second replay changes no dead letter.
    again = replay_dead_letters(engine, fixed)
    assert again.replayed == [] and len(again.still_failing) == 1


def test_replay_can_select_by_reason_or_id(engine, make_spec) -> None:
    spec = make_spec()
    load(engine, spec, [quote(1, status="archived_by_crm"), quote(2, contact__email="nope")])
    with engine.connect() as conn:
        email_letter = conn.execute(
            sa.text("SELECT id FROM integration_dead_letters WHERE failing_field = 'contact_email'")
        ).scalar_one()
    by_reason = replay_dead_letters(engine, spec, reason_contains="archived_by_crm")
    assert by_reason.review is not None and by_reason.review.rows_total == 1
    by_id = replay_dead_letters(engine, spec, ids=[email_letter])
    assert by_id.still_failing == [email_letter]


def test_dead_letters_can_be_closed_by_hand(engine, make_spec) -> None:
    spec = make_spec()
    load(engine, spec, [quote(1, contact__email="nope")])
    with engine.connect() as conn:
        letter = conn.execute(sa.text("SELECT id FROM integration_dead_letters")).scalar_one()
    with pytest.raises(ValueError, match="needs a note"):
        resolve_dead_letters(engine, spec, [letter], state="resolved", note="")
    assert resolve_dead_letters(engine, spec, [letter], state="ignored", note="spam") == 1
    assert resolve_dead_letters(engine, spec, [letter], state="resolved", note="again") == 0
    assert replay_dead_letters(engine, spec).review is None  # nothing open


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
