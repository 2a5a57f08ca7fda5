"""Scenario: an agency's ad-platform report through the one ingestion path, on SQLite and MySQL.
OAuth2 client credentials with 60-second tokens, daily rows per client account and campaign
(cost in micros, conversions a float), cursor pages, a 429 with Retry-After, date windows of at
most 31 days, one spec for every client account (each row tagged with its client key), a few bad
rows, and the last three days restated on the next pull. Every row is accounted for, money is
exact, bad rows are dead letters, the restated days update, and the tokens (a rotated refresh
token included) appear in no table."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.api_extract import extract_api
from zartsalgo_pipelines.pipeline.run import process_extract
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.connections import stored_cursor
from zartsalgo_pipelines.tables import Base
from zartsalgo_pipelines_tests.fake_api import FakeApi, Fault
from zartsalgo_pipelines_tests.fake_reports import SERVE_ON, ad_row
from zartsalgo_pipelines_tests.helpers import assert_every_row_accounted

NOW = dt.datetime(2026, 9, 3, 14, 30, tzinfo=dt.UTC)
ACME, SOLAR = "111-222-3333", "444-555-6666"


def ads_spec(api: FakeApi, auth: dict[str, Any] | None = None) -> ProviderSpec:
    fields: list[dict[str, Any]] = [
        {"source": "join('|', [account_id, campaign_id, date])", "target": "external_id",
         "type": "string", "required": True, "label": "Row"},
        {"source": "_account.client_key", "target": "client_key", "type": "string",
         "required": True, "label": "Client"},
        {"constant": "open", "target": "stage", "type": "category", "required": True,
         "label": "Stage", "values": {"open": "open"}},
        {"source": "date", "target": "source_created_at", "type": "datetime", "required": True,
         "label": "Day"},
        {"source": "date", "target": "close_date", "type": "date", "label": "Date"},
        {"source": "campaign_name", "target": "deal_name", "type": "string", "label": "Campaign"},
        {"source": "cost_micros", "target": "amount", "type": "decimal", "scale": 0.000001,
         "round": 2, "unit": "EUR", "label": "Cost", "min": 0},
        {"source": "currency", "target": "currency", "type": "category", "label": "Currency",
         "values": {"EUR": "EUR"}},
        {"constant": "paid_search", "target": "pipeline", "type": "string", "label": "Channel"},
    ]  # fmt: skip
    return ProviderSpec.model_validate(
        {
            "key": "ads_report",
            "display_name": "Ad platform report",
            "status": "connected",
            "owner": "data-team@zartsalgo.example",
            "reason": "What each client's ads cost and bring, per account, campaign and day.",
            "object_type": "deal",
            "auth": auth
            or {
                "model": "oauth2_client_credentials",
                "credentials": {"client_id": "ADS_CLIENT_ID", "client_secret": "ADS_SECRET"},
                "token_url": f"{api.url}/oauth/token",
            },
            "source": {
                "kind": "rest_api",
                "base_url": api.url,
                "path": "/reports/{account_id}/daily",
                "records_path": "rows",
                "paginator": {
                    "type": "cursor",
                    "cursor_path": "next_cursor",
                    "cursor_param": "cursor",
                },
                "incremental": {
                    "cursor_path": "date",
                    "initial_value": "2026-07-01",
                    "param": "since",
                    "end_param": "until",
                    "send_as": "date",
                    "window_days": 31,
                    "lookback_seconds": 3 * 86400,
                },
                "fan_out": {
                    "accounts": [
                        {"id": ACME, "client_key": "acme-roofing"},
                        {"id": SOLAR, "client_key": "nordlicht-solar"},
                    ]
                },
                "rate_limit": {"requests_per_second": 200},
                "http_retries": {"max_retries": 3, "backoff_factor": 0.01, "jitter_seconds": 0.01},
            },
            "fields": fields,
            "tolerated_failure_share": 0.5,
        }
    )


def days(first: dt.date, last: dt.date) -> list[str]:
    return [str(first + dt.timedelta(days=n)) for n in range((last - first).days + 1)]


@pytest.fixture
def ads(fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    monkeypatch.setenv("ADS_CLIENT_ID", "ads-client")
    monkeypatch.setenv("ADS_SECRET", "ads-s3cret-value")
    fake_api.auth = ("oauth2", "ads-client", "ads-s3cret-value")
    fake_api.token_lifetime = 60
    fake_api.page_size = 10
    acme = [ad_row(ACME, d, c) for d in days(dt.date(2026, 7, 1), NOW.date()) for c in (1, 2)]
    acme[5] = ad_row(ACME, acme[5]["date"], 2, cost_micros="12.5e6")  # no exponent declared
    acme[6] = ad_row(ACME, acme[6]["date"], 1, currency="USD")  # outside the value map
    no_date = ad_row(ACME, "", 3)
    no_date.pop("date")
    acme.append(no_date | {SERVE_ON: "2026-07-15"})  # the external id cannot be built
    fake_api.report_rows = {ACME: acme, SOLAR: [ad_row(SOLAR, "2026-09-01", 7)]}
    fake_api.faults = {3: Fault(429, b'{"message": "quota"}', {"Retry-After": "0"})}
    return fake_api


def sync(engine: sa.Engine, spec: ProviderSpec) -> Any:
    extract = extract_api(engine, spec, now=NOW)
    return extract, process_extract(engine, spec, extract.batch_id)


def test_a_report_of_every_client_account_loads_exactly(engine: sa.Engine, ads: FakeApi) -> None:
    spec = ads_spec(ads)
    extract, result = sync(engine, spec)
    rows_in = sum(len(rows) for rows in ads.report_rows.values())
    assert extract.records == rows_in == 132
    assert (result.rows_created, result.rows_failed) == (rows_in - 3, 3)
    assert_every_row_accounted(engine, result.batch_id, rows_in)
    # Windows of at most 31 days per account, one token for the whole sync, all counted.
    windows = {(s.path, s.query["since"], s.query["until"]) for s in ads.api_requests()}
    assert {w[1:] for w in windows} == {
        ("2026-07-01", "2026-07-31"), ("2026-08-01", "2026-08-31"), ("2026-09-01", "2026-09-03")
    }  # fmt: skip
    assert ads.token_requests == 1
    assert extract.http["http_requests"] == len(ads.seen) and extract.http["rate_limit_hits"] == 1
    with engine.connect() as conn:
        stored = {
            r.external_id: r
            for r in conn.execute(sa.text("SELECT external_id, client_key, amount FROM crm_deals"))
        }
        reasons = conn.execute(sa.text("SELECT reason FROM integration_dead_letters")).scalars()
        reasons = sorted(reasons)
    first = stored[f"{ACME}|1|2026-07-01"]
    assert (first.client_key, Decimal(str(first.amount))) == ("acme-roofing", Decimal("1536.25"))
    assert stored[f"{SOLAR}|7|2026-09-01"].client_key == "nordlicht-solar"
    assert len(reasons) == 3
    assert any("amount (Cost): not a valid decimal; got '12.5e6'" in r for r in reasons)
    assert any("currency (Currency): one of EUR; got 'USD'" in r for r in reasons)
    assert any("source `join('|', [account_id, campaign_id, date])` failed" in r for r in reasons)


def test_the_restated_days_are_read_again_and_updated(engine: sa.Engine, ads: FakeApi) -> None:
    spec = ads_spec(ads)
    sync(engine, spec)
    with engine.connect() as conn:
        assert stored_cursor(conn, spec.key) == "2026-09-03T00:00:00Z"
    ads.seen.clear()
    ads.faults = {}
    for row in ads.report_rows[ACME]:  # the platform restates the last three days' cost
        if row.get("date", "") >= "2026-09-01":
            row["cost_micros"] = str(int(row["cost_micros"]) + 1_000_000)
    _, second = sync(engine, spec)
    assert {s.query["since"] for s in ads.api_requests()} == {"2026-08-31"}  # lookback 3 days
    assert (second.rows_updated, second.rows_duplicate, second.rows_created) == (6, 3, 0)
    with engine.connect() as conn:
        amount = conn.execute(
            sa.text("SELECT amount FROM crm_deals WHERE external_id = :i"),
            {"i": f"{ACME}|1|2026-09-02"},
        ).scalar_one()
    assert Decimal(str(amount)) == Decimal("1537.25")


def test_a_rotated_refresh_token_is_in_no_table(
    engine: sa.Engine, ads: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    ads.refresh_token = "rt-initial-consent-token"
    monkeypatch.setenv("ADS_REFRESH", "rt-initial-consent-token")
    spec = ads_spec(
        ads,
        {
            "model": "oauth2_refresh_token",
            "credentials": {
                "client_id": "ADS_CLIENT_ID",
                "client_secret": "ADS_SECRET",
                "refresh_token": "ADS_REFRESH",
            },
            "token_url": f"{ads.url}/oauth/token",
        },
    )
    sync(engine, spec)
    ads.faults = {}
    extract, _ = sync(engine, spec)  # the second run needs the token the first one was given
    secrets = ["rt-initial-consent-token", ads.refresh_token, "ads-s3cret-value", *ads.tokens]
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            # Raw rows: no type processor between the stored text and the search.
            text = str(conn.execute(sa.text(f"SELECT * FROM {table.name}")).all())
            assert not [s for s in secrets if s in text], table.name
    assert not [s for s in secrets if s in repr(extract)]  # nor what the asset shows
