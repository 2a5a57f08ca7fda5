"""Incident impact: each open incident names the client cards it makes unsafe and carries a
statement a client can read beside the owner's message. An incident of the whole connection
makes the provider's open (not final) cards unsafe; `no_new_data` and `failed_share` only the
cards they caveat or hide.
The client page shows each client the statement made of its own cards (``client_statement``).
"""

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa

from zartsalgo_pipelines.incidents.kinds import FAILED_SHARE, NO_NEW_DATA, PORTAL_VISIBILITY
from zartsalgo_pipelines.proof.cards import Card, load_cards
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.visibility import provider_facts, set_incident_impact

_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _periods(unsafe: list[Card], most: int = 4) -> str:
    """`the week of 23 November 2026, the week of 30 November 2026 and November 2026`, oldest
    first; past ``most`` periods, the newest ones and "earlier periods"."""
    newest = sorted(
        {(c.period_start, c.period): c for c in unsafe}.values(),
        key=lambda c: (c.period_start, c.period),
    )
    shown = newest[-most:]
    labels = [f"the {c.period_label}" if c.period == "week" else c.period_label for c in shown]
    if len(newest) > most:
        labels.insert(0, "earlier periods")
    return _and(labels)


def statement(
    spec: ProviderSpec, unsafe: list[Card], next_update: dt.datetime | None
) -> str | None:
    """`Your quote requests received numbers for the week of ... may be incomplete; ...`."""
    if not unsafe:
        return None
    labels = sorted({c.label.lower() for c in unsafe})
    # At most three labels (each up to 80 characters): the statement fits its 500 characters.
    what = f"{_and(labels)} numbers" if len(labels) <= 3 else "numbers"
    text = f"Your {what} for {_periods(unsafe)} may be incomplete"
    if next_update is None:
        return text + "; we will update them as soon as the connection is fixed."
    when = f"{_WEEKDAYS[next_update.weekday()]} {next_update:%H:%M}"
    zone = getattr(next_update.tzinfo, "key", None) or spec.timezone
    return text + f"; the next update is expected by {when} ({zone})."


def unsafe_cards(cards: list[Card], kind: str) -> list[Card]:
    """The cards an open incident of ``kind`` makes unsafe."""
    if kind == NO_NEW_DATA:
        return [c for c in cards if c.has_caveat("no_new_data")]
    if kind == FAILED_SHARE:
        return [
            c
            for c in cards
            if c.visibility_reason == "data_problem" or c.has_caveat("being_checked")
        ]
    return [c for c in cards if not c.is_final]


def refresh_impact(
    conn: sa.Connection,
    specs: list[ProviderSpec],
    next_update: Callable[[ProviderSpec], dt.datetime | None],
) -> int:
    """Set unsafe_cards and client_impact on every open incident; returns how many."""
    updated = 0
    for spec in specs:
        incidents = [
            i for i in provider_facts(conn, spec.key)["incidents"] if i["kind"] != PORTAL_VISIBILITY
        ]
        if not incidents:
            continue
        cards = load_cards(conn, provider_key=spec.key)
        for incident in incidents:
            unsafe = unsafe_cards(cards, incident["kind"])
            impact = statement(spec, unsafe, next_update(spec))
            set_incident_impact(conn, incident["id"], [c.ref for c in unsafe], impact)
            updated += 1
    return updated


def client_statement(
    spec: ProviderSpec,
    cards: list[Card],
    kinds: list[str],
    next_update: dt.datetime | None,
) -> str | None:
    """What one client is told about the open incidents ``kinds`` of its cards' provider."""
    unsafe = {c.ref: c for kind in kinds for c in unsafe_cards(cards, kind)}
    return statement(spec, list(unsafe.values()), next_update)
