"""Batch lifecycle and the review every batch ends with."""

from dataclasses import asdict, dataclass

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.models import DataImportBatch, table_of

OUTCOMES = ("created", "updated", "failed", "duplicate", "ignored")
batches = table_of(DataImportBatch)


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
) -> int:
    """Create a batch row and return its id."""
    result = conn.execute(
        sa.insert(batches).values(
            provider_key=spec.key,
            source_kind=source_kind,
            source_ref=source_ref[:1000],
            source_fingerprint=fingerprint,
            spec_version=spec.version,
            status=status,
            started_at=utcnow(),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def add_counts(conn: sa.Connection, batch_id: int, counts: dict[str, int]) -> None:
    """Add one chunk's outcomes to the batch, in the chunk's own transaction."""
    values = {f"rows_{o}": batches.c[f"rows_{o}"] + counts.get(o, 0) for o in OUTCOMES}
    values["rows_total"] = batches.c.rows_total + sum(counts.values())
    conn.execute(sa.update(batches).where(batches.c.id == batch_id).values(values))


def close_batch(conn: sa.Connection, batch_id: int, status: str, error: str | None = None) -> None:
    conn.execute(
        sa.update(batches)
        .where(batches.c.id == batch_id)
        .values(status=status, finished_at=utcnow(), error=error[:4000] if error else None)
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
