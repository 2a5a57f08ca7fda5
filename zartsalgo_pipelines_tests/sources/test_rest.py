"""The REST source against a real HTTP server on 127.0.0.1: every paginator, every auth kind,
retries of 429 / 5xx / timeouts, the request budget, malformed answers and the loop guard."""

import logging
from collections.abc import Callable
from typing import Any

import pytest

from zartsalgo_pipelines.settings import MissingSecretError
from zartsalgo_pipelines.sources.rest import (
    AuthFailedError,
    MalformedResponseError,
    PaginationLoopError,
    RateLimitedError,
    RequestBudget,
    RetryBudgetExceededError,
    UnreachableError,
    cursor_to_send,
    iter_pages,
    open_provider_session,
    set_body_path,
)
from zartsalgo_pipelines.specs.models import ProviderSpec
from zartsalgo_pipelines.specs.rest import IncrementalSpec
from zartsalgo_pipelines_tests.fake_api import FakeApi, Fault
from zartsalgo_pipelines_tests.helpers import quote

FAST_RETRIES = {"max_retries": 3, "backoff_factor": 0.01, "jitter_seconds": 0.01}


def rest_spec(make_spec: Callable[..., ProviderSpec], api: FakeApi, **source: Any) -> ProviderSpec:
    """The shipped quote_request field map, reading the fake API's `/items/...` routes."""
    auth = source.pop("auth", {"model": "none"})
    base = {
        "kind": "rest_api",
        "base_url": api.url,
        "path": "/items/single",
        "records_path": "data",
        "http_retries": FAST_RETRIES,
        "timeout_seconds": 5,
    }
    return make_spec(source=base | source, auth=auth, webhook=None)


def read_all(spec: ProviderSpec, **kwargs: Any) -> list[dict[str, Any]]:
    with open_provider_session(spec) as http:
        return [r for page in iter_pages(spec, http, **kwargs) for r in page.records]


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in records]


PAGINATORS = [
    pytest.param({"path": "/items/single"}, id="single_page"),
    pytest.param(
        {"path": "/items/page", "paginator": {"type": "page_number", "total_path": "total_pages"}},
        id="page_number-total",
    ),
    pytest.param(
        {
            "path": "/items/page",
            "paginator": {"type": "page_number", "page_size_param": "per_page", "page_size": 4},
        },
        id="page_number-empty-page",
    ),
    pytest.param(
        {
            "path": "/items/offset",
            "paginator": {"type": "offset", "limit": 4, "total_path": "total"},
        },
        id="offset-total",
    ),
    pytest.param(
        {"path": "/items/offset", "paginator": {"type": "offset", "limit": 5}},
        id="offset-empty-page",
    ),
    pytest.param(
        {
            "path": "/items/cursor",
            "paginator": {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
        },
        id="cursor-param",
    ),
    pytest.param(
        {
            "path": "/items/cursor",
            "paginator": {
                "type": "cursor",
                "cursor_path": "next_cursor",
                "cursor_param": "cursor",
                "has_more_path": "has_more",
            },
        },
        id="cursor-has_more",
    ),
    pytest.param(
        {
            "path": "/items/json_link",
            "paginator": {"type": "json_link", "next_url_path": "links.next"},
        },
        id="json_link",
    ),
    pytest.param(
        {"path": "/items/header_link", "paginator": {"type": "header_link"}}, id="header_link"
    ),
]


@pytest.mark.parametrize("source", PAGINATORS)
def test_every_paginator_reads_every_record_once(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec], source: dict[str, Any]
) -> None:
    fake_api.items = [quote(n) for n in range(1, 11)]
    records = read_all(rest_spec(make_spec, fake_api, **source))
    assert ids(records) == [f"QR-{n:05d}" for n in range(1, 11)]


def test_cursor_in_the_request_body_pages_a_post_search(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    from zartsalgo_pipelines_tests.fake_api import deal

    fake_api.deals = [deal(n, f"2026-11-{n:02d}T08:00:00.000Z") for n in range(1, 8)]
    spec = rest_spec(
        make_spec,
        fake_api,
        path="/crm/v3/objects/deals/search",
        method="POST",
        body={"limit": 100},
        records_path="results",
        paginator={
            "type": "cursor",
            "cursor_path": "paging.next.after",
            "cursor_body_path": "after",
        },
    )
    records = read_all(spec)
    assert [r["id"] for r in records] == [str(n) for n in range(1, 8)]
    assert [s.body.get("after") for s in fake_api.api_requests()] == [None, "3", "6"]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            {
                "path": "/items/cursor",
                "paginator": {
                    "type": "cursor",
                    "cursor_path": "next_cursor",
                    "cursor_param": "cursor",
                },
            },
            id="cursor",
        ),
        pytest.param(
            {
                "path": "/items/json_link",
                "paginator": {"type": "json_link", "next_url_path": "links.next"},
            },
            id="json_link",
        ),
        pytest.param(
            {"path": "/items/header_link", "paginator": {"type": "header_link"}}, id="header_link"
        ),
    ],
)
def test_a_repeating_cursor_or_link_fails_instead_of_looping(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec], source: dict[str, Any]
) -> None:
    fake_api.items = [quote(n) for n in range(1, 11)]
    fake_api.repeat_cursor = True
    with pytest.raises(PaginationLoopError, match=r"same (cursor|next link) twice"):
        read_all(rest_spec(make_spec, fake_api, **source))
    assert len(fake_api.api_requests()) == 2  # the page that repeated it is the last one read


