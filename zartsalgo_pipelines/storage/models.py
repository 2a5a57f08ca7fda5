"""SQLAlchemy 2.x models: the seed's five integration tables, the ZartsAlgo records and the proof.

Portal-facing tables (``client_metrics``, ``portal_cards``, ``report_notes`` and the
``portal_feed`` view) never carry provider payloads; raw payloads live only in
``integration_external_objects.raw_payload`` and ``integration_dead_letters.raw_payload``.
Strings that end up in unique keys stay at 191 characters so utf8mb4 keys fit every MySQL row
format. Timestamps are naive UTC.
"""

import datetime as dt
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from zartsalgo_pipelines.clock import utcnow

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only
# Provider ids compare byte for byte on both databases (docs/hostile_input.md): SQLite's default
# BINARY collation does; MySQL's default utf8mb4 collation would take `QR-1` and `qr-1` for one
# id. (utf8mb4_bin pads with spaces, but ids are trimmed before they are stored.)
ProviderId = sa.String(191).with_variant(
    mysql.VARCHAR(191, collation="utf8mb4_bin"), "mysql", "mariadb"
)
# Provider timestamps keep their microseconds on MySQL, as SQLite keeps them.
ProviderTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# Free text a person typed (a pasted email): TEXT would stop at 64 KB on MySQL.
LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: sa.JSON, list[Any]: sa.JSON}


def table_of(model: type[Base]) -> sa.Table:
    """The Core table of a model, typed as a Table (declarative types it as a FromClause)."""
    return cast(sa.Table, model.__table__)


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
    raw_payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # internal only
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
    source_context: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
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
    source_context: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    last_batch_id: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


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
    sample_size: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20))
    status_text: Mapped[str] = mapped_column(sa.String(200))
    next_action: Mapped[str] = mapped_column(sa.String(500))
    visibility: Mapped[str] = mapped_column(sa.String(10))  # visible, caveated, hidden
    visibility_reason: Mapped[str] = mapped_column(sa.String(40))
    caveat: Mapped[str | None] = mapped_column(sa.String(300))
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


# Object types providers may map into, and the columns the pipeline fills itself.
RECORD_MODELS: dict[str, type[Base]] = {"quote_request": QuoteRequest, "deal": CrmDeal}
SYSTEM_COLUMNS = frozenset(
    {"id", "provider_key", "source_context", "last_batch_id", "created_at", "updated_at"}
)
