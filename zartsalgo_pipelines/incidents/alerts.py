"""Incident alerts: at most one open alert per provider and kind; each resolves itself when its
condition clears, and the connection status follows (connected -> degraded -> connected).

Conditions: stale sync (the stale-sync sensor), a batch whose failed share is above the spec's
threshold, and N failed batches in a row (both checked after every batch here).
"""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.clipping import clip
from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.incidents.kinds import (
    AUTH_FAILURE,
    CREDENTIALS_MISSING,
    FAILED_BATCHES,
    FAILED_SHARE,
    RATE_LIMITED,
    AlertKind,
    alert_kind,
)
from zartsalgo_pipelines.mapping.stats import judge, tolerance_of
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage import alerts as store
from zartsalgo_pipelines.storage.queries import open_dead_letters_since

# Re-exported: callers name kinds by these constants.
__all__ = [
    "AUTH_FAILURE",
    "CREDENTIALS_MISSING",
    "FAILED_BATCHES",
    "FAILED_SHARE",
    "RATE_LIMITED",
    "AlertEvent",
    "AlertKind",
    "alert_kind",
    "evaluate_batch_alerts",
    "open_alert",
    "open_alerts",
    "raise_alert",
    "record_auth_result",
    "record_missing_credential",
    "record_rate_limit_wait",
    "resolve_alerts",
]


@dataclass(frozen=True)
class AlertEvent:
    """An alert that was opened or resolved: what the owner is told (never payload data)."""

    state: str  # opened, resolved
    provider_key: str
    kind: str
    severity: str
    owner: str
    message: str
    next_action: str


def open_alert(
    conn: sa.Connection,
    *,
    provider_key: str,
    kind: str,
    severity: str,
    owner: str,
    message: str,
    next_action: str,
    details: dict[str, Any],
) -> list[AlertEvent]:
    """Open an alert unless one of this kind is already open; the event, if one was opened.

    ``kind`` must be registered (``incidents/kinds.py``); callers use ``raise_alert``, which
    takes the severity and texts from the registry.
    """
    alert_kind(kind)
    if store.open_rows(conn, provider_key, kind):
        return []
    # The columns' widths; what the owner is told (stored and posted) is the same text.
    message, next_action = clip(message, 1000), clip(next_action, 500)
    opened = store.insert_alert(
        conn,
        provider_key=provider_key,
        kind=kind,
        severity=severity,
        owner=owner,
        message=message,
        next_action=next_action,
        details=details,
        opened_at=utcnow(),
    )
    if not opened:  # another writer opened it between the read and the insert
        return []
    _set_status(conn, provider_key, "degraded", only_from="connected")
    return [AlertEvent("opened", provider_key, kind, severity, owner, message, next_action)]


def raise_alert(
    conn: sa.Connection,
    spec: ProviderSpec,
    kind: str,
    *,
    details: dict[str, Any],
    keep_current: bool = False,
    **values: Any,
) -> list[AlertEvent]:
    """Open an alert of the registered ``kind`` for ``spec``'s provider, its texts filled with
    ``values``; the event, if one was opened (none while one of this kind is open). With
    ``keep_current``, an open one takes the new message and details (who is silent today)."""
    declared = alert_kind(kind)
    message, next_action = declared.texts(
        {
            "display_name": spec.display_name,
            "key": spec.key,
            "credential_variables": ", ".join(sorted(spec.auth.credentials.values()))
            or "none declared",
            **values,
        }
    )
    if keep_current:
        for row in store.open_rows(conn, spec.key, declared.name):
            store.update_open(conn, row["id"], clip(message, 1000), details)
    return open_alert(
        conn,
        provider_key=spec.key,
        kind=declared.name,
        severity=declared.severity,
        owner=spec.owner,
        message=message,
        next_action=next_action,
        details=details,
    )


def resolve_alerts(conn: sa.Connection, provider_key: str, kind: str) -> list[AlertEvent]:
    """Close open alerts of ``kind``; when none of any kind stays open, degraded -> connected."""
    open_rows = store.open_rows(conn, provider_key, kind)
    if not open_rows:
        return []
    store.mark_resolved(conn, [r["id"] for r in open_rows], utcnow())
    if not open_alerts(conn, provider_key):
        _set_status(conn, provider_key, "connected", only_from="degraded")
    return [
        AlertEvent(
            "resolved",
            provider_key,
            kind,
            r["severity"],
            r["owner"],
            f"resolved: {r['message']}",
            "No action needed.",
        )
        for r in open_rows
    ]


def open_alerts(conn: sa.Connection, provider_key: str | None = None) -> list[dict[str, Any]]:
    """Every open alert (of one provider, if given), oldest first."""
    return store.open_rows(conn, provider_key)


def _set_status(
    conn: sa.Connection, provider_key: str, status: str, *, only_from: str | tuple[str, ...]
) -> None:
    # Only event-driven states move: a spec's paused / planned / disconnected is never touched.
    sources = (only_from,) if isinstance(only_from, str) else only_from
    store.set_connection_status(conn, provider_key, status, only_from=sources, now=utcnow())


