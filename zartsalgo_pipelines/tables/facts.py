"""Metric facts: what an ad platform or another reporting API reports per client, day (or hour)
and declared dimensions, as named measures.

One ``metric_facts`` row per input row (the id rule and column limits of the record tables);
one ``metric_fact_values`` row per measure of it, so a new measure needs no migration and sums
stay exact in SQL (DECIMAL on MySQL); ``metric_fact_revisions`` keeps each measure's value
before and after a restated day was sent again. Dimensions (campaign, channel, ...) are a JSON
object on the fact: declared in the spec, never a column, so a new one needs no migration either.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from zartsalgo_pipelines.tables.base import Base, BigId, JsonText, ProviderId, table_of

# Fifteen digits, six after the point: what the mapping's numbers keep exactly on their way from
# the provider's text through a float (15 significant digits always survive one), so a value is
# stored as sent or refused, never rounded on the way. Up to 999,999,999.999999 per row.
MeasureValue = sa.Numeric(15, 6)
# A dimension value (a campaign name, a channel): as long as a provider id.
DIMENSION_CHARS = 191


class MetricFact(Base):
    """One row a reporting provider sent: a client's measures for one day (or hour) and one
    combination of declared dimension values."""

    __tablename__ = "metric_facts"
    __table_args__ = (
        sa.UniqueConstraint("provider_key", "external_id"),
        sa.Index("ix_metric_facts_client_day", "provider_key", "client_key", "fact_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64))
    external_id: Mapped[str] = mapped_column(ProviderId)
    client_key: Mapped[str] = mapped_column(sa.String(64))
    # The day as the provider's account counts it (its own time zone), and the hour for an
    # hourly grain (0-23, null for daily facts).
    fact_date: Mapped[dt.date]
    fact_hour: Mapped[int | None] = mapped_column(sa.SmallInteger)
    # The currency of the row's money measures (null when the provider declares none).
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    dimensions: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # Provider fields the map does not name: kept as context, never shown in the portal.
    source_context: Mapped[dict[str, Any] | None] = mapped_column(JsonText)
    last_batch_id: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class MetricFactValue(Base):
    """One measure of one fact (null: the provider sent none)."""

    __tablename__ = "metric_fact_values"

    fact_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("metric_facts.id"), primary_key=True
    )
    measure_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Decimal | None] = mapped_column(MeasureValue)


class MetricFactRevision(Base):
    """A measure the provider restated: its value before and after, and the batch that did."""

    __tablename__ = "metric_fact_revisions"
    __table_args__ = (sa.Index("ix_metric_fact_revisions_fact", "fact_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    fact_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey("metric_facts.id"))
    measure_key: Mapped[str] = mapped_column(sa.String(64))
    value_before: Mapped[Decimal | None] = mapped_column(MeasureValue)
    value_after: Mapped[Decimal | None] = mapped_column(MeasureValue)
    batch_id: Mapped[int] = mapped_column(sa.BigInteger)
    revised_at: Mapped[dt.datetime]


# The columns the pipeline fills itself; every other column of metric_facts is a target.
FACT_SYSTEM_COLUMNS = frozenset(
    {"id", "provider_key", "dimensions", "source_context", "last_batch_id"}
    | {"created_at", "updated_at"}
)
DIMENSIONS, MEASURES = "dimensions", "measures"


def fact_target_columns(dimensions: list[str], measures: list[str]) -> dict[str, sa.Column[Any]]:
    """Every target a metric_fact field map may fill, with the column that holds it: the fixed
    ones of ``metric_facts``, ``dimensions.<name>`` (text in the dimensions JSON) and
    ``measures.<name>`` (a row of ``metric_fact_values``), for the declared names."""
    table = table_of(MetricFact)
    found: dict[str, sa.Column[Any]] = {
        c.name: c for c in table.columns if c.name not in FACT_SYSTEM_COLUMNS
    }
    for name in dimensions:
        target = f"{DIMENSIONS}.{name}"
        found[target] = sa.Column(target, sa.String(DIMENSION_CHARS), nullable=True)
    for name in measures:
        target = f"{MEASURES}.{name}"
        found[target] = sa.Column(target, MeasureValue, nullable=True)
    return found
