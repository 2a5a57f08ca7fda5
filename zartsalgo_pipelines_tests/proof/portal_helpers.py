"""Shared set-up of the portal tests: a quote_request spec with two metrics, two clients and
two weeks of requests, metrics computed at a fixed moment."""

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.proof.cards import Card
from zartsalgo_pipelines.proof.golive import mark_live
from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
from zartsalgo_pipelines.proof.refresh import refresh_portal_cards
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.helpers import DROP, quote

W2 = dt.date(2026, 11, 9)
W3 = dt.date(2026, 11, 16)
NOW = dt.datetime(2026, 11, 24, 12, 0)  # W3 is over, not final (restate_days 3); W2 is final
_IDS = itertools.count(1)

METRICS = [
    {
        "key": "requests_received",
        "label": "Quote requests received",
        "source": "Website quote-request form",
        "period": "week",
        "unit": "requests",
        "client_meaning": "How many people asked you for a quote this week.",
        "measure": "count",
        "time_field": "submitted_at",
        "restate_days": 3,
        "task_decline": 0.3,
    },
    {
        "key": "email_share",
        "label": "Requests you can answer by email",
        "source": "Website quote-request form",
        "period": "week",
        "unit": "percent",
        "client_meaning": "Share of the requests that left an email address.",
        "measure": "share_present",
        "field": "contact_email",
        "time_field": "submitted_at",
        "min_sample": 3,
        "restate_days": 3,
    },
]


def portal_spec(make_spec: Callable[..., ProviderSpec], **changes: Any) -> ProviderSpec:
    return make_spec(metrics=METRICS, **changes)


def load(engine: sa.Engine, spec: ProviderSpec, plan: dict[tuple[str, dt.date], int]) -> None:
    """``plan``: (client, week start) -> number of requests; the last one has no email."""
    records = []
    for (client, start), n in plan.items():
        for i in range(n):
            record = quote(
                0,
                submitted_at=f"{start + dt.timedelta(days=i % 5)}T10:00:00Z",
                client__slug=client,
            )
            record["id"] = f"QR-{next(_IDS):06d}"
            record["contact"]["name"] = f"Person {record['id']}"
            if i == n - 1:
                record["contact"].pop("email")
            records.append(record)
    rows = [SourceRow("p.jsonl", i, r) for i, r in enumerate(records, start=1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "p.jsonl"), rows)


def load_failures(
    engine: sa.Engine, spec: ProviderSpec, client: str, start: dt.date, n: int
) -> None:
    """``n`` rows of ``client``'s week from ``start`` that fail the field map (a bad email),
    in a batch of their own."""
    records = []
    for i in range(n):
        record = quote(
            0,
            submitted_at=f"{start + dt.timedelta(days=i % 5)}T11:00:00Z",
            client__slug=client,
            contact__email="not-an-email",
        )
        record["id"] = f"QR-{next(_IDS):06d}"
        records.append(record)
    rows = [SourceRow("bad.jsonl", i, r) for i, r in enumerate(records, start=1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "bad.jsonl"), rows)


STANDARD = {("acme-roofing", W2): 9, ("acme-roofing", W3): 5, ("casa-verde", W3): 2}


def build(
    engine: sa.Engine, spec: ProviderSpec, *, live: bool = True, now: dt.datetime = NOW
) -> list[Card]:
    """Compute metrics and cards (marking the provider live first if asked)."""
    with engine.begin() as conn:
        if live:
            mark_live(conn, spec, decided_by="ana@zartsalgo.example", now=now)
        refresh_client_metrics(conn, spec, now)
        return refresh_portal_cards(conn, [spec], now).cards


__all__ = [
    "DROP",
    "NOW",
    "STANDARD",
    "W2",
    "W3",
    "build",
    "load",
    "load_failures",
    "portal_spec",
]