def test_max_pages_guards_an_endless_api(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.items = [quote(n) for n in range(1, 11)]
    spec = rest_spec(
        make_spec, fake_api, path="/items/page", paginator={"type": "page_number"}, max_pages=2
    )
    with pytest.raises(Exception, match=r"more than source.max_pages \(2\) pages"):
        read_all(spec)


AUTH_CASES = [
    pytest.param(
        {"model": "bearer", "credentials": {"token": "T_TOKEN"}},
        {"T_TOKEN": "tok-123"},
        ("bearer", "tok-123"),
        id="bearer",
    ),
    pytest.param(
        {
            "model": "api_key",
            "credentials": {"api_key": "T_KEY"},
            "api_key_name": "X-Api-Key",
            "api_key_location": "header",
        },
        {"T_KEY": "key-456"},
        ("api_key_header", "X-Api-Key", "key-456"),
        id="api_key-header",
    ),
    pytest.param(
        {
            "model": "api_key",
            "credentials": {"api_key": "T_KEY"},
            "api_key_name": "api_key",
            "api_key_location": "query",
        },
        {"T_KEY": "key-789"},
        ("api_key_query", "api_key", "key-789"),
        id="api_key-query",
    ),
    pytest.param(
        {"model": "http_basic", "credentials": {"username": "T_USER", "password": "T_PASS"}},
        {"T_USER": "zartsalgo", "T_PASS": "pa55-word"},
        ("basic", "zartsalgo", "pa55-word"),
        id="http_basic",
    ),
    pytest.param(
        {
            "model": "oauth2_client_credentials",
            "credentials": {"client_id": "T_CLIENT", "client_secret": "T_SECRET"},
            "token_url": "TOKEN_URL",
            "scopes": ["deals.read"],
        },
        {"T_CLIENT": "client-1", "T_SECRET": "s3cret-oauth"},
        ("oauth2", "client-1", "s3cret-oauth"),
        id="oauth2_client_credentials",
    ),
]


def _auth(auth: dict[str, Any], api: FakeApi) -> dict[str, Any]:
    if auth.get("token_url") == "TOKEN_URL":
        auth = auth | {"token_url": f"{api.url}/oauth/token"}
    return auth


@pytest.mark.parametrize(("auth", "env", "expected"), AUTH_CASES)
def test_every_auth_kind_is_accepted_with_the_right_secret_and_refused_with_a_wrong_one(
    fake_api: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    monkeypatch: pytest.MonkeyPatch,
    auth: dict[str, Any],
    env: dict[str, str],
    expected: tuple[str, ...],
) -> None:
    fake_api.items = [quote(n) for n in range(1, 8)]
    fake_api.auth = expected
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = rest_spec(
        make_spec,
        fake_api,
        path="/items/page",
        paginator={"type": "page_number"},
        auth=_auth(auth, fake_api),
    )
    assert len(read_all(spec)) == 7
    # Now a wrong value for the last secret: refused, and no secret in the message.
    wrong = list(env)[-1]
    monkeypatch.setenv(wrong, "wrong-value")
    with pytest.raises(AuthFailedError) as refused:
        read_all(spec)
    message = str(refused.value)
    assert "HTTP 401" in message and "refused" in message
    for secret in [*env.values(), "wrong-value"]:
        assert secret not in message


@pytest.mark.parametrize(("auth", "env", "expected"), AUTH_CASES[:1] + AUTH_CASES[-1:])
def test_a_missing_secret_is_named_at_run_time(
    fake_api: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    monkeypatch: pytest.MonkeyPatch,
    auth: dict[str, Any],
    env: dict[str, str],
    expected: tuple[str, ...],
) -> None:
    for name in env:
        monkeypatch.delenv(name, raising=False)
    spec = rest_spec(make_spec, fake_api, auth=_auth(auth, fake_api))  # loads without them
    with pytest.raises(
        MissingSecretError, match=f"environment variable {next(iter(env))} is not set"
    ):
        read_all(spec)
    assert fake_api.seen == []


def test_oauth2_token_is_fetched_once_reused_and_refreshed_after_a_401(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_api.items = [quote(n) for n in range(1, 10)]
    fake_api.auth = ("oauth2", "client-1", "s3cret")
    fake_api.revoke_after_uses = 2  # the provider revokes each token after two calls
    monkeypatch.setenv("T_CLIENT", "client-1")
    monkeypatch.setenv("T_SECRET", "s3cret")
    spec = rest_spec(
        make_spec,
        fake_api,
        path="/items/page",
        paginator={"type": "page_number"},
        auth=_auth(AUTH_CASES[-1].values[0], fake_api),
    )
    assert len(read_all(spec)) == 9  # 3 full pages + 1 empty page = 4 pages
    assert fake_api.token_requests == 2  # one at the start, one after the first 401
    token_form = next(s for s in fake_api.seen if s.path == "/oauth/token").body
    assert "grant_type=client_credentials" in token_form and "scope=deals.read" in token_form


def test_429_with_retry_after_is_waited_out_and_recorded(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.items = [quote(n) for n in range(1, 8)]
    fake_api.faults = {2: Fault(429, b'{"message": "slow down"}', {"Retry-After": "1"})}
    spec = rest_spec(make_spec, fake_api, path="/items/page", paginator={"type": "page_number"})
    with open_provider_session(spec) as http:
        records = [r for p in iter_pages(spec, http) for r in p.records]
        stats = http.stats
    assert len(records) == 7
    assert stats.rate_limit_hits == 1 and stats.retries == 1
    assert stats.rate_limit_wait_seconds >= 1.0  # Retry-After: 1 was honoured
    assert [s.query["page"] for s in fake_api.api_requests()] == ["1", "2", "2", "3", "4"]


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault(500), id="500"),
        pytest.param(Fault(503), id="503"),
        pytest.param(Fault(hold=True), id="timeout"),
    ],
)
def test_5xx_and_timeouts_are_retried_with_backoff(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec], fault: Fault
) -> None:
    fake_api.items = [quote(n) for n in range(1, 8)]
    fake_api.faults = {1: fault, 2: fault}
    spec = rest_spec(
        make_spec,
        fake_api,
        path="/items/page",
        paginator={"type": "page_number"},
        timeout_seconds=0.5,
    )
    with open_provider_session(spec) as http:
        records = [r for p in iter_pages(spec, http) for r in p.records]
        stats = http.stats
    assert len(records) == 7
    assert stats.retries == 2 and stats.rate_limit_hits == 0
    assert stats.retry_wait_seconds > 0  # backoff (with jitter) between the attempts


