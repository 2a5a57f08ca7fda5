"""Scenario: client metrics are computed per client and week from stored quote requests, each
with the previous week as baseline, a status, the spec's next action, source, unit and meaning;
recomputing replaces values instead of adding rows."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.run import ingest_rows, open_direct_batch
from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
from zartsalgo_pipelines.sources.files import SourceRow
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.helpers import DROP, count, quote

# Monday 2026-11-09 and Monday 2026-11-16 start the two ISO weeks used here.
WEEK_1 = ["2026-11-09T08:00:00Z", "2026-11-12T18:30:00Z", "2026-11-15T23:59:00Z"]
WEEK_2 = [
    "2026-11-16T00:00:00Z",
    "2026-11-18T12:00:00Z",
    "2026-11-19T09:00:00Z",
    "2026-11-22T22:00:00Z",
]


def load(engine: sa.Engine, spec: ProviderSpec) -> None:
    records = [quote(n, submitted_at=t) for n, t in enumerate(WEEK_1 + WEEK_2, start=1)]
    records[-1]["contact"].pop("email")  # one request in week 2 without an email
    records.append(
        quote(99, submitted_at=WEEK_2[0], client__slug="casa-verde", contact__email=DROP)
    )
    rows = [SourceRow("metrics.jsonl", i, r) for i, r in enumerate(records, start=1)]
    ingest_rows(engine, spec, open_direct_batch(engine, spec, "file", "metrics.jsonl"), rows)


def cards(engine: sa.Engine) -> dict[tuple[str, str, dt.date], sa.Row]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM client_metrics")).all()
    return {
        (r.metric_key, r.client_key, dt.date.fromisoformat(str(r.period_start))): r for r in rows
    }


def test_weekly_counts_with_baseline_status_and_next_action(
    engine, make_spec: Callable[..., ProviderSpec]
) -> None:
    spec = make_spec()
    load(engine, spec)
    with engine.begin() as conn:
        refresh_client_metrics(conn, spec)
    found = cards(engine)
    week1 = found[("requests_received", "acme-roofing", dt.date(2026, 11, 9))]
    week2 = found[("requests_received", "acme-roofing", dt.date(2026, 11, 16))]
    assert (Decimal(week1.current_value), week1.baseline_value, week1.status) == (
        3,
        None,
        "no_baseline",
    )
    assert (Decimal(week2.current_value), Decimal(week2.baseline_value)) == (4, 3)
    assert week2.status == "improving"
    assert week2.next_action == spec.metrics[0].next_actions["improving"]
    assert dt.date.fromisoformat(str(week2.period_end)) == dt.date(2026, 11, 22)
    assert (week2.unit, week2.source, week2.surface) == (
        "requests",
        "Website quote-request form",
        "portal_card",
    )
    assert week2.client_meaning == spec.metrics[0].client_meaning
    share = found[("valid_contact_email_share", "acme-roofing", dt.date(2026, 11, 16))]
    assert Decimal(share.current_value) == Decimal("75")  # 3 of 4 left an email
    assert share.status == "declining" and share.unit == "percent"
    other = found[("valid_contact_email_share", "casa-verde", dt.date(2026, 11, 16))]
    assert Decimal(other.current_value) == 0 and other.status == "no_baseline"


def test_recomputing_replaces_values(engine, make_spec: Callable[..., ProviderSpec]) -> None:
    spec = make_spec()
    load(engine, spec)
    for _ in range(2):
        with engine.begin() as conn:
            refresh_client_metrics(conn, spec)
    # 2 metrics x (acme: 2 weeks + casa-verde: 1 week)
    assert count(engine, "client_metrics") == 6
