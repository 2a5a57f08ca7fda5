"""The Core table of each model, under the one name every statement in ``storage/`` uses."""

from zartsalgo_pipelines import tables as t
from zartsalgo_pipelines.tables.base import table_of

alerts = table_of(t.IncidentAlert)
batches = table_of(t.DataImportBatch)
cards = table_of(t.PortalCard)
client_metrics = table_of(t.ClientMetric)
connections = table_of(t.IntegrationConnection)
dead_letters = table_of(t.IntegrationDeadLetter)
deliveries = table_of(t.IntegrationWebhookDelivery)
external_objects = table_of(t.IntegrationExternalObject)
facts = table_of(t.MetricFact)
fact_revisions = table_of(t.MetricFactRevision)
fact_values = table_of(t.MetricFactValue)
go_live = table_of(t.PortalGoLive)
import_rows = table_of(t.DataImportRow)
links = table_of(t.IntegrationObjectLink)
mappings = table_of(t.IntegrationFieldMapping)
notes = table_of(t.ReportNote)
refresh_marks = table_of(t.PortalRefreshMark)
refresh_state = table_of(t.PortalRefreshState)
providers = table_of(t.IntegrationProvider)
tasks = table_of(t.AdminTask)
versions = table_of(t.IntegrationObjectVersion)
