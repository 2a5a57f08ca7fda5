"""Batch ownership statements: claims, the provider's ingest lease, heartbeats and the sweep.

Every claim is one conditional UPDATE whose row count says who won, so two runs never both
take a batch or a webhook delivery. Lock order (docs/crash_safety.md): the connection row (the
lease) before batch rows; InnoDB takes shared locks on the batch rows the lease's subquery reads.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.tables.core import batches, connections, deliveries

# Statuses of a batch somebody is working on: only these can get stuck.
ACTIVE = ("extracting", "running")


def take_lease(conn: sa.Connection, provider_key: str, batch_id: int) -> bool:
    """Make ``batch_id`` the provider's ingesting batch; False if another running batch is."""
    holder = batches.alias("holder")
    stale = sa.select(holder.c.id).where(
        holder.c.id == connections.c.ingest_batch_id, holder.c.status != "running"
    )
    result = conn.execute(
        sa.update(connections)
        .where(
            connections.c.provider_key == provider_key,
            sa.or_(
                connections.c.ingest_batch_id.is_(None),
                connections.c.ingest_batch_id == batch_id,
                sa.exists(stale),
            ),
        )
        .values(ingest_batch_id=batch_id)
    )
    return result.rowcount == 1


def lock_connection(conn: sa.Connection, provider_key: str) -> None:
    """Lock the provider's connection row for this transaction (MySQL; SQLite locks the file)."""
    conn.execute(
        sa.select(connections.c.id)
        .where(connections.c.provider_key == provider_key)
        .with_for_update()
    ).first()


def release_lease(conn: sa.Connection, provider_key: str, batch_id: int) -> None:
    conn.execute(
        sa.update(connections)
        .where(
            connections.c.provider_key == provider_key, connections.c.ingest_batch_id == batch_id
        )
        .values(ingest_batch_id=None)
    )


def lease_holder(conn: sa.Connection, provider_key: str) -> dict[str, Any] | None:
    """The batch holding the provider's lease: id, run and process (for skip reasons)."""
    row = (
        conn.execute(
            sa.select(batches.c.id, batches.c.run_id, batches.c.owner_host, batches.c.owner_pid)
            .join(connections, connections.c.ingest_batch_id == batches.c.id)
            .where(connections.c.provider_key == provider_key)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def update_if(
    conn: sa.Connection, batch_id: int, statuses: Sequence[str], **values: object
) -> bool:
    """Update the batch if it is in one of ``statuses``; False if it was not (another run or
    the sweep moved it first)."""
    result = conn.execute(
        sa.update(batches)
        .where(batches.c.id == batch_id, batches.c.status.in_(list(statuses)))
        .values(**values)
    )
    return result.rowcount == 1


def active_batches(conn: sa.Connection, provider_key: str) -> list[dict[str, Any]]:
    """The provider's extracting and running batches with their owner and heartbeat."""
    query = (
        sa.select(
            batches.c.id,
            batches.c.status,
            batches.c.token,
            batches.c.run_id,
            batches.c.owner_host,
            batches.c.owner_pid,
            batches.c.owner_pid_start,
            batches.c.started_at,
            batches.c.heartbeat_at,
        )
        .where(batches.c.provider_key == provider_key, batches.c.status.in_(ACTIVE))
        .order_by(batches.c.id)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def fail_if_unchanged(
    conn: sa.Connection,
    provider_key: str,
    batch_id: int,
    status: str,
    seen_heartbeat: dt.datetime | None,
    reason: str,
    now: dt.datetime,
) -> bool:
    """Fail a stuck batch unless it moved since the sweep looked (then it is alive)."""
    lock_connection(conn, provider_key)
    same = (
        batches.c.heartbeat_at.is_(None)
        if seen_heartbeat is None
        else batches.c.heartbeat_at == seen_heartbeat
    )
    result = conn.execute(
        sa.update(batches)
        .where(batches.c.id == batch_id, batches.c.status == status, same)
        .values(status="failed", finished_at=now, error=reason[:4000])
    )
    if result.rowcount != 1:
        return False
    release_lease(conn, provider_key, batch_id)
    return True


def release_deliveries(conn: sa.Connection, batch_id: int) -> int:
    """Give back the unprocessed webhook deliveries a batch had claimed."""
    result = conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.batch_id == batch_id, deliveries.c.processed_at.is_(None))
        .values(batch_id=None)
    )
    return result.rowcount or 0


def claim_deliveries(conn: sa.Connection, provider_key: str, batch_id: int, size: int) -> int:
    """Claim up to ``size`` unclaimed deliveries, oldest first; returns how many.

    Called under the provider's lease, so no other run claims at the same time; the
    ``batch_id IS NULL`` condition still guards each row.
    """
    ids = list(
        conn.execute(
            sa.select(deliveries.c.id)
            .where(deliveries.c.provider_key == provider_key, deliveries.c.batch_id.is_(None))
            .order_by(deliveries.c.id)
            .limit(size)
        ).scalars()
    )
    if not ids:
        return 0
    result = conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.id.in_(ids), deliveries.c.batch_id.is_(None))
        .values(batch_id=batch_id)
    )
    return result.rowcount or 0


def mark_deliveries_processed(conn: sa.Connection, batch_id: int, now: dt.datetime) -> None:
    conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.batch_id == batch_id, deliveries.c.processed_at.is_(None))
        .values(processed_at=now)
    )


def batch_token(conn: sa.Connection, batch_id: int) -> str | None:
    return conn.execute(sa.select(batches.c.token).where(batches.c.id == batch_id)).scalar()


def describe_source(conn: sa.Connection, batch_id: int, source_ref: str) -> None:
    conn.execute(
        sa.update(batches).where(batches.c.id == batch_id).values(source_ref=source_ref[:1000])
    )


def run_batch_owners(
    conn: sa.Connection, run_ids: Sequence[str]
) -> dict[str, list[tuple[str | None, int | None, str | None]]]:
    """The processes (host, pid, pid start) that owned each run's batches, by run id."""
    if not run_ids:
        return {}
    owners: dict[str, list[tuple[str | None, int | None, str | None]]] = {}
    query = sa.select(
        batches.c.run_id, batches.c.owner_host, batches.c.owner_pid, batches.c.owner_pid_start
    ).where(batches.c.run_id.in_(list(run_ids)))
    for run_id, host, pid, started in conn.execute(query):
        owners.setdefault(run_id, []).append((host, pid, started))
    return owners


def batch_owner_run(conn: sa.Connection, batch_id: int) -> tuple[str, str | None] | None:
    """The batch's status and the run that last opened or claimed it; None if no such batch."""
    row = conn.execute(
        sa.select(batches.c.status, batches.c.run_id).where(batches.c.id == batch_id)
    ).first()
    return None if row is None else (row.status, row.run_id)
