"""What the portal's next refresh must rebuild: the clients a batch changed, marked in the
transaction that changed them (so a crash between the ingest and the portal loses nothing), and
per provider a fingerprint of what held for all its cards when they were last rebuilt."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from zartsalgo_pipelines.storage.upsert import upsert_all_columns
from zartsalgo_pipelines.tables.core import batches, refresh_marks, refresh_state

# A provider's existing records are looked up this many external ids at a time.
_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class Marks:
    """The marks read at one moment: per provider its marked clients (None: every client),
    and the ids read, all and those whose metrics were recomputed by then. Statements that
    follow name these ids: a mark committed later, whatever its id, is not taken for read."""

    clients: dict[str, frozenset[str | None]] = field(default_factory=dict)
    ids: tuple[int, ...] = ()
    done_ids: tuple[int, ...] = ()

    def whole(self, provider_key: str) -> bool:
        return None in self.clients.get(provider_key, frozenset())

    def named_clients(self, provider_key: str | None = None) -> frozenset[str]:
        """The clients marked by name (by the provider, or by any provider)."""
        marked = (
            self.clients.values()
            if provider_key is None
            else [self.clients.get(provider_key, frozenset())]
        )
        return frozenset(c for cs in marked for c in cs if c is not None)


def mark_clients(
    conn: sa.Connection,
    provider_key: str,
    clients: Iterable[str | None],
    now: dt.datetime,
    batch_id: int | None = None,
    *,
    metrics_done: bool = False,
) -> None:
    """Mark ``clients`` of the provider (None: every client) for the next portal refresh
    (``metrics_done``: the change leaves client_metrics as they are, e.g. a dead letter)."""
    rows = [
        {
            "provider_key": provider_key,
            "client_key": c,
            "batch_id": batch_id,
            "marked_at": now,
            "metrics_done": metrics_done,
        }
        for c in sorted(set(clients), key=lambda c: (c is not None, c or ""))
    ]
    if rows:
        conn.execute(sa.insert(refresh_marks), rows)


def mark_batch_provider(conn: sa.Connection, batch_id: int, now: dt.datetime) -> None:
    """Mark every client of the provider whose batch ``batch_id`` is (its dead letters
    changed: the cards' failed rows, not the metric values)."""
    provider = sa.select(batches.c.provider_key).where(batches.c.id == batch_id).scalar_subquery()
    conn.execute(
        sa.insert(refresh_marks).values(
            provider_key=provider,
            client_key=None,
            batch_id=batch_id,
            marked_at=now,
            metrics_done=True,
        )
    )


def existing_clients(
    conn: sa.Connection, table: sa.Table, provider_key: str, external_ids: Sequence[str]
) -> set[str]:
    """The clients the provider's stored rows of ``external_ids`` in ``table`` belong to now
    (before an update that may move one to another client)."""
    found: set[str] = set()
    for start in range(0, len(external_ids), _IDS_PER_QUERY):
        part = list(external_ids[start : start + _IDS_PER_QUERY])
        found.update(
            conn.execute(
                sa.select(table.c.client_key)
                .distinct()
                .where(table.c.provider_key == provider_key, table.c.external_id.in_(part))
            ).scalars()
        )
    return found


def read_marks(conn: sa.Connection, provider_key: str | None = None) -> Marks:
    """The marks stored now (of one provider, if given)."""
    query = sa.select(
        refresh_marks.c.id,
        refresh_marks.c.provider_key,
        refresh_marks.c.client_key,
        refresh_marks.c.metrics_done,
    )
    if provider_key is not None:
        query = query.where(refresh_marks.c.provider_key == provider_key)
    rows = conn.execute(query.order_by(refresh_marks.c.id)).all()
    clients: dict[str, set[str | None]] = defaultdict(set)
    for _, provider, client_key, _ in rows:
        clients[provider].add(client_key)
    return Marks(
        {p: frozenset(c) for p, c in clients.items()},
        tuple(r[0] for r in rows),
        tuple(r[0] for r in rows if r[3]),
    )


def set_metrics_done(conn: sa.Connection, ids: Sequence[int]) -> None:
    """The client_metrics of marks ``ids`` are recomputed."""
    for start in range(0, len(ids), _IDS_PER_QUERY):
        part = list(ids[start : start + _IDS_PER_QUERY])
        conn.execute(
            sa.update(refresh_marks).where(refresh_marks.c.id.in_(part)).values(metrics_done=True)
        )


def delete_marks(conn: sa.Connection, ids: Sequence[int]) -> None:
    """Delete marks ``ids`` (what a portal refresh read as done)."""
    for start in range(0, len(ids), _IDS_PER_QUERY):
        part = list(ids[start : start + _IDS_PER_QUERY])
        conn.execute(sa.delete(refresh_marks).where(refresh_marks.c.id.in_(part)))


def stored_fingerprint(conn: sa.Connection, provider_key: str) -> str | None:
    return conn.execute(
        sa.select(refresh_state.c.fingerprint).where(refresh_state.c.provider_key == provider_key)
    ).scalar_one_or_none()


def store_fingerprint(
    conn: sa.Connection, provider_key: str, fingerprint: str, now: dt.datetime
) -> None:
    row = {"provider_key": provider_key, "fingerprint": fingerprint, "refreshed_at": now}
    upsert_all_columns(conn, refresh_state, [row], key=["provider_key"])
