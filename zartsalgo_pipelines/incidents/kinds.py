"""Every incident alert kind, declared once: its name, severity, message and next action.

Callers open an alert by kind name (``incidents.alerts.raise_alert``) and pass only the values the
texts need; an unknown name is refused with the valid ones listed. Every template may use
``display_name``, ``key`` and ``credential_variables`` (the environment variables the spec's
auth names) besides the values its caller passes.
"""

from dataclasses import dataclass
from typing import Any, Final

from zartsalgo_pipelines.errors import UnknownNameError

FAILED_SHARE: Final = "failed_share"
FAILED_BATCHES: Final = "failed_batches"
AUTH_FAILURE: Final = "auth_failure"
CREDENTIALS_MISSING: Final = "credentials_missing"
RATE_LIMITED: Final = "rate_limited"
STALE_SYNC: Final = "stale_sync"
FAILED_RUNS: Final = "failed_runs"
UNREACHABLE: Final = "unreachable"
STUCK_BATCH: Final = "stuck_batch"
PORTAL_VISIBILITY: Final = "portal_visibility"
NO_NEW_DATA: Final = "no_new_data"


@dataclass(frozen=True)
class AlertKind:
    """One kind of incident: what the owner is told and what to do (``str.format`` templates)."""

    name: str
    severity: str  # warning, critical
    message: str
    next_action: str

    def texts(self, values: dict[str, Any]) -> tuple[str, str]:
        """The message and next action with ``values`` filled in."""
        return self.message.format(**values), self.next_action.format(**values)


_KINDS = [
    AlertKind(
        FAILED_BATCHES,
        "critical",
        "{display_name}: the last {limit} batches failed",
        "Read the last error on the connection record, fix the source or the spec, and enter "
        "urgent client updates with `zartsalgo manual` meanwhile.",
    ),
    AlertKind(
        FAILED_SHARE,
        "warning",
        "{display_name}: {share:.0%} of the last batch failed the field map (alert above "
        "{threshold:.0%})",
        "Review the dead letters by reason, fix the field map or ask the provider, then replay "
        "them.",
    ),
    AlertKind(
        AUTH_FAILURE,
        "critical",
        "{display_name}: the provider refused our credentials ({detail})",
        "Renew the credentials in the environment variables the spec names "
        "({credential_variables}), then run a test sync.",
    ),
    AlertKind(
        CREDENTIALS_MISSING,
        "critical",
        "{display_name}: a credential is not configured ({detail})",
        "Set the environment variables the spec names ({credential_variables}) where Dagster "
        "and the CLI run, then run `zartsalgo check-connection {key}`.",
    ),
    AlertKind(
        RATE_LIMITED,
        "warning",
        "{display_name}: a sync waited {waited_minutes:.1f} min on rate limits ({hits} "
        "responses), more than the {allowed_minutes:g} min allowed",
        "Lower the request budget or move the schedule to a quieter hour; ask the provider for "
        "a higher limit if syncs keep waiting.",
    ),
    AlertKind(
        STALE_SYNC,
        "warning",
        "{display_name} last synced successfully {since}; stale after {stale_after_hours:g} h",
        "A new sync was requested; if it fails, check the export drop and the run log, then "
        "load the file by hand with the manual fallback.",
    ),
    AlertKind(
        FAILED_RUNS,
        "critical",
        "{display_name}: the last {limit} runs that materialized its assets failed",
        "Open the latest failed run in the Dagster UI; while it is being fixed, enter urgent "
        "client updates with `zartsalgo manual`.",
    ),
    AlertKind(
        UNREACHABLE,
        "warning",
        "{display_name}: the connection check could not reach the provider",
        "Check the provider's status page and our network; run `zartsalgo check-connection "
        "{key}` again once it is back.",
    ),
    AlertKind(
        STUCK_BATCH,
        "critical",
        "{display_name}: batch {batch_id} was {what}",
        "Nothing was lost: the next sync lands the source again and stores what the batch did "
        "not. If batches keep getting stuck, read the run log of the killed run (memory limits, "
        "restarts) or raise batch_timeout_minutes.",
    ),
    AlertKind(
        PORTAL_VISIBILITY,
        "warning",
        "{display_name}: {missing} of {served} clients see no fresh card for their latest "
        "period ({clients})",
        "Open `zartsalgo portal preview` for the hidden cards and their reasons; fix the cause "
        "or run the sync.",
    ),
    AlertKind(
        NO_NEW_DATA,
        "warning",
        "{display_name}: no new records for longer than usual from {who}",
        "Syncs succeed but bring nothing new: check that the provider still sends (the export "
        "job, the form, the webhook), then tell the affected clients; the cards carry a caveat "
        "until data flows again.",
    ),
]
ALERT_KINDS: Final[dict[str, AlertKind]] = {kind.name: kind for kind in _KINDS}


def alert_kind(name: str) -> AlertKind:
    """The registered kind ``name``; ``UnknownNameError`` (listing the valid ones) otherwise."""
    try:
        return ALERT_KINDS[name]
    except KeyError:
        raise UnknownNameError("alert kind", name, sorted(ALERT_KINDS)) from None
