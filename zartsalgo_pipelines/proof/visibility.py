"""Whether a client may see a card: `visible`, `caveated` (shown with a short caveat a client
can read) or `hidden` (not shown, with the reason for the owner). Decided only from facts the
project records (go-live, connection, open incidents, the latest batch, staleness, the period),
so a card changes back as soon as the fact clears."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

# Incidents the portal watch itself opens do not caveat cards (they are about the cards).
SELF_INCIDENTS = frozenset({"portal_visibility"})


@dataclass(frozen=True)
class Visibility:
    state: str  # visible, caveated, hidden
    reason: str
    caveat: str | None = None


@dataclass(frozen=True)
class ProviderFacts:
    provider_key: str
    display_name: str
    spec_status: str
    tolerated_failure_share: float
    stale_after_hours: float
    facts: dict[str, Any]  # storage.proof.visibility.provider_facts

    @property
    def incidents(self) -> list[dict[str, Any]]:
        return [i for i in self.facts["incidents"] if i["kind"] not in SELF_INCIDENTS]

    def stale(self, now: dt.datetime) -> bool:
        last = self.facts["last_success_at"]
        return last is None or now - last > dt.timedelta(hours=self.stale_after_hours)


def decide(
    facts: ProviderFacts,
    *,
    status: str,
    is_final: bool,
    period_over_at: dt.datetime,
    sample_size: int,
    now: dt.datetime,
) -> Visibility:
    """The card's visibility; hidden reasons first, then every caveat that applies."""
    hidden = _hidden(facts, is_final=is_final, period_over_at=period_over_at, now=now)
    if hidden is not None:
        return hidden
    caveats: list[tuple[str, str]] = []
    if status == "in_progress":
        caveats.append(("in_progress", "This period is not finished yet: the numbers so far."))
    if facts.incidents and not is_final:
        caveats.append(
            (
                "incident",
                f"The connection to {facts.display_name} is delayed or has a problem; "
                "these numbers may be incomplete.",
            )
        )
    if status == "too_few":
        caveats.append(("too_few", f"Only {sample_size} records: too few for a comparison."))
    if status == "no_data":
        caveats.append(("no_data", "No records arrived for this period."))
    if not is_final and status != "in_progress":
        caveats.append(("restatable", "Late records may still change this number."))
    if not caveats:
        return Visibility("visible", "ok")
    return Visibility("caveated", caveats[0][0], " ".join(text for _, text in caveats)[:300])


def _hidden(
    facts: ProviderFacts, *, is_final: bool, period_over_at: dt.datetime, now: dt.datetime
) -> Visibility | None:
    if facts.facts["live_since"] is None:
        return Visibility("hidden", "not_live")
    if facts.spec_status != "connected" or facts.facts["connection_status"] == "disconnected":
        return Visibility("hidden", "not_connected")
    if is_final:
        return None  # a final period's numbers stay true whatever happens to the connection
    if facts.facts["latest_failed_share"] > facts.tolerated_failure_share:
        return Visibility("hidden", "data_problem")
    last = facts.facts["last_success_at"]
    if facts.stale(now) and (last is None or last < period_over_at):
        return Visibility("hidden", "stale")
    return None


HIDDEN_REASONS = {
    "not_live": "the provider is not marked live by its owner yet",
    "not_connected": "the provider is not connected",
    "data_problem": "its last batch failed the field map above the tolerated share",
    "stale": "the data is older than the staleness window",
}
