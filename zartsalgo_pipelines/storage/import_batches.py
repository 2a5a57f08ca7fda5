"""Batch lifecycle and the review every batch ends with.

A batch is owned by the run and process that opened or claimed it (``owners.py``) and
carries a token that names its landing folder; ``pipeline/sweep.py`` fails the batches whose
owner died. A swept batch takes no more writes: every chunk and every close checks the status.
"""

from dataclasses import asdict, dataclass
from typing import ClassVar

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.owners import BatchOwner, new_token
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import batches as store
from zartsalgo_pipelines.tables.core import batches, import_rows
from zartsalgo_pipelines.tables.limits import refuse_overlong

OUTCOMES = ("created", "updated", "failed", "duplicate", "ignored")


@dataclass(frozen=True)
class BatchReview:
    """What a sync did: every input row is counted exactly once."""

    batch_id: int
    provider_key: str
    source_kind: str
    status: str
    rows_total: int
    rows_created: int
    rows_updated: int
    rows_failed: int
    rows_duplicate: int
    rows_ignored: int

    def as_metadata(self) -> dict[str, int | str]:
        return asdict(self)

    @property
    def adds_up(self) -> bool:
        return self.rows_total == sum(getattr(self, f"rows_{o}") for o in OUTCOMES)


def open_batch(
    conn: sa.Connection,
    spec: ProviderSpec,
    *,
    source_kind: str,
    source_ref: str,
    status: str = "running",
    fingerprint: str | None = None,
    owner: BatchOwner | None = None,
) -> int:
    """Create a batch row owned by ``owner`` (default: this process) and return its id."""
    owner = owner or BatchOwner.this_process()
    now = utcnow()
    result = conn.execute(
        sa.insert(batches).values(
            provider_key=spec.key,
            source_kind=source_kind,
            source_ref=source_ref[:1000],
            source_fingerprint=fingerprint,
            spec_version=spec.version,
            status=status,
            started_at=now,
            token=new_token(),
            heartbeat_at=now,
            **owner.columns(),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


class BatchLostError(ZartsalgoError, RuntimeError):
    """The batch is no longer this run's: the sweep failed it (its owner looked dead or it
    made no progress within the timeout). Nothing more is written to it."""

    retryable: ClassVar[bool] = True  # the next run lands the source again


class BatchNotClaimedError(ZartsalgoError, RuntimeError):
    """Another run took the batch or holds the provider's ingest lease; the message says which."""

    retryable: ClassVar[bool] = True  # the lease is free once the other run ends


def add_counts(conn: sa.Connection, batch_id: int, counts: dict[str, int]) -> None:
    """Add one chunk's outcomes to the batch, in the chunk's own transaction.

    Also the batch's heartbeat. A batch that is no longer ``running`` (swept) raises
    ``BatchLostError``, which rolls the chunk back.
    """
    values = {f"rows_{o}": batches.c[f"rows_{o}"] + counts.get(o, 0) for o in OUTCOMES}
    values["rows_total"] = batches.c.rows_total + sum(counts.values())
    if not store.update_if(conn, batch_id, ["running"], **values, heartbeat_at=utcnow()):
        raise BatchLostError(f"batch {batch_id} is no longer running; its chunk was rolled back")


def close_batch(
    conn: sa.Connection, spec: ProviderSpec, batch_id: int, status: str, error: str | None = None
) -> bool:
    """Close an active batch and free the ingest lease; False if it was closed already."""
    store.release_lease(conn, spec.key, batch_id)
    error = error[:4000] if error else None
    active = [*store.ACTIVE, "extracted"]
    return store.update_if(conn, batch_id, active, status=status, finished_at=utcnow(), error=error)


def touch(conn: sa.Connection, batch_id: int, status: str) -> None:
    """Record progress of a ``status`` batch; ``BatchLostError`` if the sweep took it."""
    if not store.update_if(conn, batch_id, [status], heartbeat_at=utcnow()):
        raise BatchLostError(f"batch {batch_id} is no longer {status}")


def mark_extracted(conn: sa.Connection, batch_id: int, fingerprint: str) -> None:
    """extracting -> extracted; ``BatchLostError`` if the sweep failed it meanwhile."""
    extracted = {"status": "extracted", "source_fingerprint": fingerprint, "heartbeat_at": utcnow()}
    if not store.update_if(conn, batch_id, ["extracting"], **extracted):
        raise BatchLostError(f"batch {batch_id} is no longer extracting")


def claim_batch(
    conn: sa.Connection,
    spec: ProviderSpec,
    batch_id: int,
    owner: BatchOwner,
    *,
    from_statuses: tuple[str, ...] = ("extracted",),
    waiting: str | None = None,
) -> None:
    """Take the provider's ingest lease and move the batch to ``running`` for ``owner``.

    Raises ``BatchNotClaimedError`` with the reason when another run holds the lease or took
    the batch; the caller's transaction then rolls back whatever this changed. ``waiting``
    names what waits in that message (default: the batch).
    """
    if not store.take_lease(conn, spec.key, batch_id):
        holder = store.lease_holder(conn, spec.key) or {}
        run = f" (run {holder['run_id']})" if holder.get("run_id") else ""
        raise BatchNotClaimedError(
            f"{spec.key}: batch {holder.get('id', '?')}{run} is being ingested; "
            f"{waiting or f'batch {batch_id}'} must wait for the run that holds the ingest lease "
            "or the next run"
        )
    running = {"status": "running", "heartbeat_at": utcnow(), **owner.columns()}
    if not store.update_if(conn, batch_id, from_statuses, **running):
        raise BatchNotClaimedError(
            f"{spec.key}: batch {batch_id} is no longer {' or '.join(from_statuses)}; "
            "another run took it"
        )


def review(conn: sa.Connection, batch_id: int) -> BatchReview:
    row = conn.execute(sa.select(batches).where(batches.c.id == batch_id)).mappings().one()
    return BatchReview(
        batch_id=row["id"],
        provider_key=row["provider_key"],
        source_kind=row["source_kind"],
        status=row["status"],
        **{f"rows_{o}": row[f"rows_{o}"] for o in ("total", *OUTCOMES)},
    )


def pending_batches(conn: sa.Connection, provider_key: str) -> list[int]:
    """Extracted batches waiting to be mapped, oldest first."""
    return list(
        conn.execute(
            sa.select(batches.c.id)
            .where(batches.c.provider_key == provider_key, batches.c.status == "extracted")
            .order_by(batches.c.id)
        ).scalars()
    )


def latest_batch(conn: sa.Connection, provider_key: str, status: str | None = None) -> int | None:
    query = sa.select(sa.func.max(batches.c.id)).where(batches.c.provider_key == provider_key)
    if status:
        query = query.where(batches.c.status == status)
    return conn.execute(query).scalar()


def row_outcomes(conn: sa.Connection, batch_id: int) -> dict[int, str]:
    """Each import row's status by its source position (a replay's position is a letter id)."""
    query = sa.select(import_rows.c.source_position, import_rows.c.status).where(
        import_rows.c.batch_id == batch_id
    )
    return {position: status for position, status in conn.execute(query).all()}


def describe_batch(conn: sa.Connection, batch_id: int, entered_by: str, note: str) -> None:
    """Record who started a hand-made batch (manual entry, replay) and why (checked to fit
    by ``refuse_long_description`` before the batch was opened)."""
    conn.execute(
        sa.update(batches).where(batches.c.id == batch_id).values(entered_by=entered_by, note=note)
    )


def refuse_long_description(entered_by: str, note: str) -> None:
    """``TooLongError`` when who or why does not fit its column: checked before a hand-made
    batch opens, so nothing is written."""
    refuse_overlong(batches, {"entered_by": entered_by, "note": note})


def record_http(
    conn: sa.Connection,
    batch_id: int,
    *,
    requests: int,
    rate_limit_hits: int,
    rate_limit_wait_seconds: float,
    cursor: str | None,
) -> None:
    """An API extract's request counts and the incremental cursor it read from."""
    conn.execute(
        sa.update(batches)
        .where(batches.c.id == batch_id)
        .values(
            http_requests=requests,
            rate_limit_hits=rate_limit_hits,
            rate_limit_wait_seconds=round(rate_limit_wait_seconds, 3),
            incremental_cursor=cursor,
        )
    )
