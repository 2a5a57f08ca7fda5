"""The proof tables: client metrics, incidents, portal cards, report notes, tasks, go-live,
what the next portal refresh must rebuild.

Portal-facing tables (``client_metrics``, ``portal_cards``, ``report_notes`` and the
``portal_feed`` view) never carry provider payloads."""

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from zartsalgo_pipelines.tables.base import Base, BigId


class ClientMetric(Base):
    """A client-safe metric value: what the portal card / report note shows. No payloads."""

    __tablename__ = "client_metrics"
    __table_args__ = (
        sa.UniqueConstraint("provider_key", "metric_key", "client_key", "period_start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64))
    metric_key: Mapped[str] = mapped_column(sa.String(64))
    client_key: Mapped[str] = mapped_column(sa.String(64))
    period: Mapped[str] = mapped_column(sa.String(8))
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]
    # None: no rate from too few records (min_sample), or no value for an empty period.
    current_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    baseline_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    baseline_kind: Mapped[str] = mapped_column(sa.String(32), server_default="previous_period")
    change_abs: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    change_pct: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    sample_size: Mapped[int] = mapped_column(server_default="0")
    period_complete: Mapped[bool] = mapped_column(server_default=sa.true())
    # Ended longer ago than the metric's restate_days: never recomputed again.
    is_final: Mapped[bool] = mapped_column(server_default=sa.false())
    # The batches the counted records were last written by (for explain and the payload scan).
    first_batch_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    last_batch_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    unit: Mapped[str] = mapped_column(sa.String(40))
    label: Mapped[str] = mapped_column(sa.String(200))
    client_meaning: Mapped[str] = mapped_column(sa.String(500))
    source: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20))
    next_action: Mapped[str] = mapped_column(sa.String(500))
    surface: Mapped[str] = mapped_column(sa.String(20))
    # The test behind a trend status (proof/comparison.py), the records behind the baseline,
    # how many periods a trailing median could use, and why there is no baseline.
    p_value: Mapped[float | None]
    baseline_sample: Mapped[int | None]
    baseline_periods_used: Mapped[int | None]
    no_baseline_reason: Mapped[str | None] = mapped_column(sa.String(32))
    computed_at: Mapped[dt.datetime]


class IncidentAlert(Base):
    """An operational alert for a provider's owner; one open row per provider and kind."""

    __tablename__ = "incident_alerts"
    __table_args__ = (sa.Index("ix_incident_alerts_open", "provider_key", "kind", "resolved_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(32))
    severity: Mapped[str] = mapped_column(sa.String(16))
    owner: Mapped[str] = mapped_column(sa.String(200))
    message: Mapped[str] = mapped_column(sa.String(1000))
    next_action: Mapped[str] = mapped_column(sa.String(500))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    opened_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]
    # Client cards ("client/metric/period start") this open incident makes unsafe, and what the
    # client is told about it (beside ``message``, which is for the owner).
    unsafe_cards: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    client_impact: Mapped[str | None] = mapped_column(sa.String(500))
    # `provider/kind` while open, NULL once resolved: the database refuses a second open alert
    # of a provider and kind, however many refreshes run at once.
    open_key: Mapped[str | None] = mapped_column(sa.String(191), unique=True)


class PortalCard(Base):
    """What a client sees for one metric and period, formatted, with its visibility."""

    __tablename__ = "portal_cards"
    __table_args__ = (
        sa.UniqueConstraint("provider_key", "metric_key", "client_key", "period_start"),
        sa.Index("ix_portal_cards_client", "client_key", "period", "period_start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64))
    metric_key: Mapped[str] = mapped_column(sa.String(64))
    client_key: Mapped[str] = mapped_column(sa.String(64))
    period: Mapped[str] = mapped_column(sa.String(8))
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]
    period_label: Mapped[str] = mapped_column(sa.String(60))
    label: Mapped[str] = mapped_column(sa.String(200))
    source_label: Mapped[str] = mapped_column(sa.String(200))
    unit: Mapped[str] = mapped_column(sa.String(40))
    current_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    current_display: Mapped[str] = mapped_column(sa.String(60))
    baseline_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    baseline_display: Mapped[str] = mapped_column(sa.String(60))
    baseline_kind: Mapped[str] = mapped_column(sa.String(32))
    baseline_label: Mapped[str] = mapped_column(sa.String(80))
    change_abs: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    change_pct: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    change_display: Mapped[str] = mapped_column(sa.String(60))
    # The comparison in words: "2 against 12 the week before; chance alone gives a drop this
    # large less than 1 time in 20".
    comparison: Mapped[str | None] = mapped_column(sa.String(300))
    sample_size: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20))
    status_text: Mapped[str] = mapped_column(sa.String(200))
    next_action: Mapped[str] = mapped_column(sa.String(500))
    visibility: Mapped[str] = mapped_column(sa.String(10))  # visible, caveated, hidden
    visibility_reason: Mapped[str] = mapped_column(sa.String(40))
    caveat: Mapped[str | None] = mapped_column(sa.String(300))
    # Every caveat that applies, as codes (proof/visibility.py CAVEAT_ORDER), comma-separated.
    caveat_codes: Mapped[str | None] = mapped_column(sa.String(120))
    data_through: Mapped[dt.datetime | None]
    is_final: Mapped[bool]
    computed_at: Mapped[dt.datetime]


