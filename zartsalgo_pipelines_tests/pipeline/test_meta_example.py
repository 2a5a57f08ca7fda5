"""Scenario: the worked example `docs/examples/ads_meta.defs.yaml`, a second ad platform declared
from the docs alone, synced against a fake Graph API on loopback (``fake_meta``), on SQLite and
MySQL. The access token goes as a query parameter and once per request, though each
`paging.next` URL repeats it; the date window goes as Meta's one JSON `time_range` parameter,
at most 30 days; numbers come as strings and the leads from the `actions` entry of type `lead`;
a 429 is waited out; a row without a date and one with an unreadable spend are dead letters and
the rest loads."""

import datetime as dt
import json
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.pipeline.api_extract import extract_api
from zartsalgo_pipelines.pipeline.run import process_extract
from zartsalgo_pipelines.settings import REPOSITORY_DIR
from zartsalgo_pipelines.sources.rest.errors import AuthFailedError, ExtractError, RateLimitedError
from zartsalgo_pipelines.specs.loading import load_spec_file
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.fake_api import FakeApi, Fault
from zartsalgo_pipelines_tests.fake_meta import insight
from zartsalgo_pipelines_tests.fake_reports import SERVE_ON
from zartsalgo_pipelines_tests.helpers import assert_every_row_accounted
from zartsalgo_pipelines_tests.pipeline.test_fact_intake import stored

EXAMPLE = REPOSITORY_DIR / "docs" / "examples" / "ads_meta.defs.yaml"
ACME, SOLAR = "120210000000001", "120210000000002"
TOKEN = "EAAB-long-lived-0123456789"
NOW = dt.datetime(2026, 10, 15, 9, tzinfo=dt.UTC)


def meta_spec(api: FakeApi) -> ProviderSpec:
    """The example as written, connected and pointed at the fake API, with fast retries."""
    data = load_spec_file(EXAMPLE).spec.model_dump()
    data["status"] = "connected"
    data["source"] |= {
        "base_url": f"{api.url}/v19.0",
        "http_retries": {"max_retries": 3, "backoff_factor": 0.01, "jitter_seconds": 0.01},
        "rate_limit": {"requests_per_second": 500},
    }
    return ProviderSpec.model_validate(data)


@pytest.fixture
def meta(fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    monkeypatch.setenv("META_ACCESS_TOKEN", TOKEN)
    fake_api.auth = ("api_key_query", "access_token", TOKEN)
    fake_api.max_window_days = 30
    fake_api.page_size = 25
    first = dt.date(2026, 9, 1)
    acme = [insight(ACME, str(first + dt.timedelta(days=n)), c) for n in range(45) for c in (1, 2)]
    acme[3] = acme[3] | {"spend": "n/a"}
    acme[4] = {k: v for k, v in acme[4].items() if k != "actions"}  # no action: no lead
    no_date = {k: v for k, v in acme[5].items() if k != "date_start"}
    acme[5] = no_date | {SERVE_ON: acme[5]["date_start"]}
    fake_api.meta_rows = {ACME: acme, SOLAR: [insight(SOLAR, "2026-10-01", 7, spend="0.01")]}
    fake_api.faults = {1: Fault(429, b'{"error": {"code": 80004}}', {"Retry-After": "0"})}
    return fake_api


def test_the_worked_meta_example_syncs_every_account(engine: sa.Engine, meta: FakeApi) -> None:
    spec = meta_spec(meta)
    extract = extract_api(engine, spec, now=NOW)
    result = process_extract(engine, spec, extract.batch_id)
    rows_in = sum(len(rows) for rows in meta.meta_rows.values())
    assert (result.rows_created, result.rows_failed) == (rows_in - 2, 2)
    assert_every_row_accounted(engine, result.batch_id, rows_in)
    assert extract.http["rate_limit_hits"] == 1
    sent = [s for s in meta.api_requests() if s.query.get("time_range")]
    assert all(
        [k for k, _ in parse_qsl(s.raw_query)].count("access_token") == 1
        for s in meta.api_requests()
    )
    assert any("after" in s.query for s in sent)  # the next pages were followed
    ranges = {json.dumps(json.loads(s.query["time_range"]), sort_keys=True) for s in sent}
    assert ranges == {
        '{"since": "2026-09-01", "until": "2026-09-30"}',
        '{"since": "2026-10-01", "until": "2026-10-15"}',
    }
    facts = stored(engine)
    day = facts[f"{ACME}|23850002|2026-09-01"]
    assert (day["client_key"], day["currency"]) == ("acme-roofing", "EUR")
    assert day["measures"] == {
        "spend": Decimal("12.340000"),
        "clicks": Decimal("5.000000"),
        "impressions": Decimal("100.000000"),
        "leads": Decimal("2.000000"),
    }
    assert facts[f"{ACME}|23850001|2026-09-03"]["measures"]["leads"] == Decimal(0)
    assert facts[f"{SOLAR}|23850007|2026-10-01"]["client_key"] == "nordlicht-solar"
    with engine.connect() as conn:
        reasons = sorted(
            conn.execute(sa.text("SELECT reason FROM integration_dead_letters")).scalars()
        )
    assert any(
        "measures.spend (Amount spent): not a valid decimal; got 'n/a'" in r for r in reasons
    )
    assert any("join('|', [_account.id, campaign_id, date_start])` failed" in r for r in reasons)


def test_a_throttle_answered_with_http_400_and_a_code_is_waited_out(
    engine: sa.Engine, meta: FakeApi
) -> None:
    # The Graph API's throttling: HTTP 400, error code 17 (declared under error_codes).
    throttled = Fault(
        400, b'{"error": {"message": "(#17) User request limit reached", "code": 17}}'
    )
    meta.faults = {1: throttled, 2: throttled}
    extract = extract_api(engine, meta_spec(meta), now=NOW)
    assert extract.http["rate_limit_hits"] == 2 and extract.http["http_retries"] == 2
    result = process_extract(engine, meta_spec(meta), extract.batch_id)
    assert result.rows_created == sum(len(rows) for rows in meta.meta_rows.values()) - 2


def test_an_expired_token_answered_with_http_400_and_code_190_is_a_refused_credential(
    engine: sa.Engine, meta: FakeApi
) -> None:
    expired = b'{"error": {"message": "Error validating access token", "code": 190}}'
    meta.faults = {1: Fault(400, expired)}
    with pytest.raises(AuthFailedError, match=r"refused the credentials \(HTTP 400\)"):
        extract_api(engine, meta_spec(meta), now=NOW)
    # An undeclared code stays what its status says: a request the spec must change.
    meta.faults = {n: Fault(400, b'{"error": {"code": 100}}') for n in range(1, 5)}
    with pytest.raises(ExtractError, match=r"check source\.path, params and body") as raised:
        extract_api(engine, meta_spec(meta), now=NOW)
    assert not isinstance(raised.value, AuthFailedError | RateLimitedError)
