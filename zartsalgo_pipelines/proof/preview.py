"""A static HTML preview of what clients would see: one page per client and one work-queue page
per provider for its owner (``proof/owner_page.py``). A client page shows, per metric, the
newest finished period it may see (read through the portal_feed view) with baseline, change,
status, the comparison behind it, next action, caveats and a chart; says in client words when a
newer period is being checked; carries the statement of any open incident about its numbers;
and the report note. No network, no scripts, no payloads."""

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from zartsalgo_pipelines.clock import proof_now
from zartsalgo_pipelines.incidents.kinds import PORTAL_VISIBILITY
from zartsalgo_pipelines.proof.cards import Card, headline, load_cards
from zartsalgo_pipelines.proof.html import e, page, slug
from zartsalgo_pipelines.proof.impact import client_statement
from zartsalgo_pipelines.proof.owner_page import provider_page
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.alerts import open_rows
from zartsalgo_pipelines.storage.proof.feed import feed_rows
from zartsalgo_pipelines.storage.proof.metrics import as_date

NextUpdate = Callable[[ProviderSpec], dt.datetime | None]
CHART_PERIODS = 8
_COLOURS = {
    "improving": "#1b7f3b",
    "on_target": "#1b7f3b",
    "steady": "#35618f",
    "higher": "#35618f",
    "lower": "#35618f",
    "declining": "#b3261e",
    "off_target": "#b3261e",
}
# What a client is told about a newer period it cannot see yet.
_CHECKING = {
    "data_problem": "is being checked; it shows here once its numbers are safe.",
    "stale": "is waiting for the latest data from the source.",
}


def client_page_name(client: str) -> str:
    """`client-acme-roofing.html`; a key that is not its own slug (`ACME Roofing`) gets a
    hash of itself too, so two keys never share a page."""
    name = slug(client)
    if name != client:
        name += "-" + hashlib.sha256(client.encode()).hexdigest()[:8]
    return f"client-{name}.html"


def chart(cards: list[Card]) -> str:
    """Bars of the last periods' values (inline SVG); a period without a value is a gap."""
    points = cards[-CHART_PERIODS:]
    values = [c.current_value for c in points if c.current_value is not None]
    top = max(values, default=Decimal(0)) or Decimal(1)
    width, height, bar = 240, 60, 240 // CHART_PERIODS
    bars = []
    for i, card in enumerate(points):
        if card.current_value is None:
            continue
        h = int(Decimal(height - 4) * card.current_value / top) + 2
        bars.append(
            f'<rect x="{i * bar + 2}" y="{height - h}" width="{bar - 4}" height="{h}" '
            f'fill="#8aa4c2"><title>{e(card.period_label)}: {e(card.current_display)}'
            "</title></rect>"
        )
    return (
        f'<svg class="chart" role="img" aria-label="last {len(points)} periods" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">{"".join(bars)}</svg>'
    )


def _card_html(card: Card, history: list[Card], so_far: Card | None, checking: str) -> str:
    colour = _COLOURS.get(card.status, "#6b7280")
    parts = [
        f'<h2>{e(card.label)}</h2><p class="muted">{e(card.source_label)} · '
        f"{e(card.period_label)}</p>",
        f'<p class="current">{e(card.current_display)}</p>',
    ]
    if card.baseline_kind == "target" or card.change_abs is not None:
        change = (
            f' · <span class="change">{e(card.change_display)}</span>'
            if card.change_abs is not None
            else ""
        )
        parts.append(
            f'<p>Against {e(card.baseline_label)}: <span class="baseline">'
            f"{e(card.baseline_display)}</span>{change}</p>"
        )
    parts.append(f'<p class="status">{e(card.status_text)}</p>')
    if card.comparison:
        parts.append(f'<p class="comparison">{e(card.comparison)}</p>')
    parts.append(f'<p class="action">{e(card.next_action)}</p>')
    if card.caveat:
        parts.append(f'<p class="caveat">{e(card.caveat)}</p>')
    if checking:
        parts.append(f'<p class="checking">{e(checking)}</p>')
    if so_far is not None:
        name = f"The {so_far.period_label}" if so_far.period == "week" else so_far.period_label
        parts.append(f'<p class="so-far muted">{e(name)} so far: {e(so_far.current_display)}</p>')
    parts.append(chart(history))
    return (
        f'<article class="card status-{e(card.status)}" style="--c:{colour}" '
        f'data-metric="{e(card.metric_key)}" data-period="{e(card.period_start)}" '
        f'data-visibility="{e(card.visibility)}">{"".join(parts)}</article>'
    )