class ReportNote(Base):
    """One plain-language paragraph per client and period, from that client's shown cards."""

    __tablename__ = "report_notes"
    __table_args__ = (sa.UniqueConstraint("client_key", "period", "period_start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_key: Mapped[str] = mapped_column(sa.String(64))
    period: Mapped[str] = mapped_column(sa.String(8))
    period_start: Mapped[dt.date]
    period_label: Mapped[str] = mapped_column(sa.String(60))
    text: Mapped[str] = mapped_column(sa.Text)
    card_ids: Mapped[list[Any]] = mapped_column(sa.JSON)  # the portal_cards it was built from
    visibility: Mapped[str] = mapped_column(sa.String(10))
    caveat: Mapped[str | None] = mapped_column(sa.String(300))
    computed_at: Mapped[dt.datetime]


class AdminTask(Base):
    """Work for a provider's owner; one open task per client, metric and kind (``open_key``
    is set only while open, so the database itself refuses a duplicate)."""

    __tablename__ = "admin_tasks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64))
    client_key: Mapped[str] = mapped_column(sa.String(64))
    metric_key: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(32))
    owner: Mapped[str] = mapped_column(sa.String(200))
    message: Mapped[str] = mapped_column(sa.String(500))
    period_start: Mapped[dt.date | None]
    due_at: Mapped[dt.datetime]
    opened_at: Mapped[dt.datetime]
    last_checked_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]
    resolution: Mapped[str | None] = mapped_column(sa.String(200))
    open_key: Mapped[str | None] = mapped_column(sa.String(191), unique=True)


class PortalGoLive(Base):
    """The go-live gate's history: who marked a provider live (or withdrew it), when, after
    reviewing which batch. The newest row per provider decides."""

    __tablename__ = "portal_go_live"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    action: Mapped[str] = mapped_column(sa.String(10))  # live, withdrawn
    decided_by: Mapped[str] = mapped_column(sa.String(200))
    decided_at: Mapped[dt.datetime]
    reviewed_batch_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    spec_version: Mapped[str] = mapped_column(sa.String(64))
    note: Mapped[str | None] = mapped_column(sa.String(500))


class PortalRefreshMark(Base):
    """A client whose portal cards a batch changed (``client_key`` None: every client of the
    provider), written in the transaction that wrote the records. The provider's next
    client_metrics recomputes the marked clients and sets ``metrics_done``; every portal
    refresh rebuilds the marked clients' cards and deletes the marks that are done."""

    __tablename__ = "portal_refresh_marks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider_key: Mapped[str] = mapped_column(sa.String(64))
    client_key: Mapped[str | None] = mapped_column(sa.String(64))
    batch_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # None: a change by hand
    marked_at: Mapped[dt.datetime]
    metrics_done: Mapped[bool] = mapped_column(server_default=sa.false())


class PortalRefreshState(Base):
    """What held for every card of a provider when its cards were last refreshed (a hash of
    its go-live, connection, staleness, incidents, silence and spec): a refresh of marked
    clients alone is only as good as the full one while this has not changed."""

    __tablename__ = "portal_refresh_state"

    provider_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    refreshed_at: Mapped[dt.datetime]


# The portal's one read path: only visible and caveated cards and notes (a view, so a hidden
# item cannot be read through it whatever a writer does). Not part of Base.metadata: the view
# is created by migration 0007 and declared here for storage's reads.
_view_meta = sa.MetaData()
portal_feed = sa.Table(
    "portal_feed",
    _view_meta,
    sa.Column("item_type", sa.String(8)),
    sa.Column("item_id", sa.BigInteger),
    sa.Column("provider_key", sa.String(64)),
    sa.Column("client_key", sa.String(64)),
    sa.Column("metric_key", sa.String(64)),
    sa.Column("period", sa.String(8)),
    sa.Column("period_start", sa.Date),
    sa.Column("title", sa.String(200)),
    sa.Column("body", sa.Text),
    sa.Column("status", sa.String(20)),
    sa.Column("visibility", sa.String(10)),
    sa.Column("caveat", sa.String(300)),
    sa.Column("computed_at", sa.DateTime),
)
