"""Report notes: one short plain-language paragraph per client and period, built
deterministically from that client's shown cards (no payload text, no external ids)."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.proof.formatting import CURRENCIES, format_value
from zartsalgo_pipelines.storage.proof.cards import card_rows
from zartsalgo_pipelines.storage.proof.metrics import as_date
from zartsalgo_pipelines.storage.proof.notes import write_notes


def _difference(card: dict[str, Any]) -> str:
    change = card["change_abs"]
    if change is None:
        return ""
    change = Decimal(str(change))
    if change == 0:
        return f", the same as {card['baseline_label']}"
    word = "more" if change > 0 else "fewer"
    if card["unit"] == "percent":
        word = "points higher" if change > 0 else "points lower"
        return f", {abs(change):.1f} {word} than {card['baseline_label']}"
    amount = format_value(abs(change), card["unit"])
    if card["unit"] in CURRENCIES:
        word = "higher" if change > 0 else "lower"
    elif change == change.to_integral_value():
        amount = f"{int(abs(change)):,}"  # "2 more than the week before"
    return f", {amount} {word} than {card['baseline_label']}"


def sentence(card: dict[str, Any]) -> str:
    """One card as a sentence: label, value, and how it compares (or why it does not)."""
    label, value, status = card["label"], card["current_display"], card["status"]
    if status == "in_progress":
        return f"{label}: {value} so far; the period is not finished yet."
    if status == "no_data":
        return f"{label}: no records arrived."
    if status == "too_few":
        return f"{label}: {value}, too few to compare."
    if status == "no_baseline":
        return f"{label}: {value}, the first period on record."
    if card["baseline_kind"] == "target":
        return f"{label}: {value} against a goal of {card['baseline_display']}."
    return f"{label}: {value}{_difference(card)} ({card['baseline_display']})."


def build_notes(conn: sa.Connection, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Rebuild every client's notes from the cards the portal shows; stored with their ids."""
    now = now or utcnow()
    groups: dict[tuple[str, str, dt.date], list[dict[str, Any]]] = defaultdict(list)
    for card in card_rows(conn):
        groups[(card["client_key"], card["period"], as_date(card["period_start"]))].append(card)
    notes = []
    for (client, period, start), cards in sorted(groups.items()):
        shown = [c for c in cards if c["visibility"] != "hidden"]
        caveats = sorted({c["caveat"] for c in shown if c["caveat"]})
        label = cards[0]["period_label"]
        intro = {"week": f"In the {label}", "month": f"In {label}", "day": f"On {label}"}[period]
        text = (
            f"{intro}: " + " ".join(sentence(c) for c in shown)
            if shown
            else f"No numbers can be shown for the {label} yet."
        )
        notes.append(
            {
                "client_key": client,
                "period": period,
                "period_start": start,
                "period_label": label,
                "text": text,
                "card_ids": [c["id"] for c in shown],
                "visibility": "hidden" if not shown else ("caveated" if caveats else "visible"),
                "caveat": " ".join(caveats)[:300] or None,
                "computed_at": now,
            }
        )
    write_notes(conn, notes)
    return notes
