"""Scenario (property-based): a provider receives any sequence of batches across three clients
and three weeks: new requests, updates of earlier ones that move them to another client or
week or drop their email, rows that fail the field map, repeats of what is stored. After each
batch the webhook run's refresh (client_metrics and portal cards of the clients the batch
marked) leaves exactly the rows a full rebuild would: every client_metrics row and every
portal card, column for column, but for the moment each was computed. The full rebuild is
run in a transaction that is rolled back, on SQLite and MySQL.

The same with a second provider whose ratio reads the first (the shipped `ads_google`: cost per
quote request divides a client's ad spend by its quote requests of the same week): each batch
is either provider's, ads batches send and restate a client's daily spend, and the ratio's
cards are compared too.

The proof is rendered an hour after the batches, so each batch's sync moment is what the
cards' `data_through` shows (it moves on every card of the provider, marked or not)."""

import dataclasses
import datetime as dt
import itertools
import os
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zartsalgo_pipelines.clock import utcnow
from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.proof.golive import mark_live
from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
from zartsalgo_pipelines.proof.refresh import refresh_portal_cards
from zartsalgo_pipelines.proof.refresh_scope import refresh_marked_metrics
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.proof.refresh_marks import read_marks
from zartsalgo_pipelines.tables import Base
from zartsalgo_pipelines.tables.core import cards, client_metrics
from zartsalgo_pipelines_tests.ads import ACME, NORDLICHT, ads_spec
from zartsalgo_pipelines_tests.fake_google_ads import result
from zartsalgo_pipelines_tests.helpers import quote
from zartsalgo_pipelines_tests.proof.portal_helpers import portal_spec

CLIENTS = ("acme-roofing", "casa-verde", "nordlicht-solar")
ACCOUNTS = {
    0: (ACME, "acme-roofing"),
    1: (NORDLICHT, "nordlicht-solar"),
    2: (NORDLICHT, "nordlicht-solar"),
}
IGNORED = {"id", "computed_at"}  # when a row was computed, not what it says
_IDS = itertools.count(1)

