"""What mapping a chunk produces: each row's outcome, its failures, and the payload it keeps.

``MappedChunk`` is what storage writes; ``Failure`` and ``KnownFailure`` are how a failed row
is recorded on its dead letter (and recognised again on a re-read).
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pandas as pd

from zartsalgo_pipelines.mapping.bounds import (
    TOO_DEEP_KEY,
    bounded,
    canonical_payloads,
    kept_or_marker,
    shown,
)
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.tables.limits import JSON_MAX_DEPTH, ROW_PAYLOAD_MAX_BYTES

IGNORED, FAILED, VALID, DUPLICATE = "ignored", "failed", "valid", "duplicate"
_DROPPED: dict[str, Any] = {}  # shared, never written: the record of a row already mapped
NESTING_CHECK = f"nested at most {JSON_MAX_DEPTH} levels deep"
SIZE_CHECK = f"at most {ROW_PAYLOAD_MAX_BYTES} bytes as JSON"


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed check; ``value`` is kept bounded (``Failure.of``), so any dead letter fits."""

    field: str
    check: str
    value: Any

    @classmethod
    def of(cls, field: str, check: str, value: Any) -> "Failure":
        return cls(field, check, bounded(value))

    def describe(self, label: str) -> str:
        return f"{self.field} ({label}): {self.check}; got {shown(self.value)}"


@dataclass(frozen=True, slots=True)
class KnownFailure:
    """How a payload failed under a field map, as its dead letter records it."""

    reason: str
    failures: tuple[Failure, ...]

    @staticmethod
    def to_json(failures: Sequence[Failure]) -> str:
        """Failures as stored on a dead letter: ``[[field, check, value], ...]``."""
        return orjson.dumps([[f.field, f.check, f.value] for f in failures], default=str).decode()

    @classmethod
    def from_json(cls, reason: str, text: str | bytes | list[Any]) -> "KnownFailure":
        entries = orjson.loads(text) if isinstance(text, str | bytes) else text
        return cls(reason, tuple(Failure(str(f), str(c), v) for f, c, v in entries))


@dataclass
class MappedChunk:
    """The outcome of mapping one chunk; lists are aligned with ``rows``."""

    rows: Sequence[SourceRow]
    payloads: list[bytes]  # canonical JSON of each provider record (internal only)
    hashes: list[str]
    external_ids: list[str | None]
    outcomes: list[str]
    reasons: list[str | None]
    failures: dict[int, list[Failure]] = field(default_factory=dict)
    valid: pd.DataFrame = field(default_factory=pd.DataFrame)  # index = position in ``rows``
    contexts: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Rows that failed exactly as an open dead letter of theirs records (``failed_before``).
    known_failures: set[int] = field(default_factory=set)

    def drop_records(self) -> None:
        """Free the parsed provider records once the chunk is mapped and classified.

        Storing needs only where each row came from, the canonical payloads, the typed frame
        and the contexts. Thousands of parsed records per chunk in flight made every per-chunk
        GC pass walk them (7 us a row on a re-run) and held memory the writer never reads.
        A row keeps an empty record, so "was it parsed" still reads ``record is not None``.
        """
        self.rows = [
            row
            if row.record is None
            else SourceRow(row.source_ref, row.position, _DROPPED, note=row.note)
            for row in self.rows
        ]


def dead_letter_payload(chunk: "MappedChunk", index: int) -> str:
    """The payload a dead letter keeps, as JSON that both databases' JSON columns take.

    An unparseable line is kept as its text, and a record nested deeper than the columns take
    as its canonical JSON text, each wrapped in an object under a key of its own (replays
    unwrap them), so the row is stored whole either way. A payload larger than a row may be is
    kept as its size and hash only (``bounds.kept_or_marker``).
    """
    row = chunk.rows[index]
    if row.record is None:
        text = row.raw_text or ""
        kept = json.dumps({"unparsed_text": row.raw_text}, ensure_ascii=False)
        return kept_or_marker(kept, text.encode(errors="surrogatepass"))
    payload = chunk.payloads[index]
    if any(f.field == "record" and f.check == NESTING_CHECK for f in chunk.failures[index]):
        kept = json.dumps({TOO_DEEP_KEY: payload.decode()}, ensure_ascii=False)
        return kept_or_marker(kept, payload)
    return kept_or_marker(payload.decode(), payload)


def payload_hash(payload: bytes) -> str:
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def fingerprints(rows: Sequence[SourceRow]) -> tuple[list[bytes], list[str]]:
    """Canonical payload and its hash per row (an unparseable line hashes its text): each is
    ``canonical_json`` and ``payload_hash``, without two Python calls a row."""
    payloads = canonical_payloads([r.record if r.error is None else r.raw_text for r in rows])
    blake2b = hashlib.blake2b
    return payloads, [blake2b(p, digest_size=16).hexdigest() for p in payloads]
