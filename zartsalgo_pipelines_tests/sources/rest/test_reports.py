"""Scenario: an ad platform's report API on 127.0.0.1 (``fake_reports``). Dates go as plain
dates, a year's backfill is many requests of at most `window_days` days (the API refuses longer
ones), each client account is called on its own path or parameter, listed in the spec or read
from the manager account's parent endpoint, and each row carries its account and client key in
`_account`. A 400 is reported with the API's own message, secrets masked."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from zartsalgo_pipelines.ops.connection_check import check_connection
from zartsalgo_pipelines.sources.rest import ExtractError, iter_pages, open_provider_session
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines_tests.fake_api import FakeApi
from zartsalgo_pipelines_tests.fake_reports import DATE_MESSAGE, ad_row
from zartsalgo_pipelines_tests.sources.rest.helpers import FAST_RETRIES

NOW = dt.datetime(2026, 9, 3, 14, 30, tzinfo=dt.UTC)
ACCOUNTS = [
    {"id": "111-222-3333", "client_key": "acme-roofing"},
    {"id": "444-555-6666", "client_key": "nordlicht-solar"},
]
INCREMENTAL = {
    "cursor_path": "date",
    "initial_value": "2025-09-01",
    "param": "since",
    "end_param": "until",
    "send_as": "date",
    "window_days": 31,
    "lookback_seconds": 3 * 86400,
}


def days(first: dt.date, last: dt.date, step: int = 1) -> list[str]:
    return [str(first + dt.timedelta(days=n)) for n in range(0, (last - first).days + 1, step)]


def report_spec(
    make_spec: Callable[..., ProviderSpec], api: FakeApi, **source: Any
) -> ProviderSpec:
    """The shipped quote_request map (only the source matters here) over the report route."""
    base = {
        "kind": "rest_api",
        "base_url": api.url,
        "path": "/reports/{account_id}/daily",
        "records_path": "rows",
        "paginator": {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
        "incremental": INCREMENTAL,
        "fan_out": {"accounts": ACCOUNTS},
        "http_retries": FAST_RETRIES,
        "timeout_seconds": 5,
    }
    return make_spec(source=base | source, webhook=None)


def read(spec: ProviderSpec, since: Any = None) -> list[dict[str, Any]]:
    from zartsalgo_pipelines.sources.rest import start_cursor

    incremental = spec.rest_source.incremental
    start = start_cursor(incremental, None) if since is None and incremental else since
    with open_provider_session(spec) as http:
        return [r for p in iter_pages(spec, http, since=start, now=NOW) for r in p.records]


@pytest.fixture
def reports(fake_api: FakeApi) -> FakeApi:
    fake_api.page_size = 4
    fake_api.report_rows = {
        "111-222-3333": [
            ad_row("111-222-3333", day, c)
            for day in days(dt.date(2025, 9, 1), dt.date(2026, 9, 3), 7)
            for c in (1, 2)
        ],
        "444-555-6666": [ad_row("444-555-6666", "2026-09-01", 9)],
    }
    return fake_api


def test_a_years_backfill_is_read_in_windows_of_at_most_31_days_per_account(
    reports: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    records = read(report_spec(make_spec, reports))
    expected = sum(len(rows) for rows in reports.report_rows.values())
    assert len(records) == expected  # every row once: no window overlaps another
    windows = {(s.path, s.query["since"], s.query["until"]) for s in reports.api_requests()}
    assert len({w for w in windows if "111" in w[0]}) == 12  # 2025-09-01 .. 2026-09-03
    for _, since, until in windows:
        span = dt.date.fromisoformat(until) - dt.date.fromisoformat(since)
        assert span.days + 1 <= 31
    assert {w[0] for w in windows} == {"/reports/111-222-3333/daily", "/reports/444-555-6666/daily"}
    assert all(r["_account"]["id"] == r["account_id"] for r in records)
    clients = {r["_account"]["id"]: r["_account"]["client_key"] for r in records}
    assert clients == {"111-222-3333": "acme-roofing", "444-555-6666": "nordlicht-solar"}


def test_the_account_id_may_go_in_a_query_parameter(
    reports: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    spec = report_spec(
        make_spec,
        reports,
        path="/reports/daily",
        fan_out={"accounts": ACCOUNTS[1:], "param": "account_id"},
    )
    records = read(spec, dt.datetime(2026, 8, 20, tzinfo=dt.UTC))
    assert [r["campaign_id"] for r in records] == ["9"]
    assert {s.query["account_id"] for s in reports.api_requests()} == {"444-555-6666"}


def test_accounts_come_from_a_parent_endpoint_with_its_own_pages(
    reports: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    reports.report_accounts = [
        {"customer": {"id": "111-222-3333"}, "labels": {"client": "acme-roofing"}},
        {"customer": {"id": "444-555-6666"}, "labels": {}},  # mapped in client_keys
        {"customer": {"id": "777"}, "labels": {}},  # no client key anywhere
        {"customer": {"id": "111-222-3333"}, "labels": {"client": "acme-roofing"}},  # again
        {"customer": {"id": "888"}, "labels": {"client": "blue-harbor-hvac"}},
    ]
    reports.page_size = 2  # the parent's accounts come on three pages
    reports.report_rows |= {"777": [ad_row("777", "2026-09-02", 3)], "888": []}
    fan_out = {
        "parent": {
            "path": "/reports/accounts",
            "records_path": "accounts",
            "paginator": {"type": "cursor", "cursor_path": "next", "cursor_param": "cursor"},
            "id_path": "customer.id",
            "client_key_path": "labels.client",
        },
        "client_keys": {"444-555-6666": "nordlicht-solar"},
    }
    records = read(
        report_spec(make_spec, reports, fan_out=fan_out), dt.datetime(2026, 8, 25, tzinfo=dt.UTC)
    )
    parents = [s for s in reports.api_requests() if s.path == "/reports/accounts"]
    assert len(parents) == 3
    accounts = {(r["_account"]["id"], r["_account"]["client_key"]) for r in records}
    assert accounts == {
        ("111-222-3333", "acme-roofing"),
        ("444-555-6666", "nordlicht-solar"),
        ("777", None),  # its rows will fail `client_key` as required, with a dead letter
    }
    called = [s.path for s in reports.api_requests() if s.path != "/reports/accounts"]
    assert called.count("/reports/888/daily") == 1  # each account once, in one window here
    assert called.count("/reports/111-222-3333/daily") == 1


def test_a_400_is_reported_with_the_providers_own_message(
    reports: FakeApi, make_spec: Callable[..., ProviderSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("T_KEY", "key-0123456789")
    reports.auth = ("api_key_query", "key", "key-0123456789")
    spec = report_spec(
        make_spec,
        reports,
        incremental=INCREMENTAL | {"send_as": "iso"},  # since=2025-09-01T00:00:00Z: refused
    )
    spec = spec.model_copy(
        update={
            "auth": spec.auth.model_validate(
                {
                    "model": "api_key",
                    "credentials": {"api_key": "T_KEY"},
                    "api_key_name": "key",
                    "api_key_location": "query",
                }
            )
        }
    )
    with pytest.raises(ExtractError) as refused:
        read(spec)
    message = str(refused.value)
    assert "HTTP 400" in message and f'the provider says "{DATE_MESSAGE}"' in message
    assert "key-0123456789" not in message


def test_check_connection_shows_the_providers_400_message(
    engine: sa.Engine, reports: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    spec = make_spec(
        status="paused",
        webhook=None,
        source={
            "kind": "rest_api",
            "base_url": reports.url,
            "path": "/reports/daily",
            "params": {"account_id": "444-555-6666", "until": "2026-09-03"},
            "records_path": "rows",
            "incremental": {"cursor_path": "date", "initial_value": "2026-09-01", "param": "since"},
            "http_retries": FAST_RETRIES,
        },
    )
    check = check_connection(engine, spec, Path("."))
    assert check.result == "unexpected_response"
    assert "HTTP 400" in check.detail and DATE_MESSAGE in check.detail


def test_source_headers_go_with_every_api_request_the_parent_s_too(
    reports: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    reports.report_accounts = [{"customer": {"id": "111-222-3333"}, "labels": {"client": "a"}}]
    fan_out = {
        "parent": {
            "path": "/reports/accounts",
            "records_path": "accounts",
            "id_path": "customer.id",
            "client_key_path": "labels.client",
        }
    }
    headers = {"login-customer-id": "9998887777"}
    spec = report_spec(make_spec, reports, fan_out=fan_out, headers=headers)
    read(spec, dt.datetime(2026, 8, 25, tzinfo=dt.UTC))
    sent = [{k.lower(): v for k, v in s.headers.items()} for s in reports.api_requests()]
    assert {s.path for s in reports.api_requests()} >= {"/reports/accounts"}
    assert len(sent) > 1 and all(h.get("login-customer-id") == "9998887777" for h in sent)
