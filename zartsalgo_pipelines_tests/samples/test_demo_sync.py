"""Scenario: the demo export for the README's day (Monday 2026-12-07) is synced by the real
provider assets (dg.materialize on a temporary Dagster instance) into SQLite and MySQL. The
batch accounts for every line as the generator says it would; the tables tell each client's
story (requests per client and week from `quote_requests`, the failed rows from the dead
letters' payloads, casa-verde's broken week attributed to it). Synced again for the next day,
yesterday's lines come back as duplicates (or failed and ignored, as before) and only the new
day's are created or updated."""

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.factory.provider_defs import build_provider_defs
from zartsalgo_pipelines.factory.resources import RESOURCE_KEY, ZartsalgoDatabase
from zartsalgo_pipelines.samples.demo import EXAMPLE_DAY, demo_rows
from zartsalgo_pipelines.samples.scenario import ZONE
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.tables import IntegrationDeadLetter, QuoteRequest
from zartsalgo_pipelines_tests.helpers import OUTCOMES, assert_every_row_accounted
from zartsalgo_pipelines_tests.samples.story import Failure, Request, check_story, weeks_ago


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def sync(spec: ProviderSpec, folder: Path, db_url: str, instance: dg.DagsterInstance) -> None:
    definitions = build_provider_defs(spec, folder)
    assets = [a for a in definitions.assets or [] if isinstance(a, dg.AssetsDefinition)]
    result = dg.materialize(
        assets, resources={RESOURCE_KEY: ZartsalgoDatabase(url=db_url)}, instance=instance
    )
    assert result.success


def batch_counts(engine: sa.Engine) -> list[dict[str, int]]:
    with engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT id FROM data_import_batches ORDER BY id")).scalars()
        return [assert_every_row_accounted(engine, batch_id) for batch_id in list(ids)]


def stored_story(engine: sa.Engine) -> tuple[list[Request], list[Failure]]:
    with engine.connect() as conn:
        records = conn.execute(
            sa.select(
                QuoteRequest.client_key, QuoteRequest.submitted_at, QuoteRequest.contact_email
            )
        ).all()
        payloads = conn.execute(sa.select(IntegrationDeadLetter.raw_payload)).scalars().all()
    requests = [
        Request(client, submitted.replace(tzinfo=dt.UTC), email is not None)
        for client, submitted, email in records
    ]
    return requests, [Failure(p["client"]["slug"], day_of(p["submitted_at"])) for p in payloads]


def day_of(text: str) -> dt.date | None:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(ZONE).date()


def test_the_synced_demo_tells_every_clients_story(
    db_url: str,
    engine: sa.Engine,
    instance: dg.DagsterInstance,
    make_spec: Callable[..., ProviderSpec],
    demo_folder: Callable[[dt.date], Path],
) -> None:
    sync(make_spec(), demo_folder(EXAMPLE_DAY), db_url, instance)
    rows = demo_rows(EXAMPLE_DAY)
    (counts,) = batch_counts(engine)
    expected = Counter(r.outcome for r in rows)
    assert counts == {outcome: expected[outcome] for outcome in OUTCOMES}
    requests, failures = stored_story(engine)
    check_story(EXAMPLE_DAY, requests, failures)
    per_week = Counter(
        (r.client, weeks_ago(EXAMPLE_DAY, r.submitted.astimezone(ZONE).date())) for r in requests
    )
    assert per_week == Counter(
        (r.client, weeks_ago(EXAMPLE_DAY, r.day)) for r in rows if r.outcome == "created"
    )
    casa = [f for f in failures if f.client == "casa-verde"]
    assert casa and all(weeks_ago(EXAMPLE_DAY, f.day) == 1 for f in casa if f.day)
    with engine.connect() as conn:
        fields = conn.execute(
            sa.select(IntegrationDeadLetter.failing_field, IntegrationDeadLetter.raw_payload)
        ).all()
    assert {f for f, p in fields if p["client"]["slug"] == "casa-verde"} == {"contact_email"}


def test_the_next_days_sync_adds_only_the_new_days_lines(
    db_url: str,
    engine: sa.Engine,
    instance: dg.DagsterInstance,
    make_spec: Callable[..., ProviderSpec],
    demo_folder: Callable[[dt.date], Path],
) -> None:
    tomorrow = EXAMPLE_DAY + dt.timedelta(days=1)
    sync(make_spec(), demo_folder(EXAMPLE_DAY), db_url, instance)
    sync(make_spec(), demo_folder(tomorrow), db_url, instance)
    _, second = batch_counts(engine)
    before = {str(r.record) for r in demo_rows(EXAMPLE_DAY)}
    new = Counter(r.outcome for r in demo_rows(tomorrow) if str(r.record) not in before)
    old = Counter(r.outcome for r in demo_rows(EXAMPLE_DAY))
    assert new["created"] > 0
    assert second["created"] == new["created"] and second["updated"] == new["updated"]
    assert second["failed"] == old["failed"] + new["failed"]
    assert second["ignored"] == old["ignored"] + new["ignored"]
    resent = old["created"] + old["updated"] + old["duplicate"]
    assert second["duplicate"] == resent + new["duplicate"]
    check_story(tomorrow, *stored_story(engine))
