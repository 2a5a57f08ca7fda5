"""Scenario: the paused `ads_google` provider's sample export, which the demo shows.

For any day it is deterministic, and the export made a day later differs only where the platform
restates: the last three days' conversions grow, and the new day is added (hypothesis over
dates, week, month, year and DST boundaries among them). Loaded as a `sample` batch into SQLite
and MySQL it accounts for every line (one negative click count a dead letter); loaded again the
next day the restated rows come back `updated` with their conversions before and after. Under
the demo setting each demo client has its spend, cost per click and cost per quote request
cards, caveated as sample data; without it (a deployment) the paused provider's cards are
hidden as not connected."""

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from zartsalgo_pipelines import settings as zsettings
from zartsalgo_pipelines.pipeline.run import extract_files, process_extract
from zartsalgo_pipelines.pipeline.samples import load_sample
from zartsalgo_pipelines.proof.explain import show
from zartsalgo_pipelines.proof.golive import mark_live
from zartsalgo_pipelines.proof.metrics import refresh_client_metrics
from zartsalgo_pipelines.proof.refresh import refresh_portal_cards
from zartsalgo_pipelines.samples.ads import ACCOUNTS, CAMPAIGNS, RESTATED, ad_rows, write_ads
from zartsalgo_pipelines.samples.demo import EXAMPLE_DAY, write_demo
from zartsalgo_pipelines.samples.scenario import WEEKS, week_start
from zartsalgo_pipelines.specs.loading import LoadedSpec, load_specs
from zartsalgo_pipelines_tests.helpers import assert_every_row_accounted

ADS = ("Ad spend", "Cost per click", "Cost per quote request")


def keyed(today: dt.date) -> dict[str, dict]:
    return {
        f"{r['customer']['id']}|{r['campaign']['id']}|{r['segments']['date']}": r
        for r in ad_rows(today)
    }


@settings(max_examples=25, deadline=None)
@given(st.dates(dt.date(2025, 1, 1), dt.date(2029, 1, 1)))
def test_a_day_later_only_the_restated_days_change(today: dt.date) -> None:
    before, after = keyed(today), keyed(today + dt.timedelta(days=1))
    assert ad_rows(today) == ad_rows(today)  # deterministic
    first = week_start(today) - dt.timedelta(weeks=WEEKS)
    assert len(before) == len(ACCOUNTS) * len(CAMPAIGNS) * (today - first).days
    new = set(after) - set(before)
    assert {key.rsplit("|", 1)[1] for key in new} == {str(today)}
    same_week = week_start(today) == week_start(today + dt.timedelta(days=1))
    for key, row in before.items():
        day = dt.date.fromisoformat(key.rsplit("|", 1)[1])
        later = after.get(key)
        if later is None:  # a new week started: its first day left the nine weeks
            assert not same_week
            continue
        if not same_week:
            continue  # the stories moved on a week, as the quote requests' do
        if (today - day).days in RESTATED:
            assert later["metrics"]["costMicros"] == row["metrics"]["costMicros"]
            assert later["metrics"].get("conversions", 0) >= row["metrics"].get("conversions", 0)
        else:
            assert later == row


@pytest.fixture
def shipped() -> dict[str, LoadedSpec]:
    return load_specs()


def _load_day(engine: sa.Engine, shipped: dict[str, LoadedSpec], folder: Path, day: dt.date) -> int:
    write_ads(day, folder / "ads_google" / "sample" / "ads_report.jsonl")
    return load_sample(engine, shipped["ads_google"].spec, folder / "ads_google").batch_id


def test_the_sample_loads_as_a_sample_batch_and_restates_the_next_day(
    engine: sa.Engine, shipped: dict[str, LoadedSpec], tmp_path: Path
) -> None:
    first = _load_day(engine, shipped, tmp_path, EXAMPLE_DAY)
    counts = assert_every_row_accounted(engine, first, len(ad_rows(EXAMPLE_DAY)))
    assert counts["failed"] == 1 and counts["created"] == len(ad_rows(EXAMPLE_DAY)) - 1
    second = _load_day(engine, shipped, tmp_path, EXAMPLE_DAY + dt.timedelta(days=1))
    again = assert_every_row_accounted(engine, second)
    restated = len(ACCOUNTS) * len(CAMPAIGNS) * len(RESTATED)
    assert again["created"] == len(ACCOUNTS) * len(CAMPAIGNS)  # the new day
    assert again["updated"] == restated  # 90 % of the final, then the final: all grew
    with engine.connect() as conn:
        kinds = set(conn.execute(sa.text("SELECT source_kind FROM data_import_batches")).scalars())
        measures = set(
            conn.execute(
                sa.text("SELECT DISTINCT measure_key FROM metric_fact_revisions")
            ).scalars()
        )
        cursor = conn.execute(
            sa.text("SELECT incremental_cursor FROM integration_connections")
        ).scalar_one()
    assert kinds == {"sample"} and measures == {"conversions"}
    assert cursor is None  # a sample never moves the API's incremental mark


def _portal(engine: sa.Engine, shipped: dict[str, LoadedSpec], folder: Path) -> dict[str, dict]:
    quotes = shipped["quote_request"]
    write_demo(EXAMPLE_DAY, folder / "quote_request" / "sample" / "quote_requests.jsonl")
    extract = extract_files(engine, quotes.spec, folder / "quote_request")
    process_extract(engine, quotes.spec, extract.batch_id)
    _load_day(engine, shipped, folder, EXAMPLE_DAY)
    now = dt.datetime(2026, 12, 7, 12)
    specs = [loaded.spec for loaded in shipped.values()]
    with engine.begin() as conn:
        for spec in (quotes.spec, shipped["ads_google"].spec):
            mark_live(conn, spec, decided_by="demo", now=now)
        for spec in specs:
            refresh_client_metrics(conn, spec, now)
        refresh_portal_cards(conn, specs, now)
    with engine.connect() as conn:
        clients = [a.client for a in ACCOUNTS]
        return {client: show(conn, client) for client in clients}


def test_the_demo_shows_the_ad_cards_as_sample_data(
    engine: sa.Engine,
    shipped: dict[str, LoadedSpec],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(zsettings.DEMO_SAMPLES_ENV, "1")
    seen = _portal(engine, shipped, tmp_path)
    for client, page in seen.items():
        cards = {c["label"]: c for c in page["cards"]}
        assert set(ADS) <= set(cards), client
        for label in ADS:
            assert cards[label]["caveat"].startswith("Sample data: Google Ads is not connected")
    acme = {c["label"]: c for c in seen["acme-roofing"]["cards"]}
    assert acme["Ad spend"]["status"] == "higher"  # the raised budget, neutral
    nordlicht = {c["label"]: c for c in seen["nordlicht-solar"]["cards"]}
    assert nordlicht["Cost per quote request"]["status"] == "declining"  # 2 requests, same ads
    hidden = [h for h in seen["casa-verde"]["hidden"] if h["card"] == "Cost per quote request"]
    assert hidden and "Quote requests received" in hidden[0]["reason"]  # its broken week


def test_a_deployment_never_shows_a_paused_providers_sample(
    engine: sa.Engine,
    shipped: dict[str, LoadedSpec],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(zsettings.DEMO_SAMPLES_ENV, raising=False)
    seen = _portal(engine, shipped, tmp_path)
    for page in seen.values():
        assert not {c["label"] for c in page["cards"]} & set(ADS)
        reasons = {h["reason"] for h in page["hidden"] if h["card"] in ADS}
        assert reasons == {"the provider is not connected"}
