"""Scenario: the shipped, paused `ads_google` provider (Google Ads' search results) against a fake
Google Ads API on 127.0.0.1 started by the test, on SQLite and MySQL: OAuth2 refresh-token auth
with tokens the server expires early, one request series per client account, date windows of at
most 31 days in the body, cursor pages (`nextPageToken` sent back as `pageToken`), a 429 with
Retry-After, bad rows, and the last three days restated on the next pull. Every row is one fact
or one dead letter, restated days keep their values before and after, the provider's own error
message reaches the owner, and no token is stored anywhere."""

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.api_extract import extract_api
from zartsalgo_pipelines.pipeline.run import process_extract
from zartsalgo_pipelines.settings import MissingSecretError
from zartsalgo_pipelines.sources.rest.errors import ExtractError
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.storage.connections import stored_cursor
from zartsalgo_pipelines.tables import Base
from zartsalgo_pipelines_tests.ads import ACME, NORDLICHT, SECRETS, ads_spec, days
from zartsalgo_pipelines_tests.fake_api import FakeApi, Fault
from zartsalgo_pipelines_tests.fake_google_ads import result

NOW = dt.datetime(2026, 3, 3, 14, 30, tzinfo=dt.UTC)
START = dt.date(2026, 1, 1)  # the shipped initial_value


