"""Scenario: a message too long for its column is cut at a word and marked with an ellipsis,
never mid-word; one that fits is kept whole. Checked as a property over any text and limit,
and on the incident a missing credential opens: its message names the whole variable text
("...beside the webserver"), not "...beside the we)"."""

import re

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from zartsalgo_pipelines.clipping import ELLIPSIS, clip
from zartsalgo_pipelines.incidents.alerts import record_missing_credential
from zartsalgo_pipelines.settings import MissingSecretError, secret
from zartsalgo_pipelines.storage.connections import register_provider

words = st.text(st.characters(categories=("L", "N", "P")), min_size=1, max_size=30)
texts = st.lists(words, max_size=60).map(" ".join) | st.text(max_size=400)


@given(text=texts, limit=st.integers(min_value=1, max_value=500))
def test_clipped_text_fits_and_ends_at_a_word(text: str, limit: int) -> None:
    clipped = clip(text, limit)
    assert len(clipped) <= limit
    if len(text) <= limit:
        assert clipped == text
        return
    assert clipped.endswith(ELLIPSIS)
    kept = clipped.removesuffix(ELLIPSIS)
    assert text.startswith(kept)
    cut_inside_a_word = len(kept) < len(text) and not text[len(kept)].isspace()
    if cut_inside_a_word:
        # Only when no word boundary lies in the second half of the room.
        room = text[: limit - len(ELLIPSIS) + 1]
        assert not re.search(r"\s", room[limit // 2 + 1 :]), (text, limit, clipped)


def test_a_missing_credential_incident_keeps_its_message_whole(engine, make_spec) -> None:
    spec = make_spec()
    try:
        secret("ZARTSALGO_TEST_NEVER_SET_TOKEN", "auth.credentials.token of provider `x`")
    except MissingSecretError as error:
        detail = str(error)
    with engine.begin() as conn:
        register_provider(conn, spec)
        record_missing_credential(conn, spec, detail=detail)
    with engine.connect() as conn:
        message = conn.execute(sa.text("SELECT message FROM incident_alerts")).scalar_one()
    assert message.endswith("in a .env file beside the webserver)")
