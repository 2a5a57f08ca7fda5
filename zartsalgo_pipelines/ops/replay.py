"""Dead letters, by the data owner: replayed through the current field map as a ``replay``
batch, or closed by hand with a note."""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.mapping.bounds import TOO_DEEP_KEY, TOO_LARGE_KEY
from zartsalgo_pipelines.ops.direct import open_claimed_batch
from zartsalgo_pipelines.pipeline.run import ingest_rows
from zartsalgo_pipelines.sources import jsontext
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.dead_letters import close_open, mark_replayed, open_dead_letters
from zartsalgo_pipelines.storage.import_batches import (
    BatchReview,
    describe_batch,
    refuse_long_description,
    row_outcomes,
)


@dataclass(frozen=True)
class ReplayResult:
    review: BatchReview | None
    replayed: list[int]  # dead letters now stored (state replayed)
    still_failing: list[int]  # dead letters that failed again (attempts raised, still open)


def replay_dead_letters(
    engine: sa.Engine,
    spec: ProviderSpec,
    *,
    ids: Sequence[int] = (),
    reason_contains: str | None = None,
    requested_by: str = "replay",
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], object] | None = None,
) -> ReplayResult:
    """Run open dead letters through the current field map as a ``replay`` batch.

    Each one ends as created, updated, duplicate or failed. Stored ones become ``replayed``
    with the batch that took them; failing ones stay ``open`` with ``attempts`` raised (by the
    normal dead-letter write, since the payload is the same). A row too large to keep holds
    only its size and hash: it stays open, still failing, until the provider sends it again.
    While a sync ingests, waits up to ``wait_seconds`` and then raises
    ``BatchNotClaimedError``, having written nothing.
    """
    refuse_long_description(requested_by, reason_contains or "replay")
    with engine.connect() as conn:
        found = open_dead_letters(conn, spec.key, ids=ids, reason_contains=reason_contains)
    letters = [(i, p) for i, p in found if not _size_only(p)]
    unkept = [i for i, p in found if _size_only(p)]
    if not letters:
        return ReplayResult(None, [], unkept)
    batch_id = open_claimed_batch(
        engine,
        spec,
        "replay",
        f"{len(letters)} dead letters",
        wait_seconds=wait_seconds,
        on_wait=on_wait,
    )
    with engine.begin() as conn:
        describe_batch(conn, batch_id, requested_by, reason_contains or "replay")
    # Replays validate again even under an unchanged map: they exist to try once more.
    review = ingest_rows(
        engine,
        spec,
        batch_id,
        (_replay_row(i, p) for i, p in letters),
        revalidate_failures=True,
    )
    with engine.begin() as conn:
        outcome = row_outcomes(conn, batch_id)
        replayed = [i for i, _ in letters if outcome.get(i) not in (None, "failed", "ignored")]
        if replayed:
            mark_replayed(conn, replayed, batch_id)
    failing = [i for i, _ in letters if i not in set(replayed)]
    return ReplayResult(review, replayed, failing + unkept)


def _size_only(payload: Any) -> bool:
    record = jsontext.loads(payload) if isinstance(payload, str | bytes) else payload
    return isinstance(record, dict) and set(record) == {TOO_LARGE_KEY}


def _replay_row(letter_id: int, payload: Any) -> SourceRow:
    record = jsontext.loads(payload) if isinstance(payload, str | bytes) else payload
    ref = f"dead letter {letter_id}"
    if isinstance(record, dict) and set(record) == {"unparsed_text"}:
        text = record["unparsed_text"]
        return SourceRow(ref, letter_id, None, "line is not valid JSON (replayed)", text)
    if isinstance(record, dict) and set(record) == {TOO_DEEP_KEY}:
        # Kept as text because no JSON column takes it: the record itself is replayed.
        record = json.loads(record[TOO_DEEP_KEY])
    return SourceRow(ref, letter_id, record)


def resolve_dead_letters(
    engine: sa.Engine, spec: ProviderSpec, ids: Sequence[int], *, state: str, note: str
) -> int:
    """Close dead letters by hand (``resolved`` or ``ignored``) with a note; returns how many."""
    if state not in {"resolved", "ignored"}:
        raise ValueError("state must be resolved or ignored")
    if not note.strip():
        raise ValueError("closing a dead letter by hand needs a note")
    with engine.begin() as conn:
        return close_open(conn, spec.key, ids, state=state, note=note)
