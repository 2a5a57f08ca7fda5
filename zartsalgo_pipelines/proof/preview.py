"""A static HTML preview of what clients would see: one page per client (shown cards only,
read through the portal_feed view, with baseline vs current, status colour, next action,
caveat, an inline SVG chart of the last periods and the report note) and one page per provider
for the owner, listing hidden cards with their reasons. No network, no scripts, no payloads."""

import html
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.proof.visibility import HIDDEN_REASONS
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.cards import card_rows
from zartsalgo_pipelines.storage.proof.feed import feed_rows
from zartsalgo_pipelines.storage.proof.metrics import as_date

CHART_PERIODS = 8
_COLOURS = {
    "improving": "#1b7f3b",
    "on_target": "#1b7f3b",
    "steady": "#35618f",
    "declining": "#b3261e",
    "off_target": "#b3261e",
}
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;background:#f6f7f9;color:#1d232b}
h1{font-size:1.5rem}.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));
gap:1rem}.card{background:#fff;border-radius:8px;padding:1rem;border-top:6px solid var(--c)}
.current{font-size:2rem;font-weight:600}.status{color:var(--c);font-weight:600}
.muted{color:#5b6573;font-size:.85rem}.caveat{background:#fff4d6;padding:.4rem;border-radius:4px;
font-size:.85rem}.note{background:#fff;padding:1rem;border-radius:8px;margin-top:1.5rem}
table{border-collapse:collapse;background:#fff}td,th{padding:.3rem .6rem;border:1px solid #d9dde3;
text-align:left}.hidden{color:#b3261e}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "client"


def client_page_name(client: str) -> str:
    return f"client-{_slug(client)}.html"


def chart(cards: list[dict[str, Any]]) -> str:
    """Bars of the last periods' values (inline SVG); a period without a value is a gap."""
    points = cards[-CHART_PERIODS:]
    values = [Decimal(str(c["current_value"])) for c in points if c["current_value"] is not None]
    top = max(values, default=Decimal(0)) or Decimal(1)
    width, height, bar = 240, 60, 240 // CHART_PERIODS
    bars = []
    for i, card in enumerate(points):
        if card["current_value"] is None:
            continue
        h = int(Decimal(height - 4) * Decimal(str(card["current_value"])) / top) + 2
        bars.append(
            f'<rect x="{i * bar + 2}" y="{height - h}" width="{bar - 4}" height="{h}" '
            f'fill="#8aa4c2"><title>{_e(card["period_label"])}: {_e(card["current_display"])}'
            "</title></rect>"
        )
    return (
        f'<svg class="chart" role="img" aria-label="last {len(points)} periods" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">{"".join(bars)}</svg>'
    )


def _card_html(card: dict[str, Any], history: list[dict[str, Any]]) -> str:
    colour = _COLOURS.get(card["status"], "#6b7280")
    caveat = f'<p class="caveat">{_e(card["caveat"])}</p>' if card["caveat"] else ""
    return (
        f'<article class="card status-{_e(card["status"])}" style="--c:{colour}" '
        f'data-metric="{_e(card["metric_key"])}" data-period="{_e(card["period_start"])}">'
        f'<h2>{_e(card["label"])}</h2><p class="muted">{_e(card["source_label"])} · '
        f'{_e(card["period_label"])}</p><p class="current">{_e(card["current_display"])}</p>'
        f'<p>Against {_e(card["baseline_label"])}: <span class="baseline">'
        f'{_e(card["baseline_display"])}</span> · <span class="change">'
        f'{_e(card["change_display"])}</span></p><p class="status">{_e(card["status_text"])}</p>'
        f'<p class="action">{_e(card["next_action"])}</p>{caveat}{chart(history)}</article>'
    )


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{_e(title)}</h1>{body}</body></html>\n"
    )


def headline(cards: list[dict[str, Any]]) -> dict[str, Any]:
    """The card a client reads first: the newest finished period, else the unfinished one."""
    finished = [c for c in cards if c["status"] != "in_progress"]
    return (finished or cards)[-1]


def client_page(conn: sa.Connection, client: str) -> str:
    """The client's page: the headline shown card of every metric and the newest shown note
    of those periods."""
    shown = card_rows(conn, client_key=client, shown_only=True)
    by_metric: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for card in shown:
        by_metric[(card["provider_key"], card["metric_key"])].append(card)
    cards = "".join(_card_html(headline(rows), rows) for rows in by_metric.values())
    starts = {as_date(headline(rows)["period_start"]) for rows in by_metric.values()}
    notes = [
        r
        for r in feed_rows(conn, client)
        if r["item_type"] == "note" and as_date(r["period_start"]) in starts
    ]
    note = (
        f'<section class="note"><h2>Report note, {_e(notes[-1]["title"])}</h2>'
        f'<p class="note-text">{_e(notes[-1]["body"])}</p></section>'
        if notes
        else ""
    )
    empty = "" if cards else "<p>No numbers can be shown yet.</p>"
    return _page(f"Portal preview: {client}", f'<div class="cards">{cards}</div>{empty}{note}')


def provider_page(conn: sa.Connection, spec: ProviderSpec) -> str:
    """The owner's page: every client's newest card per metric, hidden ones with the reason."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for card in card_rows(conn, provider_key=spec.key):
        latest[(card["client_key"], card["metric_key"])] = card
    rows = []
    for card in latest.values():
        state = card["visibility"]
        why = HIDDEN_REASONS.get(card["visibility_reason"], card["caveat"] or "")
        link = f'<a href="{client_page_name(card["client_key"])}">{_e(card["client_key"])}</a>'
        rows.append(
            f'<tr class="{_e(state)}" data-visibility="{_e(state)}"><td>{link}</td>'
            f"<td>{_e(card['label'])}</td><td>{_e(card['period_label'])}</td>"
            f"<td>{_e(card['current_display'])}</td><td>{_e(state)}</td><td>{_e(why)}</td></tr>"
        )
    table = (
        "<table><tr><th>client</th><th>card</th><th>period</th><th>current</th>"
        f"<th>visibility</th><th>reason</th></tr>{''.join(rows)}</table>"
    )
    return _page(f"{spec.display_name}: cards for the owner ({spec.owner})", table)


def write_preview(conn: sa.Connection, specs: list[ProviderSpec], folder: Path) -> Path:
    """Write every page into ``folder``; returns the index page."""
    folder.mkdir(parents=True, exist_ok=True)
    clients = sorted({c["client_key"] for c in card_rows(conn)})
    for client in clients:
        (folder / client_page_name(client)).write_text(client_page(conn, client), "utf-8")
    links = []
    for spec in specs:
        name = f"provider-{spec.key}.html"
        (folder / name).write_text(provider_page(conn, spec), "utf-8")
        links.append(f'<li><a href="{name}">{_e(spec.display_name)}</a> (owner)</li>')
    links += [f'<li><a href="{client_page_name(c)}">{_e(c)}</a></li>' for c in clients]
    index = folder / "index.html"
    index.write_text(_page("Portal preview", f"<ul>{''.join(links)}</ul>"), "utf-8")
    return index
