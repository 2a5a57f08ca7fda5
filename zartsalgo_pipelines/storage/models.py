"""Every table model under one name: a face over the ``storage/tables/`` package.

The models live one table family per module in ``storage/tables/`` (``base``, ``providers``,
``objects``, ``imports``, ``held``, ``records``, ``proof``). This module stays because most of
the package, the tests and the Alembic env import ``zartsalgo_pipelines.storage.models``, and
because importing it imports every table module, so that ``Base.metadata`` holds every table
when Alembic compares it with a database. New code may import either name.
"""

from zartsalgo_pipelines.storage.tables.base import (
    Base,
    BigId,
    LongText,
    ProviderId,
    ProviderTime,
    table_of,
)
from zartsalgo_pipelines.storage.tables.held import (
    IntegrationDeadLetter,
    IntegrationWebhookDelivery,
)
from zartsalgo_pipelines.storage.tables.imports import DataImportBatch, DataImportRow
from zartsalgo_pipelines.storage.tables.objects import (
    IntegrationExternalObject,
    IntegrationObjectLink,
    IntegrationObjectVersion,
)
from zartsalgo_pipelines.storage.tables.proof import (
    AdminTask,
    ClientMetric,
    IncidentAlert,
    PortalCard,
    PortalGoLive,
    ReportNote,
)
from zartsalgo_pipelines.storage.tables.providers import (
    IntegrationConnection,
    IntegrationFieldMapping,
    IntegrationProvider,
)
from zartsalgo_pipelines.storage.tables.records import (
    RECORD_MODELS,
    SYSTEM_COLUMNS,
    CrmDeal,
    QuoteRequest,
)

__all__ = [
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
    "PortalCard",
    "PortalGoLive",
    "ProviderId",
    "ProviderTime",
    "QuoteRequest",
    "ReportNote",
    "table_of",
]
