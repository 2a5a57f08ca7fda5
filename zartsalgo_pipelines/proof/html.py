"""The preview's HTML: escaping, the page frame and its style. No scripts, no network."""

import html
import re
from typing import Any

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;background:#f6f7f9;color:#1d232b;max-width:72rem}
h1{font-size:1.5rem}h2{font-size:1.1rem}.cards{display:grid;
grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:1rem}
.card{background:#fff;border-radius:8px;padding:1rem;border-top:6px solid var(--c)}
.current{font-size:2rem;font-weight:600;margin:.3rem 0}.status{color:var(--c);font-weight:600}
.muted,.comparison{color:#5b6573;font-size:.85rem}.caveat,.checking{background:#fff4d6;
padding:.4rem;border-radius:4px;font-size:.85rem}.incident{background:#fde8e6;padding:.6rem;
border-radius:6px}.note{background:#fff;padding:1rem;border-radius:8px;margin-top:1.5rem}
table{border-collapse:collapse;background:#fff;margin-bottom:1rem}td,th{padding:.3rem .6rem;
border:1px solid #d9dde3;text-align:left;vertical-align:top}.hidden{color:#b3261e}
.overdue{color:#b3261e;font-weight:600}section{margin-bottom:1.5rem}code{background:#eef0f3;
padding:0 .2rem}
"""


def e(value: Any) -> str:
    """The value as escaped text (nothing for None)."""
    return html.escape("" if value is None else str(value))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "client"


def page(title: str, body: str, lang: str = "en") -> str:
    return (
        f'<!doctype html><html lang="{e(lang)}"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body><h1>{e(title)}</h1>"
        f"{body}</body></html>\n"
    )


def table(headers: list[str], rows: list[list[str]], attrs: list[str] | None = None) -> str:
    """A table of already escaped cells; ``attrs`` are each row's attributes."""
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    marks = attrs or [""] * len(rows)
    body = "".join(
        f"<tr{mark}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
        for row, mark in zip(rows, marks, strict=True)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def section(name: str, title: str, content: str) -> str:
    """A titled part of a page (``name`` is its class); ``content`` is already HTML."""
    return f'<section class="{e(name)}"><h2>{e(title)}</h2>{content}</section>'
