"""Import batches and their rows: one batch per sync, one row per input row."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from zartsalgo_pipelines.tables.base import Base, BigId, ProviderId


class DataImportBatch(Base):
    """One sync of one provider; the five counters always add up to ``rows_total``."""

    __tablename__ = "data_import_batches"
    __table_args__ = (
        sa.Index("ix_data_import_batches_provider_status", "provider_key", "status"),
        sa.Index("ux_data_import_batches_token", "token", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64))
    source_kind: Mapped[str] = mapped_column(sa.String(16))  # file, api, webhook, manual, replay
    source_ref: Mapped[str] = mapped_column(sa.String(1000))
    source_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    spec_version: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))  # extracted, running, succeeded, failed
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_created: Mapped[int] = mapped_column(default=0)
    rows_updated: Mapped[int] = mapped_column(default=0)
    rows_failed: Mapped[int] = mapped_column(default=0)
    rows_duplicate: Mapped[int] = mapped_column(default=0)
    rows_ignored: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    # Manual entries and replays record who started them and why.
    entered_by: Mapped[str | None] = mapped_column(sa.String(200))
    note: Mapped[str | None] = mapped_column(sa.Text)
    # REST extracts: requests made, 429 answers met and seconds waited on rate limits, and the
    # highest incremental cursor seen (stored on the connection once the batch succeeds).
    http_requests: Mapped[int] = mapped_column(default=0, server_default="0")
    rate_limit_hits: Mapped[int] = mapped_column(default=0, server_default="0")
    rate_limit_wait_seconds: Mapped[float] = mapped_column(default=0.0, server_default="0")
    incremental_cursor: Mapped[str | None] = mapped_column(sa.String(191))
    # Crash safety (docs/crash_safety.md): the batch's own token names its landing folder;
    # the owner is the Dagster run and/or the process on its host that opened or claimed it;
    # the heartbeat moves with every landed page, file and committed chunk.
    token: Mapped[str | None] = mapped_column(sa.String(32))
    run_id: Mapped[str | None] = mapped_column(sa.String(64))
    owner_host: Mapped[str | None] = mapped_column(sa.String(255))
    owner_pid: Mapped[int | None]
    owner_pid_start: Mapped[str | None] = mapped_column(sa.String(32))
    heartbeat_at: Mapped[dt.datetime | None]


class DataImportRow(Base):
    """Exactly one row per input row of a batch, with its outcome and where it came from."""

    __tablename__ = "data_import_rows"

    # A composite primary key instead of a surrogate id: one index fewer on the hottest table.
    batch_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("data_import_batches.id"), primary_key=True
    )
    row_number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    external_id: Mapped[str | None] = mapped_column(ProviderId)
    status: Mapped[str] = mapped_column(
        sa.String(16)
    )  # created, updated, failed, duplicate, ignored
    reason: Mapped[str | None] = mapped_column(sa.Text)
    payload_hash: Mapped[str] = mapped_column(sa.String(32))
    source_ref: Mapped[str] = mapped_column(sa.String(255))  # file name, page URL or delivery id
    source_position: Mapped[int]  # row / line / item number inside source_ref
