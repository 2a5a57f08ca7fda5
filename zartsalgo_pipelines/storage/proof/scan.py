"""What the payload scan compares: raw payloads of a batch range against every portal text.

The only reader of raw payloads on the proof side: it compares, never copies a value into a
portal table."""

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.tables.core import alerts, cards, dead_letters, external_objects, notes


def payload_rows(
    conn: sa.Connection, provider_key: str, first: int, last: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(external id, raw payload) of the objects and dead letters of batches first..last,
    streamed: internal data, read only by the payload scan to compare against."""
    objects = sa.select(external_objects.c.external_id, external_objects.c.raw_payload).where(
        external_objects.c.provider_key == provider_key,
        external_objects.c.last_batch_id.between(first, last),
    )
    letters = sa.select(dead_letters.c.external_id, dead_letters.c.raw_payload).where(
        dead_letters.c.provider_key == provider_key,
        dead_letters.c.last_batch_id.between(first, last),
    )
    for query in (objects, letters):
        for external_id, payload in conn.execution_options(yield_per=1000).execute(query):
            yield external_id or "", payload if isinstance(payload, dict) else {}


def portal_texts(conn: sa.Connection) -> Iterator[tuple[str, int, str, str]]:
    """(table, id, column, text) of every text a client may read."""
    text_columns = [c for c in cards.columns if isinstance(c.type, sa.String)]
    for row in conn.execute(sa.select(cards.c.id, *text_columns)).mappings():
        for column in text_columns:
            if row[column.name]:
                yield "portal_cards", row["id"], column.name, str(row[column.name])
    for row in conn.execute(sa.select(notes.c.id, notes.c.text, notes.c.caveat)).mappings():
        for name in ("text", "caveat"):
            if row[name]:
                yield "report_notes", row["id"], name, str(row[name])
    impact = sa.select(alerts.c.id, alerts.c.client_impact).where(
        alerts.c.client_impact.is_not(None)
    )
    for alert_id, text in conn.execute(impact):
        yield "incident_alerts", alert_id, "client_impact", str(text)
