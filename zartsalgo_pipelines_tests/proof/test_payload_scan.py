"""Scenario: the payload scan behind `no_raw_payload_values` takes time in proportion to the
payloads it reads, on SQLite and MySQL. Its email test was a regular expression whose time grew
with the square of a string's length (40,000 characters: 14 s), so one long text in one
provider's payload held every client's cards past 600 s. The test it runs now finds exactly the
strings the old expression found (hypothesis), and a payload holding a 1 MB text with no space
in it is scanned like any other."""

import json
import re

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from zartsalgo_pipelines.proof.notes import build_notes
from zartsalgo_pipelines.proof.payload_scan import looks_like_email, scan
from zartsalgo_pipelines_tests.pipeline.test_properties import PROFILE
from zartsalgo_pipelines_tests.proof.portal_helpers import NOW, STANDARD, build, load, portal_spec

_OLD_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")  # what the scan searched with before


@PROFILE
@given(st.text(st.sampled_from("ab@ \t\n.é"), max_size=30) | st.emails())
def test_the_email_test_finds_what_the_old_expression_found(text: str) -> None:
    assert looks_like_email(text) == bool(_OLD_EMAIL.search(text))


@pytest.fixture
def built(engine, make_spec):
    spec = portal_spec(make_spec)
    load(engine, spec, STANDARD)
    build(engine, spec)
    return spec


def test_a_payload_with_a_1_mb_text_is_scanned_and_a_planted_value_still_found(
    engine, built
) -> None:
    long_text = "x" * 1_000_000  # one "word" without an @: the old expression's worst case
    with engine.begin() as conn:
        build_notes(conn, [built], NOW)
        first = conn.execute(
            sa.text("SELECT id FROM integration_external_objects ORDER BY id LIMIT 1")
        ).one()
        payload = {"notes": long_text, "contact": {"phone": "+49 30 7654321"}}
        conn.execute(
            sa.text("UPDATE integration_external_objects SET raw_payload = :p WHERE id = :i"),
            {"p": json.dumps(payload), "i": first.id},
        )
        assert scan(conn, [built]) == []
        card = conn.execute(sa.text("SELECT MIN(id) FROM portal_cards")).scalar_one()
        conn.execute(
            sa.text("UPDATE portal_cards SET next_action = :v WHERE id = :i"),
            {"v": "Call +49 30 7654321", "i": card},
        )
        findings = scan(conn, [built])
    assert {(f.table, f.row_id, f.column) for f in findings} == {
        ("portal_cards", card, "next_action")
    }
    assert "phone" in {f.kind for f in findings}
