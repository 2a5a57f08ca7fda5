"""Reads and writes of ``portal_cards``: what a client sees per metric and period."""

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.storage.proof.metrics import PERIOD_KEY, period_row
from zartsalgo_pipelines.storage.upsert import upsert_all_columns
from zartsalgo_pipelines.tables.core import cards
from zartsalgo_pipelines.tables.proof import portal_feed


def write_cards(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    upsert_all_columns(conn, cards, rows, key=PERIOD_KEY)


def delete_cards_of_undeclared_metrics(
    conn: sa.Connection, provider_key: str, metric_keys: Sequence[str]
) -> None:
    """A metric removed from the spec takes its cards out of the portal."""
    conn.execute(
        sa.delete(cards).where(
            cards.c.provider_key == provider_key, cards.c.metric_key.not_in(metric_keys)
        )
    )


def card_rows(
    conn: sa.Connection,
    *,
    client_key: str | None = None,
    provider_key: str | None = None,
    shown_only: bool = False,
    client_keys: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Portal cards, oldest period first; ``shown_only`` reads through the portal_feed view;
    ``client_keys``: of these clients only."""
    query = sa.select(cards).order_by(
        cards.c.client_key, cards.c.provider_key, cards.c.metric_key, cards.c.period_start
    )
    if client_key:
        query = query.where(cards.c.client_key == client_key)
    if client_keys is not None:
        query = query.where(cards.c.client_key.in_(sorted(client_keys)))
    if provider_key:
        query = query.where(cards.c.provider_key == provider_key)
    if shown_only:
        feed = sa.select(portal_feed.c.item_id).where(portal_feed.c.item_type == "card")
        query = query.where(cards.c.id.in_(feed))
    return [dict(r) for r in conn.execute(query).mappings()]


def card_row(
    conn: sa.Connection, provider_key: str, metric_key: str, client_key: str, start: dt.date
) -> dict[str, Any] | None:
    return period_row(conn, cards, provider_key, metric_key, client_key, start)


def card_clocks(
    conn: sa.Connection, provider_key: str
) -> list[tuple[int, str, str, str, Any, dt.datetime | None]]:
    """Each of the provider's cards: its id, client, metric, period and ``data_through``."""
    return [
        (r[0], r[1], r[2], r[3], r[4], r[5])
        for r in conn.execute(
            sa.select(
                cards.c.id,
                cards.c.client_key,
                cards.c.metric_key,
                cards.c.period,
                cards.c.period_start,
                cards.c.data_through,
            ).where(cards.c.provider_key == provider_key)
        )
    ]


def set_data_through(
    conn: sa.Connection, changes: Sequence[tuple[int, dt.datetime | None]]
) -> None:
    """Cards ``id -> data_through`` (the provider's last sync moved on)."""
    if changes:
        conn.execute(
            sa.update(cards).where(cards.c.id == sa.bindparam("card_id")),
            [{"card_id": card_id, "data_through": through} for card_id, through in changes],
        )