def evaluate_batch_alerts(conn: sa.Connection, spec: ProviderSpec) -> list[AlertEvent]:
    """After a batch: open or resolve the failed-share and failed-batches-in-a-row alerts."""
    events: list[AlertEvent] = []
    limit = spec.alerts.failed_batches_in_a_row
    recent = store.recent_finished_batches(conn, spec.key, limit)
    if not recent:
        return events
    if len(recent) == limit and all(r.status == "failed" for r in recent):
        events += raise_alert(
            conn,
            spec,
            FAILED_BATCHES,
            limit=limit,
            details={"batches": limit, "last_error": clip(recent[0].error or "", 300)},
        )
    elif recent[0].status == "succeeded":
        events += resolve_alerts(conn, spec.key, FAILED_BATCHES)
    latest = recent[0]
    if latest.status == "succeeded":
        events += _failed_share_alert(conn, spec, latest)
    return events


def _failed_share_alert(conn: sa.Connection, spec: ProviderSpec, latest: Any) -> list[AlertEvent]:
    """Open on a batch above the threshold; resolve only on evidence that it cleared.

    The share is judged like the field checks (over at least ``min_rows`` rows). A batch
    resolves the incident when it has at least ``min_rows`` checked rows within the
    threshold, or when no dead letter from the batch that raised it (or a later one) is
    still open; an empty or small incremental batch alone proves nothing.
    """
    checked = latest.rows_total - latest.rows_ignored
    share = judge(latest.rows_failed, checked, tolerance_of(spec)).share
    threshold = spec.alerts.max_failed_share
    if threshold is None:
        threshold = spec.tolerated_failure_share
    if share > threshold:
        return raise_alert(
            conn,
            spec,
            FAILED_SHARE,
            share=share,
            threshold=threshold,
            details={
                "failed_share": round(share, 4),
                "threshold": threshold,
                "batch_id": latest.id,
            },
        )
    if checked >= max(spec.min_rows, 1) or not _raising_letters_open(conn, spec.key):
        return resolve_alerts(conn, spec.key, FAILED_SHARE)
    return []


def _raising_letters_open(conn: sa.Connection, provider_key: str) -> bool:
    raised = [
        row["details"].get("batch_id") if isinstance(row["details"], dict) else None
        for row in open_alerts(conn, provider_key)
        if row["kind"] == FAILED_SHARE
    ]
    # An incident opened before batch ids were recorded counts every open dead letter.
    since = min((b for b in raised if isinstance(b, int)), default=0)
    return bool(raised) and open_dead_letters_since(conn, provider_key, since) > 0


def record_auth_result(
    conn: sa.Connection, spec: ProviderSpec, *, ok: bool, detail: str = ""
) -> list[AlertEvent]:
    """What an intake or connection check learnt about the credentials.

    A refusal (401/403) opens a critical `auth_failure` alert and marks the connection
    `disconnected` (no sync can work until someone renews the credentials); a later success
    resolves it and brings the connection back to `connected`. ``detail`` must not hold a
    secret: the caller passes a status code or the provider's error name.
    """
    if ok:
        events = resolve_alerts(conn, spec.key, AUTH_FAILURE)
        events += resolve_alerts(conn, spec.key, CREDENTIALS_MISSING)
        if events and spec.status == "connected":
            after = "degraded" if open_alerts(conn, spec.key) else "connected"
            _set_status(conn, spec.key, after, only_from="disconnected")
        return events
    events = raise_alert(
        conn, spec, AUTH_FAILURE, detail=detail, details={"detail": clip(detail, 500)}
    )
    _set_status(conn, spec.key, "disconnected", only_from=("connected", "degraded"))
    return events


def record_missing_credential(
    conn: sa.Connection, spec: ProviderSpec, *, detail: str
) -> list[AlertEvent]:
    """A credential variable the spec names is not set: no sync can work until it is, so the
    connection is `disconnected` with a critical `credentials_missing` alert, until a check or
    intake gets its credentials accepted (``record_auth_result(ok=True)``). ``detail`` names
    the variable, never a value."""
    events = raise_alert(
        conn, spec, CREDENTIALS_MISSING, detail=detail, details={"detail": clip(detail, 500)}
    )
    _set_status(conn, spec.key, "disconnected", only_from=("connected", "degraded"))
    return events


def record_rate_limit_wait(
    conn: sa.Connection, spec: ProviderSpec, *, waited_seconds: float, hits: int
) -> list[AlertEvent]:
    """After a sync: open `rate_limited` when it waited longer than the spec allows, else
    resolve it."""
    allowed = spec.alerts.max_rate_limited_minutes * 60
    if waited_seconds <= allowed:
        return resolve_alerts(conn, spec.key, RATE_LIMITED)
    return raise_alert(
        conn,
        spec,
        RATE_LIMITED,
        waited_minutes=waited_seconds / 60,
        hits=hits,
        allowed_minutes=allowed / 60,
        details={"waited_seconds": round(waited_seconds, 1), "hits": hits},
    )
