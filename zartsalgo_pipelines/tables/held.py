"""Payloads held for later: dead letters (failed rows) and webhook deliveries. Internal only."""

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from zartsalgo_pipelines.tables.base import Base, BigId, ProviderId


class IntegrationDeadLetter(Base):
    """A row that failed the field map, kept whole with the reason so it can be replayed."""

    __tablename__ = "integration_dead_letters"
    __table_args__ = (sa.UniqueConstraint("provider_key", "payload_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64))
    payload_hash: Mapped[str] = mapped_column(sa.String(32))
    external_id: Mapped[str | None] = mapped_column(ProviderId)
    first_batch_id: Mapped[int] = mapped_column(sa.BigInteger)
    last_batch_id: Mapped[int] = mapped_column(sa.BigInteger)
    row_number: Mapped[int]
    source_ref: Mapped[str] = mapped_column(sa.String(255))
    source_position: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    # Every failure as [field, check, value]: a re-read of the same payload under the same
    # spec fails again exactly so, without validating it again.
    failures: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    failing_field: Mapped[str] = mapped_column(sa.String(64))
    failing_check: Mapped[str] = mapped_column(sa.String(200))
    raw_payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # internal only
    first_failed_at: Mapped[dt.datetime]
    last_failed_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(default=1)
    # open, replayed (a replay batch stored it), resolved or ignored (by a person, with a note)
    state: Mapped[str] = mapped_column(sa.String(16), default="open")
    replayed_batch_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    resolution_note: Mapped[str | None] = mapped_column(sa.Text)


class IntegrationWebhookDelivery(Base):
    """A signed push, stored before it is acknowledged; internal only (it holds the payload).

    ``batch_id`` is set when an import batch claims the delivery and cleared again if that
    batch fails, so every delivery is processed by exactly one successful batch.
    """

    __tablename__ = "integration_webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("provider_key", "delivery_id"),
        sa.Index("ix_integration_webhook_deliveries_pending", "provider_key", "batch_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64))
    delivery_id: Mapped[str] = mapped_column(ProviderId)
    received_at: Mapped[dt.datetime]
    body_sha256: Mapped[str] = mapped_column(sa.String(64))
    # LONGTEXT on MySQL: TEXT stops at 64 KB and deliveries may be up to max_body_bytes.
    body: Mapped[str] = mapped_column(sa.Text().with_variant(mysql.LONGTEXT(), "mysql"))
    batch_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    processed_at: Mapped[dt.datetime | None]
