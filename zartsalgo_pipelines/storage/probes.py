"""Read-only probes for the latency benchmark: when a pushed record was stored and carded."""

import datetime as dt
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.tables import QuoteRequest, table_of
from zartsalgo_pipelines.tables.core import cards, import_rows

records = table_of(QuoteRequest)


def _epoch(moment: dt.datetime) -> float:
    return moment.replace(tzinfo=dt.UTC).timestamp()  # stored timestamps are naive UTC


def delivery_progress(
    conn: sa.Connection, provider_key: str, client_key: str, external_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """Per stored external id: when its record was stored, its import rows, and the time of the
    client's newest portal card if that card was computed after the record was stored."""
    stored = dict(
        conn.execute(
            sa.select(records.c.external_id, records.c.created_at).where(
                records.c.provider_key == provider_key, records.c.external_id.in_(external_ids)
            )
        ).all()
    )
    counted: dict[str, int] = dict(
        conn.execute(
            sa.select(import_rows.c.external_id, sa.func.count())
            .where(import_rows.c.external_id.in_(external_ids))
            .group_by(import_rows.c.external_id)
        ).all()
    )
    card = conn.execute(
        sa.select(sa.func.max(cards.c.computed_at)).where(
            cards.c.provider_key == provider_key, cards.c.client_key == client_key
        )
    ).scalar_one_or_none()
    return {
        external_id: {
            "stored_at": _epoch(created),
            "import_rows": int(counted.get(external_id, 0)),
            "card_at": _epoch(card) if card is not None and card >= created else None,
        }
        for external_id, created in stored.items()
    }
