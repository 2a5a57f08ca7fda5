"""The go-live gate: a provider's cards stay hidden until its owner has reviewed a sync and
marked it live; who decided, when, and after which batch is kept as history."""

import datetime as dt
from typing import Any, ClassVar

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.incidents.alerts import AlertEvent
from zartsalgo_pipelines.proof.notes import build_notes
from zartsalgo_pipelines.proof.refresh import refresh_portal_cards
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import latest_batch
from zartsalgo_pipelines.storage.proof.golive import record_go_live
from zartsalgo_pipelines.tables import table_of
from zartsalgo_pipelines.tables.limits import refuse_overlong
from zartsalgo_pipelines.tables.proof import PortalGoLive


class GoLiveRefusedError(ZartsalgoError, ValueError):
    """The gate cannot be opened yet; the message says what to do first."""

    retryable: ClassVar[bool] = False  # the gate opens only after what the message asks is done


def mark_live(
    conn: sa.Connection,
    spec: ProviderSpec,
    *,
    decided_by: str,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Record that ``decided_by`` reviewed the latest successful batch and opens the portal."""
    batch_id = latest_batch(conn, spec.key, "succeeded")
    if batch_id is None:
        raise GoLiveRefusedError(
            f"{spec.key} has no successful batch to review; run `zartsalgo test-sync "
            f"{spec.key}` and a sync first"
        )
    row = _decision(spec, "live", decided_by, note, now, batch_id)
    record_go_live(conn, row)
    return row


def withdraw(
    conn: sa.Connection,
    spec: ProviderSpec,
    *,
    decided_by: str,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Hide the provider's cards again (e.g. the provider changed its export)."""
    row = _decision(spec, "withdrawn", decided_by, note, now, None)
    record_go_live(conn, row)
    return row


def decide(
    conn: sa.Connection,
    specs: list[ProviderSpec],
    spec: ProviderSpec,
    *,
    live: bool,
    decided_by: str,
    note: str | None,
    now: dt.datetime,
) -> tuple[dict[str, Any], list[AlertEvent]]:
    """Mark ``spec`` live (or withdraw it) and rebuild what a client reads, the cards and the
    report notes, in the same transaction: a withdrawn provider is off the portal when this
    returns, not at the next hourly refresh. (The owner's tasks and preview follow at the
    next refresh.) Returns the decision and the incident events to announce after commit."""
    decided = mark_live if live else withdraw
    row = decided(conn, spec, decided_by=decided_by, note=note)
    events = refresh_portal_cards(conn, specs, now).events
    build_notes(conn, specs, now)
    return row, events


def _decision(
    spec: ProviderSpec,
    action: str,
    decided_by: str,
    note: str | None,
    now: dt.datetime | None,
    batch_id: int | None,
) -> dict[str, Any]:
    """One row of the gate's history: who decided what, when, after which batch (a name or
    note too long for its column is refused, never cut)."""
    decided_by = decided_by.strip()
    if not decided_by:  # a withdrawal too: the history says who decided each step
        raise GoLiveRefusedError("say who decided it (--by NAME): the history keeps each step")
    refuse_overlong(table_of(PortalGoLive), {"decided_by": decided_by, "note": note})
    return {
        "provider_key": spec.key,
        "action": action,
        "decided_by": decided_by,
        "decided_at": now or utcnow(),
        "reviewed_batch_id": batch_id,
        "spec_version": spec.version,
        "note": note,
    }
