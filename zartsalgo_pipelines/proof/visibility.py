"""Whether a client may see a card: `visible`, `caveated` (shown with caveats a client can read)
or `hidden` (not shown; the owner's page says why). Decided per card from facts the project
records, so a card changes back as soon as the fact clears:

- hidden while the provider is not live or not connected;
- hidden when the period's own failed rows pass the tolerated share (``proof/attribution.py``;
  judged over at least ``min_rows`` rows, as the field checks are), or when the sync is stale
  and the period ended after the last successful sync, final or not (a final number is only as
  complete as its data); an incident of the connection or a late record no longer changes a
  final period, so those caveats skip it;
- otherwise caveated for each of: the demo shows a provider's sample export (`sample`), new
  data stopped arriving from this client (`no_new_data`), some of the period's rows are being
  checked, an open incident of the provider, the other provider of a ratio has a caveat too
  (`other_side`), the period is not over, too few records for a rate, nothing arrived, the
  provider may still restate its last days (`provisional`), late records may still change it.

A ratio reading another provider is hidden (`other_side_hidden`) when the other side's card of
the period is hidden or missing (``proof/cross.py`` decides it after both are built).
"""

import datetime as dt
from dataclasses import dataclass

from zartsalgo_pipelines.incidents.kinds import FAILED_SHARE, NO_NEW_DATA, PORTAL_VISIBILITY

# Incidents that do not caveat every card of the provider: the watch's own (it is about the
# cards), and those whose cards are judged one by one (failed rows, silent clients).
OWN_CAVEAT_INCIDENTS = frozenset({PORTAL_VISIBILITY, NO_NEW_DATA, FAILED_SHARE})

# Caveats in the order a client reads them (and keeps them when room runs out).
CAVEAT_ORDER = (
    "sample",
    "no_new_data",
    "being_checked",
    "incident",
    "other_side",
    "in_progress",
    "no_data",
    "too_few",
    "provisional",
    "restatable",
)

# What the owner does about each (admin tasks, the owner's page).
HIDDEN_FIXES = {
    "not_live": "review a sync and mark it live",
    "not_connected": "reconnect the provider",
    "data_problem": "fix the field map or the source, then replay the dead letters",
    "stale": "run the sync, or find out why it fails",
    "other_side_hidden": "make the other provider's card of the period safe to show",
}
HIDDEN_REASONS = {
    "not_live": "the provider is not marked live by its owner yet",
    "not_connected": "the provider is not connected",
    "data_problem": "too many of the period's rows failed the field map (above the tolerated "
    "share)",
    "stale": "the last successful sync is older than the staleness window",
    "other_side_hidden": "the other provider's number it divides by is hidden or missing for "
    "the period",
}


@dataclass(frozen=True)
class ProviderState:
    """What holds for every card of one provider."""

    display_name: str
    spec_status: str
    connection_status: str | None
    live_since: dt.datetime | None
    last_success_at: dt.datetime | None
    sync_stale: bool
    incident_kinds: frozenset[str]
    tolerated_failure_share: float
    min_rows: int
    # The local demo shows a provider that is not connected from its sample export
    # (settings.demo_samples): it counts as connected, and its cards say it is sample data.
    demo_sample: bool = False

    @property
    def has_incident(self) -> bool:
        return bool(self.incident_kinds - OWN_CAVEAT_INCIDENTS)


@dataclass(frozen=True)
class CellFacts:
    """What holds for one client's period beyond its numbers."""

    records: int = 0  # every record the period holds
    failed: float = 0.0  # open failed rows placed in it
    silent: bool = False  # the client sent nothing new for longer than usual, since before its end

    def failed_share(self, min_rows: int) -> float:
        return self.failed / max(self.records + self.failed, min_rows, 1)


@dataclass(frozen=True)
class Visibility:
    state: str  # visible, caveated, hidden
    reason: str  # the hidden reason, else the first caveat, else `ok`
    caveats: tuple[str, ...] = ()  # codes of CAVEAT_ORDER, in that order


def decide(
    provider: ProviderState,
    cell: CellFacts,
    *,
    status: str,
    is_final: bool,
    period_over_at: dt.datetime,
    provisional: bool = False,
) -> Visibility:
    """The card's visibility: hidden reasons first, then every caveat that applies
    (``provisional``: the period ends within the days the provider still restates)."""
    hidden = _hidden(provider, cell, is_final=is_final, period_over_at=period_over_at)
    if hidden is not None:
        return Visibility("hidden", hidden)
    applies = {
        "sample": provider.demo_sample,
        "no_new_data": cell.silent,  # still silent now: even a final period may lack rows
        "being_checked": cell.failed >= 1,
        "incident": provider.has_incident and not is_final,
        "in_progress": status == "in_progress",
        "no_data": status == "no_data" and not cell.silent,  # the silence says it already
        "too_few": status == "too_few",
        "other_side": False,  # proof/cross.py adds it
        "provisional": provisional and not is_final,
        "restatable": not is_final and status != "in_progress" and not provisional,
    }
    caveats = tuple(code for code in CAVEAT_ORDER if applies[code])
    if not caveats:
        return Visibility("visible", "ok")
    return Visibility("caveated", caveats[0], caveats)


def _hidden(
    provider: ProviderState, cell: CellFacts, *, is_final: bool, period_over_at: dt.datetime
) -> str | None:
    if provider.live_since is None:
        return "not_live"
    connected = provider.spec_status == "connected" or provider.demo_sample
    if not connected or provider.connection_status == "disconnected":
        return "not_connected"
    # Final or not: a period whose own rows still fail, or that ended after the last
    # successful sync, is not safe to show (a final number is as complete as its data).
    if cell.failed_share(provider.min_rows) > provider.tolerated_failure_share:
        return "data_problem"
    last = provider.last_success_at
    if provider.sync_stale and (last is None or last < period_over_at):
        return "stale"
    return None