def test_retries_run_out_with_a_clear_error(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.faults = {n: Fault(502) for n in range(1, 10)}
    spec = rest_spec(make_spec, fake_api)
    with pytest.raises(UnreachableError, match=r"HTTP 502 after 3 retries"):
        read_all(spec)
    assert len(fake_api.api_requests()) == 4


def test_still_rate_limited_after_the_retries(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.faults = {n: Fault(429, headers={"Retry-After": "0"}) for n in range(1, 10)}
    with pytest.raises(RateLimitedError, match=r"still rate limited \(HTTP 429\) after 3 retries"):
        read_all(rest_spec(make_spec, fake_api))


def test_the_total_wait_is_capped(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.faults = {1: Fault(429, headers={"Retry-After": "3600"})}
    spec = rest_spec(
        make_spec, fake_api, http_retries=FAST_RETRIES | {"max_total_wait_seconds": 60}
    )
    with pytest.raises(RetryBudgetExceededError, match=r"waiting 3600 s more would pass"):
        read_all(spec)
    assert len(fake_api.api_requests()) == 1  # it did not sleep an hour first


def test_the_request_budget_keeps_a_sync_under_the_providers_limit(
    fake_api: FakeApi, make_spec: Callable[..., ProviderSpec]
) -> None:
    fake_api.items = [quote(n) for n in range(1, 16)]
    # The provider answers 429 to requests closer than 50 ms; the budget spaces them 250 ms
    # apart. The slack is wide because the server reads its clock when its thread gets to the
    # request, and on a loaded machine two spaced requests can be handled close together.
    fake_api.min_gap_seconds = 0.05
    spec = rest_spec(
        make_spec,
        fake_api,
        path="/items/page",
        paginator={"type": "page_number"},
        rate_limit={"requests_per_second": 4},
    )
    with open_provider_session(spec) as http:
        records = [r for p in iter_pages(spec, http) for r in p.records]
        stats = http.stats
    assert len(records) == 15
    assert stats.rate_limit_hits == 0 and stats.budget_wait_seconds > 0


def test_request_budget_spaces_requests_by_its_interval() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    budget = RequestBudget(0.25, clock=lambda: now[0], sleep=sleep)
    waits = [budget.acquire(), budget.acquire(), budget.acquire(at_least=1.0)]
    now[0] += 5  # idle long enough: no wait
    waits.append(budget.acquire())
    assert waits == [0.0, 0.25, 1.0, 0.0]
    assert slept == [0.25, 1.0]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        pytest.param(
            Fault(200, b"<html><body>Maintenance</body></html>", content_type="text/html"),
            r"the response is an HTML page \(HTTP 200, Content-Type text/html",
            id="html-page",
        ),
        pytest.param(
            Fault(200, b'{"data": [1, 2'), "the response is not valid JSON", id="malformed-json"
        ),
        pytest.param(
            Fault(200, b'{"data": {"id": "QR-1"}}'),
            "records_path `data` found a JSON object, not a list of records",
            id="records-not-a-list",
        ),
        pytest.param(
            Fault(200, b'{"items": []}'), "records_path `data` found nothing", id="records-missing"
        ),
    ],
)
def test_an_unexpected_response_fails_with_provider_url_and_what_was_wrong(
    fake_api: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault,
    expected: str,
) -> None:
    fake_api.items = [quote(n) for n in range(1, 8)]
    fake_api.faults = {2: fault}
    fake_api.auth = ("api_key_query", "api_key", "very-secret-key")
    monkeypatch.setenv("T_KEY", "very-secret-key")
    spec = rest_spec(
        make_spec,
        fake_api,
        path="/items/page",
        paginator={"type": "page_number"},
        auth={
            "model": "api_key",
            "credentials": {"api_key": "T_KEY"},
            "api_key_name": "api_key",
            "api_key_location": "query",
        },
    )
    with pytest.raises(MalformedResponseError, match=expected) as failed:
        read_all(spec)
    message = str(failed.value)
    assert message.startswith("Provider `quote_request`: GET http://127.0.0.1:")
    assert "/items/page?page=2" in message and "very-secret-key" not in message


def test_secrets_in_query_strings_never_reach_urllib3_logs(
    fake_api: FakeApi,
    make_spec: Callable[..., ProviderSpec],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_api.items = [quote(1)]
    fake_api.faults = {1: Fault(503, headers={"Retry-After": "0"})}
    fake_api.auth = ("api_key_query", "api_key", "very-secret-key")
    monkeypatch.setenv("T_KEY", "very-secret-key")
    spec = rest_spec(
        make_spec,
        fake_api,
        auth={
            "model": "api_key",
            "credentials": {"api_key": "T_KEY"},
            "api_key_name": "api_key",
            "api_key_location": "query",
        },
    )
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        assert len(read_all(spec)) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "api_key=" in logged  # urllib3 did log the retried URL ...
    assert "very-secret-key" not in logged  # ... with the key masked


@pytest.mark.parametrize(
    ("incremental", "stored", "full", "expected"),
    [
        (
            {"cursor_path": "u", "initial_value": "2024-01-01T00:00:00Z", "param": "since"},
            None,
            False,
            "2024-01-01T00:00:00Z",
        ),
        (
            {
                "cursor_path": "u",
                "initial_value": "2024-01-01T00:00:00Z",
                "param": "since",
                "lookback_seconds": 300,
            },
            "2026-11-20T10:00:00Z",
            False,
            "2026-11-20T09:55:00Z",
        ),
        (
            {"cursor_path": "u", "initial_value": "2024-01-01T00:00:00Z", "param": "since"},
            "2026-11-20T10:00:00Z",
            True,
            "2024-01-01T00:00:00Z",
        ),
        (
            {
                "cursor_path": "u",
                "initial_value": "2024-01-01T00:00:00Z",
                "param": "s",
                "send_as": "epoch_milliseconds",
            },
            "2026-11-20T10:00:00+01:00",
            False,
            1795165200000,
        ),
        (
            {
                "cursor_path": "u",
                "cursor_type": "integer",
                "initial_value": "0",
                "param": "s",
                "send_as": "integer",
                "lookback_seconds": 10,
            },
            "1500",
            False,
            1490,
        ),
    ],
    ids=["initial", "stored-minus-lookback", "full-resync", "epoch-ms", "integer"],
)
def test_the_incremental_value_sent(
    incremental: dict[str, Any], stored: str | None, full: bool, expected: str | int
) -> None:
    spec = IncrementalSpec.model_validate(incremental)
    assert cursor_to_send(spec, stored, full_resync=full) == expected


def test_body_paths_create_and_index_nested_lists() -> None:
    body: dict[str, Any] = {"filterGroups": [{"filters": [{"propertyName": "x", "value": None}]}]}
    set_body_path(body, "filterGroups.0.filters.0.value", 5)
    set_body_path(body, "paging.after", "abc")
    assert body == {
        "filterGroups": [{"filters": [{"propertyName": "x", "value": 5}]}],
        "paging": {"after": "abc"},
    }
