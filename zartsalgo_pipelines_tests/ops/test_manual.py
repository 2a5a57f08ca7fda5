"""Scenario: a manual entry is a batch like any other, accounted row by row, with who entered it
and why; without both it is refused."""

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.ops.manual import manual_entry
from zartsalgo_pipelines_tests.helpers import DROP, quote


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