def _checking(every: list[Card], shown: Card) -> str:
    """What the client is told about finished periods newer than ``shown`` it cannot see."""
    newer = [
        c
        for c in every
        if c.period_start > shown.period_start
        and c.status != "in_progress"
        and c.visibility_reason in _CHECKING
    ]
    if not newer:
        return ""
    card = newer[-1]
    name = f"The {card.period_label}" if card.period == "week" else card.period_label
    return f"{name} {_CHECKING[card.visibility_reason]}"


def _statements(
    conn: sa.Connection, specs: list[ProviderSpec], every: list[Card], next_update: NextUpdate
) -> str:
    found = []
    for spec in specs:
        kinds = [r["kind"] for r in open_rows(conn, spec.key) if r["kind"] != PORTAL_VISIBILITY]
        own = [c for c in every if c.provider_key == spec.key]
        text = client_statement(spec, own, kinds, next_update(spec)) if kinds and own else None
        if text:
            found.append(f'<p class="incident">{e(text)}</p>')
    return "".join(found)


def client_page(
    conn: sa.Connection, client: str, specs: list[ProviderSpec], next_update: NextUpdate
) -> str:
    """The client's page: per metric the headline shown card, incident statements, the note."""
    every = load_cards(conn, client_key=client)
    shown: dict[tuple[str, str], list[Card]] = defaultdict(list)
    for card in load_cards(conn, client_key=client, shown_only=True):
        shown[(card.provider_key, card.metric_key)].append(card)
    order = {(s.key, m.key): i for i, (s, m) in enumerate((s, m) for s in specs for m in s.metrics)}
    blocks, starts = [], set()
    for key, rows in sorted(shown.items(), key=lambda item: order.get(item[0], len(order))):
        top = headline(rows)
        starts.add(top.period_start)
        latest = rows[-1]
        so_far = latest if latest.status == "in_progress" and latest is not top else None
        own = [c for c in every if (c.provider_key, c.metric_key) == key]
        history = [c for c in rows if c.period_start <= top.period_start]  # finished periods
        blocks.append(_card_html(top, history, so_far, _checking(own, top)))
    notes = [
        r
        for r in feed_rows(conn, client)
        if r["item_type"] == "note" and as_date(r["period_start"]) in starts
    ]
    note = (
        f'<section class="note"><h2>Report note, {e(notes[-1]["title"])}</h2>'
        f'<p class="note-text">{e(notes[-1]["body"])}</p></section>'
        if notes
        else ""
    )
    empty = "" if blocks else "<p>No numbers can be shown yet.</p>"
    body = _statements(conn, specs, every, next_update) + (
        f'<div class="cards">{"".join(blocks)}</div>{empty}{note}'
    )
    return page(f"Portal preview: {client}", body)


def write_preview(
    conn: sa.Connection,
    specs: list[ProviderSpec],
    folder: Path,
    next_update: NextUpdate = lambda spec: None,
    now: dt.datetime | None = None,
) -> Path:
    """Write every page into ``folder``; returns the index page."""
    now = now or proof_now()
    folder.mkdir(parents=True, exist_ok=True)
    clients = sorted({c.client_key for c in load_cards(conn)})
    for client in clients:
        text = client_page(conn, client, specs, next_update)
        (folder / client_page_name(client)).write_text(text, "utf-8")
    links = []
    for spec in specs:
        name = f"provider-{spec.key}.html"
        (folder / name).write_text(provider_page(conn, spec, now, client_page_name), "utf-8")
        links.append(f'<li><a href="{name}">{e(spec.display_name)}</a> (owner)</li>')
    links += [f'<li><a href="{client_page_name(c)}">{e(c)}</a></li>' for c in clients]
    index = folder / "index.html"
    index.write_text(page("Portal preview", f"<ul>{''.join(links)}</ul>"), "utf-8")
    return index
