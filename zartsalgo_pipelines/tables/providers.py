"""Providers, their connection state and the mirror of their field maps (seed tables)."""

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.tables.base import Base, BigId


class IntegrationProvider(Base):
    """One row per provider spec: who owns it, why it is connected, how it authenticates."""

    __tablename__ = "integration_providers"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    owner: Mapped[str] = mapped_column(sa.String(200))
    reason: Mapped[str] = mapped_column(sa.Text)
    auth_model: Mapped[str] = mapped_column(sa.String(40))
    scopes: Mapped[list[Any]] = mapped_column(sa.JSON)
    credential_env_vars: Mapped[list[Any]] = mapped_column(sa.JSON)  # names only, never values
    spec_version: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IntegrationConnection(Base):
    """The live state of a provider's connection: status, last success, last error."""

    __tablename__ = "integration_connections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(
        sa.String(64), sa.ForeignKey("integration_providers.key"), unique=True
    )
    status: Mapped[str] = mapped_column(sa.String(20))
    last_successful_sync_at: Mapped[dt.datetime | None]
    last_batch_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # Incremental REST syncs: the highest cursor value of the last successful batch.
    incremental_cursor: Mapped[str | None] = mapped_column(sa.String(191))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The ingest lease: the one batch of this provider that may write records right now, so
    # two runs never write the same ids at once (docs/crash_safety.md). NULL when free.
    ingest_batch_id: Mapped[int | None] = mapped_column(sa.BigInteger)


class IntegrationFieldMapping(Base):
    """Mirror of each provider's active field map; the spec file stays the source of truth."""

    __tablename__ = "integration_field_mappings"
    __table_args__ = (sa.UniqueConstraint("provider_key", "spec_version", "target_field"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(64))
    spec_version: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int]
    source_path: Mapped[str] = mapped_column(sa.String(500))
    target_field: Mapped[str] = mapped_column(sa.String(64))
    field_type: Mapped[str] = mapped_column(sa.String(20))
    required: Mapped[bool]
    portal_label: Mapped[str] = mapped_column(sa.String(200))
    unit: Mapped[str | None] = mapped_column(sa.String(40))
    value_map: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    checks: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
