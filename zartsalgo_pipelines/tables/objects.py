"""The provider's objects: last payload, every payload version, and the links to records."""

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from zartsalgo_pipelines.tables.base import Base, BigId, JsonText, ProviderId, ProviderTime


class IntegrationExternalObject(Base):
    """The provider's view of one object: its id, the hash of its last payload, the payload."""

    __tablename__ = "integration_external_objects"
    __table_args__ = (sa.UniqueConstraint("provider_key", "object_type", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    external_id: Mapped[str] = mapped_column(ProviderId)
    payload_hash: Mapped[str] = mapped_column(sa.String(32))
    first_seen_at: Mapped[dt.datetime]
    # Moves only when the payload changes: an unchanged sighting is an import row, so a re-run
    # of the same export leaves this table untouched.
    last_seen_at: Mapped[dt.datetime]
    source_updated_at: Mapped[dt.datetime | None] = mapped_column(ProviderTime)
    raw_payload: Mapped[dict[str, Any]] = mapped_column(JsonText)  # internal only
    last_batch_id: Mapped[int] = mapped_column(sa.BigInteger)


class IntegrationObjectVersion(Base):
    """Every payload version stored for an external object, so that re-reading any of them
    (a re-run of an export that holds an old and a newer version of one id) is a duplicate."""

    __tablename__ = "integration_object_versions"

    provider_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    object_type: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    external_id: Mapped[str] = mapped_column(ProviderId, primary_key=True)
    payload_hash: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.BigInteger)


class IntegrationObjectLink(Base):
    """External object -> ZartsAlgo record, and how the two were matched."""

    __tablename__ = "integration_object_links"
    __table_args__ = (sa.UniqueConstraint("external_object_id", "record_table"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    external_object_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("integration_external_objects.id")
    )
    record_table: Mapped[str] = mapped_column(sa.String(64))
    record_id: Mapped[int] = mapped_column(sa.BigInteger)
    match_method: Mapped[str] = mapped_column(sa.String(32))
    linked_at: Mapped[dt.datetime]
    batch_id: Mapped[int] = mapped_column(sa.BigInteger)
