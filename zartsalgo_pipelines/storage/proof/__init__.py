"""SQL of the proof end, one module per output; this face re-exports every function.

``buckets`` (aggregates over the record tables), ``metrics`` (client_metrics), ``cards``,
``feed`` (the portal_feed view), ``notes``, ``tasks``, ``golive``, ``visibility`` (the facts
visibility is decided from, incident impact) and ``scan`` (what the payload scan compares).
``proof/`` imports the module it needs; this face stays because the tests call
``store.<function>`` after ``from zartsalgo_pipelines.storage import proof as store`` and
``quickstart.py`` imports from the package.
"""

from zartsalgo_pipelines.storage.proof.buckets import Bucket, metric_buckets, records_by_batch
from zartsalgo_pipelines.storage.proof.cards import (
    card_row,
    card_rows,
    delete_cards_of_undeclared_metrics,
    write_cards,
)
from zartsalgo_pipelines.storage.proof.feed import feed_rows, portal_feed
from zartsalgo_pipelines.storage.proof.golive import go_live_history, live_since, record_go_live
from zartsalgo_pipelines.storage.proof.metrics import (
    as_date,
    batch_range,
    final_periods,
    metric_row,
    metric_rows,
    write_client_metrics,
)
from zartsalgo_pipelines.storage.proof.notes import note_rows, write_notes
from zartsalgo_pipelines.storage.proof.scan import payload_rows, portal_texts
from zartsalgo_pipelines.storage.proof.tasks import (
    open_task,
    open_tasks,
    resolve_tasks,
    task_rows,
    touch_tasks,
)
from zartsalgo_pipelines.storage.proof.visibility import provider_facts, set_incident_impact

__all__ = [
    "Bucket",
    "as_date",
    "batch_range",
    "card_row",
    "card_rows",
    "delete_cards_of_undeclared_metrics",
    "feed_rows",
    "final_periods",
    "go_live_history",
    "live_since",
    "metric_buckets",
    "metric_row",
    "metric_rows",
    "note_rows",
    "open_task",
    "open_tasks",
    "payload_rows",
    "portal_feed",
    "portal_texts",
    "provider_facts",
    "record_go_live",
    "records_by_batch",
    "resolve_tasks",
    "set_incident_impact",
    "task_rows",
    "touch_tasks",
    "write_cards",
    "write_client_metrics",
    "write_notes",
]