_EXAMPLES = {"dev": 8, "ci": 20, "thorough": 200}
PROFILE = settings(
    max_examples=_EXAMPLES.get(os.environ.get("ZARTSALGO_HYPOTHESIS_PROFILE", "dev"), 8),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclasses.dataclass(frozen=True)
class Row:
    kind: str  # new, update, fail, repeat
    client: int
    week: int  # weeks before the proof's week: 0, 1 or 2
    day: int
    email: bool
    target: int  # which earlier record an update or repeat takes (modulo how many exist)


rows = st.builds(
    Row,
    kind=st.sampled_from(["new", "new", "update", "fail", "repeat"]),
    client=st.integers(0, len(CLIENTS) - 1),
    week=st.integers(0, 2),
    day=st.integers(0, 6),
    email=st.booleans(),
    target=st.integers(0, 50),
)
batches = st.lists(st.lists(rows, min_size=1, max_size=4), min_size=1, max_size=5)
SEED = Row("new", 0, 2, 0, True, 0)  # a first request two weeks back: a synced provider


def _record(row: Row, week_start: dt.date, external_id: str) -> dict[str, Any]:
    start = week_start - dt.timedelta(weeks=row.week)
    record = quote(
        0,
        submitted_at=f"{start + dt.timedelta(days=row.day)}T09:30:00Z",
        client__slug=CLIENTS[row.client],
    )
    record["id"] = external_id
    if row.kind == "fail":
        record["contact"]["email"] = "not-an-email"
    elif not row.email:
        record["contact"].pop("email")
    return record


def _batch_records(
    batch: list[Row], week_start: dt.date, stored: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    records = []
    for row in batch:
        known = sorted(stored)
        if row.kind in {"update", "repeat"} and known:
            external_id = known[row.target % len(known)]
            record = stored[external_id] if row.kind == "repeat" else None
        else:
            external_id, record = f"QR-M{next(_IDS):06d}", None
        record = record or _record(row, week_start, external_id)
        if row.kind != "fail":
            stored[external_id] = record
        records.append(record)
    return records


def _ad_records(batch: list[Row], week_start: dt.date) -> list[dict[str, Any]]:
    """A day's spend of a client's campaign per row (the same day and campaign again restates
    it); casa-verde runs no ads, so its rows go to nordlicht-solar's account."""
    records = []
    for row in batch:
        account, client = ACCOUNTS[row.client]
        day = week_start - dt.timedelta(weeks=row.week) + dt.timedelta(days=row.day)
        cost = (row.day + 1) * (1 + row.target % 5) * 1_000_000
        found = result(account, str(day), row.target % 3, cost_micros=cost, clicks=10 + row.target)
        records.append(found | {"_account": {"id": account, "client_key": client}})
    return records


def _ingest(engine: sa.Engine, spec: ProviderSpec, records: list[dict[str, Any]]) -> None:
    source = [SourceRow("hook.jsonl", i, r) for i, r in enumerate(records, start=1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "hook.jsonl"), source)


def _snapshot(conn: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of client_metrics and portal_cards, without when it was computed."""
    found = {}
    for table in (client_metrics, cards):
        columns = [c for c in table.columns if c.name not in IGNORED]
        found[table.name] = sorted(
            (tuple(row) for row in conn.execute(sa.select(*columns))), key=repr
        )
    return found


def _full_rebuild(engine: sa.Engine, specs: list[ProviderSpec], now: dt.datetime) -> dict[str, Any]:
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            for spec in specs:
                refresh_client_metrics(conn, spec, now)
            refresh_portal_cards(conn, specs, now)
            return _snapshot(conn)
        finally:
            transaction.rollback()


def _check_after_each_batch(
    engine: sa.Engine,
    specs: list[ProviderSpec],
    sequence: list[tuple[ProviderSpec, list[dict[str, Any]]]],
    now: dt.datetime,
) -> None:
    """Ingest each batch, refresh as its provider's run would, compare with a full rebuild."""
    for number, (spec, records) in enumerate(sequence, start=1):
        _ingest(engine, spec, records)
        with engine.begin() as conn:  # the batch's run: its client_metrics, then the portal
            refresh_marked_metrics(conn, spec, now)
            refresh_portal_cards(conn, specs, now, marked_only=True)
        with engine.connect() as conn:
            marked = _snapshot(conn)
        full = _full_rebuild(engine, specs, now)
        for table in full:
            assert marked[table] == full[table], f"{table} after batch {number}"


def _start(
    engine: sa.Engine,
    specs: list[ProviderSpec],
    seeds: list[list[dict[str, Any]]],
    now: dt.datetime,
) -> None:
    """Synced providers, live in the portal, their cards built."""
    _empty(engine)
    for spec, records in zip(specs, seeds, strict=True):
        _ingest(engine, spec, records)
    with engine.begin() as conn:
        for spec in specs:
            mark_live(conn, spec, decided_by="ana@zartsalgo.example", now=now)
            refresh_marked_metrics(conn, spec, now, marked_only=False)
        refresh_portal_cards(conn, specs, now)


def _empty(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def _moment() -> tuple[dt.datetime, dt.date]:
    """The proof's moment, an hour after the batches, and the Monday of its week."""
    now = utcnow().replace(microsecond=0) + dt.timedelta(hours=1)
    return now, now.date() - dt.timedelta(days=now.weekday())


@PROFILE
@given(sequence=batches)
def test_marked_refresh_equals_full_rebuild(
    engine: sa.Engine, make_spec: Callable[..., ProviderSpec], sequence: list[list[Row]]
) -> None:
    spec = portal_spec(make_spec)
    stored: dict[str, dict[str, Any]] = {}
    now, week = _moment()
    _start(engine, [spec], [_batch_records([SEED], week, stored)], now)
    batches = [(spec, _batch_records(batch, week, stored)) for batch in sequence]
    _check_after_each_batch(engine, [spec], batches, now)


@PROFILE
@given(sequence=st.lists(st.tuples(st.booleans(), st.lists(rows, min_size=1, max_size=4)),
                         min_size=1, max_size=5))  # fmt: skip
def test_marked_refresh_equals_full_rebuild_across_providers(
    engine: sa.Engine,
    make_spec: Callable[..., ProviderSpec],
    sequence: list[tuple[bool, list[Row]]],
) -> None:
    quotes = portal_spec(make_spec, timezone="Europe/Berlin")  # the ads' zone, as a ratio needs
    ads = ads_spec()
    stored: dict[str, dict[str, Any]] = {}
    now, week = _moment()
    seeds = [_ad_records([SEED], week), _batch_records([SEED], week, stored)]
    _start(engine, [ads, quotes], seeds, now)
    batches = [
        (ads, _ad_records(batch, week)) if is_ads else (quotes, _batch_records(batch, week, stored))
        for is_ads, batch in sequence
    ]
    _check_after_each_batch(engine, [ads, quotes], batches, now)


def test_a_run_that_died_before_its_portal_loses_no_refresh(
    engine: sa.Engine, make_spec: Callable[..., ProviderSpec]
) -> None:
    """casa-verde's batch is stored and its run dies before client_metrics and the portal; its
    marks were committed with its records, so the next run (acme-roofing's) rebuilds both."""
    spec = portal_spec(make_spec)
    stored: dict[str, dict[str, Any]] = {}
    now, week = _moment()
    _start(engine, [spec], [_batch_records([SEED], week, stored)], now)
    _ingest(engine, spec, _batch_records([Row("new", 1, 1, 0, True, 0)], week, stored))
    with engine.connect() as conn:
        assert read_marks(conn).named_clients() == {"casa-verde"}
    later = [(spec, _batch_records([Row("new", 0, 1, 2, False, 0)], week, stored))]
    _check_after_each_batch(engine, [spec], later, now)
    with engine.connect() as conn:
        assert read_marks(conn).ids == ()
        shown = conn.execute(
            sa.select(cards.c.sample_size).where(
                cards.c.client_key == "casa-verde",
                cards.c.metric_key == "requests_received",
                cards.c.period_start == week - dt.timedelta(weeks=1),
            )
        ).scalar_one()
    assert shown == 1
