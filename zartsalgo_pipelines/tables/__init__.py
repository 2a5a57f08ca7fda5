"""The data model: the SQLAlchemy 2 models, one module per table family, and their limits.

``base`` (Base, the shared column types, ``table_of``), ``providers``, ``objects``, ``imports``,
``held`` (dead letters, webhook deliveries), ``records`` (the ZartsAlgo records), ``facts`` (what
reporting providers report: facts, their measures, restatements), ``proof`` (the
client-facing tables), ``limits`` (each column's limit, read off the models), ``core`` (each
model's Core table under one name, for storage's statements). Below every other room but the
shared pieces: specs check targets against it, mapping checks values against its limits,
storage writes it. Importing the package imports every table module, so that
``Base.metadata`` holds every table when Alembic compares it with a database.

Raw provider payloads live only in ``integration_external_objects.raw_payload``,
``integration_dead_letters.raw_payload`` and ``integration_webhook_deliveries.body``.
"""

from zartsalgo_pipelines.tables.base import (
    Base,
    BigId,
    LongText,
    ProviderId,
    ProviderTime,
    table_of,
)
from zartsalgo_pipelines.tables.facts import (
    MetricFact,
    MetricFactRevision,
    MetricFactValue,
)
from zartsalgo_pipelines.tables.held import (
    IntegrationDeadLetter,
    IntegrationWebhookDelivery,
)
from zartsalgo_pipelines.tables.imports import DataImportBatch, DataImportRow
from zartsalgo_pipelines.tables.objects import (
    IntegrationExternalObject,
    IntegrationObjectLink,
    IntegrationObjectVersion,
)
from zartsalgo_pipelines.tables.proof import (
    AdminTask,
    ClientMetric,
    IncidentAlert,
    PortalCard,
    PortalGoLive,
    PortalRefreshMark,
    PortalRefreshState,
    ReportNote,
)
from zartsalgo_pipelines.tables.providers import (
    IntegrationConnection,
    IntegrationFieldMapping,
    IntegrationProvider,
)
from zartsalgo_pipelines.tables.records import (
    OBJECT_MODELS,
    RECORD_MODELS,
    SYSTEM_COLUMNS,
    CrmDeal,
    QuoteRequest,
)

__all__ = [
    "OBJECT_MODELS",
    "RECORD_MODELS",
    "SYSTEM_COLUMNS",
    "AdminTask",
    "Base",
    "BigId",
    "ClientMetric",
    "CrmDeal",
    "DataImportBatch",
    "DataImportRow",
    "IncidentAlert",
    "IntegrationConnection",
    "IntegrationDeadLetter",
    "IntegrationExternalObject",
    "IntegrationFieldMapping",
    "IntegrationObjectLink",
    "IntegrationObjectVersion",
    "IntegrationProvider",
    "IntegrationWebhookDelivery",
    "LongText",
    "MetricFact",
    "MetricFactRevision",
    "MetricFactValue",
    "PortalCard",
    "PortalGoLive",
    "PortalRefreshMark",
    "PortalRefreshState",
    "ProviderId",
    "ProviderTime",
    "QuoteRequest",
    "ReportNote",
    "table_of",
]
