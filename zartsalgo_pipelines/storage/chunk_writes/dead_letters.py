"""A chunk's failed rows as dead letters: new ones upserted, known open ones touched in place."""

from typing import Any

import orjson
import sqlalchemy as sa

from zartsalgo_pipelines.mapping.apply import FAILED, KnownFailure, dead_letter_payload
from zartsalgo_pipelines.storage.chunk_writes import ChunkWrite
from zartsalgo_pipelines.storage.chunk_writes.import_rows import clip
from zartsalgo_pipelines.storage.upsert import upsert
from zartsalgo_pipelines.tables.core import dead_letters

DEAD_LETTER_BULK_MIN_ROWS = 50


def write_dead_letters(conn: sa.Connection, job: ChunkWrite) -> None:
    chunk = job.chunk
    failed = [i for i, outcome in enumerate(chunk.outcomes) if outcome == FAILED]
    if conn.dialect.name == "mysql" and chunk.known_failures:
        _touch_known_dead_letters(conn, job)
        failed = [i for i in failed if i not in chunk.known_failures]
    if not failed:
        return
    rows = [_dead_letter_row(job, index) for index in failed]
    upsert(
        conn,
        dead_letters,
        rows,
        # Payloads of ~700 bytes: past a few dozen rows the file beats pymysql's escaping.
        bulk_min_rows=DEAD_LETTER_BULK_MIN_ROWS,
        key=["provider_key", "payload_hash"],
        update={
            "last_batch_id": "new",
            "row_number": "new",
            "source_ref": "new",
            "source_position": "new",
            "reason": "new",
            "failures": "new",
            "failing_field": "new",
            "failing_check": "new",
            "last_failed_at": "new",
            # A literal, not a bound 1: pymysql cannot bind inside ON DUPLICATE KEY UPDATE.
            "attempts": dead_letters.c.attempts + sa.literal_column("1"),
        },
    )


def _dead_letter_row(job: ChunkWrite, index: int) -> dict[str, Any]:
    """The dead letter of failed row ``index``, as first stored."""
    spec, batch_id, first_row_number, chunk, now = job
    first = chunk.failures[index][0]
    return {
        "provider_key": spec.key,
        "payload_hash": chunk.hashes[index],
        "external_id": clip(chunk.external_ids[index], 191),
        "first_batch_id": batch_id,
        "last_batch_id": batch_id,
        "row_number": first_row_number + index,
        "source_ref": chunk.rows[index].source_ref[:255],
        "source_position": chunk.rows[index].position,
        "reason": chunk.reasons[index],
        "failures": KnownFailure.to_json(chunk.failures[index]),
        "failing_field": first.field[:64],
        "failing_check": first.check[:200],
        "raw_payload": dead_letter_payload(chunk, index),
        "first_failed_at": now,
        "last_failed_at": now,
        "attempts": 1,
        "state": "open",
    }


def _touch_known_dead_letters(conn: sa.Connection, job: ChunkWrite) -> None:
    """Record that open dead letters failed again, in one UPDATE joined to a JSON_TABLE.

    Their payload, reason and failures are what the dead letter already holds (that is how
    they were recognised), so only where and when they were last seen changes; sending each
    700-byte payload back through the upsert cost a re-run more than all its lookups.
    """
    spec, batch_id, first_row_number, chunk, now = job
    seen = [
        [
            chunk.hashes[index],
            first_row_number + index,
            chunk.rows[index].source_ref[:255],
            chunk.rows[index].position,
        ]
        for index in sorted(chunk.known_failures)
    ]
    conn.execute(
        sa.text(
            "UPDATE integration_dead_letters AS d JOIN JSON_TABLE(:seen, '$[*]' COLUMNS ("
            "payload_hash VARCHAR(32) PATH '$[0]', `row_number` BIGINT PATH '$[1]', "
            "source_ref VARCHAR(255) PATH '$[2]', source_position BIGINT PATH '$[3]')) AS s "
            "ON d.provider_key = :provider_key AND d.payload_hash = s.payload_hash "
            "SET d.attempts = d.attempts + 1, d.last_batch_id = :batch_id, "
            "d.`row_number` = s.`row_number`, d.source_ref = s.source_ref, "
            "d.source_position = s.source_position, d.last_failed_at = :now"
        ),
        {
            "seen": orjson.dumps(seen).decode(),
            "provider_key": spec.key,
            "batch_id": batch_id,
            "now": now,
        },
    )