@pytest.fixture
def google(fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    fake_api.auth = ("oauth2", SECRETS["GOOGLE_ADS_CLIENT_ID"], SECRETS["GOOGLE_ADS_CLIENT_SECRET"])
    fake_api.refresh_token = SECRETS["GOOGLE_ADS_REFRESH_TOKEN"]
    fake_api.rotate_refresh_tokens = False  # as Google: the same refresh token every time
    fake_api.developer_token = SECRETS["GOOGLE_ADS_DEVELOPER_TOKEN"]
    fake_api.page_size = 25
    acme = [result(ACME, d, c) for d in days(START, NOW.date()) for c in (1, 2)]
    acme[10] = result(ACME, acme[10]["segments"]["date"], 2, cost_micros="12.5e6")
    acme[11] = result(ACME, acme[11]["segments"]["date"], 1, currency="JPY")
    fake_api.report_rows = {
        ACME: acme,
        NORDLICHT: [result(NORDLICHT, "2026-03-01", 9, clicks=None, conversions=None)],
    }
    fake_api.faults = {4: Fault(429, b'{"error": {"message": "quota"}}', {"Retry-After": "0"})}
    return fake_api


def window(body: dict[str, Any]) -> tuple[str, str]:
    """The (first, last) day a request's GAQL text asks for."""
    found = re.search(r"BETWEEN '([\d-]+)' AND '([\d-]+)'", body["query"])
    assert found, body["query"]
    return found[1], found[2]


def sync(engine: sa.Engine, spec: ProviderSpec) -> Any:
    extract = extract_api(engine, spec, now=NOW)
    return extract, process_extract(engine, spec, extract.batch_id)


def test_every_client_account_in_windows_and_pages_becomes_facts(
    engine: sa.Engine, google: FakeApi
) -> None:
    spec = ads_spec(google)
    extract, review = sync(engine, spec)
    rows_in = sum(len(rows) for rows in google.report_rows.values())
    assert extract.records == rows_in == 2 * 62 + 1
    assert (review.rows_created, review.rows_failed) == (rows_in - 2, 2)
    # Three windows of at most 31 days for each account, each window paged by its cursor.
    requests = google.api_requests()
    windows = {window(s.body) for s in requests}
    assert windows == {("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-03-03")}
    january = [
        s.body.get("pageToken")
        for s in requests
        if ACME in s.path and window(s.body)[0] == "2026-01-01"
    ]
    assert list(dict.fromkeys(january)) == [None, "25", "50"]  # 62 rows in pages of 25
    refused, again = requests[3], requests[4]  # the 429, and the same request once more
    assert (refused.path, refused.body) == (again.path, again.body)
    assert extract.http["rate_limit_hits"] == 1 and google.token_requests == 1
    with engine.connect() as conn:
        spend = conn.execute(
            sa.text(
                "SELECT v.value FROM metric_fact_values v JOIN metric_facts f ON f.id = v.fact_id "
                "WHERE f.external_id = :e AND v.measure_key = 'spend'"
            ),
            {"e": f"{ACME}|1|2026-01-01"},
        ).scalar_one()
        reasons = sorted(
            conn.execute(sa.text("SELECT reason FROM integration_dead_letters")).scalars()
        )
        assert stored_cursor(conn, spec.key) == "2026-03-03T00:00:00Z"
    assert Decimal(str(spend)) == Decimal("1536.24")
    assert "currency (Currency): one of CHF, EUR, GBP, USD; got 'JPY'" in reasons[0]
    assert "measures.spend (Cost): not a valid decimal; got '12.5e6'" in reasons[1]


def test_an_expired_token_is_fetched_again(engine: sa.Engine, google: FakeApi) -> None:
    google.faults = {}
    spec = ads_spec(google)
    original = google.api_requests
    sent = 0

    def expiring() -> list[Any]:  # the server expires every token after three requests
        nonlocal sent
        seen = original()
        if len(seen) > sent and len(seen) % 3 == 0:
            google.expire_tokens()
        sent = len(seen)
        return seen

    google.api_requests = expiring  # type: ignore[method-assign]
    extract, review = sync(engine, spec)
    assert review.rows_total == extract.records and google.token_requests > 1


def test_restated_days_come_back_updated_with_their_values_before(
    engine: sa.Engine, google: FakeApi
) -> None:
    spec = ads_spec(google)
    sync(engine, spec)
    google.seen.clear()
    google.faults = {}
    for row in google.report_rows[ACME]:  # late conversions for the last three days
        if row["segments"]["date"] >= "2026-03-01":
            row["metrics"]["conversions"] = 4.25
    _, second = sync(engine, spec)
    starts = {window(s.body)[0] for s in google.api_requests()}
    assert starts == {"2026-02-28"}  # from the stored mark minus the 3-day lookback
    assert (second.rows_updated, second.rows_duplicate, second.rows_created) == (6, 3, 0)
    with engine.connect() as conn:
        revised = conn.execute(
            sa.text(
                "SELECT r.measure_key, r.value_before, r.value_after FROM metric_fact_revisions r"
            )
        ).all()
    assert sorted({(m, Decimal(str(b)), Decimal(str(a))) for m, b, a in revised}) == [
        ("conversions", Decimal("2.5"), Decimal("4.25"))
    ]
    assert len(revised) == 6


def test_a_window_the_api_refuses_fails_with_its_own_words(
    engine: sa.Engine, google: FakeApi
) -> None:
    google.faults = {}
    google.max_window_days = 14  # this account's API allows two weeks at a time
    with pytest.raises(ExtractError, match=r"segments\.date may span at most 14 days"):
        sync(engine, ads_spec(google))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM metric_facts")).scalar_one() == 0


def test_no_token_or_secret_is_stored(engine: sa.Engine, google: FakeApi) -> None:
    extract, _ = sync(engine, ads_spec(google))
    secrets = [*SECRETS.values(), *google.tokens]
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            text = str(conn.execute(sa.text(f"SELECT * FROM {table.name}")).all())
            assert not [s for s in secrets if s in text], table.name
    assert not [s for s in secrets if s in repr(extract)]


def test_the_developer_token_goes_to_the_api_only_and_its_absence_is_named(
    engine: sa.Engine, google: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync(engine, ads_spec(google))
    developer = SECRETS["GOOGLE_ADS_DEVELOPER_TOKEN"]
    assert all(s.headers.get("developer-token") == developer for s in google.api_requests())
    token_calls = [s for s in google.seen if s.path == "/oauth/token"]
    assert token_calls and all("developer-token" not in s.headers for s in token_calls)
    monkeypatch.delenv("GOOGLE_ADS_DEVELOPER_TOKEN")
    with pytest.raises(MissingSecretError, match="GOOGLE_ADS_DEVELOPER_TOKEN is not set"):
        sync(engine, ads_spec(google))


def test_the_login_customer_id_header_the_comment_asks_for_is_sent(
    engine: sa.Engine, google: FakeApi
) -> None:
    google.faults = {}
    data = ads_spec(google).model_dump()
    data["source"]["headers"] = {"login-customer-id": "9998887777"}
    sync(engine, ProviderSpec.model_validate(data))
    sent = google.api_requests()
    assert sent and all(s.headers.get("login-customer-id") == "9998887777" for s in sent)
