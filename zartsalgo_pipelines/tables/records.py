"""The ZartsAlgo records providers map into, and the columns the pipeline fills itself."""

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from zartsalgo_pipelines.tables.base import (
    Base,
    BigId,
    JsonText,
    LongText,
    ProviderId,
    ProviderTime,
)
from zartsalgo_pipelines.tables.facts import MetricFact


class QuoteRequest(Base):
    """The ZartsAlgo quote request record that reports, cards and automations build on."""

    __tablename__ = "quote_requests"
    __table_args__ = (sa.UniqueConstraint("provider_key", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64))
    external_id: Mapped[str] = mapped_column(ProviderId)
    client_key: Mapped[str] = mapped_column(sa.String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(ProviderTime)
    source_updated_at: Mapped[dt.datetime | None] = mapped_column(ProviderTime)
    status: Mapped[str] = mapped_column(sa.String(32))
    contact_name: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))
    service: Mapped[str | None] = mapped_column(sa.String(64))
    budget_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    budget_currency: Mapped[str | None] = mapped_column(sa.String(3))
    postal_code: Mapped[str | None] = mapped_column(sa.String(16))
    message: Mapped[str | None] = mapped_column(LongText)
    source_page: Mapped[str | None] = mapped_column(sa.String(500))
    # Provider fields the map does not name: kept as context, never shown in the portal.
    source_context: Mapped[dict[str, Any] | None] = mapped_column(JsonText)
    last_batch_id: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class CrmDeal(Base):
    """A deal from a client's CRM: the pipeline value and outcomes reports build on."""

    __tablename__ = "crm_deals"
    __table_args__ = (sa.UniqueConstraint("provider_key", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64))
    external_id: Mapped[str] = mapped_column(ProviderId)
    client_key: Mapped[str] = mapped_column(sa.String(64))
    deal_name: Mapped[str | None] = mapped_column(sa.String(300))
    stage: Mapped[str] = mapped_column(sa.String(32))
    pipeline: Mapped[str | None] = mapped_column(sa.String(64))
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    close_date: Mapped[dt.date | None]
    source_created_at: Mapped[dt.datetime] = mapped_column(ProviderTime)
    source_updated_at: Mapped[dt.datetime | None] = mapped_column(ProviderTime)
    source_context: Mapped[dict[str, Any] | None] = mapped_column(JsonText)
    last_batch_id: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


# Object types whose targets are the columns of one record table, and the columns the pipeline
# fills itself.
RECORD_MODELS: dict[str, type[Base]] = {"quote_request": QuoteRequest, "deal": CrmDeal}
# Every object type a provider may map into, and the table its rows land in: the records, and
# the facts of reporting providers (whose targets are read off ``tables/facts.py``).
OBJECT_MODELS: dict[str, type[Base]] = RECORD_MODELS | {"metric_fact": MetricFact}
SYSTEM_COLUMNS = frozenset(
    {"id", "provider_key", "source_context", "last_batch_id", "created_at", "updated_at"}
)
