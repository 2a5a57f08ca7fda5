"""The go-live gate: a provider's cards stay hidden until its owner has reviewed a sync and
marked it live; who decided, when, and after which batch is kept as history."""

import datetime as dt
from typing import Any, ClassVar

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.errors import ZartsalgoError
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.import_batches import latest_batch
from zartsalgo_pipelines.storage.proof.golive import record_go_live


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
    if not decided_by.strip():
        raise GoLiveRefusedError("say who reviewed the sync (--by NAME)")
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


def _decision(
    spec: ProviderSpec,
    action: str,
    decided_by: str,
    note: str | None,
    now: dt.datetime | None,
    batch_id: int | None,
) -> dict[str, Any]:
    """One row of the gate's history: who decided what, when, after which batch."""
    return {
        "provider_key": spec.key,
        "action": action,
        "decided_by": decided_by.strip()[:200],
        "decided_at": now or utcnow(),
        "reviewed_batch_id": batch_id,
        "spec_version": spec.version,
        "note": None if note is None else note[:500],
    }
