"""Scenario: a replay stores dead letters the current field map now accepts and keeps the rest
open with their attempts raised, selected by reason or id; dead letters can be closed by hand
with a note."""

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.errors import TooLongError
from zartsalgo_pipelines.ops.replay import replay_dead_letters, resolve_dead_letters
from zartsalgo_pipelines_tests.helpers import count, quote
from zartsalgo_pipelines_tests.ops.seeding import load


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


def test_a_closing_note_too_long_for_its_column_is_refused_not_cut(engine, make_spec) -> None:
    # resolution_note is TEXT: 65,535 bytes of UTF-8 on MySQL (which refused more with a bare
    # DataError); SQLite kept it whole, so the two databases disagreed.
    spec = make_spec()
    load(engine, spec, [quote(1, contact__email="nope")])
    with engine.connect() as conn:
        letter = conn.execute(sa.text("SELECT id FROM integration_dead_letters")).scalar_one()
    note = "\u20ac" * 21846  # 65,538 bytes
    with pytest.raises(TooLongError, match="resolution_note is 65538 bytes; at most 65535 fit"):
        resolve_dead_letters(engine, spec, [letter], state="ignored", note=note)
    assert count(engine, "integration_dead_letters", "WHERE state = 'open'") == 1
    assert resolve_dead_letters(engine, spec, [letter], state="ignored", note=note[1:]) == 1
    with engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT resolution_note FROM integration_dead_letters"))
        assert kept.scalar_one() == note[1:]
