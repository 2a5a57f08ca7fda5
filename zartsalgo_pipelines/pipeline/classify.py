"""Classifying a chunk: what is stored already, then created, updated or duplicate per row.

Before mapping, one lookup per chunk (``storage/lookups.py``) reads the payload hashes stored
for the chunk's ids and the payloads already dead-lettered under this spec; after mapping, one
reads which of the valid rows' ids exist at all. ``plan_chunk`` then decides every valid row's
status, in memory.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from zartsalgo_pipelines.mapping.apply import FieldMap, MappedChunk
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.chunks import ChunkPlan
from zartsalgo_pipelines.storage.lookups import existing_ids, known_failures, stored_hashes


@dataclass
class KnownVersions:
    """What is stored for a chunk: payload hashes, and which external ids exist at all.

    A payload contains its own external id, so its hash alone identifies (id, payload).
    """

    hashes: set[str]
    ids: set[str]

    @classmethod
    def empty(cls) -> "KnownVersions":
        return cls(set(), set())

    def copy(self) -> "KnownVersions":
        return KnownVersions(set(self.hashes), set(self.ids))

    def since(self, before: "KnownVersions") -> "KnownVersions":
        """What this one holds that ``before`` did not (a chunk's additions)."""
        return KnownVersions(self.hashes - before.hashes, self.ids - before.ids)

    def add(self, other: "KnownVersions") -> None:
        self.hashes |= other.hashes
        self.ids |= other.ids


def plan_chunk(chunk: MappedChunk, known: KnownVersions, first_row_number: int) -> ChunkPlan:
    """Classify the valid rows of a chunk against the versions already stored.

    ``known`` is updated in place with the chunk's new versions, so a later row of the same
    chunk, or a caller's overlay, sees them.
    """
    plan = ChunkPlan(first_row_number, list(chunk.outcomes), {}, [], [])
    # Bound once: the loop runs for every valid row. ``tolist`` gives the index's ints in one
    # call (iterating a pandas index boxes them one by one).
    statuses, ids, hashes = plan.statuses, chunk.external_ids, chunk.hashes
    known_hashes, known_ids = known.hashes, known.ids
    for index in chunk.valid.index.tolist():
        external_id = ids[index]
        assert external_id is not None  # required by every spec (checked at load)
        digest = hashes[index]
        if digest in known_hashes:
            statuses[index] = "duplicate"  # this exact payload was stored before
            continue
        if external_id in known_ids:
            statuses[index] = "updated"
        else:
            statuses[index] = "created"
            plan.created.append(external_id)
            known_ids.add(external_id)
        known_hashes.add(digest)
        plan.latest[external_id] = index
        plan.changed.append(index)
    return plan


def classify_chunk(
    conn: sa.Connection,
    spec: ProviderSpec,
    field_map: FieldMap,
    rows: list[SourceRow],
    in_flight: KnownVersions,
    first_row_number: int,
    *,
    revalidate_failures: bool = False,
) -> tuple[MappedChunk, ChunkPlan, KnownVersions]:
    """Map and classify one chunk against what is stored plus ``in_flight`` (versions of earlier
    chunks not yet committed, or never written by a test sync).

    Returns the mapped chunk, its plan and the versions it adds, which the caller keeps in
    flight for the chunks after it.
    """
    chunk, known = known_versions(
        conn, spec, field_map, rows, in_flight, revalidate_failures=revalidate_failures
    )
    before = known.copy()
    plan = plan_chunk(chunk, known, first_row_number)
    return chunk, plan, known.since(before)


def known_versions(
    conn: sa.Connection,
    spec: ProviderSpec,
    field_map: FieldMap,
    rows: list[SourceRow],
    pending: KnownVersions,
    *,
    revalidate_failures: bool = False,
) -> tuple[MappedChunk, KnownVersions]:
    """Map a chunk against what is stored plus ``pending`` (versions not yet committed).

    Payloads already dead-lettered under this spec fail again as recorded, without being
    validated; ``revalidate_failures`` validates them anyway (a dead-letter replay).
    """
    fingerprints = field_map.fingerprints(rows)
    hashes = stored_hashes(conn, spec, field_map.external_ids(rows)) | pending.hashes
    failed = None
    if not revalidate_failures:
        failed = known_failures(conn, spec, sorted(set(fingerprints[1]) - hashes))
    chunk = field_map.apply(rows, hashes, failed_before=failed, fingerprints=fingerprints)
    candidates = {chunk.external_ids[i] for i in chunk.valid.index.tolist()} - {None}
    ids = (candidates & pending.ids) | existing_ids(conn, spec, candidates - pending.ids)
    return chunk, KnownVersions(hashes, ids)
