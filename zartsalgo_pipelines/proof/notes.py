"""Report notes: one short plain-language paragraph per client and period, built
deterministically from that client's shown cards (no payload text, no external ids)."""

import datetime as dt
import re
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.clock import proof_now
from zartsalgo_pipelines.proof.cards import Card, load_cards
from zartsalgo_pipelines.proof.formatting import Formatter
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.units import Unit
from zartsalgo_pipelines.storage.proof.notes import write_notes

_SENTENCE = re.compile(r"(?<=\.) ")  # a card's caveat is whole sentences, joined by spaces
_INTRO = {"week": "In the {label}", "month": "In {label}", "day": "On {label}"}


def _difference(card: Card, words: Formatter, unit: Unit) -> str:
    """`, 4 fewer than the week before (9 requests)`, `, 8.9 points lower than ...`."""
    change = card.change_abs
    if change is None or change == 0:
        return f", the same as {card.baseline_label}"
    up = change > 0
    if unit.kind == "percent":
        amount, word = words.points(change), "higher" if up else "lower"
    elif unit.kind == "currency":
        amount, word = words.magnitude(change, unit), "higher" if up else "lower"
    else:
        amount, word = words.number(abs(change)), "more" if up else "fewer"
    return f", {amount} {word} than {card.baseline_label} ({card.baseline_display})"


def sentence(card: Card, words: Formatter, unit: Unit) -> str:
    """One card as a sentence: label, value, and how it compares (or why it does not)."""
    label, value = card.label, card.current_display
    status = card.status
    if status == "in_progress":
        return f"{label}: {value} so far; the {card.period} is not over yet."
    if status == "no_data":
        return f"{label}: nothing arrived."
    if status == "too_few":
        return f"{label}: {value}, too few for a rate."
    if status == "no_baseline":
        return f"{label}: {value}. {card.comparison or ''}".strip()
    if status == "no_denominator":
        return f"{label}: nothing to divide by."
    if status == "untested":
        return f"{label}: {value} against {card.baseline_display} {card.baseline_label}."
    if card.baseline_kind == "target":
        return f"{label}: {value} against a goal of {card.baseline_display}."
    if status == "steady":
        return f"{label}: {value}, within the usual range of {card.baseline_label} " + (
            f"({card.baseline_display})."
        )
    return f"{label}: {value}{_difference(card, words, unit)}."


def build_notes(
    conn: sa.Connection, specs: list[ProviderSpec], now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Rebuild every client's notes from the cards the portal shows; stored with their ids."""
    now = now or proof_now()
    metrics = {(s.key, m.key): (Formatter(s.locale), m.unit_info) for s in specs for m in s.metrics}
    groups: dict[tuple[str, str, dt.date], list[Card]] = defaultdict(list)
    for card in load_cards(conn):
        if (card.provider_key, card.metric_key) in metrics:
            groups[(card.client_key, card.period, card.period_start)].append(card)
    notes = []
    for (client, period, start), cards in sorted(groups.items()):
        shown = [c for c in cards if c.shown]
        caveats = list(
            dict.fromkeys(t for c in shown if c.caveat for t in _SENTENCE.split(c.caveat))
        )
        label = cards[0].period_label
        intro = _INTRO[period].format(label=label)
        text = (
            f"{intro}: "
            + " ".join(sentence(c, *metrics[(c.provider_key, c.metric_key)]) for c in shown)
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
                "card_ids": [c.id for c in shown],
                "visibility": "hidden" if not shown else ("caveated" if caveats else "visible"),
                "caveat": _fit(caveats),
                "computed_at": now,
            }
        )
    write_notes(conn, notes)
    return notes


def _fit(caveats: list[str], room: int = 300) -> str | None:
    """The caveats that fit the column whole, in order (report_notes.caveat)."""
    kept: list[str] = []
    for text in caveats:
        if len(" ".join([*kept, text])) <= room:
            kept.append(text)
    return " ".join(kept) or None
